// SPDX-License-Identifier: MIT
// PgServerStore: conversations, messages, the per-user log, read markers.
#include <algorithm>
#include <limits>

#include "server/store/pg/pg_server_store.h"

namespace wechat::server {

using pg::Bytes;
using pg::i64;
using pg::u64;

namespace {

// Columns of a message row as read by read_message(), starting at `first`.
const std::string kMessageColumns =
    "m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.client_msg_id, "
    "m.server_time, m.text, c.kind, u.username";
const std::string kMessageJoins =
    " JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id ";

void read_message(const pg::PgResult& r, int row, int first, v1::Message& m) {
  m.set_message_id(u64(r.int64(row, first)));
  m.set_conversation_id(u64(r.int64(row, first + 1)));
  m.set_seq(u64(r.int64(row, first + 2)));
  m.set_sender_id(u64(r.int64(row, first + 3)));
  m.set_recipient_id(u64(r.int64(row, first + 4)));
  m.set_client_msg_id(r.bytes(row, first + 5));
  m.set_server_time_ms(r.int64(row, first + 6));
  m.set_text(std::string(r.text(row, first + 7)));
  m.set_kind(static_cast<v1::ConversationKind>(r.int64(row, first + 8)));
  m.set_sender_username(std::string(r.text(row, first + 9)));
}

std::optional<v1::Message> first_message(const pg::PgResult& r) {
  if (r.empty()) return std::nullopt;
  v1::Message m;
  read_message(r, 0, 0, m);
  return m;
}

std::int64_t clamp_seq(std::uint64_t seq) {
  return seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
             ? std::numeric_limits<std::int64_t>::max()
             : i64(seq);
}

}  // namespace

Result<ServerStore::DirectRoute> PgServerStore::direct_route(std::uint64_t sender,
                                                              std::uint64_t recipient) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND "
                      "friend_id = $2), (SELECT conversation_id FROM direct_conversations "
                      "WHERE user_lo = $3 AND user_hi = $4) FROM users WHERE id = $2",
                      i64(sender), i64(recipient), i64(std::min(sender, recipient)),
                      i64(std::max(sender, recipient))));
  DirectRoute route;
  if (r.empty()) return route;
  route.recipient_exists = true;
  route.friends = r.flag(0, 0);
  if (!r.is_null(0, 1)) route.conversation_id = u64(r.int64(0, 1));
  return route;
}

// Two nodes may create the same pair's conversation at once. The pair's row is inserted with
// ON CONFLICT DO NOTHING, which waits for the other transaction: if it committed first, ours
// drops the conversation it just made and takes theirs.
Result<std::optional<std::uint64_t>> PgServerStore::direct_conversation(std::uint64_t a,
                                                                        std::uint64_t b,
                                                                        bool create,
                                                                        UnixMillis now) {
  const auto lo = i64(std::min(a, b));
  const auto hi = i64(std::max(a, b));
  const std::string select =
      "SELECT conversation_id FROM direct_conversations WHERE user_lo = $1 AND user_hi = $2";
  {
    WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(select, lo, hi));
    if (!r.empty()) return std::optional<std::uint64_t>(u64(r.int64(0, 0)));
  }
  if (!create) return std::optional<std::uint64_t>();
  WECHAT_ASSIGN_OR_RETURN(
      auto made, db_.run("INSERT INTO conversations (kind, created_at) VALUES ($1, $2) RETURNING id",
                         static_cast<int>(v1::CONVERSATION_KIND_DIRECT), now));
  const auto id = made.int64(0, 0);
  WECHAT_ASSIGN_OR_RETURN(
      auto pair, db_.run("INSERT INTO direct_conversations (user_lo, user_hi, conversation_id) "
                         "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING conversation_id",
                         lo, hi, id));
  if (pair.empty()) {
    WECHAT_TRY(db_.run("DELETE FROM conversations WHERE id = $1", id));
    WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(select, lo, hi));
    if (r.empty()) return Status(Error::kStorage, "a direct conversation vanished");
    return std::optional<std::uint64_t>(u64(r.int64(0, 0)));
  }
  WECHAT_TRY(db_.run("INSERT INTO conversation_members (conversation_id, user_id) "
                     "VALUES ($1, $2), ($1, $3)",
                     id, lo, hi));
  return std::optional<std::uint64_t>(u64(id));
}

Result<std::optional<Membership>> PgServerStore::membership(std::uint64_t conversation_id,
                                                            std::uint64_t user_id,
                                                            bool with_group_members) {
  Membership m;
  m.conversation_id = conversation_id;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto r, db_.run("SELECT c.kind, m.read_seq, m.joined_seq FROM conversation_members m "
                        "JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE m.conversation_id = $1 AND m.user_id = $2",
                        i64(conversation_id), i64(user_id)));
    if (r.empty()) return std::optional<Membership>();
    m.kind = static_cast<v1::ConversationKind>(r.int64(0, 0));
    m.read_seq = u64(r.int64(0, 1));
    m.joined_seq = u64(r.int64(0, 2));
  }
  if (m.kind == v1::CONVERSATION_KIND_GROUP && !with_group_members) {
    return std::optional<Membership>(std::move(m));
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT user_id FROM conversation_members "
                      "WHERE conversation_id = $1 AND user_id <> $2",
                      i64(conversation_id), i64(user_id)));
  for (int i = 0; i < r.rows(); ++i) m.other_members.push_back(u64(r.int64(i, 0)));
  return std::optional<Membership>(std::move(m));
}

Result<std::optional<v1::Message>> PgServerStore::message_by_client_id(
    std::uint64_t sender, const std::string& client_msg_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT " + kMessageColumns + " FROM messages m" + kMessageJoins +
                          "WHERE m.sender_id = $1 AND m.client_msg_id = $2",
                      i64(sender), Bytes{client_msg_id}));
  return first_message(r);
}

Result<std::optional<v1::Message>> PgServerStore::message_at(std::uint64_t conversation_id,
                                                             std::uint64_t seq) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT " + kMessageColumns + " FROM messages m" + kMessageJoins +
                          "WHERE m.conversation_id = $1 AND m.seq = $2",
                      i64(conversation_id), i64(seq)));
  return first_message(r);
}

// One round trip: the conversation's next seq (the row lock on the conversation serialises
// every writer, on every node, until this transaction ends: seqs stay dense and unique), the
// message row, and the sender's read marker (sending implies having read up to one's own
// message). A repeated (sender, client_msg_id) is a unique violation: kAlreadyExists.
Result<v1::Message> PgServerStore::append_message(v1::Message message) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r,
      db_.run("WITH s AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 "
              "RETURNING last_seq), "
              "m AS (INSERT INTO messages (conversation_id, seq, sender_id, recipient_id, "
              "client_msg_id, server_time, text) SELECT $1, s.last_seq, $2::bigint, $3::bigint, "
              "$4::bytea, $5::bigint, $6::text FROM s RETURNING id, seq), "
              "r AS (UPDATE conversation_members SET read_seq = m.seq FROM m "
              "WHERE conversation_id = $1 AND user_id = $2 AND read_seq < m.seq) "
              "SELECT id, seq FROM m",
              i64(message.conversation_id()), i64(message.sender_id()),
              i64(message.recipient_id()), Bytes{message.client_msg_id()},
              message.server_time_ms(), message.text()));
  if (r.empty()) return Status(Error::kNotFound, "no such conversation");
  message.set_message_id(u64(r.int64(0, 0)));
  message.set_seq(u64(r.int64(0, 1)));
  return message;
}

Result<pg::PgResult> PgServerStore::run_log_insert(const std::string& sql, std::uint64_t key,
                                                   const v1::LogEntry& entry) {
  const int kind = static_cast<int>(entry.kind_case());
  if (entry.has_message()) {
    return db_.run(sql, i64(key), entry.created_at_ms(), kind, i64(entry.message().message_id()),
                   nullptr);
  }
  const std::string bytes = log_entry_payload(entry);
  return db_.run(sql, i64(key), entry.created_at_ms(), kind, nullptr, Bytes{bytes});
}

// The user's next user_seq under the user row's lock, and the entry, in one statement.
// Messages are stored once; a message entry refers to its row.
Result<v1::LogEntry> PgServerStore::append_log(std::uint64_t user_id, v1::LogEntry entry) {
  const std::string sql =
      "WITH h AS (UPDATE users SET log_head = log_head + 1 WHERE id = $1 RETURNING log_head) "
      "INSERT INTO user_log (user_id, user_seq, created_at, kind, message_id, payload) "
      "SELECT $1::bigint, h.log_head, $2::bigint, $3::smallint, $4::bigint, $5::bytea FROM h "
      "RETURNING user_seq";
  auto r = run_log_insert(sql, user_id, entry);
  if (!r.ok()) return r.status();
  if (r->empty()) return Status(Error::kNotFound, "no such user");
  entry.set_user_seq(u64(r->int64(0, 0)));
  return entry;
}

Result<SyncPage> PgServerStore::sync(std::uint64_t user_id, std::uint64_t after_user_seq,
                                     std::uint32_t limit) {
  SyncPage page;
  WECHAT_ASSIGN_OR_RETURN(page.head_user_seq, log_head(user_id));
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT l.user_seq, l.created_at, l.payload, l.message_id IS NOT NULL, " +
                          kMessageColumns +
                          " FROM user_log l LEFT JOIN messages m ON m.id = l.message_id"
                          " LEFT JOIN conversations c ON c.id = m.conversation_id"
                          " LEFT JOIN users u ON u.id = m.sender_id"
                          " WHERE l.user_id = $1 AND l.user_seq > $2"
                          " ORDER BY l.user_seq LIMIT $3",
                      i64(user_id), i64(after_user_seq), static_cast<std::int64_t>(limit) + 1));
  for (int i = 0; i < r.rows(); ++i) {
    if (page.entries.size() == limit) {
      page.has_more = true;
      break;
    }
    v1::LogEntry entry;
    if (r.flag(i, 3)) {
      read_message(r, i, 4, *entry.mutable_message());
    } else if (!entry.ParseFromString(r.bytes(i, 2))) {
      return Status(Error::kStorage, "a log entry in the database does not parse");
    }
    entry.set_user_seq(u64(r.int64(i, 0)));
    entry.set_created_at_ms(r.int64(i, 1));
    page.entries.push_back(std::move(entry));
  }
  return page;
}

Result<std::vector<v1::Message>> PgServerStore::history(std::uint64_t conversation_id,
                                                        std::uint64_t before_seq,
                                                        std::uint32_t limit,
                                                        std::uint64_t after_seq) {
  const std::int64_t before =
      before_seq == 0 ? std::numeric_limits<std::int64_t>::max() : clamp_seq(before_seq);
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT " + kMessageColumns + " FROM messages m" + kMessageJoins +
                          "WHERE m.conversation_id = $1 AND m.seq < $2 AND m.seq > $3 "
                          "ORDER BY m.seq DESC LIMIT $4",
                      i64(conversation_id), before, clamp_seq(after_seq),
                      static_cast<std::int64_t>(limit)));
  std::vector<v1::Message> out;
  for (int i = 0; i < r.rows(); ++i) read_message(r, i, 0, out.emplace_back());
  return out;
}

Result<std::optional<std::uint64_t>> PgServerStore::advance_marker(const std::string& sql,
                                                                   std::uint64_t conversation_id,
                                                                   std::uint64_t user_id,
                                                                   std::uint64_t seq) {
  WECHAT_ASSIGN_OR_RETURN(auto r, db_.run(sql, clamp_seq(seq), i64(conversation_id), i64(user_id)));
  if (r.empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(u64(r.int64(0, 0)));
}

// Both markers move forward only, and never past the conversation's last message.
Result<std::optional<std::uint64_t>> PgServerStore::advance_read_marker(
    std::uint64_t conversation_id, std::uint64_t user_id, std::uint64_t seq) {
  // What was read was delivered: the delivery marker never trails the read marker.
  return advance_marker(
      "UPDATE conversation_members SET read_seq = t.target, "
      "delivered_seq = GREATEST(delivered_seq, t.target) "
      "FROM (SELECT LEAST($1::bigint, last_seq) AS target FROM conversations WHERE id = $2) t "
      "WHERE conversation_id = $2 AND user_id = $3 AND read_seq < t.target RETURNING read_seq",
      conversation_id, user_id, seq);
}

Result<std::optional<std::uint64_t>> PgServerStore::advance_delivered_marker(
    std::uint64_t conversation_id, std::uint64_t user_id, std::uint64_t seq) {
  return advance_marker(
      "UPDATE conversation_members SET delivered_seq = t.target "
      "FROM (SELECT LEAST($1::bigint, last_seq) AS target FROM conversations WHERE id = $2) t "
      "WHERE conversation_id = $2 AND user_id = $3 AND delivered_seq < t.target "
      "RETURNING delivered_seq",
      conversation_id, user_id, seq);
}

Result<std::vector<v1::ConversationSummary>> PgServerStore::conversations(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r,
      db_.run("SELECT me.conversation_id, c.kind, c.last_seq, me.read_seq, "
              "peer.user_id, pu.username, peer.read_seq, peer.delivered_seq, "
              "m.id IS NOT NULL, " +
                  kMessageColumns +
                  ", g.conversation_id IS NOT NULL, g.name, g.owner_id, g.created_at, "
                  "g.dissolved, CASE WHEN g.conversation_id IS NULL THEN 0 ELSE (SELECT count(*) "
                  "FROM conversation_members x WHERE x.conversation_id = c.id) END"
                  " FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id"
                  // The peer of a direct conversation; groups have no peer (they have `group`).
                  " LEFT JOIN conversation_members peer ON peer.conversation_id = me.conversation_id"
                  "   AND peer.user_id <> me.user_id AND c.kind = 1"
                  " LEFT JOIN users pu ON pu.id = peer.user_id"
                  // A group member does not see messages from before their join point.
                  " LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq"
                  "   AND m.seq > me.joined_seq"
                  " LEFT JOIN users u ON u.id = m.sender_id"
                  " LEFT JOIN group_conversations g ON g.conversation_id = c.id"
                  " WHERE me.user_id = $1 ORDER BY c.id",
              i64(user_id)));
  std::vector<v1::ConversationSummary> out;
  for (int i = 0; i < r.rows(); ++i) {
    auto& s = out.emplace_back();
    s.set_conversation_id(u64(r.int64(i, 0)));
    s.set_kind(static_cast<v1::ConversationKind>(r.int64(i, 1)));
    s.set_last_seq(u64(r.int64(i, 2)));
    s.set_read_seq(u64(r.int64(i, 3)));
    if (!r.is_null(i, 4)) {
      s.mutable_peer()->set_user_id(u64(r.int64(i, 4)));
      s.mutable_peer()->set_username(std::string(r.text(i, 5)));
      s.set_peer_read_seq(u64(r.int64(i, 6)));
      s.set_peer_delivered_seq(u64(r.int64(i, 7)));
    }
    if (r.flag(i, 8)) read_message(r, i, 9, *s.mutable_last_message());
    if (r.flag(i, 19)) {
      auto* g = s.mutable_group();
      g->set_group_id(s.conversation_id());
      g->set_name(std::string(r.text(i, 20)));
      g->set_owner_id(u64(r.int64(i, 21)));
      g->set_created_at_ms(r.int64(i, 22));
      g->set_dissolved(r.flag(i, 23));
      g->set_member_count(static_cast<std::uint32_t>(r.int64(i, 24)));
      g->set_last_seq(s.last_seq());
    }
  }
  return out;
}

}  // namespace wechat::server
