// SPDX-License-Identifier: MIT
#include "store/database.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include "store/sqlite_error.h"
#include "support/temp_dir.h"

using wechat::Error;
using wechat::Status;
using wechat::store::CachedStatement;
using wechat::store::Database;
using wechat::store::OpenOptions;
using wechat::store::Statement;
using wechat::testing::TempDir;

namespace {

std::string pragma_text(Database& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.ok());
  auto row = stmt->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return std::string(stmt->text(0));
}

Database open_ok(const std::string& path, const OpenOptions& options = {}) {
  auto db = Database::open(path, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(db).value();
}

}  // namespace

TEST_CASE("store: a file database opens in WAL mode with foreign keys on") {
  TempDir dir;
  const std::string path = dir.file("a.db");
  Database db = open_ok(path);
  CHECK(pragma_text(db, "PRAGMA journal_mode") == "wal");
  CHECK(pragma_text(db, "PRAGMA foreign_keys") == "1");
  CHECK(pragma_text(db, "PRAGMA synchronous") == "1");  // NORMAL
  CHECK(pragma_text(db, "PRAGMA busy_timeout") == "5000");
  CHECK(db.path() == path);

  REQUIRE(db.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1);").ok());
  CHECK(std::filesystem::exists(path));
  CHECK(std::filesystem::exists(path + "-wal"));  // WAL really is in use, not just reported.
}

TEST_CASE("store: open options for synchronous, busy timeout and no WAL are applied") {
  TempDir dir;
  OpenOptions options;
  options.wal = false;
  options.synchronous = OpenOptions::Sync::kFull;
  options.busy_timeout = std::chrono::milliseconds(250);
  Database db = open_ok(dir.file("b.db"), options);
  CHECK(pragma_text(db, "PRAGMA journal_mode") == "delete");
  CHECK(pragma_text(db, "PRAGMA synchronous") == "2");  // FULL
  CHECK(pragma_text(db, "PRAGMA busy_timeout") == "250");
}

TEST_CASE("store: an in-memory database opens and works") {
  Database db = open_ok(":memory:");
  CHECK(pragma_text(db, "PRAGMA journal_mode") == "memory");
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (41), (1);").ok());
  auto sum = db.prepare("SELECT sum(x) FROM t");
  REQUIRE(sum.ok());
  auto value = sum->query_int64();
  REQUIRE(value.ok());
  CHECK(*value == 42);
}

TEST_CASE("store: opening in a missing directory fails with a clear storage error") {
  TempDir dir;
  const std::string path = dir.file("missing/sub/c.db");
  auto db = Database::open(path, {});
  REQUIRE_FALSE(db.ok());
  CHECK(db.code() == Error::kStorage);
  CHECK(db.status().message().find("does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing"));  // No implicit mkdir.
}

TEST_CASE("store: with create off a missing file is refused and an existing one opens") {
  TempDir dir;
  OpenOptions no_create;
  no_create.create = false;
  auto missing = Database::open(dir.file("d.db"), no_create);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.code() == Error::kStorage);
  CHECK_FALSE(std::filesystem::exists(dir.file("d.db")));

  { Database created = open_ok(dir.file("d.db")); }
  Database reopened = open_ok(dir.file("d.db"), no_create);
  CHECK(reopened.raw() != nullptr);
}

TEST_CASE("store: a file that is not a database fails to open with kStorage") {
  TempDir dir;
  const std::string path = dir.file("junk.db");
  {
    auto* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string junk(4096, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto db = Database::open(path, {});
  REQUIRE_FALSE(db.ok());
  CHECK(db.code() == Error::kStorage);
  CHECK(db.status().message().find("not a database") != std::string::npos);
}

TEST_CASE("store: a read-only database reads and refuses writes") {
  TempDir dir;
  const std::string path = dir.file("ro.db");
  {
    Database db = open_ok(path);
    REQUIRE(db.exec("CREATE TABLE t(x); INSERT INTO t VALUES(7);").ok());
  }
  OpenOptions options;
  options.read_only = true;
  Database ro = open_ok(path, options);
  auto count = ro.prepare("SELECT x FROM t");
  REQUIRE(count.ok());
  auto value = count->query_int64();
  REQUIRE(value.ok());
  CHECK(*value == 7);
  Status write = ro.exec("INSERT INTO t VALUES(8)");
  CHECK(write.code() == Error::kStorage);
  CHECK(write.message().find("readonly") != std::string::npos);
}

TEST_CASE("store: exec runs a multi-statement script and stops at the first error") {
  Database db = open_ok(":memory:");
  constexpr const char* kScript = R"sql(
      -- a comment first
      CREATE TABLE a(x);
      /* and a block comment */
      CREATE TABLE b(y);;
      INSERT INTO a VALUES(1);
      SELECT * FROM a;  -- rows are discarded
  )sql";
  REQUIRE(db.exec(kScript).ok());
  CHECK(db.exec("").ok());
  CHECK(db.exec("  -- only a comment\n").ok());

  Status s =
      db.exec("INSERT INTO a VALUES(2); INSERT INTO nope VALUES(3); INSERT INTO a VALUES(4);");
  CHECK(s.code() == Error::kStorage);
  CHECK(s.message().find("no such table: nope") != std::string::npos);
  auto count = db.prepare("SELECT count(*) FROM a");
  REQUIRE(count.ok());
  auto n = count->query_int64();
  REQUIRE(n.ok());
  CHECK(*n == 2);  // The statement before the error ran; the one after did not.
}

TEST_CASE("store: prepare refuses several statements, empty SQL and syntax errors") {
  Database db = open_ok(":memory:");
  auto two = db.prepare("SELECT 1; SELECT 2");
  CHECK(two.code() == Error::kInvalidArgument);
  auto empty = db.prepare("  -- nothing\n");
  CHECK(empty.code() == Error::kInvalidArgument);
  auto bad = db.prepare("SELEC 1");
  CHECK(bad.code() == Error::kStorage);
  CHECK(bad.status().message().find("syntax error") != std::string::npos);
  CHECK(bad.status().message().find("SELEC 1") != std::string::npos);
  // Trailing semicolons, whitespace and comments are fine.
  auto one = db.prepare("SELECT 1; -- done\n ;");
  CHECK(one.ok());
}

TEST_CASE("store: last_insert_rowid and changes report the latest write") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)").ok());
  auto insert = db.prepare("INSERT INTO t(v) VALUES(?)");
  REQUIRE(insert.ok());
  REQUIRE(insert->run(10).ok());
  REQUIRE(insert->run(20).ok());
  CHECK(db.last_insert_rowid() == 2);
  CHECK(db.changes() == 1);
  REQUIRE(db.exec("UPDATE t SET v = v + 1").ok());
  CHECK(db.changes() == 2);
}

TEST_CASE("store: the statement cache returns the same statement and stays bounded") {
  OpenOptions options;
  options.statement_cache_capacity = 3;
  Database db = open_ok(":memory:", options);
  REQUIRE(db.exec("CREATE TABLE t(x)").ok());

  Statement* first = nullptr;
  {
    auto s = db.prepare_cached("SELECT count(*) FROM t");
    REQUIRE(s.ok());
    CHECK(s->from_cache());
    first = s->get();
  }
  {
    auto s = db.prepare_cached("SELECT count(*) FROM t");
    REQUIRE(s.ok());
    CHECK(s->get() == first);  // Reused, not parsed again.
  }
  CHECK(db.cached_statement_count() == 1);

  constexpr const char* kDistinct[] = {"SELECT 0", "SELECT 1", "SELECT 2", "SELECT 3",
                                       "SELECT 4", "SELECT 5", "SELECT 6", "SELECT 7"};
  for (int i = 0; i < 8; ++i) {
    auto s = db.prepare_cached(kDistinct[i]);
    REQUIRE(s.ok());
    CHECK(s->from_cache());
    auto v = (*s)->query_int64();
    REQUIRE(v.ok());
    CHECK(*v == i);
    CHECK(db.cached_statement_count() <= 3);
  }
  CHECK(db.cached_statement_count() == 3);

  // The least recently used were evicted: the first query is prepared again.
  auto again = db.prepare_cached("SELECT count(*) FROM t");
  REQUIRE(again.ok());
  CHECK(again->from_cache());
  CHECK(db.cached_statement_count() == 3);
}

TEST_CASE("store: a cached statement is reset and its bindings cleared when released") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1), (2), (3);").ok());
  {
    auto s = db.prepare_cached("SELECT x FROM t WHERE ?1 IS NULL OR x = ?1 ORDER BY x");
    REQUIRE(s.ok());
    REQUIRE((*s)->bind(1, 3).ok());
    auto row = (*s)->step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    CHECK((*s)->int64(0) == 3);
    // Released mid-iteration and with a binding in place.
  }
  CHECK_FALSE(db.in_transaction());
  auto s = db.prepare_cached("SELECT x FROM t WHERE ?1 IS NULL OR x = ?1 ORDER BY x");
  REQUIRE(s.ok());
  int rows = 0;
  for (;;) {
    auto row = (*s)->step();
    REQUIRE(row.ok());
    if (!*row) break;
    ++rows;
  }
  CHECK(rows == 3);  // From the first row again, and ?1 is NULL.
}

TEST_CASE("store: a cached statement already lent out is not lent twice") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1), (2);").ok());
  const char* sql = "SELECT x FROM t ORDER BY x";
  auto outer = db.prepare_cached(sql);
  REQUIRE(outer.ok());
  auto row = (*outer)->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  auto inner = db.prepare_cached(sql);
  REQUIRE(inner.ok());
  CHECK_FALSE(inner->from_cache());
  CHECK(inner->get() != outer->get());
  auto v = (*inner)->query_int64();
  REQUIRE(v.ok());
  CHECK(*v == 1);
  // The outer iteration was not disturbed.
  row = (*outer)->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  CHECK((*outer)->int64(0) == 2);
}

TEST_CASE("store: with capacity 0 prepare_cached hands out one-off statements") {
  OpenOptions options;
  options.statement_cache_capacity = 0;
  Database db = open_ok(":memory:", options);
  auto s = db.prepare_cached("SELECT 1");
  REQUIRE(s.ok());
  CHECK_FALSE(s->from_cache());
  CHECK(db.cached_statement_count() == 0);
}

TEST_CASE("store: a moved database keeps its cached statements working") {
  Database a = open_ok(":memory:");
  REQUIRE(a.exec("CREATE TABLE t(x); INSERT INTO t VALUES(5);").ok());
  auto s = a.prepare_cached("SELECT x FROM t");
  REQUIRE(s.ok());
  Database b = std::move(a);
  auto v = (*s)->query_int64();
  REQUIRE(v.ok());
  CHECK(*v == 5);
  CHECK(a.exec("SELECT 1").code() == Error::kInternal);  // NOLINT(bugprone-use-after-move)
  CachedStatement released = std::move(s).value();
  (void)released;
}

TEST_CASE("store: a UNIQUE violation maps to kAlreadyExists and other constraints to kStorage") {
  Database db = open_ok(":memory:");
  constexpr const char* kSchema = R"sql(
      CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                         age INTEGER CHECK (age >= 0));
      CREATE TABLE pairs(a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
      CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
  )sql";
  REQUIRE(db.exec(kSchema).ok());
  auto insert = db.prepare("INSERT INTO users(id, name, age) VALUES(?, ?, ?)");
  REQUIRE(insert.ok());
  REQUIRE(insert->run(1, "alice", 30).ok());

  Status dup_name = insert->run(2, "alice", 31);
  CHECK(dup_name.code() == Error::kAlreadyExists);
  CHECK(dup_name.message().find("UNIQUE constraint failed: users.name") != std::string::npos);
  CHECK(db.last_extended_error_code() == 2067);  // SQLITE_CONSTRAINT_UNIQUE

  Status dup_id = insert->run(1, "bob", 20);  // INTEGER PRIMARY KEY (the rowid)
  CHECK(dup_id.code() == Error::kAlreadyExists);

  auto pair = db.prepare("INSERT INTO pairs VALUES(?, ?)");
  REQUIRE(pair.ok());
  REQUIRE(pair->run("x", "y").ok());
  CHECK(pair->run("x", "y").code() == Error::kAlreadyExists);  // Composite PRIMARY KEY

  CHECK(insert->run(3, nullptr, 1).code() == Error::kStorage);   // NOT NULL
  CHECK(insert->run(4, "carol", -1).code() == Error::kStorage);  // CHECK
  auto post = db.prepare("INSERT INTO posts(user_id) VALUES(?)");
  REQUIRE(post.ok());
  Status orphan = post->run(99);  // FOREIGN KEY: proves foreign_keys=ON
  CHECK(orphan.code() == Error::kStorage);
  CHECK(orphan.message().find("FOREIGN KEY") != std::string::npos);
  CHECK(post->run(1).ok());
}

TEST_CASE("store: sqlite result codes map to the documented errors") {
  using wechat::store::error_from_sqlite;
  CHECK(error_from_sqlite(0) == Error::kOk);                // SQLITE_OK
  CHECK(error_from_sqlite(5) == Error::kUnavailable);       // SQLITE_BUSY
  CHECK(error_from_sqlite(517) == Error::kUnavailable);     // SQLITE_BUSY_SNAPSHOT
  CHECK(error_from_sqlite(6) == Error::kUnavailable);       // SQLITE_LOCKED
  CHECK(error_from_sqlite(1555) == Error::kAlreadyExists);  // SQLITE_CONSTRAINT_PRIMARYKEY
  CHECK(error_from_sqlite(2067) == Error::kAlreadyExists);  // SQLITE_CONSTRAINT_UNIQUE
  CHECK(error_from_sqlite(1299) == Error::kStorage);        // SQLITE_CONSTRAINT_NOTNULL
  CHECK(error_from_sqlite(19) == Error::kStorage);          // plain SQLITE_CONSTRAINT
  CHECK(error_from_sqlite(10) == Error::kStorage);          // SQLITE_IOERR
  CHECK(error_from_sqlite(11) == Error::kStorage);          // SQLITE_CORRUPT
}
