// SPDX-License-Identifier: MIT
// Small doctest helpers shared by the store tests that work on a real database file.
#ifndef WECHAT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
#define WECHAT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "store/database.h"

namespace wechat::testing {

inline store::Database open_ok(const std::string& path, const store::OpenOptions& options = {}) {
  auto db = store::Database::open(path, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(db).value();
}

inline void exec_ok(store::Database& db, const std::string& sql) {
  const auto status = db.exec(sql);
  REQUIRE_MESSAGE(status.ok(), status.to_string());
}

/// Column 0 of the first row of `sql`, which must be an integer.
inline std::int64_t query_int(store::Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  REQUIRE(st.ok());
  auto n = st->query_int64();
  REQUIRE(n.ok());
  REQUIRE(n->has_value());
  return **n;
}

/// PRAGMA integrity_check's first line: "ok" for a sound file.
inline std::string integrity(store::Database& db) {
  auto st = db.prepare("PRAGMA integrity_check");
  REQUIRE(st.ok());
  auto row = st->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return std::string(st->text(0));
}

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
