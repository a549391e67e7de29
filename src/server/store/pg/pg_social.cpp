// SPDX-License-Identifier: MIT
// PgServerStore: user search, friend requests and friendships.
#include "server/store/pg/pg_server_store.h"

namespace wechat::server {

using pg::i64;
using pg::u64;

namespace {

const std::string kRequestSelect =
    "SELECT r.id, r.from_id, f.username, r.to_id, t.username, r.note, r.state, r.created_at, "
    "r.answered_at FROM friend_requests r JOIN users f ON f.id = r.from_id "
    "JOIN users t ON t.id = r.to_id ";

v1::FriendRequest read_request(const pg::PgResult& r, int row) {
  v1::FriendRequest q;
  q.set_request_id(u64(r.int64(row, 0)));
  q.mutable_from()->set_user_id(u64(r.int64(row, 1)));
  q.mutable_from()->set_username(std::string(r.text(row, 2)));
  q.mutable_to()->set_user_id(u64(r.int64(row, 3)));
  q.mutable_to()->set_username(std::string(r.text(row, 4)));
  q.set_note(std::string(r.text(row, 5)));
  q.set_state(static_cast<v1::FriendRequestState>(r.int64(row, 6)));
  q.set_created_at_ms(r.int64(row, 7));
  q.set_answered_at_ms(r.int64(row, 8));
  return q;
}

constexpr int kPending = static_cast<int>(v1::FRIEND_REQUEST_STATE_PENDING);

}  // namespace

// A range scan on the username index, as in SQLite: usernames compare bytewise (COLLATE "C").
Result<std::vector<v1::UserInfo>> PgServerStore::search_users_by_prefix(const std::string& prefix,
                                                                       std::uint32_t limit,
                                                                       std::uint64_t except_user) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT id, username FROM users WHERE username >= $1 AND username < $2 "
                      "AND id <> $3 ORDER BY username LIMIT $4",
                      prefix, prefix + '\x7f', i64(except_user), static_cast<std::int64_t>(limit)));
  std::vector<v1::UserInfo> out;
  for (int i = 0; i < r.rows(); ++i) {
    auto& u = out.emplace_back();
    u.set_user_id(u64(r.int64(i, 0)));
    u.set_username(std::string(r.text(i, 1)));
  }
  return out;
}

Result<v1::FriendRequest> PgServerStore::read_friend_request(std::uint64_t request_id) {
  WECHAT_ASSIGN_OR_RETURN(auto found, friend_request(request_id));
  if (!found) return Status(Error::kNotFound, "no such friend request");
  return std::move(*found);
}

Result<v1::FriendRequest> PgServerStore::create_friend_request(std::uint64_t from,
                                                               std::uint64_t to,
                                                               const std::string& note,
                                                               UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("INSERT INTO friend_requests (from_id, to_id, note, state, created_at) "
                      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                      i64(from), i64(to), note, kPending, now));
  return read_friend_request(u64(r.int64(0, 0)));
}

Result<std::optional<v1::FriendRequest>> PgServerStore::friend_request(std::uint64_t request_id) {
  WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(kRequestSelect + "WHERE r.id = $1", i64(request_id)));
  if (r.empty()) return std::optional<v1::FriendRequest>();
  return std::optional<v1::FriendRequest>(read_request(r, 0));
}

Result<std::optional<v1::FriendRequest>> PgServerStore::pending_request(std::uint64_t from,
                                                                       std::uint64_t to) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run(kRequestSelect + "WHERE r.from_id = $1 AND r.to_id = $2 AND r.state = $3",
                      i64(from), i64(to), kPending));
  if (r.empty()) return std::optional<v1::FriendRequest>();
  return std::optional<v1::FriendRequest>(read_request(r, 0));
}

Result<v1::FriendRequest> PgServerStore::answer_friend_request(std::uint64_t request_id,
                                                               bool accept, UnixMillis now) {
  const auto state = accept ? v1::FRIEND_REQUEST_STATE_ACCEPTED : v1::FRIEND_REQUEST_STATE_REJECTED;
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("UPDATE friend_requests SET state = $1, answered_at = $2 "
                      "WHERE id = $3 AND state = $4",
                      static_cast<int>(state), now, i64(request_id), kPending));
  if (r.affected() == 0) return Status(Error::kNotFound, "no such pending friend request");
  return read_friend_request(request_id);
}

Result<std::vector<v1::FriendRequest>> PgServerStore::pending_requests(std::uint64_t user_id,
                                                                      bool incoming) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run(kRequestSelect + (incoming ? "WHERE r.to_id = $1 AND r.state = $2 ORDER BY r.id"
                                                 : "WHERE r.from_id = $1 AND r.state = $2 ORDER BY r.id"),
                      i64(user_id), kPending));
  std::vector<v1::FriendRequest> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_request(r, i));
  return out;
}

Result<bool> PgServerStore::are_friends(std::uint64_t a, std::uint64_t b) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", i64(a),
                      i64(b)));
  return !r.empty();
}

Result<std::uint64_t> PgServerStore::add_friendship(std::uint64_t a, std::uint64_t b,
                                                    UnixMillis now) {
  // Stored in both directions so "friends of X" is one index range.
  WECHAT_TRY(db_.run("INSERT INTO friendships (user_id, friend_id, since) VALUES ($1, $2, $3), "
                     "($2, $1, $3) ON CONFLICT DO NOTHING",
                     i64(a), i64(b), now));
  WECHAT_ASSIGN_OR_RETURN(auto conversation, direct_conversation(a, b, true, now));
  return *conversation;
}

Result<bool> PgServerStore::remove_friendship(std::uint64_t a, std::uint64_t b) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) "
                      "OR (user_id = $2 AND friend_id = $1)",
                      i64(a), i64(b)));
  return r.affected() > 0;
}

Result<std::vector<FriendRow>> PgServerStore::friends(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT u.id, u.username, f.since, u.last_seen, d.conversation_id "
                      "FROM friendships f JOIN users u ON u.id = f.friend_id "
                      "LEFT JOIN direct_conversations d "
                      "ON d.user_lo = LEAST(f.user_id, f.friend_id) "
                      "AND d.user_hi = GREATEST(f.user_id, f.friend_id) "
                      "WHERE f.user_id = $1 ORDER BY u.username",
                      i64(user_id)));
  std::vector<FriendRow> out;
  for (int i = 0; i < r.rows(); ++i) {
    auto& f = out.emplace_back();
    f.user.set_user_id(u64(r.int64(i, 0)));
    f.user.set_username(std::string(r.text(i, 1)));
    f.since = r.int64(i, 2);
    f.last_seen = r.int64(i, 3);
    f.conversation_id = u64(r.int64(i, 4));
  }
  return out;
}

Result<std::vector<std::uint64_t>> PgServerStore::friend_ids(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT friend_id FROM friendships WHERE user_id = $1", i64(user_id)));
  std::vector<std::uint64_t> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(u64(r.int64(i, 0)));
  return out;
}

}  // namespace wechat::server
