// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_STATEMENT_H_
#define WECHAT_STORE_STATEMENT_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "wechat/status.h"

struct sqlite3_stmt;

namespace wechat::store {

class Database;

/// Bytes to bind as a BLOB (a plain `std::string_view` binds as TEXT). May hold NUL bytes.
struct Blob {
  std::string_view bytes;
};

/// One prepared SQL statement; finalized on destruction. Made by `Database::prepare` (owned by
/// the caller) or lent by `Database::prepare_cached` (see `CachedStatement`).
///
/// Parameters are numbered from 1 (`?`, `?NNN`), result columns from 0, as in SQLite. Every
/// value reaches SQL through `bind`; SQL text is never assembled from values.
///
/// Lifetime: REQUIRES the Database it came from outlives it.
///
/// @par Thread Safety
/// Not synchronised, and shares its connection with the Database: use a statement only on the
/// thread that is currently using its Database.
///
/// @code
///   WECHAT_ASSIGN_OR_RETURN(Statement s, db.prepare("SELECT id, name FROM users WHERE age > ?"));
///   WECHAT_TRY(s.bind(1, min_age));
///   for (;;) {
///     WECHAT_ASSIGN_OR_RETURN(bool row, s.step());
///     if (!row) break;
///     use(s.int64(0), s.text(1));
///   }
/// @endcode
class Statement {
 public:
  /// An empty statement (valid() is false); every fallible call on it returns kInternal.
  Statement() noexcept = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool valid() const noexcept { return stmt_ != nullptr; }

  // ---- Binding. `index` is 1-based. Errors: kInvalidArgument for an index out of range or a
  // value SQLite cannot store; kStorage for anything else SQLite reports (e.g. binding while a
  // step is in progress). Text and blobs are copied: the argument need not outlive the call.

  [[nodiscard]] Status bind(int index, std::int64_t value);
  /// Any other integer type, bool included (as 0/1), stored as a 64-bit signed integer.
  /// Errors: kInvalidArgument for an unsigned value above INT64_MAX.
  template <std::integral T>
  [[nodiscard]] Status bind(int index, T value);
  [[nodiscard]] Status bind(int index, double value);
  /// TEXT. REQUIRES: valid UTF-8 (SQLite does not check).
  [[nodiscard]] Status bind(int index, std::string_view value);
  [[nodiscard]] Status bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  /// TEXT; a null pointer binds NULL.
  [[nodiscard]] Status bind(int index, const char* value);
  /// BLOB; an empty blob is a zero-length BLOB, not NULL.
  [[nodiscard]] Status bind(int index, Blob value);
  [[nodiscard]] Status bind(int index, std::nullptr_t);
  [[nodiscard]] Status bind(int index, std::nullopt_t);
  /// The value, or NULL when empty.
  template <typename T>
  [[nodiscard]] Status bind(int index, const std::optional<T>& value);

  /// Binds `args` to parameters 1..N. With at least one argument, N must equal the statement's
  /// parameter count (kInvalidArgument otherwise: a forgotten or extra value is a bug); with
  /// none it does nothing (values bound one by one before are kept).
  template <typename... Args>
  [[nodiscard]] Status bind_all(const Args&... args);

  /// Number of parameters (the largest parameter index).
  int parameter_count() const noexcept;

  // ---- Stepping.

  /// Runs the statement to its next row: true when a row is ready to read, false when done.
  /// Errors: see sqlite_error.h (kAlreadyExists for a UNIQUE/PRIMARY KEY violation,
  /// kUnavailable when the database stayed locked past the busy timeout, kStorage otherwise).
  /// After an error, reset() before using the statement again.
  [[nodiscard]] Result<bool> step();

  /// Rewinds to before the first row and clears every binding back to NULL. Never fails (it
  /// does not repeat the error of a failed step: step() reported that already).
  void reset() noexcept;

  /// Binds `args` (as bind_all), steps until done (rows, e.g. from RETURNING, are skipped) and
  /// resets, whatever happens. The usual call for INSERT/UPDATE/DELETE.
  template <typename... Args>
  [[nodiscard]] Status run(const Args&... args);

  /// Binds `args`, steps once and resets: column 0 of the first row, or nullopt when there is
  /// no row or that value is NULL. For `SELECT count(*) ...`, `SELECT id ... LIMIT 1`.
  template <typename... Args>
  [[nodiscard]] Result<std::optional<std::int64_t>> query_int64(const Args&... args);

  // ---- Reading the current row. `column` is 0-based. REQUIRES: the last step() returned
  // true and 0 <= column < column_count(). Values are converted as SQLite does (a NULL reads
  // as 0 or empty: use is_null to tell).

  int column_count() const noexcept;
  bool is_null(int column) const noexcept;
  std::int64_t int64(int column) const noexcept;
  double real(int column) const noexcept;
  /// Valid until the next step(), reset() or destruction.
  std::string_view text(int column) const noexcept;
  /// The bytes of a BLOB (or of a TEXT value). Valid until the next step(), reset() or
  /// destruction.
  std::string_view blob(int column) const noexcept;

  /// The SQL text the statement was prepared from.
  std::string_view sql() const noexcept;
  /// For the rare call this class does not wrap. The statement keeps ownership.
  sqlite3_stmt* raw() const noexcept { return stmt_; }

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}

  static Status unsigned_too_large(int index);
  /// sqlite3_reset without clearing bindings: makes a statement left mid-iteration bindable.
  void rewind() noexcept;
  Status check_argument_count(int count) const;
  Status step_to_done();

  sqlite3_stmt* stmt_ = nullptr;
};

/// A statement lent by `Database::prepare_cached`. On destruction it is reset (bindings
/// cleared) and goes back to the cache, so the next user finds it ready, and no half-read
/// statement keeps a read transaction open.
///
/// Lifetime: REQUIRES the Database it came from outlives it (moving the Database is fine).
///
/// @par Thread Safety
/// As Statement.
class CachedStatement {
 public:
  ~CachedStatement();
  CachedStatement(CachedStatement&& other) noexcept;
  CachedStatement& operator=(CachedStatement&& other) noexcept;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  Statement& operator*() const noexcept { return *stmt_; }
  Statement* operator->() const noexcept { return stmt_; }
  Statement* get() const noexcept { return stmt_; }

  /// False when the statement is a private one-off: the cache is disabled (capacity 0), the
  /// cached copy of this SQL is lent out already (e.g. the same query nested in its own loop),
  /// or every cached statement is lent out.
  bool from_cache() const noexcept { return in_use_ != nullptr; }

 private:
  friend class Database;
  CachedStatement(Statement* cached, bool* in_use) noexcept : stmt_(cached), in_use_(in_use) {}
  explicit CachedStatement(std::unique_ptr<Statement> owned) noexcept
      : stmt_(owned.get()), owned_(std::move(owned)) {}
  void release() noexcept;

  Statement* stmt_ = nullptr;
  bool* in_use_ = nullptr;            // The cache entry's flag; null for a one-off.
  std::unique_ptr<Statement> owned_;  // Only for a one-off.
};

// ---- Template definitions.

template <std::integral T>
Status Statement::bind(int index, T value) {
  if constexpr (std::is_unsigned_v<T>) {
    if (static_cast<std::uint64_t>(value) >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return unsigned_too_large(index);
    }
  }
  return bind(index, static_cast<std::int64_t>(value));  // The non-template overload.
}

template <typename T>
Status Statement::bind(int index, const std::optional<T>& value) {
  if (!value) return bind(index, std::nullopt);
  return bind(index, *value);
}

template <typename... Args>
Status Statement::bind_all(const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    return Status();
  } else {
    Status status = check_argument_count(static_cast<int>(sizeof...(Args)));
    int index = 0;
    auto bind_next = [&](const auto& arg) {  // Left to right, stopping at the first failure.
      ++index;
      if (status.ok()) status = this->bind(index, arg);
    };
    (bind_next(args), ...);
    return status;
  }
}

template <typename... Args>
Status Statement::run(const Args&... args) {
  rewind();
  Status status = bind_all(args...);
  if (status.ok()) status = step_to_done();
  reset();
  return status;
}

template <typename... Args>
Result<std::optional<std::int64_t>> Statement::query_int64(const Args&... args) {
  rewind();
  Status status = bind_all(args...);
  if (!status.ok()) {
    reset();
    return status;
  }
  Result<bool> row = step();
  if (!row.ok()) {
    reset();
    return row.status();
  }
  std::optional<std::int64_t> value;
  if (*row && !is_null(0)) value = int64(0);
  reset();
  return value;
}

}  // namespace wechat::store

#endif  // WECHAT_STORE_STATEMENT_H_
