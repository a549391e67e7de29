// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_WAL_CHECKPOINTER_H_
#define WECHAT_STORE_WAL_CHECKPOINTER_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "store/database.h"

namespace wechat::store {

/// Copies a WAL database's log back into the database file on a thread of its own, so that the
/// connection that writes never does it inside a commit. SQLite's automatic checkpoint runs in
/// the commit that crosses the threshold: at a 10,000-page threshold that is ~40 MiB copied and
/// two syncs, a stall of tens of milliseconds for every request of that batch, which showed up as
/// the chat p99 at low load.
///
/// Attaching replaces the writer's automatic checkpoint with a WAL hook. A commit that leaves
/// `background_pages` or more in the log wakes the thread, which runs a PASSIVE checkpoint on a
/// connection of its own (it never waits for, nor blocks, the writer), and again each time the
/// writer has added kTail frames more. The log can start over only once a checkpoint has copied
/// all of it before a write transaction begins, which a checkpoint racing a busy writer seldom
/// manages; so once the thread has copied all but the last kTail frames, the next commit copies
/// those itself (about a millisecond) and the log starts over. A writer that outruns the thread
/// checkpoints at `inline_pages`, as SQLite's own hook would, copying only what the thread has
/// not.
///
/// @par Thread Safety
/// The hook runs on the writer's thread; everything else is internal. Destroy the checkpointer
/// while the writer is idle (on its thread, or after it stopped), and before the writer.
class WalCheckpointer {
 public:
  struct Options {
    std::size_t background_pages = 10000;
    std::size_t inline_pages = 50000;
  };

  /// Opens a second connection to `writer`'s file and hooks `writer`'s commits. Returns null,
  /// and changes nothing, for a database without a file (in-memory or temporary): it has no log.
  /// Errors: kInvalidArgument when inline_pages <= background_pages; those of Database::open
  /// for the second connection.
  [[nodiscard]] static Result<std::unique_ptr<WalCheckpointer>> attach(Database& writer,
                                                                       const Options& options);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  /// The thread's nice value.
  static constexpr int kNice = 10;
  /// Frames a commit leaves for itself to copy.
  static constexpr std::size_t kTail = 256;

  /// Checkpoints run so far on the background thread / inline in a commit (tests, benchmarks).
  std::uint64_t background_checkpoints() const { return background_.load(); }
  std::uint64_t inline_checkpoints() const { return inline_.load(); }
  /// Syncs of the database file the thread ran itself, after the checkpoint that left the
  /// writer only the tail to copy (tests).
  std::uint64_t database_syncs() const { return syncs_.load(); }
  /// A background checkpoint has been asked for and has not finished (tests).
  bool busy() const { return pending_.load(std::memory_order_acquire); }

 private:
  WalCheckpointer(sqlite3* writer, Database own, const Options& options);
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void loop();
  void sync_database_file();

  sqlite3* const writer_;  ///< Not the Database: that may be moved while we are attached.
  Database own_;
  const Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  /// Lets the hook skip the mutex while a request is pending already (every commit calls it).
  std::atomic<bool> pending_{false};
  /// Log frames after the writer's last commit, and how many times the log started over.
  std::atomic<std::size_t> log_frames_{0};
  std::atomic<std::uint64_t> logs_{0};
  /// Log frames the last background checkpoint had copied.
  std::atomic<std::size_t> copied_frames_{0};
  std::atomic<std::uint64_t> background_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> inline_{0};
  /// The log (logs_) and its frames copied when the thread last synced the database file.
  std::uint64_t synced_log_ = ~std::uint64_t{0};
  std::size_t synced_frames_ = 0;
  std::thread thread_;
};

}  // namespace wechat::store

#endif  // WECHAT_STORE_WAL_CHECKPOINTER_H_
