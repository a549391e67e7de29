// SPDX-License-Identifier: MIT
// PgServerStore: connecting, batch control, accounts, codes and sessions.
#include "server/store/pg/pg_server_store.h"

namespace wechat::server {

using pg::Bytes;
using pg::i64;
using pg::u64;

namespace {

const std::string kUserColumns =
    "SELECT id, username, email, password_hash, created_at, last_seen FROM users ";

UserRow read_user(const pg::PgResult& r) {
  UserRow u;
  u.id = u64(r.int64(0, 0));
  u.username = std::string(r.text(0, 1));
  u.email = std::string(r.text(0, 2));
  u.password_hash = std::string(r.text(0, 3));
  u.created_at = r.int64(0, 4);
  u.last_seen = r.int64(0, 5);
  return u;
}

}  // namespace

bool is_postgresql_url(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<PgServerStore>> PgServerStore::open(const std::string& url) {
  std::unique_ptr<PgServerStore> store(new PgServerStore(url));
  WECHAT_TRY(store->db_.ensure_connected());
  WECHAT_TRY(store->migrate());
  return store;
}

// A batch is one transaction (READ COMMITTED); each request in it is a savepoint. A connection
// lost since the last batch is re-opened here, so an outage fails the batches that run during
// it and the first batch after it succeeds.
Status PgServerStore::begin_batch() {
  in_batch_ = false;
  WECHAT_TRY(db_.ensure_connected());
  WECHAT_TRY(db_.exec("BEGIN"));
  in_batch_ = true;
  return {};
}

Status PgServerStore::commit_batch() {
  in_batch_ = false;
  return db_.exec("COMMIT");
}

void PgServerStore::rollback_batch() {
  if (!in_batch_) return;
  in_batch_ = false;
  if (db_.connected()) (void)db_.exec("ROLLBACK");
}

Status PgServerStore::lock_users(const std::vector<std::uint64_t>& sorted_user_ids) {
  std::string ids = "{";
  for (auto id : sorted_user_ids) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  ids += "}";
  // ORDER BY makes the lock order the ids' order whatever plan PostgreSQL picks.
  auto locked = db_.run("SELECT id FROM users WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                        ids);
  return locked.ok() ? Status() : locked.status();
}

Status PgServerStore::savepoint() {
  db_.clear_failed();
  return db_.exec("SAVEPOINT request");
}

// SQLite undoes only the failing statement; PostgreSQL aborts the transaction until ROLLBACK TO.
// A request that hit a database error and still asked for its writes to be kept (see
// Effects::commit_even_if_failed) would make RELEASE fail and with it the whole batch, so
// such a savepoint is rolled back instead: its writes could not be kept anyway.
Status PgServerStore::release_savepoint() {
  if (db_.failed()) {
    rollback_to_savepoint();
    return db_.connected() ? Status() : Status(Error::kUnavailable, "PostgreSQL connection lost");
  }
  return db_.exec("RELEASE SAVEPOINT request");
}

void PgServerStore::rollback_to_savepoint() {
  (void)db_.exec("ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request");
  db_.clear_failed();
}

Result<std::optional<UserRow>> PgServerStore::user_where(const std::string& sql,
                                                         std::string_view key) {
  WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(sql, key));
  if (r.empty()) return std::optional<UserRow>();
  return std::optional<UserRow>(read_user(r));
}

Result<std::optional<UserRow>> PgServerStore::user_by_id(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(kUserColumns + "WHERE id = $1", i64(user_id)));
  if (r.empty()) return std::optional<UserRow>();
  return std::optional<UserRow>(read_user(r));
}

Result<std::optional<UserRow>> PgServerStore::user_by_username(const std::string& username) {
  return user_where(kUserColumns + "WHERE username = $1", username);
}

Result<std::optional<UserRow>> PgServerStore::user_by_email(const std::string& email) {
  return user_where(kUserColumns + "WHERE email = $1", email);
}

// Checked first for the common case; a concurrent registration on another node that wins the
// race shows up as a unique violation at the INSERT, mapped to the same errors.
Result<std::uint64_t> PgServerStore::create_user(const UserRow& user) {
  WECHAT_ASSIGN_OR_RETURN(auto existing, user_by_username(user.username));
  if (existing) return Status(Error::kUsernameTaken, "that username is taken");
  WECHAT_ASSIGN_OR_RETURN(existing, user_by_email(user.email));
  if (existing) return Status(Error::kEmailTaken, "an account with this email exists");
  auto r = db_.run(
      "INSERT INTO users (username, email, password_hash, created_at) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      user.username, user.email, user.password_hash, user.created_at);
  if (!r.ok()) {
    if (r.status().code() == Error::kAlreadyExists) {
      if (db_.last_constraint() == "users_email_key") {
        return Status(Error::kEmailTaken, "an account with this email exists");
      }
      return Status(Error::kUsernameTaken, "that username is taken");
    }
    return r.status();
  }
  return u64(r->int64(0, 0));
}

Status PgServerStore::set_password_hash(std::uint64_t user_id, const std::string& hash) {
  return status_of(db_.run("UPDATE users SET password_hash = $1 WHERE id = $2", hash, i64(user_id)));
}

Status PgServerStore::set_last_seen(std::uint64_t user_id, UnixMillis when) {
  return status_of(db_.run("UPDATE users SET last_seen = $1 WHERE id = $2", when, i64(user_id)));
}

Result<std::optional<CodeRow>> PgServerStore::code(const std::string& email, CodePurpose purpose) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT code_hash, expires_at, attempts FROM verification_codes "
                      "WHERE email = $1 AND purpose = $2",
                      email, static_cast<int>(purpose)));
  if (r.empty()) return std::optional<CodeRow>();
  CodeRow c;
  c.email = email;
  c.purpose = purpose;
  c.code_hash = r.bytes(0, 0);
  c.expires_at = r.int64(0, 1);
  c.attempts = static_cast<unsigned>(r.int64(0, 2));
  return std::optional<CodeRow>(std::move(c));
}

Status PgServerStore::put_code(const CodeRow& code) {
  return status_of(db_.run(
      "INSERT INTO verification_codes (email, purpose, code_hash, expires_at, attempts) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email, purpose) DO UPDATE SET "
      "code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, "
      "attempts = EXCLUDED.attempts",
      code.email, static_cast<int>(code.purpose), Bytes{code.code_hash}, code.expires_at,
      static_cast<std::int64_t>(code.attempts)));
}

Status PgServerStore::add_code_attempt(const std::string& email, CodePurpose purpose) {
  return status_of(db_.run("UPDATE verification_codes SET attempts = attempts + 1 "
                           "WHERE email = $1 AND purpose = $2",
                           email, static_cast<int>(purpose)));
}

Status PgServerStore::delete_code(const std::string& email, CodePurpose purpose) {
  return status_of(db_.run("DELETE FROM verification_codes WHERE email = $1 AND purpose = $2",
                           email, static_cast<int>(purpose)));
}

Result<std::uint64_t> PgServerStore::create_session(const SessionRow& session,
                                                     std::vector<std::uint64_t>& replaced) {
  {
    // One session per device: logging in again from the same device replaces the old one.
    WECHAT_ASSIGN_OR_RETURN(auto r, db_.run("DELETE FROM sessions WHERE user_id = $1 AND "
                                            "device_name = $2 RETURNING device_id",
                                            i64(session.user_id), session.device_name));
    for (int i = 0; i < r.rows(); ++i) replaced.push_back(u64(r.int64(i, 0)));
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("INSERT INTO sessions (user_id, token_hash, device_name, created_at, "
                      "expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING device_id",
                      i64(session.user_id), Bytes{session.token_hash}, session.device_name,
                      session.created_at, session.expires_at));
  return u64(r.int64(0, 0));
}

Result<std::optional<SessionRow>> PgServerStore::session_by_token_hash(const std::string& hash) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT device_id, user_id, device_name, created_at, expires_at "
                      "FROM sessions WHERE token_hash = $1",
                      Bytes{hash}));
  if (r.empty()) return std::optional<SessionRow>();
  SessionRow s;
  s.device_id = u64(r.int64(0, 0));
  s.user_id = u64(r.int64(0, 1));
  s.token_hash = hash;
  s.device_name = std::string(r.text(0, 2));
  s.created_at = r.int64(0, 3);
  s.expires_at = r.int64(0, 4);
  return std::optional<SessionRow>(std::move(s));
}

Status PgServerStore::delete_session(std::uint64_t device_id) {
  return status_of(db_.run("DELETE FROM sessions WHERE device_id = $1", i64(device_id)));
}

Status PgServerStore::delete_sessions_of_user(std::uint64_t user_id) {
  return status_of(db_.run("DELETE FROM sessions WHERE user_id = $1", i64(user_id)));
}

Result<std::uint64_t> PgServerStore::sweep_expired(UnixMillis now) {
  std::uint64_t removed = 0;
  for (const char* sql : {"DELETE FROM sessions WHERE expires_at < $1",
                          "DELETE FROM verification_codes WHERE expires_at < $1"}) {
    WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(sql, now));
    removed += r.affected();
  }
  return removed;
}

Result<std::uint64_t> PgServerStore::log_head(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto r, db_.run("SELECT log_head FROM users WHERE id = $1", i64(user_id)));
  if (r.empty()) return Status(Error::kNotFound, "no such user");
  return u64(r.int64(0, 0));
}

}  // namespace wechat::server
