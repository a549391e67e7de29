// SPDX-License-Identifier: MIT
#include "store/wal_checkpointer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "store_test_util.h"
#include "support/temp_dir.h"

using wechat::Error;
using wechat::store::Database;
using wechat::store::WalCheckpointer;
using wechat::testing::integrity;
using wechat::testing::open_ok;
using wechat::testing::query_int;
using wechat::testing::TempDir;

namespace {

constexpr std::size_t kPageBytes = 4096;

/// One transaction adding `rows` rows of 1 KiB (about a page per four rows).
void write_rows(Database& db, int rows) {
  REQUIRE(db.exec("BEGIN").ok());
  {
    auto insert = db.prepare_cached("INSERT INTO t (v) VALUES (randomblob(1024))");
    REQUIRE(insert.ok());
    for (int i = 0; i < rows; ++i) REQUIRE((*insert)->run().ok());
  }
  REQUIRE(db.exec("COMMIT").ok());
}

std::int64_t count_rows(Database& db) { return query_int(db, "SELECT count(*) FROM t"); }

template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("wal checkpointer: nothing to do without a file; thresholds in the wrong order") {
  for (const char* no_file : {":memory:", ""}) {
    Database db = open_ok(no_file);
    auto none = WalCheckpointer::attach(db, {});
    REQUIRE(none.ok());
    CHECK(*none == nullptr);
  }

  TempDir dir;
  Database db = open_ok(dir.file("a.db"));
  auto inverted = WalCheckpointer::attach(db, {100, 100});
  REQUIRE_FALSE(inverted.ok());
  CHECK(inverted.status().code() == Error::kInvalidArgument);
}

TEST_CASE("wal checkpointer: the log is copied in the background and starts over, nothing lost") {
  TempDir dir;
  const std::string path = dir.file("a.db");
  Database db = open_ok(path);
  REQUIRE(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());
  auto checkpointer = WalCheckpointer::attach(db, {1000, 100000});
  REQUIRE_MESSAGE(checkpointer.ok(), checkpointer.status().to_string());

  // 2,000 transactions of ~5 frames with short pauses: about ten times the threshold in all.
  // Every 100 the writer lets the thread finish the copy it was asked for: on a loaded machine
  // the nice-10 thread can otherwise fall behind for the whole loop (the log grew to 9,800
  // frames in one generation while two compilers held both cores), and this case is about the
  // log starting over, not about who wins that race.
  for (int i = 0; i < 2000; ++i) {
    write_rows(db, 8);
    if (i % 20 == 19) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (i % 100 == 99) REQUIRE(eventually([&] { return !(*checkpointer)->busy(); }));
  }
  CHECK(eventually([&] { return (*checkpointer)->background_checkpoints() > 0; }));
  // The commits finished what the thread had copied, and the log started over: without that it
  // would hold every frame written (~11,000, 44 MiB).
  CAPTURE((*checkpointer)->background_checkpoints());
  CHECK((*checkpointer)->inline_checkpoints() > 0);
  const auto wal_bytes = std::filesystem::file_size(path + "-wal");
  CHECK(wal_bytes < 2500 * kPageBytes);
  CHECK(count_rows(db) == 16000);

  // Another connection sees it all, and the file is sound.
  Database reader = open_ok(path);
  CHECK(count_rows(reader) == 16000);
  CHECK(integrity(reader) == "ok");
}

TEST_CASE(
    "wal checkpointer: the thread writes back what it copied, once per log, before the "
    "writer copies the tail") {
  TempDir dir;
  const std::string path = dir.file("a.db");
  Database db = open_ok(path);
  REQUIRE(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());
  auto attached = WalCheckpointer::attach(db, {1000, 100000});
  REQUIRE(attached.ok());
  WalCheckpointer& checkpointer = **attached;
  int rows = 0;
  // Writes until a commit crosses the threshold and the thread has copied the log.
  auto fill_log = [&] {
    const auto before = checkpointer.background_checkpoints();
    for (int i = 0;
         i < 2000 && !checkpointer.busy() && checkpointer.background_checkpoints() == before;
         ++i, rows += 8) {
      write_rows(db, 8);
    }
    REQUIRE(eventually([&] { return !checkpointer.busy(); }));
    CHECK(checkpointer.background_checkpoints() == before + 1);
  };

  // It caught up with the writer: it has written back the database file, so the commit that
  // lets the log start over has (next to) nothing left to sync. (The writer is idle here, so
  // SQLite's checkpoint synced the file too; beside a busy writer it does not, and this sync
  // is the only one before the tail's: docs/performance.md, session 7.)
  fill_log();
  CHECK(checkpointer.database_syncs() == 1);
  // The next log (this one was copied whole, so the next commit starts it) gets its own.
  fill_log();
  CHECK(checkpointer.database_syncs() == 2);
  CHECK(count_rows(db) == rows);
  Database reader = open_ok(path);
  CHECK(count_rows(reader) == rows);
}

TEST_CASE("wal checkpointer: a writer that outruns it checkpoints inline at the upper bound") {
  TempDir dir;
  const std::string path = dir.file("a.db");
  Database db = open_ok(path);
  REQUIRE(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());
  write_rows(db, 4);
  // A reader parked on an old snapshot keeps every checkpoint from copying past it, so the
  // log only grows.
  Database reader = open_ok(path);
  REQUIRE(reader.exec("BEGIN").ok());
  CHECK(count_rows(reader) == 4);

  auto checkpointer = WalCheckpointer::attach(db, {16, 200});
  REQUIRE(checkpointer.ok());
  int rows = 4;
  for (int i = 0; i < 150; ++i, rows += 8) write_rows(db, 8);
  // A commit's inline checkpoint is refused while the thread is in one of its own (its fsync
  // can take longer than these commits on a busy disk); a later commit gets its turn.
  CHECK(eventually([&] {
    write_rows(db, 1);
    ++rows;
    return (*checkpointer)->inline_checkpoints() > 0;
  }));
  CHECK(count_rows(reader) == 4);  // the snapshot is untouched
  REQUIRE(reader.exec("COMMIT").ok());
  CHECK(count_rows(reader) == rows);
}

TEST_CASE("wal checkpointer: once it is gone the writer checkpoints on its own again") {
  TempDir dir;
  Database db = open_ok(dir.file("a.db"));
  REQUIRE(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());
  {
    auto checkpointer = WalCheckpointer::attach(db, {16, 300});
    REQUIRE(checkpointer.ok());
    for (int i = 0; i < 50; ++i) write_rows(db, 8);
  }
  auto st = db.prepare("PRAGMA wal_autocheckpoint");
  REQUIRE(st.ok());
  auto pages = st->query_int64();
  REQUIRE(pages.ok());
  CHECK(**pages == 300);
  for (int i = 0; i < 50; ++i) write_rows(db, 8);
  CHECK(count_rows(db) == 800);
}
