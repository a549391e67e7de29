// SPDX-License-Identifier: MIT
// WorkerPool: its threads run blocking work at the lowest CPU priority.
#include "server/worker_pool.h"

#include <doctest/doctest.h>
#include <sched.h>

#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

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

TEST_CASE("worker pool: the serial executor runs one job at a time on a pool of two") {
  WorkerPool pool(2);
  auto serial = pool.make_serial_executor();
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  constexpr int kJobs = 8;
  for (int i = 0; i < kJobs; ++i) {
    asio::post(serial, [&] {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      // Long enough for the other worker to start a second job, were it allowed to.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --running;
      ++done;
    });
  }
  // The pool's own executor still takes other work (mail) meanwhile.
  std::promise<void> beside;
  asio::post(pool.executor(), [&] { beside.set_value(); });
  beside.get_future().get();
  pool.join();
  CHECK(done.load() == kJobs);
  CHECK(most.load() == 1);
}
