// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_SQLITE_ERROR_H_
#define WECHAT_STORE_SQLITE_ERROR_H_

#include <string_view>

#include "wechat/status.h"

struct sqlite3;

namespace wechat::store {

/// The `Error` for an SQLite result code (primary or extended):
/// - SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY → kAlreadyExists (callers use it
///   to de-duplicate); every other constraint → kStorage;
/// - SQLITE_BUSY and SQLITE_LOCKED (any extended form) → kUnavailable;
/// - SQLITE_OK, SQLITE_ROW, SQLITE_DONE → kOk; everything else → kStorage.
Error error_from_sqlite(int rc) noexcept;

/// A Status for a failed SQLite call on `db`: the code from `error_from_sqlite(rc)`, and the
/// message "<context>: <sqlite3_errmsg(db)> [sqlite <extended code>]" (no context prefix when
/// `context` is empty). `db` may be null (then sqlite3_errstr(rc) is used).
/// REQUIRES: rc is an error code, and `db` has not run another call since the failing one.
Status sqlite_status(sqlite3* db, int rc, std::string_view context = {});

}  // namespace wechat::store

#endif  // WECHAT_STORE_SQLITE_ERROR_H_
