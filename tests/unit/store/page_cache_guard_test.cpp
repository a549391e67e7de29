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

OpenOptions server_like() {
  OpenOptions options;
  options.cache_kib = 64 * 1024;  // The server's: every page stays cached.
  return options;
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
  Database db = open_ok(dir.file("a.db"), server_like());
  exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB UNIQUE, tag INTEGER, v BLOB)");
  Database reader = open_ok(dir.file("a.db"), server_like());
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
    REQUIRE(query_int(db, "SELECT count(*) FROM t") == kept);
    REQUIRE(query_int(db, "SELECT count(*) FROM t WHERE tag = -1") == 0);
    REQUIRE(query_int(db, "SELECT count(*) FROM t INDEXED BY sqlite_autoindex_t_1 WHERE k > x''") ==
            kept);
    REQUIRE(query_int(reader, "SELECT count(*) FROM t") == kept);
  }
  CHECK(integrity(db) == "ok");
  CHECK(integrity(reader) == "ok");
}
