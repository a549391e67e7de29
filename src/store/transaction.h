// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_TRANSACTION_H_
#define WECHAT_STORE_TRANSACTION_H_

#include "store/database.h"
#include "wechat/status.h"

struct sqlite3;

namespace wechat::store {

/// A transaction on a Database: everything between begin() and commit() becomes durable at
/// once or not at all. If it is destroyed without a successful commit() it rolls back; the
/// destructor never throws and never fails loudly.
///
/// No nesting: begin() refuses (kInternal) while the connection is already inside a
/// transaction, whether opened by another Transaction or by a raw "BEGIN". A store operation
/// that may run inside a caller's transaction should take that transaction from the caller
/// rather than open its own. (SAVEPOINT-based nesting was rejected: an inner "commit" that
/// does not make anything durable is a trap for code that acks after commit.)
///
/// Lifetime: REQUIRES the Database outlives the Transaction (moving the Database is fine).
///
/// @par Thread Safety
/// As the Database: one thread at a time.
///
/// @code
///   WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db));
///   WECHAT_TRY(insert->run(conversation_id, body));
///   WECHAT_TRY(bump_unread->run(conversation_id));
///   WECHAT_TRY(tx.commit());  // An early return above rolls back.
/// @endcode
class Transaction {
 public:
  /// How BEGIN takes locks. kImmediate (the default) takes the write lock at once, so a busy
  /// database fails here (kUnavailable after the busy timeout) rather than half-way through;
  /// kDeferred waits for the first read/write; kExclusive also keeps readers out (in WAL mode
  /// it behaves as kImmediate).
  enum class Mode { kDeferred, kImmediate, kExclusive };

  /// Starts a transaction. Errors: kInternal if one is already open on `db`; kUnavailable if
  /// another connection holds the write lock past the busy timeout; kStorage otherwise.
  [[nodiscard]] static Result<Transaction> begin(Database& db, Mode mode = Mode::kImmediate);

  Transaction(Transaction&& other) noexcept;
  /// Rolls back the transaction this object held, then takes over `other`'s.
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  /// Makes the changes durable. Errors: kInternal if the transaction was already finished (by
  /// commit, rollback, or SQL run outside this object); kUnavailable/kStorage from COMMIT. If
  /// COMMIT fails and SQLite has not rolled back on its own, the transaction stays open: commit
  /// may be retried, and destruction rolls it back.
  [[nodiscard]] Status commit();

  /// Undoes the changes now instead of at destruction. Errors: kInternal if already finished.
  [[nodiscard]] Status rollback();

  /// True until commit or rollback succeed.
  bool active() const noexcept { return db_ != nullptr; }

 private:
  explicit Transaction(sqlite3* db) noexcept : db_(db) {}
  void rollback_quietly() noexcept;

  sqlite3* db_ = nullptr;  // Null once finished (or moved from).
};

}  // namespace wechat::store

#endif  // WECHAT_STORE_TRANSACTION_H_
