// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_WORKER_POOL_H_
#define WECHAT_SERVER_WORKER_POOL_H_

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace wechat::server {

/// Threads for blocking work (password hashing, mail) that run at the lowest CPU priority
/// (SCHED_IDLE): a burst of logins saturating the pool must not add latency to chat traffic,
/// which only needs a sliver of CPU per message. Hashing gets whatever the chat load leaves
/// over; under a load that leaves nothing over, it nearly stops (a SCHED_IDLE thread's share of
/// a contended core is about 0.3 %) while token logins and chat go on.
///
/// @par Thread Safety
/// executor() may be used from any thread; join() once, from a thread that is not a worker.
class WorkerPool {
 public:
  /// Starts `threads` workers (Linux schedules each thread with its own policy).
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  asio::any_io_executor executor() { return io_.get_executor(); }
  /// A strand of the pool: what is posted to it runs on the workers one job at a time. For
  /// password hashing where the process may use one CPU: two 32 MiB scrypt hashes sharing a
  /// core take turns evicting each other's memory, and the I/O thread's, from the caches; one
  /// at a time completes as many hashes and halves the chat p99 they cause
  /// (docs/performance.md). Mail still runs beside it on the other worker.
  asio::any_io_executor make_serial_executor();
  /// Finishes the queued work, then stops the threads.
  void join();

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_WORKER_POOL_H_
