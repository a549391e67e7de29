// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_WORKER_POOL_H_
#define WECHAT_SERVER_WORKER_POOL_H_

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace wechat::server {

/// Threads for blocking work (password hashing, mail) that run at a lower CPU priority than
/// the I/O and store threads: a burst of logins saturating the pool must not add latency to
/// chat traffic, which only needs a sliver of CPU per message. Hashing still gets whatever the
/// chat load leaves over.
///
/// @par Thread Safety
/// executor() may be used from any thread; join() once, from a thread that is not a worker.
class WorkerPool {
 public:
  /// `nice` is added to each worker thread's niceness (Linux schedules threads individually).
  WorkerPool(unsigned threads, int nice);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  asio::any_io_executor executor() { return io_.get_executor(); }
  /// Finishes the queued work, then stops the threads.
  void join();

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_WORKER_POOL_H_
