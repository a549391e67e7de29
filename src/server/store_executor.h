// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_EXECUTOR_H_
#define WECHAT_SERVER_STORE_EXECUTOR_H_

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "server/push_router.h"
#include "server/store/server_store.h"

namespace wechat::server {

/// Pushes a request's work wants delivered, collected while the work runs and sent only after
/// the batch holding that work has committed: nobody hears of anything that is not durable.
class Effects {
 public:
  /// Sends `event` to every online device of `user_id`.
  void push(std::uint64_t user_id, v1::Event event);
  /// Sends one already-framed event to every online device of each user.
  void push_encoded(std::uint64_t user_id, std::shared_ptr<const std::string> frame);
  /// Closes the user's session on `device_id`, or on every device when 0 (password reset).
  void end_sessions(std::uint64_t user_id, Status reason, std::uint64_t device_id = 0);

  struct Push {
    std::uint64_t user_id;
    std::shared_ptr<const std::string> frame;  ///< null for end_sessions
    Status end_reason;
    std::uint64_t device_id = 0;
  };
  std::vector<Push>& items() { return items_; }

  /// Keeps this request's writes even though it answers with an error (a wrong verification
  /// code must still count as an attempt). Pushes are still dropped.
  void commit_even_if_failed() { commit_on_error_ = true; }
  bool commit_on_error() const { return commit_on_error_; }

 private:
  std::vector<Push> items_;
  bool commit_on_error_ = false;
};

/// Owns the ServerStore and the one thread that uses it, and group-commits: every job queued
/// while the previous batch was committing runs in the next batch, in one transaction, each in
/// its own savepoint. A job's completion (and its pushes) happen only after its batch commits.
///
/// Ordering: jobs run in submission order, and the pushes of a batch are handed to the router in
/// that same order, batch after batch, so each user's pushes leave in user_seq order.
///
/// With an I/O executor attached (the server's), the executor costs two thread wake-ups per
/// batch instead of several per request: submissions are staged and handed to the store thread
/// together once the I/O loop has run the handlers already queued (everything read in one
/// poll round joins one batch), and a batch's pushes and completions run as one handler on the
/// I/O threads instead of being posted one by one from the store thread.
///
/// @par Thread Safety
/// submit()/run() may be called from any thread. stop() must not be called from the store
/// thread.
class StoreExecutor {
 public:
  struct Job {
    /// Runs on the store thread inside a savepoint; false rolls the savepoint back.
    std::function<bool(ServerStore&, Effects&)> work;
    /// Runs on the store thread after the batch ends: ok if it committed.
    std::function<void(const Status& commit)> done;
    /// Users whose rows `work` will write (log heads), known before it runs. A batch locks all
    /// of its jobs' users first, in id order (ServerStore::lock_users), so that batches of two
    /// servers touching the same users wait for each other instead of deadlocking. A hint:
    /// leaving it empty is correct, only more prone to conflicts between servers.
    std::vector<std::uint64_t> lock_users;
  };

  StoreExecutor(std::unique_ptr<ServerStore> store, PushRouter& router, detail::Logger log,
                std::size_t max_batch = 1024);
  ~StoreExecutor();

  /// Stages submissions and runs completions on `io` (see above). With `run_on_io`, the staged
  /// batches run right there, on the I/O thread that flushes them, instead of on the store
  /// thread (which then only runs what stop() finds queued): for an `io` run by ONE thread, on a
  /// machine where the two threads could not run at once. Call before start().
  void attach_io(asio::any_io_executor io, bool run_on_io = false);
  /// Forgets the I/O executor; call once its threads have stopped and before it is destroyed
  /// (the completion strand must not outlive the io_context's strand service).
  void detach_io();

  void start();
  /// Runs what is queued, then stops the thread. Later submissions complete with kCancelled.
  void stop();

  void submit(Job job);

  /// Runs `fn(store, effects)` (returning Result<T>) on the store thread and resumes the caller
  /// on its own executor once the batch has committed, with fn's result, or with the commit's
  /// error (kStorage) if the batch failed.
  /// `lock_users`: Job::lock_users.
  template <typename T, typename Fn>
  asio::awaitable<Result<T>> run(Fn fn, std::vector<std::uint64_t> lock_users = {});

  /// Batches committed and jobs run so far (for tests and benchmarks).
  std::uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  /// Batches rolled back whole after losing a lock conflict with another server.
  std::uint64_t conflicts() const { return conflicts_.load(std::memory_order_relaxed); }

 private:
  void loop();
  void run_batch(std::vector<Job>& jobs);
  /// Runs jobs[first, last) in one transaction; sets `conflict` (and rolls it all back) if a
  /// statement lost a lock conflict with another server (ServerStore::take_conflict).
  Status execute(std::vector<Job>& jobs, std::size_t first, std::size_t last,
                 std::vector<Effects>& effects, bool& conflict);
  /// Hands the jobs their status (and their effects, if it is ok) on the I/O side.
  void complete(std::vector<Job>& jobs, std::vector<Effects>& effects, Status status);
  /// Moves staged jobs to the queue the store thread takes from, and wakes it once.
  void flush_staged();
  /// Hands the batch's pushes to the router, in order, then completes its jobs.
  void finish_batch(std::vector<Effects>& effects, std::vector<Job>& jobs, const Status& status);

  std::unique_ptr<ServerStore> store_;
  PushRouter& router_;
  detail::Logger log_;
  const std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::vector<Job> staged_;     ///< Submitted from the I/O side, not yet visible to the store thread.
  bool flush_posted_ = false;   ///< A flush_staged() handler is queued on io_.
  std::optional<asio::any_io_executor> io_;
  bool run_on_io_ = false;
  /// Held while a batch uses the store: with run_on_io_, the I/O thread and the store thread
  /// (at stop) may each run one.
  std::mutex store_mutex_;
  /// Serialises batch completions on the I/O threads: pushes stay in commit order.
  std::optional<asio::strand<asio::any_io_executor>> completions_;
  bool stopping_ = false;
  bool started_ = false;
  bool closed_ = false;  ///< After stop(): submissions are cancelled at once.
  std::thread thread_;
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> conflicts_{0};
  /// A request that keeps losing lock conflicts fails after this many reruns.
  static constexpr int kMaxConflictRetries = 20;
};

template <typename T, typename Fn>
asio::awaitable<Result<T>> StoreExecutor::run(Fn fn, std::vector<std::uint64_t> lock_users) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<T>)>(
      [this, lock_users = std::move(lock_users)](auto completion, Fn f) mutable {
        using Handler = decltype(completion);
        struct State {
          Handler handler;
          Fn fn;
          std::optional<Result<T>> result;
        };
        auto state = std::make_shared<State>(State{std::move(completion), std::move(f), {}});
        Job job;
        job.work = [state](ServerStore& store, Effects& effects) {
          state->result.emplace(state->fn(store, effects));
          return state->result->ok();
        };
        job.done = [state](const Status& commit) {
          Result<T> out = commit.ok() ? std::move(*state->result) : Result<T>(commit);
          if (!commit.ok() && state->result && !state->result->ok()) out = std::move(*state->result);
          auto home = asio::get_associated_executor(state->handler);
          asio::post(home, [state, out = std::move(out)]() mutable {
            // Asio's rule: move a handler out of its storage before invoking it. The
            // awaitable handler owns the coroutine's frames; invoking it in place would leave
            // a second owner behind in `state`.
            auto handler = std::move(state->handler);
            state.reset();
            std::move(handler)(std::move(out));
          });
        };
        job.lock_users = std::move(lock_users);
        submit(std::move(job));
      },
      asio::use_awaitable, std::move(fn));
}

}  // namespace wechat::server

#endif  // WECHAT_SERVER_STORE_EXECUTOR_H_
