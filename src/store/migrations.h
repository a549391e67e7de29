// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_MIGRATIONS_H_
#define WECHAT_STORE_MIGRATIONS_H_

#include <span>
#include <string_view>

#include "store/database.h"
#include "wechat/status.h"

namespace wechat::store {

/// One step of a schema: the SQL script that takes a database from version `version - 1`
/// (or from whatever the previous migration left) to `version`.
///
/// The script runs inside a transaction migrate() opens, so it must not contain BEGIN, COMMIT
/// or statements SQLite refuses inside a transaction (VACUUM, PRAGMA journal_mode). Note that
/// PRAGMA foreign_keys is a no-op there too: a table rebuild must keep references valid by
/// itself.
struct Migration {
  int version;           ///< > 0, strictly increasing along the list.
  std::string_view sql;  ///< One or more statements; static text, never built from values.
};

/// Brings the schema of `db` up to date. Reads PRAGMA user_version and applies, in ascending
/// order, every migration with a higher version; each runs in its own IMMEDIATE transaction
/// together with the user_version bump, so a crash or an error leaves the schema at the last
/// version that completed. Running it again is a no-op. Safe against another connection
/// migrating the same file at the same time (the version is re-read under the write lock).
///
/// Errors: kInternal when versions are not positive and strictly increasing, or a script ends
/// the transaction itself; kStorage "database schema version N is newer than this build
/// supports (M)"; the error of a failing script, with "migration N: " in front of the message
/// (user_version stays at N - 1's value); kUnavailable as in Transaction::begin.
///
/// @code
///   constexpr Migration kMigrations[] = {
///       {1, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"},
///       {2, "ALTER TABLE users ADD COLUMN email TEXT;"},
///   };
///   WECHAT_TRY(migrate(db, kMigrations));
/// @endcode
[[nodiscard]] Status migrate(Database& db, std::span<const Migration> migrations);

/// PRAGMA user_version: 0 for a database no migration has touched.
[[nodiscard]] Result<int> schema_version(Database& db);

}  // namespace wechat::store

#endif  // WECHAT_STORE_MIGRATIONS_H_
