// SPDX-License-Identifier: MIT
#include "server/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include "common/thread_name.h"

namespace wechat::server {

WorkerPool::WorkerPool(unsigned threads, int nice) {
  work_.emplace(io_.get_executor());
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this, nice] {
      // Best effort: without the permission to change it, the thread runs at normal priority.
      (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
      detail::set_thread_name("wechat-worker");
      io_.run();
    });
  }
}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::join() {
  work_.reset();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace wechat::server
