// SPDX-License-Identifier: MIT
// SqliteServerStore: user search, friend requests and friendships.
#include <algorithm>

#include "server/store/sqlite_server_store.h"

namespace wechat::server {

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

constexpr const char* kRequestSelect =
    "SELECT r.id, r.from_id, f.username, r.to_id, t.username, r.note, r.state, r.created_at, "
    "r.answered_at FROM friend_requests r JOIN users f ON f.id = r.from_id "
    "JOIN users t ON t.id = r.to_id ";

v1::FriendRequest read_request(const store::Statement& st) {
  v1::FriendRequest r;
  r.set_request_id(u64(st.int64(0)));
  r.mutable_from()->set_user_id(u64(st.int64(1)));
  r.mutable_from()->set_username(std::string(st.text(2)));
  r.mutable_to()->set_user_id(u64(st.int64(3)));
  r.mutable_to()->set_username(std::string(st.text(4)));
  r.set_note(std::string(st.text(5)));
  r.set_state(static_cast<v1::FriendRequestState>(st.int64(6)));
  r.set_created_at_ms(st.int64(7));
  r.set_answered_at_ms(st.int64(8));
  return r;
}

}  // namespace

Result<std::vector<v1::UserInfo>> SqliteServerStore::search_users_by_prefix(
    const std::string& prefix, std::uint32_t limit, std::uint64_t except_user) {
  // A range scan on the username index; usernames are [a-z0-9_], so prefix + 0x7f bounds it
  // (no LIKE, so '_' and '%' in the query mean themselves).
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT id, username FROM users WHERE username >= ? AND "
                                  "username < ? AND id != ? ORDER BY username LIMIT ?"));
  WECHAT_TRY(st->bind_all(prefix, prefix + '\x7f', i64(except_user), static_cast<std::int64_t>(limit)));
  std::vector<v1::UserInfo> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    auto& u = out.emplace_back();
    u.set_user_id(u64(st->int64(0)));
    u.set_username(std::string(st->text(1)));
  }
  return out;
}

Result<v1::FriendRequest> SqliteServerStore::read_friend_request(std::uint64_t request_id) {
  WECHAT_ASSIGN_OR_RETURN(auto found, friend_request(request_id));
  if (!found) return Status(Error::kNotFound, "no such friend request");
  return std::move(*found);
}

Result<v1::FriendRequest> SqliteServerStore::create_friend_request(std::uint64_t from,
                                                                   std::uint64_t to,
                                                                   const std::string& note,
                                                                   UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO friend_requests (from_id, to_id, note, state, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)"));
  WECHAT_TRY(st->run(i64(from), i64(to), note,
                     static_cast<int>(v1::FRIEND_REQUEST_STATE_PENDING), now));
  return read_friend_request(u64(db_.last_insert_rowid()));
}

Result<std::optional<v1::FriendRequest>> SqliteServerStore::friend_request(
    std::uint64_t request_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db_.prepare_cached(std::string(kRequestSelect) + "WHERE r.id = ?"));
  WECHAT_TRY(st->bind(1, i64(request_id)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::FriendRequest>();
  return std::optional<v1::FriendRequest>(read_request(*st));
}

Result<std::optional<v1::FriendRequest>> SqliteServerStore::pending_request(std::uint64_t from,
                                                                           std::uint64_t to) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(std::string(kRequestSelect) +
                                                      "WHERE r.from_id = ? AND r.to_id = ? "
                                                      "AND r.state = ?"));
  WECHAT_TRY(st->bind_all(i64(from), i64(to), static_cast<int>(v1::FRIEND_REQUEST_STATE_PENDING)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::FriendRequest>();
  return std::optional<v1::FriendRequest>(read_request(*st));
}

Result<v1::FriendRequest> SqliteServerStore::answer_friend_request(std::uint64_t request_id,
                                                                   bool accept, UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("UPDATE friend_requests SET state = ?, answered_at = ? "
                                  "WHERE id = ? AND state = ?"));
  const auto state = accept ? v1::FRIEND_REQUEST_STATE_ACCEPTED : v1::FRIEND_REQUEST_STATE_REJECTED;
  WECHAT_TRY(st->run(static_cast<int>(state), now, i64(request_id),
                     static_cast<int>(v1::FRIEND_REQUEST_STATE_PENDING)));
  if (db_.changes() == 0) return Status(Error::kNotFound, "no such pending friend request");
  return read_friend_request(request_id);
}

Result<std::vector<v1::FriendRequest>> SqliteServerStore::pending_requests(std::uint64_t user_id,
                                                                          bool incoming) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string(kRequestSelect) +
                                  (incoming ? "WHERE r.to_id = ? AND r.state = ? ORDER BY r.id"
                                            : "WHERE r.from_id = ? AND r.state = ? ORDER BY r.id")));
  WECHAT_TRY(st->bind_all(i64(user_id), static_cast<int>(v1::FRIEND_REQUEST_STATE_PENDING)));
  std::vector<v1::FriendRequest> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(read_request(*st));
  }
  return out;
}

Result<bool> SqliteServerStore::are_friends(std::uint64_t a, std::uint64_t b) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?"));
  WECHAT_ASSIGN_OR_RETURN(auto found, st->query_int64(i64(a), i64(b)));
  return found.has_value();
}

Result<std::uint64_t> SqliteServerStore::add_friendship(std::uint64_t a, std::uint64_t b,
                                                        UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(
                   "INSERT OR IGNORE INTO friendships (user_id, friend_id, since) VALUES (?, ?, ?)"));
  // Stored in both directions so "friends of X" is one index range.
  WECHAT_TRY(st->run(i64(a), i64(b), now));
  WECHAT_TRY(st->run(i64(b), i64(a), now));
  WECHAT_ASSIGN_OR_RETURN(auto conversation, direct_conversation(a, b, true, now));
  return *conversation;
}

Result<bool> SqliteServerStore::remove_friendship(std::uint64_t a, std::uint64_t b) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) "
                                  "OR (user_id = ? AND friend_id = ?)"));
  WECHAT_TRY(st->run(i64(a), i64(b), i64(b), i64(a)));
  return db_.changes() > 0;
}

Result<std::vector<FriendRow>> SqliteServerStore::friends(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(
                   "SELECT u.id, u.username, f.since, u.last_seen, d.conversation_id "
                   "FROM friendships f JOIN users u ON u.id = f.friend_id "
                   "LEFT JOIN direct_conversations d ON d.user_lo = min(f.user_id, f.friend_id) "
                   "AND d.user_hi = max(f.user_id, f.friend_id) "
                   "WHERE f.user_id = ? ORDER BY u.username"));
  WECHAT_TRY(st->bind(1, i64(user_id)));
  std::vector<FriendRow> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    auto& f = out.emplace_back();
    f.user.set_user_id(u64(st->int64(0)));
    f.user.set_username(std::string(st->text(1)));
    f.since = st->int64(2);
    f.last_seen = st->int64(3);
    f.conversation_id = u64(st->int64(4));
  }
  return out;
}

Result<std::vector<std::uint64_t>> SqliteServerStore::friend_ids(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT friend_id FROM friendships WHERE user_id = ?"));
  WECHAT_TRY(st->bind(1, i64(user_id)));
  std::vector<std::uint64_t> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(u64(st->int64(0)));
  }
  return out;
}

}  // namespace wechat::server
