// SPDX-License-Identifier: MIT
// SqliteServerStore: opening, batch control, accounts, codes and sessions.
#include "server/store/sqlite_server_store.h"

namespace wechat::server {

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }


UserRow read_user(const store::Statement& st) {
  UserRow u;
  u.id = u64(st.int64(0));
  u.username = std::string(st.text(1));
  u.email = std::string(st.text(2));
  u.password_hash = std::string(st.text(3));
  u.created_at = st.int64(4);
  u.last_seen = st.int64(5);
  return u;
}

}  // namespace

Result<std::unique_ptr<SqliteServerStore>> SqliteServerStore::open(const Options& options) {
  store::OpenOptions open_options;
  open_options.synchronous =
      options.synced ? store::OpenOptions::Sync::kFull : store::OpenOptions::Sync::kNormal;
  open_options.statement_cache_capacity = 128;
  // Hot pages (users, recent log and message pages, indexes) stay in SQLite's own cache.
  open_options.cache_kib = 64 * 1024;
  WECHAT_ASSIGN_OR_RETURN(auto db, store::Database::open(options.path, open_options));
  WECHAT_TRY(migrate_server_schema(db));
  std::unique_ptr<SqliteServerStore> server_store(new SqliteServerStore(std::move(db)));
  // Checkpoints every ~160 MiB of log rather than SQLite's 4 MiB, on a thread of their own (a
  // copy inside a commit stalled every request of its batch). A copy serves every commit that
  // dirtied its page since the last one, so a longer log means fewer copies: on a database of a
  // million messages, 40,000 pages instead of 10,000 took the checkpoint thread from 28-29 to
  // 18-20 us per message at 5,000 msg/s (docs/performance.md, session 8). The writer still
  // bounds its log at 200,000 pages (~800 MiB) if the thread falls that far behind.
  // None for an in-memory store.
  store::WalCheckpointer::Options checkpoints;
  checkpoints.background_pages = 40000;
  checkpoints.inline_pages = 200000;
  WECHAT_ASSIGN_OR_RETURN(server_store->checkpointer_,
                          store::WalCheckpointer::attach(server_store->db_, checkpoints));
  return server_store;
}

// A batch is one IMMEDIATE transaction (the write lock is taken up front, so the batch cannot
// fail half-way on a lock upgrade); each request inside it is a savepoint.
Status SqliteServerStore::begin_batch() { return db_.exec("BEGIN IMMEDIATE"); }
Status SqliteServerStore::commit_batch() { return db_.exec("COMMIT"); }
void SqliteServerStore::rollback_batch() {
  if (db_.in_transaction()) (void)db_.exec("ROLLBACK");
}
Status SqliteServerStore::savepoint() { return db_.exec("SAVEPOINT request"); }
Status SqliteServerStore::release_savepoint() { return db_.exec("RELEASE request"); }
void SqliteServerStore::rollback_to_savepoint() {
  (void)db_.exec("ROLLBACK TO request");
  (void)db_.exec("RELEASE request");
}

Result<std::optional<UserRow>> SqliteServerStore::user_where(std::string_view sql,
                                                             std::string_view key) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(sql));
  WECHAT_TRY(st->bind(1, key));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<UserRow>();
  return std::optional<UserRow>(read_user(*st));
}

Result<std::optional<UserRow>> SqliteServerStore::user_by_id(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT id, username, email, password_hash, created_at, "
                                  "last_seen FROM users WHERE id = ?"));
  WECHAT_TRY(st->bind(1, i64(user_id)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<UserRow>();
  return std::optional<UserRow>(read_user(*st));
}

Result<std::optional<UserRow>> SqliteServerStore::user_by_username(const std::string& username) {
  return user_where(
      "SELECT id, username, email, password_hash, created_at, last_seen FROM users "
      "WHERE username = ?",
      username);
}

Result<std::optional<UserRow>> SqliteServerStore::user_by_email(const std::string& email) {
  return user_where(
      "SELECT id, username, email, password_hash, created_at, last_seen FROM users "
      "WHERE email = ?",
      email);
}

Result<std::uint64_t> SqliteServerStore::create_user(const UserRow& user) {
  WECHAT_ASSIGN_OR_RETURN(auto existing, user_by_username(user.username));
  if (existing) return Status(Error::kUsernameTaken, "that username is taken");
  WECHAT_ASSIGN_OR_RETURN(existing, user_by_email(user.email));
  if (existing) return Status(Error::kEmailTaken, "an account with this email exists");
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO users (username, email, password_hash, created_at)"
                                  " VALUES (?, ?, ?, ?)"));
  WECHAT_TRY(st->run(user.username, user.email, user.password_hash, user.created_at));
  return u64(db_.last_insert_rowid());
}

Status SqliteServerStore::set_password_hash(std::uint64_t user_id, const std::string& hash) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db_.prepare_cached("UPDATE users SET password_hash = ? WHERE id = ?"));
  return st->run(hash, i64(user_id));
}

Status SqliteServerStore::set_last_seen(std::uint64_t user_id, UnixMillis when) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db_.prepare_cached("UPDATE users SET last_seen = ? WHERE id = ?"));
  return st->run(when, i64(user_id));
}

Result<std::optional<CodeRow>> SqliteServerStore::code(const std::string& email,
                                                       CodePurpose purpose) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT code_hash, expires_at, attempts FROM verification_codes"
                                  " WHERE email = ? AND purpose = ?"));
  WECHAT_TRY(st->bind_all(email, static_cast<int>(purpose)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<CodeRow>();
  CodeRow c;
  c.email = email;
  c.purpose = purpose;
  c.code_hash = std::string(st->blob(0));
  c.expires_at = st->int64(1);
  c.attempts = static_cast<unsigned>(st->int64(2));
  return std::optional<CodeRow>(std::move(c));
}

Status SqliteServerStore::put_code(const CodeRow& code) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT OR REPLACE INTO verification_codes (email, purpose, "
                                  "code_hash, expires_at, attempts) VALUES (?, ?, ?, ?, ?)"));
  return st->run(code.email, static_cast<int>(code.purpose), store::Blob{code.code_hash},
                 code.expires_at, static_cast<std::int64_t>(code.attempts));
}

Status SqliteServerStore::add_code_attempt(const std::string& email, CodePurpose purpose) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(
                                       "UPDATE verification_codes SET attempts = attempts + 1 "
                                       "WHERE email = ? AND purpose = ?"));
  return st->run(email, static_cast<int>(purpose));
}

Status SqliteServerStore::delete_code(const std::string& email, CodePurpose purpose) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("DELETE FROM verification_codes WHERE email = ? AND purpose = ?"));
  return st->run(email, static_cast<int>(purpose));
}

Result<std::uint64_t> SqliteServerStore::create_session(const SessionRow& session,
                                                         std::vector<std::uint64_t>& replaced) {
  {
    // One session per device: logging in again from the same device replaces the old one.
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("DELETE FROM sessions WHERE user_id = ? AND device_name = ? "
                                    "RETURNING device_id"));
    WECHAT_TRY(st->bind_all(i64(session.user_id), session.device_name));
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
      if (!row) break;
      replaced.push_back(u64(st->int64(0)));
    }
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO sessions (user_id, token_hash, device_name, "
                                  "created_at, expires_at) VALUES (?, ?, ?, ?, ?)"));
  WECHAT_TRY(st->run(i64(session.user_id), store::Blob{session.token_hash}, session.device_name,
                     session.created_at, session.expires_at));
  return u64(db_.last_insert_rowid());
}

Result<std::optional<SessionRow>> SqliteServerStore::session_by_token_hash(
    const std::string& hash) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT device_id, user_id, device_name, created_at, expires_at"
                                  " FROM sessions WHERE token_hash = ?"));
  WECHAT_TRY(st->bind(1, store::Blob{hash}));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<SessionRow>();
  SessionRow s;
  s.device_id = u64(st->int64(0));
  s.user_id = u64(st->int64(1));
  s.token_hash = hash;
  s.device_name = std::string(st->text(2));
  s.created_at = st->int64(3);
  s.expires_at = st->int64(4);
  return std::optional<SessionRow>(std::move(s));
}

Status SqliteServerStore::delete_session(std::uint64_t device_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached("DELETE FROM sessions WHERE device_id = ?"));
  return st->run(i64(device_id));
}

Status SqliteServerStore::delete_sessions_of_user(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached("DELETE FROM sessions WHERE user_id = ?"));
  return st->run(i64(user_id));
}

Result<std::uint64_t> SqliteServerStore::sweep_expired(UnixMillis now) {
  std::uint64_t removed = 0;
  for (const char* sql : {"DELETE FROM sessions WHERE expires_at < ?",
                          "DELETE FROM verification_codes WHERE expires_at < ?"}) {
    WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(sql));
    WECHAT_TRY(st->run(now));
    removed += static_cast<std::uint64_t>(db_.changes());
  }
  return removed;
}

Result<std::uint64_t> SqliteServerStore::log_head(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT (SELECT coalesce(max(user_seq), 0) FROM user_log "
                                  "WHERE user_id = u.id) FROM users u WHERE u.id = ?"));
  WECHAT_ASSIGN_OR_RETURN(auto head, st->query_int64(i64(user_id)));
  if (!head) return Status(Error::kNotFound, "no such user");
  return u64(*head);
}

}  // namespace wechat::server
