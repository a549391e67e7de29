// SPDX-License-Identifier: MIT
#include "store/sqlite_error.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace wechat::store {

Error error_from_sqlite(int rc) noexcept {
  switch (rc & 0xff) {  // The low byte of an extended code is its primary code.
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Error::kOk;
    case SQLITE_CONSTRAINT:
      // Only these two mean "this row exists already"; NOT NULL, CHECK, FOREIGN KEY and the
      // rest are real failures the caller must not mistake for a harmless duplicate.
      return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? Error::kAlreadyExists
                 : Error::kStorage;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::kUnavailable;
    default:
      return Error::kStorage;
  }
}

Status sqlite_status(sqlite3* db, int rc, std::string_view context) {
  Error code = error_from_sqlite(rc);
  if (code == Error::kOk) code = Error::kInternal;  // A caller bug: success passed as failure.
  // sqlite3_errmsg describes the most recent failure on the connection; without a connection
  // (sqlite3_open_v2 could not even allocate one) only the generic text for the code is known.
  const char* what = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (context.empty()) return Status(code, fmt::format("{} [sqlite {}]", what, rc));
  return Status(code, fmt::format("{}: {} [sqlite {}]", context, what, rc));
}

}  // namespace wechat::store
