// SPDX-License-Identifier: MIT
#include "store/statement.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "store/sqlite_error.h"

namespace wechat::store {
namespace {

Status not_prepared() { return Status(Error::kInternal, "statement is empty (moved from?)"); }

// SQLite takes a null data pointer as "bind NULL", and an empty std::string_view may well have
// one; an empty TEXT or BLOB must stay empty, not become NULL.
const char* non_null(std::string_view bytes) { return bytes.data() != nullptr ? bytes.data() : ""; }

}  // namespace

Statement::~Statement() { sqlite3_finalize(stmt_); }  // A no-op for nullptr.

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

namespace {

// The result of an sqlite3_bind_* call. SQLITE_RANGE (no such parameter) and SQLITE_TOOBIG
// are mistakes in what the caller passed, not storage failures.
Status bind_result(sqlite3_stmt* stmt, int rc, int index) {
  if (rc == SQLITE_OK) return Status();
  if (rc == SQLITE_RANGE) {
    return Status(Error::kInvalidArgument,
                  fmt::format("bind: parameter {} is out of range (the statement has {})", index,
                              sqlite3_bind_parameter_count(stmt)));
  }
  if (rc == SQLITE_TOOBIG) {
    return Status(Error::kInvalidArgument,
                  fmt::format("bind: the value for parameter {} is too large", index));
  }
  return sqlite_status(sqlite3_db_handle(stmt), rc, fmt::format("bind parameter {}", index));
}

}  // namespace

Status Statement::bind(int index, std::int64_t value) {
  if (stmt_ == nullptr) return not_prepared();
  return bind_result(stmt_, sqlite3_bind_int64(stmt_, index, value), index);
}

Status Statement::bind(int index, double value) {
  if (stmt_ == nullptr) return not_prepared();
  return bind_result(stmt_, sqlite3_bind_double(stmt_, index, value), index);
}

Status Statement::bind(int index, std::string_view value) {
  if (stmt_ == nullptr) return not_prepared();
  // SQLITE_TRANSIENT: SQLite copies, so a temporary string may be bound and stepped later.
  return bind_result(stmt_,
                     sqlite3_bind_text64(stmt_, index, non_null(value), value.size(),
                                         SQLITE_TRANSIENT, SQLITE_UTF8),
                     index);
}

Status Statement::bind(int index, const char* value) {
  if (value == nullptr) return bind(index, nullptr);
  return bind(index, std::string_view(value));
}

Status Statement::bind(int index, Blob value) {
  if (stmt_ == nullptr) return not_prepared();
  return bind_result(stmt_,
                     sqlite3_bind_blob64(stmt_, index, non_null(value.bytes), value.bytes.size(),
                                         SQLITE_TRANSIENT),
                     index);
}

Status Statement::bind(int index, std::nullptr_t) {
  if (stmt_ == nullptr) return not_prepared();
  return bind_result(stmt_, sqlite3_bind_null(stmt_, index), index);
}

Status Statement::bind(int index, std::nullopt_t) { return bind(index, nullptr); }

Status Statement::unsigned_too_large(int index) {
  return Status(Error::kInvalidArgument,
                fmt::format("bind: the value for parameter {} is above INT64_MAX, the largest "
                            "integer SQLite stores",
                            index));
}

int Statement::parameter_count() const noexcept {
  return stmt_ != nullptr ? sqlite3_bind_parameter_count(stmt_) : 0;
}

Status Statement::check_argument_count(int count) const {
  if (stmt_ == nullptr) return not_prepared();
  const int expected = sqlite3_bind_parameter_count(stmt_);
  if (count == expected) return Status();
  return Status(Error::kInvalidArgument,
                fmt::format("{} values given for {} parameters in: {}", count, expected, sql()));
}

Result<bool> Statement::step() {
  if (stmt_ == nullptr) return not_prepared();
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(sqlite3_db_handle(stmt_), rc);
}

Status Statement::step_to_done() {
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(const bool row, step());
    if (!row) return Status();
  }
}

void Statement::rewind() noexcept {
  // The return value repeats the error of the last step, which was reported when it happened.
  if (stmt_ != nullptr) (void)sqlite3_reset(stmt_);
}

void Statement::reset() noexcept {
  if (stmt_ == nullptr) return;
  (void)sqlite3_reset(stmt_);
  (void)sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const noexcept {
  return stmt_ != nullptr ? sqlite3_column_count(stmt_) : 0;
}

bool Statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::real(int column) const noexcept { return sqlite3_column_double(stmt_, column); }

std::string_view Statement::text(int column) const noexcept {
  // The pointer first, then the size: sqlite3_column_bytes after a conversion gives the size of
  // the converted value (https://sqlite.org/c3ref/column_blob.html).
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::string_view Statement::blob(int column) const noexcept {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::string_view Statement::sql() const noexcept {
  const char* text = stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr;
  return text != nullptr ? std::string_view(text) : std::string_view();
}

// ---- CachedStatement

CachedStatement::~CachedStatement() { release(); }

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(std::move(other.owned_)) {}

CachedStatement& CachedStatement::operator=(CachedStatement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    in_use_ = std::exchange(other.in_use_, nullptr);
    owned_ = std::move(other.owned_);
  }
  return *this;
}

void CachedStatement::release() noexcept {
  if (stmt_ != nullptr) stmt_->reset();
  if (in_use_ != nullptr) *in_use_ = false;
  stmt_ = nullptr;
  in_use_ = nullptr;
  owned_.reset();
}

}  // namespace wechat::store
