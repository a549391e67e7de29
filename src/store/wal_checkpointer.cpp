// SPDX-License-Identifier: MIT
#include "store/wal_checkpointer.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/thread_name.h"
#include "store/sqlite_error.h"

namespace wechat::store {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::attach(Database& writer,
                                                                 const Options& options) {
  if (options.background_pages == 0 || options.inline_pages <= options.background_pages) {
    return Status(Error::kInvalidArgument,
                  "the inline checkpoint threshold must be above the background one");
  }
  const char* file = sqlite3_db_filename(writer.raw(), "main");
  if (file == nullptr || file[0] == '\0') return std::unique_ptr<WalCheckpointer>();
  OpenOptions own_options;
  own_options.create = false;
  own_options.statement_cache_capacity = 0;
  own_options.logger = writer.logger();
  WECHAT_ASSIGN_OR_RETURN(Database own, Database::open(file, own_options));
  return std::unique_ptr<WalCheckpointer>(
      new WalCheckpointer(writer.raw(), std::move(own), options));
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, Database own, const Options& options)
    : writer_(writer), own_(std::move(own)), options_(options) {
  thread_ = std::thread([this] {
    detail::set_thread_name("wechat-wal");
    // Behind the threads that answer requests when they share a core: copying 40 MiB at equal
    // priority took a third of the core from them for tens of milliseconds (a latency spike).
    // Best effort, like the hashing workers.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kNice);
    loop();
  });
  // Replaces the automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  // The writer keeps a bound on its log without us, at the inline threshold.
  sqlite3_wal_autocheckpoint(writer_, static_cast<int>(options_.inline_pages));
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int WalCheckpointer::on_commit(void* self_ptr, sqlite3* db, const char* schema, int pages) {
  auto* self = static_cast<WalCheckpointer*>(self_ptr);
  const auto frames = static_cast<std::size_t>(pages);
  // Fewer frames than at the last commit: the log has started over.
  if (frames < self->log_frames_.exchange(frames, std::memory_order_acq_rel)) {
    self->logs_.fetch_add(1, std::memory_order_release);
  }
  if (frames < self->options_.background_pages) return SQLITE_OK;
  // What the thread copied refers to this log only while the log has not started over since.
  std::size_t copied = self->copied_frames_.load(std::memory_order_acquire);
  if (copied > frames) copied = 0;
  const bool thread_idle = !self->pending_.load(std::memory_order_acquire);
  const std::size_t behind = frames - copied;
  if (frames >= self->options_.inline_pages || (thread_idle && copied > 0 && behind <= kTail)) {
    // The thread has copied nearly all of it (or has fallen far behind): this commit copies
    // the rest, which lets the next transaction start the log over. A PASSIVE checkpoint that
    // finds the thread at work returns BUSY; the next commit asks again.
    const int rc =
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      self->inline_.fetch_add(1, std::memory_order_relaxed);
      self->copied_frames_.store(0, std::memory_order_release);
    }
    return SQLITE_OK;
  }
  // Not again for every commit while the log is long: only once enough is new since the last
  // copy.
  if (copied > 0 && behind < kTail) return SQLITE_OK;
  if (self->pending_.exchange(true, std::memory_order_acq_rel)) return SQLITE_OK;
  {
    std::lock_guard lock(self->mutex_);
    self->wanted_ = true;
  }
  self->wake_.notify_one();
  return SQLITE_OK;
}

// SQLite syncs the database file after a checkpoint only if the log has not grown while it
// copied (it compares with the live header, not with the frame the checkpoint started from).
// Beside a busy writer it nearly always has grown, so background checkpoints left everything
// they copied in the OS's dirty pages, and the commit that copies the tail and lets the log
// start over wrote them all back inside its own sync: on a 275 MB database, a 33-38 ms median
// stall of the I/O thread every few hundred milliseconds (W1 chat p99 45 ms at 5,000 msg/s).
// Written back here, that sync is down to the tail's own pages (4 ms).
void WalCheckpointer::sync_database_file() {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(own_.raw(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return;
  }
  const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) {
    own_.logger().warn(
        "{}",
        sqlite_status(own_.raw(), rc, "syncing the checkpointed database file failed").to_string());
  }
  syncs_.fetch_add(1, std::memory_order_relaxed);
}

void WalCheckpointer::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int log_frames = 0;
    int copied_frames = 0;
    const int rc = sqlite3_wal_checkpoint_v2(own_.raw(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                             &log_frames, &copied_frames);
    if (rc == SQLITE_OK) {
      // The writer copies the tail only after a checkpoint that left it at most kTail frames
      // behind (and the log only grows until the next one), so one that ends that close may be
      // the last before it: sync then, and in the same log again only once 2 * kTail more
      // frames were copied. Syncing after every checkpoint wrote hot pages back each time (6-9
      // us more CPU per message at 8,000 msg/s); once per log left the writer everything added
      // during that sync (tens of milliseconds on a large database).
      const std::uint64_t log = logs_.load(std::memory_order_acquire);
      const auto copied = static_cast<std::size_t>(copied_frames);
      const std::size_t now = log_frames_.load(std::memory_order_acquire);
      if (log != synced_log_) synced_frames_ = 0;
      if (copied >= synced_frames_ + 2 * kTail && now <= copied + kTail) {
        sync_database_file();
        synced_log_ = log;
        synced_frames_ = copied;
      }
      background_.fetch_add(1, std::memory_order_relaxed);
      copied_frames_.store(copied, std::memory_order_release);
    } else if ((rc & 0xff) != SQLITE_BUSY) {
      own_.logger().warn(
          "{}", sqlite_status(own_.raw(), rc, "background WAL checkpoint failed").to_string());
    }
    // The writer has kept adding meanwhile; the next commit past the threshold asks again, and
    // a checkpoint that caught up lets the writer start the log over.
    pending_.store(false, std::memory_order_release);
  }
}

}  // namespace wechat::store
