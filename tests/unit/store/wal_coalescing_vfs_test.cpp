// SPDX-License-Identifier: MIT
// Database::open writes a commit's WAL frames as one write (store/wal_coalescing_vfs.h). These
// tests hold it to what SQLite's own file layer promises: every commit visible to another
// connection the moment it returns, durable against the process dying right after, through
// log restarts and synchronous=FULL, with far fewer write calls.
#include "store/wal_coalescing_vfs.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "store/database.h"
#include "store_test_util.h"
#include "support/temp_dir.h"

using wechat::store::Database;
using wechat::store::OpenOptions;
using wechat::testing::exec_ok;
using wechat::testing::integrity;
using wechat::testing::open_ok;
using wechat::testing::query_int;
using wechat::testing::TempDir;

namespace {

/// One transaction adding `rows` rows of `bytes` random bytes each.
void write_rows(Database& db, int rows, int bytes = 1000) {
  exec_ok(db, "BEGIN");
  auto insert = db.prepare_cached("INSERT INTO t (v) VALUES (randomblob(?))");
  REQUIRE(insert.ok());
  for (int i = 0; i < rows; ++i) REQUIRE((*insert)->run(bytes).ok());
  exec_ok(db, "COMMIT");
}

/// Write system calls this process has made so far (Linux: /proc/self/io, "syscw").
std::int64_t write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  FAIL("no syscw in /proc/self/io");
  return 0;
}

}  // namespace

TEST_CASE("wal coalescing vfs: registered once, beside the default, which it leaves alone") {
  const char* name = wechat::store::wal_coalescing_vfs_name();
  REQUIRE(name != nullptr);
  CHECK(wechat::store::wal_coalescing_vfs_name() == name);
  sqlite3_vfs* ours = sqlite3_vfs_find(name);
  REQUIRE(ours != nullptr);
  CHECK(sqlite3_vfs_find(nullptr) != ours);
}

TEST_CASE("wal coalescing vfs: a commit of many pages is one write, not two per page") {
  TempDir dir;
  Database db = open_ok(dir.file("a.db"));
  exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  write_rows(db, 1, 10);  // The log's header is written; what follows are frames only.
  const auto before = write_calls();
  write_rows(db, 24);  // About 8 pages of 4 KiB: 16 writes if each frame were two.
  const auto calls = write_calls() - before;
  CHECK(calls >= 1);
  CHECK(calls <= 2);
  CHECK(query_int(db, "SELECT count(*) FROM t") == 25);
}

TEST_CASE("wal coalescing vfs: another connection sees each commit as soon as it returns") {
  for (const auto sync : {OpenOptions::Sync::kNormal, OpenOptions::Sync::kFull}) {
    CAPTURE(static_cast<int>(sync));
    TempDir dir;
    OpenOptions options;
    options.synchronous = sync;
    Database writer = open_ok(dir.file("a.db"), options);
    exec_ok(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    Database reader = open_ok(dir.file("a.db"), options);
    std::int64_t rows = 0;
    for (int round = 0; round < 60; ++round) {
      // Small commits, and large ones that leave in several ~128 KiB pieces.
      const int n = round % 3 == 2 ? 150 : 1 + round % 7;
      write_rows(writer, n);
      rows += n;
      REQUIRE(query_int(reader, "SELECT count(*) FROM t") == rows);
      REQUIRE(query_int(reader, "SELECT sum(length(v)) FROM t") == rows * 1000);
      // The log starting over: its header is rewritten at offset 0 by the next commit.
      if (round % 10 == 9) exec_ok(writer, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    CHECK(integrity(reader) == "ok");
  }
}

TEST_CASE("wal coalescing vfs: what committed survives the process dying right after") {
  TempDir dir;
  const std::string path = dir.file("a.db");
  {
    Database db = open_ok(path);
    exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  }
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No destructor runs, no close: only what reached the OS at each commit survives.
    auto db = Database::open(path);
    if (!db.ok()) _exit(2);
    for (int i = 0; i < 40; ++i) {
      if (!db->exec("BEGIN").ok()) _exit(3);
      for (int j = 0; j < 1 + i % 5; ++j) {
        if (!db->exec("INSERT INTO t (v) VALUES (randomblob(3000))").ok()) _exit(4);
      }
      if (!db->exec("COMMIT").ok()) _exit(5);
    }
    // A transaction in flight when the process dies: its frames may be partly written.
    if (!db->exec("BEGIN").ok()) _exit(6);
    if (!db->exec("INSERT INTO t (v) VALUES (randomblob(3000))").ok()) _exit(7);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  Database db = open_ok(path);
  // 40 commits of 1..5 rows: 8 rounds of 1+2+3+4+5.
  CHECK(query_int(db, "SELECT count(*) FROM t") == 8 * 15);
  CHECK(integrity(db) == "ok");
}
