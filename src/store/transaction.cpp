// SPDX-License-Identifier: MIT
#include "store/transaction.h"

#include <sqlite3.h>

#include <utility>

#include "store/sqlite_error.h"

namespace wechat::store {
namespace {

Status exec_literal(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : sqlite_status(db, rc, sql);
}

bool in_transaction(sqlite3* db) { return sqlite3_get_autocommit(db) == 0; }

Status finished() { return Status(Error::kInternal, "the transaction is already finished"); }

}  // namespace

Result<Transaction> Transaction::begin(Database& db, Mode mode) {
  sqlite3* raw = db.raw();
  if (raw == nullptr) return Status(Error::kInternal, "database is not open (moved from?)");
  if (in_transaction(raw)) {
    return Status(Error::kInternal,
                  "a transaction is already open on this database (transactions do not nest)");
  }
  const char* sql = "BEGIN IMMEDIATE";
  if (mode == Mode::kDeferred) sql = "BEGIN DEFERRED";
  if (mode == Mode::kExclusive) sql = "BEGIN EXCLUSIVE";
  WECHAT_TRY(exec_literal(raw, sql));
  return Transaction(raw);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    rollback_quietly();
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Transaction::~Transaction() { rollback_quietly(); }

Status Transaction::commit() {
  if (db_ == nullptr) return finished();
  if (!in_transaction(db_)) {
    db_ = nullptr;
    return Status(Error::kInternal, "the transaction was ended by SQL run outside it");
  }
  Status status = exec_literal(db_, "COMMIT");
  // On failure SQLite may have rolled back by itself (e.g. SQLITE_FULL); then we are done.
  if (status.ok() || !in_transaction(db_)) db_ = nullptr;
  return status;
}

Status Transaction::rollback() {
  if (db_ == nullptr) return finished();
  sqlite3* db = std::exchange(db_, nullptr);
  if (!in_transaction(db)) return Status();  // SQLite rolled back already (an I/O error, ...).
  return exec_literal(db, "ROLLBACK");
}

void Transaction::rollback_quietly() noexcept {
  // Nothing useful can be done with a failed ROLLBACK here; the connection then stays inside
  // the transaction and the next begin() reports that.
  if (db_ != nullptr && in_transaction(db_)) {
    (void)sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  db_ = nullptr;
}

}  // namespace wechat::store
