// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_PG_PG_CONNECTION_H_
#define WECHAT_SERVER_STORE_PG_PG_CONNECTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wechat/status.h"

// libpq's types stay out of this header: the store files see only these wrappers.
struct pg_conn;
struct pg_result;

namespace wechat::server::pg {

inline std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
inline std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

/// A bytea parameter: sent in binary format, so no escaping is involved.
struct Bytes {
  std::string_view data;
};

/// Bound parameters of one statement: integers and text in text format, Bytes in binary format,
/// nullptr as SQL NULL.
class Params {
 public:
  void add(std::int64_t v) { push(std::to_string(v), 0); }
  void add(int v) { push(std::to_string(v), 0); }
  void add(bool v) { push(v ? "t" : "f", 0); }
  void add(std::string_view v) { push(std::string(v), 0); }
  void add(const std::string& v) { push(v, 0); }
  void add(const char* v) { push(v, 0); }
  void add(Bytes v) { push(std::string(v.data), 1); }
  void add(std::nullptr_t) {
    values_.emplace_back();
    formats_.push_back(0);
  }
  std::size_t size() const { return values_.size(); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }
  const std::vector<int>& formats() const { return formats_; }

 private:
  void push(std::string v, int format) {
    values_.emplace_back(std::move(v));
    formats_.push_back(format);
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
};

/// The rows of one statement, in text format. Owns the PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  PgResult& operator=(PgResult&& o) noexcept;
  ~PgResult();

  int rows() const;
  bool empty() const { return rows() == 0; }
  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;
  /// 0 for NULL.
  std::int64_t int64(int row, int col) const;
  /// A boolean column ('t'/'f'), or an integer one (non-zero).
  bool flag(int row, int col) const;
  /// A bytea column, decoded from its hex text form.
  std::string bytes(int row, int col) const;
  /// Rows an INSERT/UPDATE/DELETE touched.
  std::uint64_t affected() const;

 private:
  pg_result* r_ = nullptr;
};

/// One libpq connection with a per-connection prepared-statement cache: each distinct SQL text
/// is PQprepare'd once (as s1, s2, ...) and then run with PQexecPrepared.
///
/// Errors: kAlreadyExists for a unique violation (SQLSTATE 23505; the constraint's name is in
/// last_constraint()), kUnavailable when the connection is down or lost (SQLSTATE class 08,
/// 57P01-57P03), kStorage for any other failure.
///
/// @par Thread Safety
/// Not thread-safe: one thread (the store thread) uses a connection.
class PgConnection {
 public:
  /// Connects to `url` (a libpq URI or key=value string). A failure to connect is not fatal:
  /// ensure_connected() retries.
  explicit PgConnection(std::string url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// Reconnects if the connection is down (forgetting the prepared statements, which died with
  /// the old session). kUnavailable if the server cannot be reached.
  [[nodiscard]] Status ensure_connected();
  bool connected() const;

  /// Runs one or more statements without parameters (BEGIN, SAVEPOINT, DDL).
  [[nodiscard]] Status exec(std::string_view sql);
  /// Runs `sql` ($1, $2, ... placeholders) as a prepared statement.
  [[nodiscard]] Result<PgResult> query(const std::string& sql, const Params& params);

  template <typename... Args>
  [[nodiscard]] Result<PgResult> run(const std::string& sql, Args&&... args) {
    Params p;
    (p.add(std::forward<Args>(args)), ...);
    return query(sql, p);
  }

  /// Constraint name of the last unique violation.
  const std::string& last_constraint() const { return last_constraint_; }
  /// True once a statement failed since the last clear_failed(): in PostgreSQL that leaves the
  /// transaction aborted until ROLLBACK (TO SAVEPOINT).
  bool failed() const { return failed_; }
  void clear_failed() { failed_ = false; }
  /// True (once) if a statement failed with a deadlock (40P01), a serialization failure (40001)
  /// or a lock timeout (55P03) since the last call.
  bool take_conflict() { return std::exchange(conflict_, false); }

 private:
  Status open();
  Status error_of(pg_result* r, std::string_view what);
  Status connection_error(std::string_view what);

  std::string url_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  ///< SQL -> statement name
  std::string last_constraint_;
  bool failed_ = false;
  bool conflict_ = false;
};

}  // namespace wechat::server::pg

#endif  // WECHAT_SERVER_STORE_PG_PG_CONNECTION_H_
