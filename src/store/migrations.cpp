// SPDX-License-Identifier: MIT
#include "store/migrations.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "store/transaction.h"

namespace wechat::store {
namespace {

Status check_order(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return Status(Error::kInternal,
                    fmt::format("migration versions must be positive and strictly increasing "
                                "({} follows {})",
                                m.version, previous));
    }
    previous = m.version;
  }
  return Status();
}

Status apply(Database& db, const Migration& m, int& version) {
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db, Transaction::Mode::kImmediate));
  // Re-read under the write lock: another connection may have migrated since we looked.
  WECHAT_ASSIGN_OR_RETURN(version, schema_version(db));
  if (version >= m.version) return Status();

  if (Status s = db.exec(m.sql); !s.ok()) {
    return Status(s.code(), fmt::format("migration {}: {}", m.version, s.message()));
  }
  if (!db.in_transaction()) {
    return Status(Error::kInternal,
                  fmt::format("migration {} ended the transaction it runs in (COMMIT or END "
                              "in its SQL?)",
                              m.version));
  }
  // PRAGMA takes no bound parameters. The value is a version number from the code (an int
  // checked above), not outside data, so formatting it into the statement is safe.
  WECHAT_TRY(db.exec(fmt::format("PRAGMA user_version = {}", m.version)));
  WECHAT_TRY(tx.commit());
  version = m.version;
  return Status();
}

}  // namespace

Result<int> schema_version(Database& db) {
  WECHAT_ASSIGN_OR_RETURN(Statement stmt, db.prepare("PRAGMA user_version"));
  WECHAT_ASSIGN_OR_RETURN(std::optional<std::int64_t> value, stmt.query_int64());
  return static_cast<int>(value.value_or(0));
}

Status migrate(Database& db, std::span<const Migration> migrations) {
  WECHAT_TRY(check_order(migrations));
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  WECHAT_ASSIGN_OR_RETURN(const int start, schema_version(db));
  if (start > newest) {
    return Status(Error::kStorage,
                  fmt::format("database schema version {} is newer than this build supports ({})",
                              start, newest));
  }
  int version = start;
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    WECHAT_TRY(apply(db, m, version));
  }
  if (version != start) {
    db.logger().info("database '{}' migrated from schema version {} to {}", db.path(), start,
                     version);
  }
  return Status();
}

}  // namespace wechat::store
