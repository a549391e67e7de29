// SPDX-License-Identifier: MIT
#include "store/migrations.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/database.h"
#include "support/temp_dir.h"

using wechat::Error;
using wechat::LogLevel;
using wechat::Status;
using wechat::store::Database;
using wechat::store::migrate;
using wechat::store::Migration;
using wechat::store::OpenOptions;
using wechat::store::schema_version;
using wechat::testing::TempDir;

namespace {

constexpr Migration kV1 = {1, R"sql(
    CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
)sql"};
constexpr Migration kV2 = {2, R"sql(
    ALTER TABLE users ADD COLUMN email TEXT;
    CREATE INDEX users_email ON users(email);
)sql"};
constexpr Migration kV3 = {3, R"sql(
    CREATE TABLE messages(id INTEGER PRIMARY KEY,
                          sender INTEGER NOT NULL REFERENCES users(id),
                          body TEXT NOT NULL);
)sql"};
constexpr Migration kAll[] = {kV1, kV2, kV3};

Database open_ok(const std::string& path, const OpenOptions& options = {}) {
  auto db = Database::open(path, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(db).value();
}

int version_of(Database& db) {
  auto v = schema_version(db);
  REQUIRE(v.ok());
  return *v;
}

bool table_exists(Database& db, const char* name) {
  auto stmt = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
  REQUIRE(stmt.ok());
  auto n = stmt->query_int64(name);
  REQUIRE(n.ok());
  return n->value_or(0) == 1;
}

}  // namespace

TEST_CASE("store: migrations bring an empty database to the newest version") {
  TempDir dir;
  std::vector<std::string> logged;
  OpenOptions options;
  wechat::LogOptions log;
  log.sink = [&](LogLevel, std::string_view, std::string_view message) {
    logged.emplace_back(message);
  };
  options.logger = wechat::detail::Logger(log, "store");
  Database db = open_ok(dir.file("m.db"), options);
  CHECK(version_of(db) == 0);
  Status s = migrate(db, kAll);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  CHECK(version_of(db) == 3);
  CHECK(table_exists(db, "users"));
  CHECK(table_exists(db, "messages"));
  CHECK_FALSE(db.in_transaction());
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("from schema version 0 to 3") != std::string::npos);
}

TEST_CASE("store: migrating an older schema keeps its data") {
  TempDir dir;
  const std::string path = dir.file("m.db");
  {
    Database db = open_ok(path);
    REQUIRE(migrate(db, std::span<const Migration>(kAll, 1)).ok());
    CHECK(version_of(db) == 1);
    auto insert = db.prepare("INSERT INTO users(name) VALUES(?)");
    REQUIRE(insert.ok());
    REQUIRE(insert->run("alice").ok());
    REQUIRE(insert->run("张三").ok());
  }
  Database db = open_ok(path);
  REQUIRE(migrate(db, kAll).ok());
  CHECK(version_of(db) == 3);
  auto names = db.prepare("SELECT name, email FROM users ORDER BY id");
  REQUIRE(names.ok());
  std::vector<std::string> got;
  for (;;) {
    auto row = names->step();
    REQUIRE(row.ok());
    if (!*row) break;
    got.emplace_back(names->text(0));
    CHECK(names->is_null(1));  // The column v2 added.
  }
  CHECK(got == std::vector<std::string>{"alice", "张三"});
}

TEST_CASE("store: running the migrations again changes nothing") {
  Database db = open_ok(":memory:");
  REQUIRE(migrate(db, kAll).ok());
  REQUIRE(db.exec("INSERT INTO users(name) VALUES('bob')").ok());
  REQUIRE(migrate(db, kAll).ok());
  CHECK(version_of(db) == 3);
  auto n = db.prepare("SELECT count(*) FROM users");
  REQUIRE(n.ok());
  auto count = n->query_int64();
  REQUIRE(count.ok());
  CHECK(*count == 1);
}

TEST_CASE("store: a database newer than the build is refused") {
  Database db = open_ok(":memory:");
  REQUIRE(migrate(db, kAll).ok());
  Status s = migrate(db, std::span<const Migration>(kAll, 2));
  CHECK(s.code() == Error::kStorage);
  CHECK(s.message() == "database schema version 3 is newer than this build supports (2)");
  CHECK(version_of(db) == 3);
}

TEST_CASE("store: migration versions that do not strictly increase are refused") {
  Database db = open_ok(":memory:");
  const Migration unordered[] = {kV2, kV1};
  CHECK(migrate(db, unordered).code() == Error::kInternal);
  const Migration repeated[] = {kV1, kV1};
  CHECK(migrate(db, repeated).code() == Error::kInternal);
  const Migration zero[] = {{0, "CREATE TABLE z(x)"}};
  CHECK(migrate(db, zero).code() == Error::kInternal);
  CHECK(version_of(db) == 0);
  CHECK_FALSE(table_exists(db, "users"));
}

TEST_CASE("store: a failing migration leaves user_version and the schema unchanged") {
  TempDir dir;
  Database db = open_ok(dir.file("m.db"));
  REQUIRE(migrate(db, std::span<const Migration>(kAll, 1)).ok());
  // Its first statement succeeds, its second fails: the first must be rolled back too.
  const Migration broken[] = {
      kV1, {2, "CREATE TABLE half(x); INSERT INTO nowhere VALUES(1);"}, kV3};
  Status s = migrate(db, broken);
  CHECK(s.code() == Error::kStorage);
  CHECK(s.message().find("migration 2: ") == 0);
  CHECK(s.message().find("no such table: nowhere") != std::string::npos);
  CHECK(version_of(db) == 1);
  CHECK_FALSE(table_exists(db, "half"));
  CHECK_FALSE(table_exists(db, "messages"));  // Later migrations did not run.
  CHECK_FALSE(db.in_transaction());
}

TEST_CASE("store: a migration that commits by itself is reported as a bug") {
  Database db = open_ok(":memory:");
  const Migration sneaky[] = {{1, "CREATE TABLE a(x); COMMIT;"}};
  CHECK(migrate(db, sneaky).code() == Error::kInternal);
  CHECK(version_of(db) == 0);
}

TEST_CASE("store: no migrations on an empty database is a no-op") {
  Database db = open_ok(":memory:");
  CHECK(migrate(db, {}).ok());
  CHECK(version_of(db) == 0);
}
