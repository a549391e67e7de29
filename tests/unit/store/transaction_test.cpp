// SPDX-License-Identifier: MIT
#include "store/transaction.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "store/database.h"
#include "support/temp_dir.h"

using wechat::Error;
using wechat::Status;
using wechat::store::Database;
using wechat::store::OpenOptions;
using wechat::store::Transaction;
using wechat::testing::TempDir;

namespace {

Database open_ok(const std::string& path, const OpenOptions& options = {}) {
  auto db = Database::open(path, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(db).value();
}

std::int64_t count_rows(Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM t");
  REQUIRE(stmt.ok());
  auto n = stmt->query_int64();
  REQUIRE(n.ok());
  return n->value_or(-1);
}

Status insert(Database& db, std::int64_t x) {
  WECHAT_ASSIGN_OR_RETURN(auto stmt, db.prepare_cached("INSERT INTO t(x) VALUES(?)"));
  return stmt->run(x);
}

}  // namespace

TEST_CASE("store: a transaction not committed is rolled back") {
  TempDir dir;
  Database db = open_ok(dir.file("tx.db"));
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER)").ok());
  {
    auto tx = Transaction::begin(db);
    REQUIRE(tx.ok());
    CHECK(tx->active());
    CHECK(db.in_transaction());
    REQUIRE(insert(db, 1).ok());
    REQUIRE(insert(db, 2).ok());
    CHECK(count_rows(db) == 2);  // Visible inside the transaction.
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(count_rows(db) == 0);
}

TEST_CASE("store: a committed transaction is durable across reopening") {
  TempDir dir;
  const std::string path = dir.file("tx.db");
  {
    Database db = open_ok(path);
    REQUIRE(db.exec("CREATE TABLE t(x INTEGER)").ok());
    auto tx = Transaction::begin(db, Transaction::Mode::kDeferred);
    REQUIRE(tx.ok());
    REQUIRE(insert(db, 1).ok());
    REQUIRE(tx->commit().ok());
    CHECK_FALSE(tx->active());
    CHECK(tx->commit().code() == Error::kInternal);  // Already finished.
    CHECK(tx->rollback().code() == Error::kInternal);
  }
  Database db = open_ok(path);
  CHECK(count_rows(db) == 1);
}

TEST_CASE("store: an explicit rollback undoes the changes and a moved transaction still works") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER)").ok());
  {
    auto tx = Transaction::begin(db, Transaction::Mode::kExclusive);
    REQUIRE(tx.ok());
    REQUIRE(insert(db, 1).ok());
    REQUIRE(tx->rollback().ok());
    CHECK_FALSE(db.in_transaction());
  }
  CHECK(count_rows(db) == 0);

  auto first = Transaction::begin(db);
  REQUIRE(first.ok());
  Transaction moved = std::move(first).value();
  REQUIRE(insert(db, 2).ok());
  REQUIRE(moved.commit().ok());
  CHECK(count_rows(db) == 1);
}

TEST_CASE("store: transactions do not nest") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER)").ok());
  auto outer = Transaction::begin(db);
  REQUIRE(outer.ok());
  auto inner = Transaction::begin(db);
  REQUIRE_FALSE(inner.ok());
  CHECK(inner.code() == Error::kInternal);
  CHECK(inner.status().message().find("do not nest") != std::string::npos);
  // The refused inner transaction did not disturb the outer one.
  REQUIRE(insert(db, 1).ok());
  REQUIRE(outer->commit().ok());
  CHECK(count_rows(db) == 1);
}

TEST_CASE("store: a transaction ended by raw SQL reports it on commit") {
  Database db = open_ok(":memory:");
  REQUIRE(db.exec("CREATE TABLE t(x INTEGER)").ok());
  auto tx = Transaction::begin(db);
  REQUIRE(tx.ok());
  REQUIRE(db.exec("ROLLBACK").ok());
  CHECK(tx->commit().code() == Error::kInternal);
}

TEST_CASE("store: a writer blocked past the busy timeout gets kUnavailable") {
  TempDir dir;
  const std::string path = dir.file("busy.db");
  OpenOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(100);
  Database writer = open_ok(path, quick);
  Database other = open_ok(path, quick);
  REQUIRE(writer.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(0);").ok());

  auto tx = Transaction::begin(writer);
  REQUIRE(tx.ok());
  REQUIRE(insert(writer, 1).ok());

  // WAL: the other connection still reads the last committed state meanwhile.
  CHECK(count_rows(other) == 1);

  const auto start = std::chrono::steady_clock::now();
  Status blocked = other.exec("INSERT INTO t(x) VALUES(2)");
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(blocked.code() == Error::kUnavailable);
  CHECK(blocked.message().find("locked") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(80));  // It did wait for the busy timeout.

  auto second_tx = Transaction::begin(other);
  CHECK(second_tx.code() == Error::kUnavailable);
  CHECK_FALSE(other.in_transaction());

  REQUIRE(tx->commit().ok());
  CHECK(other.exec("INSERT INTO t(x) VALUES(2)").ok());
  CHECK(count_rows(writer) == 3);
}
