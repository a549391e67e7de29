// SPDX-License-Identifier: MIT
#include "server/store/pg/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace wechat::server::pg {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = std::exchange(o.r_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (r_) PQclear(r_);
}

int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }

bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::string_view PgResult::text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}

std::int64_t PgResult::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const auto t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

bool PgResult::flag(int row, int col) const {
  if (is_null(row, col)) return false;
  const auto t = text(row, col);
  if (t == "t") return true;
  if (t == "f") return false;
  return int64(row, col) != 0;
}

// bytea arrives in its text form, "\x" then two hex digits a byte (bytea_output = hex, the
// default since PostgreSQL 9.0; the store sets it per session anyway).
std::string PgResult::bytes(int row, int col) const {
  const auto t = text(row, col);
  std::string out;
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x') return out;
  out.reserve((t.size() - 2) / 2);
  for (std::size_t i = 2; i + 1 < t.size(); i += 2) {
    out.push_back(static_cast<char>(hex_value(t[i]) * 16 + hex_value(t[i + 1])));
  }
  return out;
}

std::uint64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return (n && *n) ? std::strtoull(n, nullptr, 10) : 0;
}

PgConnection::PgConnection(std::string url) : url_(std::move(url)) { (void)open(); }

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

bool PgConnection::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::open() {
  if (conn_) PQfinish(conn_);
  prepared_.clear();
  // connect_timeout first: a value in the URL overrides it (later keywords win).
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "wechat-server", url_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!connected()) {
    return Status(Error::kUnavailable,
                  "cannot connect to PostgreSQL: " + trimmed(conn_ ? PQerrorMessage(conn_) : ""));
  }
  // Fixed session settings the SQL relies on: hex bytea, UTC, quiet notices.
  // lock_timeout: a wait on another server's locks longer than this fails (55P03) and the
  // executor reruns the batch one request at a time. Batches take their users' rows first, in
  // id order (lock_users), so two servers' direct sends queue rather than deadlock; waits get
  // long only under overload, and rerunning then would add work, so the bound is generous. It
  // still ends a wait on a server that hangs while holding locks.
  return exec(
      "SET bytea_output = 'hex'; SET client_min_messages = warning; SET TIME ZONE 'UTC'; "
      "SET lock_timeout = '2s'");
}

Status PgConnection::ensure_connected() {
  if (connected()) return {};
  return open();
}

Status PgConnection::connection_error(std::string_view what) {
  failed_ = true;
  return Status(Error::kUnavailable, "PostgreSQL connection lost during " + std::string(what) +
                                         ": " + trimmed(conn_ ? PQerrorMessage(conn_) : ""));
}

Status PgConnection::error_of(pg_result* r, std::string_view what) {
  failed_ = true;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string message = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (message.empty()) message = trimmed(PQerrorMessage(conn_));
  if (sqlstate == "40P01" || sqlstate == "40001" || sqlstate == "55P03") conflict_ = true;
  if (sqlstate == "23505") {
    const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    last_constraint_ = constraint ? constraint : "";
    return Status(Error::kAlreadyExists, "unique constraint " + last_constraint_ + " violated");
  }
  if (!connected() || sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03") {
    return Status(Error::kUnavailable,
                  "PostgreSQL unavailable during " + std::string(what) + ": " + message);
  }
  return Status(Error::kStorage, "PostgreSQL error in " + std::string(what) + ": " + message +
                                     (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"));
}

Status PgConnection::exec(std::string_view sql) {
  if (!connected()) return connection_error("a command");
  const std::string text(sql);
  pg_result* r = PQexec(conn_, text.c_str());
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Status s = error_of(r, text);
    if (r) PQclear(r);
    return s;
  }
  PQclear(r);
  return {};
}

Result<PgResult> PgConnection::query(const std::string& sql, const Params& params) {
  if (!connected()) return connection_error("a query");
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    pg_result* r = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
      Status s = error_of(r, "prepare");
      if (r) PQclear(r);
      return s;
    }
    PQclear(r);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto n = params.size();
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& v = params.values()[i];
    values[i] = v ? v->data() : nullptr;
    lengths[i] = v ? static_cast<int>(v->size()) : 0;
  }
  pg_result* r = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(n), values.data(),
                                lengths.data(), params.formats().data(), /*resultFormat=*/0);
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Status s = error_of(r, "a query");
    if (r) PQclear(r);
    return s;
  }
  return PgResult(r);
}

}  // namespace wechat::server::pg
