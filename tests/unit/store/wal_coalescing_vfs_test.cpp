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

#include <array>
#include <atomic>
#include <cstdint>
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

// Writes made through SQLite's unix VFS, counted by replacing its system calls
// (xSetSystemCall): the process's own count (/proc/self/io) also holds writes that are not
// SQLite's, such as the sanitizers' memory probes.
std::atomic<int> sqlite_writes{0};
sqlite3_syscall_ptr real_pwrite = nullptr;
sqlite3_syscall_ptr real_pwrite64 = nullptr;
sqlite3_syscall_ptr real_write = nullptr;

using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);
using Write = ssize_t (*)(int, const void*, size_t);

ssize_t counting_pwrite(int fd, const void* data, size_t size, off_t offset) {
  ++sqlite_writes;
  return reinterpret_cast<Pwrite>(real_pwrite)(fd, data, size, offset);
}
ssize_t counting_pwrite64(int fd, const void* data, size_t size, off_t offset) {
  ++sqlite_writes;
  return reinterpret_cast<Pwrite>(real_pwrite64)(fd, data, size, offset);
}
ssize_t counting_write(int fd, const void* data, size_t size) {
  ++sqlite_writes;
  return reinterpret_cast<Write>(real_write)(fd, data, size);
}

/// Counts into sqlite_writes while it lives.
class WriteCounter {
 public:
  WriteCounter() {
    for (const auto& hook : hooks_) {
      *hook.real = unix_->xGetSystemCall(unix_, hook.name);
      if (*hook.real != nullptr)
        REQUIRE(unix_->xSetSystemCall(unix_, hook.name, hook.counting) == 0);
    }
  }
  ~WriteCounter() {
    for (const auto& hook : hooks_) {
      if (*hook.real != nullptr) unix_->xSetSystemCall(unix_, hook.name, *hook.real);
    }
  }
  WriteCounter(const WriteCounter&) = delete;
  WriteCounter& operator=(const WriteCounter&) = delete;

 private:
  struct Hook {
    const char* name;
    sqlite3_syscall_ptr counting;
    sqlite3_syscall_ptr* real;
  };
  const std::array<Hook, 3> hooks_ = {{
      {"pwrite", reinterpret_cast<sqlite3_syscall_ptr>(&counting_pwrite), &real_pwrite},
      {"pwrite64", reinterpret_cast<sqlite3_syscall_ptr>(&counting_pwrite64), &real_pwrite64},
      {"write", reinterpret_cast<sqlite3_syscall_ptr>(&counting_write), &real_write},
  }};
  sqlite3_vfs* const unix_ = sqlite3_vfs_find("unix");
};

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
  int calls = 0;
  {
    WriteCounter counter;
    const int before = sqlite_writes.load();
    write_rows(db, 24);  // About 8 pages of 4 KiB: 16 writes if each frame were two.
    calls = sqlite_writes.load() - before;
  }
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
