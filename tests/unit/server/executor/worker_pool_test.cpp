// SPDX-License-Identifier: MIT
// WorkerPool: its threads run blocking work at the lowest CPU priority.
#include "server/worker_pool.h"

#include <doctest/doctest.h>
#include <sched.h>

#include <asio/post.hpp>
#include <future>

using wechat::server::WorkerPool;

TEST_CASE("worker pool: work runs on a SCHED_IDLE thread that any other thread preempts") {
  WorkerPool pool(2);
  std::promise<int> policy;
  asio::post(pool.executor(), [&] { policy.set_value(sched_getscheduler(0)); });
  CHECK(policy.get_future().get() == SCHED_IDLE);
  // The caller's own thread keeps its policy.
  CHECK(sched_getscheduler(0) != SCHED_IDLE);
  pool.join();
}
