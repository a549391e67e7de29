// SPDX-License-Identifier: MIT
// The page cache guard (store/page_cache_guard.h) skips a commit's truncation only when no page
// past the limit can be cached. These tests make SQLite need that truncation: a transaction that
// grows the file, splitting pages all along (the splits that renumber pages through the lock
// page), then rolls back, so its pages past the end must leave the cache before the next
// transaction reuses their numbers with other content.
#include "store/page_cache_guard.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "store/database.h"
#include "support/temp_dir.h"

using wechat::store::Database;
using wechat::store::OpenOptions;
using wechat::testing::TempDir;

namespace {

Database open_ok(const std::string& path) {
  OpenOptions options;
  options.cache_kib = 64 * 1024;  // The server's: every page stays cached.
  auto db = Database::open(path, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(db).value();
}

void exec_ok(Database& db, const std::string& sql) {
  const auto status = db.exec(sql);
  REQUIRE_MESSAGE(status.ok(), status.to_string());
}

std::int64_t query(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  REQUIRE(st.ok());
  auto n = st->query_int64();
  REQUIRE(n.ok());
  REQUIRE(n->has_value());
  return **n;
}

std::string integrity(Database& db) {
  auto st = db.prepare("PRAGMA integrity_check");
  REQUIRE(st.ok());
  auto row = st->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return std::string(st->text(0));
}

// Rows with a random key, so that inserts split pages in the middle of the index, as the
// server's indexes do.
void insert_rows(Database& db, int rows, int tag) {
  auto st =
      db.prepare_cached("INSERT INTO t (k, tag, v) VALUES (randomblob(16), ?, randomblob(300))");
  REQUIRE(st.ok());
  for (int i = 0; i < rows; ++i) REQUIRE((*st)->run(tag).ok());
}

}  // namespace

TEST_CASE("page cache guard: pages of a rolled-back transaction never come back") {
  // Installed by the first Database::open of the process, before SQLite initialised.
  CHECK(wechat::store::install_page_cache_guard());
  TempDir dir;
  Database db = open_ok(dir.file("a.db"));
  exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB UNIQUE, tag INTEGER, v BLOB)");
  Database reader = open_ok(dir.file("a.db"));
  std::int64_t kept = 0;
  for (int round = 0; round < 6; ++round) {
    CAPTURE(round);
    // Grows the file by hundreds of pages, then takes it all back.
    exec_ok(db, "BEGIN");
    insert_rows(db, 1500, -1);
    exec_ok(db, "ROLLBACK");
    // The same within a transaction that commits: a savepoint rolled back.
    exec_ok(db, "BEGIN");
    insert_rows(db, 100, round);
    exec_ok(db, "SAVEPOINT s");
    insert_rows(db, 1500, -1);
    exec_ok(db, "ROLLBACK TO s");
    exec_ok(db, "RELEASE s");
    insert_rows(db, 100, round);
    exec_ok(db, "COMMIT");
    kept += 200;
    // The page numbers the rollbacks freed now hold these rows: a stale cached page would show
    // as rows that were rolled back, a wrong count or a malformed tree.
    REQUIRE(query(db, "SELECT count(*) FROM t") == kept);
    REQUIRE(query(db, "SELECT count(*) FROM t WHERE tag = -1") == 0);
    REQUIRE(query(db, "SELECT count(*) FROM t INDEXED BY sqlite_autoindex_t_1 WHERE k > x''") ==
            kept);
    REQUIRE(query(reader, "SELECT count(*) FROM t") == kept);
  }
  CHECK(integrity(db) == "ok");
  CHECK(integrity(reader) == "ok");
}
