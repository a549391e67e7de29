// SPDX-License-Identifier: MIT
#include "server/store_executor.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/random.h"
#include "common/thread_name.h"
#include "transport/frame_codec.h"

namespace wechat::server {

void Effects::push(std::uint64_t user_id, v1::Event event) {
  v1::Frame frame;
  *frame.mutable_event() = std::move(event);
  push_encoded(user_id, std::make_shared<const std::string>(transport::encode_frame(frame)));
}

void Effects::push_encoded(std::uint64_t user_id, std::shared_ptr<const std::string> frame) {
  items_.push_back(Push{user_id, std::move(frame), Status(), 0});
}

void Effects::end_sessions(std::uint64_t user_id, Status reason, std::uint64_t device_id) {
  items_.push_back(Push{user_id, nullptr, std::move(reason), device_id});
}

StoreExecutor::StoreExecutor(std::unique_ptr<ServerStore> store, PushRouter& router,
                             detail::Logger log, std::size_t max_batch)
    : store_(std::move(store)), router_(router), log_(std::move(log)), max_batch_(max_batch) {}

StoreExecutor::~StoreExecutor() { stop(); }

void StoreExecutor::attach_io(asio::any_io_executor io, bool run_on_io) {
  std::lock_guard lock(mutex_);
  completions_.emplace(asio::make_strand(io));
  io_.emplace(std::move(io));
  run_on_io_ = run_on_io;
}

void StoreExecutor::detach_io() {
  std::lock_guard lock(mutex_);
  completions_.reset();
  io_.reset();
}

void StoreExecutor::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] {
    detail::set_thread_name("wechat-store");
    loop();
  });
}

void StoreExecutor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Staged work was accepted: it runs in the final batches like the rest of the queue.
    for (auto& job : staged_) queue_.push_back(std::move(job));
    staged_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Anything submitted after the loop ended is cancelled, never silently dropped.
  std::deque<Job> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    left.swap(queue_);
  }
  for (auto& job : left) job.done(Status(Error::kCancelled, "server is shutting down"));
}

void StoreExecutor::submit(Job job) {
  bool staged = false;
  bool post_flush = false;
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      if (io_ && !stopping_) {
        staged_.push_back(std::move(job));
        staged = true;
        post_flush = !std::exchange(flush_posted_, true);
      } else {
        queue_.push_back(std::move(job));
      }
      job.done = nullptr;
    }
  }
  if (job.done) {
    job.done(Status(Error::kCancelled, "server is shutting down"));
    return;
  }
  if (!staged) {
    wake_.notify_one();
  } else if (post_flush) {
    // Runs after the handlers already queued on the loop, which may stage more jobs.
    asio::post(*io_, [this] { flush_staged(); });
  }
}

void StoreExecutor::flush_staged() {
  std::vector<Job> batch;
  {
    std::lock_guard lock(mutex_);
    flush_posted_ = false;
    if (staged_.empty()) return;  // stop() took them
    if (run_on_io_) {
      batch.swap(staged_);
    } else {
      for (auto& job : staged_) queue_.push_back(std::move(job));
      staged_.clear();
    }
  }
  if (batch.empty()) {
    wake_.notify_one();
    return;
  }
  // Everything read in this round of I/O, as one batch, here and now.
  for (std::size_t first = 0; first < batch.size(); first += max_batch_) {
    std::vector<Job> part;
    const std::size_t last = std::min(batch.size(), first + max_batch_);
    part.reserve(last - first);
    for (std::size_t i = first; i < last; ++i) part.push_back(std::move(batch[i]));
    run_batch(part);
  }
}

void StoreExecutor::loop() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Take everything that queued up while the last batch committed: that is the group commit.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

Status StoreExecutor::execute(std::vector<Job>& jobs, std::size_t first, std::size_t last,
                              std::vector<Effects>& effects, bool& conflict) {
  conflict = false;
  Status status = store_->begin_batch();
  if (!status.ok()) return status;
  std::vector<std::uint64_t> users;
  for (std::size_t i = first; i < last && store_->locks_users(); ++i) {
    users.insert(users.end(), jobs[i].lock_users.begin(), jobs[i].lock_users.end());
  }
  if (!users.empty()) {
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    status = store_->lock_users(users);
    if (store_->take_conflict()) {
      conflict = true;
      store_->rollback_batch();
      return Status(Error::kUnavailable, "lost a lock conflict with another server");
    }
    if (!status.ok()) {
      store_->rollback_batch();
      return status;
    }
  }
  for (std::size_t i = first; i < last && status.ok(); ++i) {
    status = store_->savepoint();
    if (!status.ok()) break;
    const bool ok = jobs[i].work(*store_, effects[i]);
    if (store_->take_conflict()) {
      conflict = true;
      store_->rollback_batch();
      return Status(Error::kUnavailable, "lost a lock conflict with another server");
    }
    if (ok) {
      status = store_->release_savepoint();
    } else if (effects[i].commit_on_error()) {
      effects[i].items().clear();
      status = store_->release_savepoint();
    } else {
      store_->rollback_to_savepoint();
      effects[i].items().clear();
    }
  }
  if (status.ok()) status = store_->commit_batch();
  if (!status.ok()) store_->rollback_batch();
  return status;
}

void StoreExecutor::run_batch(std::vector<Job>& jobs) {
  std::lock_guard store_lock(store_mutex_);
  std::vector<Effects> effects(jobs.size());
  bool conflict = false;
  Status status = execute(jobs, 0, jobs.size(), effects, conflict);
  if (!conflict) return complete(jobs, effects, status);
  // Another server's transaction waits for rows this batch holds while holding rows it needs
  // (PostgreSQL): the batch was rolled back whole. Each request now runs alone, so it holds only
  // its own locks, and is retried after a short random pause while it keeps losing.
  conflicts_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::vector<Job> one;
    std::vector<Effects> one_effects(1);
    one.push_back(std::move(jobs[i]));
    for (int attempt = 0;; ++attempt) {
      one_effects[0] = Effects();
      status = execute(one, 0, 1, one_effects, conflict);
      if (!conflict || attempt == kMaxConflictRetries) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(
          1 + detail::random_below(static_cast<std::uint64_t>(5) << std::min(attempt, 5))));
    }
    complete(one, one_effects, status);
  }
}

void StoreExecutor::complete(std::vector<Job>& jobs, std::vector<Effects>& effects,
                             Status status) {
  if (!status.ok()) {
    log_.error("store batch of {} requests failed: {}", jobs.size(), status.to_string());
    status = Status(Error::kStorage, "the server could not store this: " + status.message());
  } else {
    batches_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!completions_) {
    finish_batch(effects, jobs, status);
    return;
  }
  // One handler per batch on the I/O side; the strand keeps batches in commit order.
  auto work = [this, effects = std::move(effects), jobs = std::move(jobs), status]() mutable {
    finish_batch(effects, jobs, status);
  };
  jobs.clear();
  asio::post(*completions_, std::move(work));
}

void StoreExecutor::finish_batch(std::vector<Effects>& effects, std::vector<Job>& jobs,
                                 const Status& status) {
  if (status.ok()) {
    for (auto& e : effects) {
      for (auto& item : e.items()) {
        if (item.frame) {
          router_.push(item.user_id, item.frame);
        } else {
          router_.end_sessions(item.user_id, item.end_reason, item.device_id);
        }
      }
    }
  }
  for (auto& job : jobs) job.done(status);
}

}  // namespace wechat::server
