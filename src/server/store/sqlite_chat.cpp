// SPDX-License-Identifier: MIT
// SqliteServerStore: conversations, messages, the per-user log, read markers.
#include <algorithm>
#include <limits>

#include "server/store/sqlite_server_store.h"

namespace wechat::server {

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Columns of a message row as read by read_message(), starting at `first`.
constexpr const char* kMessageColumns =
    "m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.client_msg_id, "
    "m.server_time, m.text, c.kind, u.username";
constexpr const char* kMessageJoins =
    " JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id ";

void read_message(const store::Statement& st, int first, v1::Message& m) {
  m.set_message_id(u64(st.int64(first)));
  m.set_conversation_id(u64(st.int64(first + 1)));
  m.set_seq(u64(st.int64(first + 2)));
  m.set_sender_id(u64(st.int64(first + 3)));
  m.set_recipient_id(u64(st.int64(first + 4)));
  m.set_client_msg_id(std::string(st.blob(first + 5)));
  m.set_server_time_ms(st.int64(first + 6));
  m.set_text(std::string(st.text(first + 7)));
  m.set_kind(static_cast<v1::ConversationKind>(st.int64(first + 8)));
  m.set_sender_username(std::string(st.text(first + 9)));
}

}  // namespace

Result<ServerStore::DirectRoute> SqliteServerStore::direct_route(std::uint64_t sender,
                                                                  std::uint64_t recipient) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = ?1 AND "
                         "friend_id = ?2), (SELECT conversation_id FROM direct_conversations "
                         "WHERE user_lo = ?3 AND user_hi = ?4) FROM users WHERE id = ?2"));
  WECHAT_TRY(st->bind_all(i64(sender), i64(recipient), i64(std::min(sender, recipient)),
                          i64(std::max(sender, recipient))));
  WECHAT_ASSIGN_OR_RETURN(const bool row, st->step());
  DirectRoute route;
  if (!row) return route;
  route.recipient_exists = true;
  route.friends = st->int64(0) != 0;
  if (!st->is_null(1)) route.conversation_id = u64(st->int64(1));
  return route;
}

Result<std::optional<std::uint64_t>> SqliteServerStore::direct_conversation(std::uint64_t a,
                                                                            std::uint64_t b,
                                                                            bool create,
                                                                            UnixMillis now) {
  const auto lo = i64(std::min(a, b));
  const auto hi = i64(std::max(a, b));
  {
    WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(
                                         "SELECT conversation_id FROM direct_conversations "
                                         "WHERE user_lo = ? AND user_hi = ?"));
    WECHAT_ASSIGN_OR_RETURN(auto found, st->query_int64(lo, hi));
    if (found) return std::optional<std::uint64_t>(u64(*found));
  }
  if (!create) return std::optional<std::uint64_t>();
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO conversations (kind, created_at) VALUES (?, ?)"));
    WECHAT_TRY(st->run(static_cast<int>(v1::CONVERSATION_KIND_DIRECT), now));
  }
  const auto id = db_.last_insert_rowid();
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO direct_conversations (user_lo, user_hi, "
                                    "conversation_id) VALUES (?, ?, ?)"));
    WECHAT_TRY(st->run(lo, hi, id));
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(
                   "INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?)"));
  WECHAT_TRY(st->run(id, lo));
  WECHAT_TRY(st->run(id, hi));
  return std::optional<std::uint64_t>(u64(id));
}

Result<std::optional<Membership>> SqliteServerStore::membership(std::uint64_t conversation_id,
                                                                std::uint64_t user_id,
                                                                bool with_group_members) {
  Membership m;
  m.conversation_id = conversation_id;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT c.kind, m.read_seq, m.joined_seq "
                                    "FROM conversation_members m "
                                    "JOIN conversations c ON c.id = m.conversation_id "
                                    "WHERE m.conversation_id = ? AND m.user_id = ?"));
    WECHAT_TRY(st->bind_all(i64(conversation_id), i64(user_id)));
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) return std::optional<Membership>();
    m.kind = static_cast<v1::ConversationKind>(st->int64(0));
    m.read_seq = u64(st->int64(1));
    m.joined_seq = u64(st->int64(2));
  }
  if (m.kind == v1::CONVERSATION_KIND_GROUP && !with_group_members) {
    return std::optional<Membership>(std::move(m));
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT user_id FROM conversation_members "
                                  "WHERE conversation_id = ? AND user_id != ?"));
  WECHAT_TRY(st->bind_all(i64(conversation_id), i64(user_id)));
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    m.other_members.push_back(u64(st->int64(0)));
  }
  return std::optional<Membership>(std::move(m));
}

Result<std::optional<v1::Message>> SqliteServerStore::message_by_client_id(
    std::uint64_t sender, const std::string& client_msg_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string("SELECT ") + kMessageColumns + " FROM messages m" +
                                  kMessageJoins + "WHERE m.sender_id = ? AND m.client_msg_id = ?"));
  WECHAT_TRY(st->bind_all(i64(sender), store::Blob{client_msg_id}));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::Message>();
  v1::Message m;
  read_message(*st, 0, m);
  return std::optional<v1::Message>(std::move(m));
}

Result<std::optional<v1::Message>> SqliteServerStore::message_at(std::uint64_t conversation_id,
                                                                 std::uint64_t seq) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string("SELECT ") + kMessageColumns + " FROM messages m" +
                                  kMessageJoins + "WHERE m.conversation_id = ? AND m.seq = ?"));
  WECHAT_TRY(st->bind_all(i64(conversation_id), i64(seq)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::Message>();
  v1::Message m;
  read_message(*st, 0, m);
  return std::optional<v1::Message>(std::move(m));
}

Result<v1::Message> SqliteServerStore::append_message(v1::Message message) {
  const auto conversation = i64(message.conversation_id());
  // Read, then write: an UPDATE ... RETURNING would open an ephemeral table for every call,
  // which cost more than the update itself on this path.
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT last_seq + 1 FROM conversations WHERE id = ?"));
    WECHAT_ASSIGN_OR_RETURN(auto seq, st->query_int64(conversation));
    if (!seq) return Status(Error::kNotFound, "no such conversation");
    message.set_seq(u64(*seq));
  }
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("UPDATE conversations SET last_seq = ? WHERE id = ?"));
    WECHAT_TRY(st->run(i64(message.seq()), conversation));
  }
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO messages (conversation_id, seq, sender_id, "
                                    "recipient_id, client_msg_id, server_time, text) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    WECHAT_TRY(st->run(conversation, i64(message.seq()), i64(message.sender_id()),
                       i64(message.recipient_id()), store::Blob{message.client_msg_id()},
                       message.server_time_ms(), message.text()));
    message.set_message_id(u64(db_.last_insert_rowid()));
  }
  // Sending implies having read everything up to one's own message.
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("UPDATE conversation_members SET read_seq = ? "
                                  "WHERE conversation_id = ? AND user_id = ? AND read_seq < ?"));
  WECHAT_TRY(st->run(i64(message.seq()), conversation, i64(message.sender_id()),
                     i64(message.seq())));
  return message;
}

Status SqliteServerStore::bind_log_insert(store::Statement& st, std::uint64_t key,
                                          const v1::LogEntry& entry) {
  WECHAT_TRY(st.bind(1, i64(key)));
  WECHAT_TRY(st.bind(2, entry.created_at_ms()));
  WECHAT_TRY(st.bind(3, static_cast<int>(entry.kind_case())));
  if (entry.has_message()) {
    WECHAT_TRY(st.bind(4, i64(entry.message().message_id())));
    return st.bind(5, nullptr);
  }
  WECHAT_TRY(st.bind(4, nullptr));
  return st.bind(5, store::Blob{log_entry_payload(entry)});
}

// A user's log head is the newest user_seq in their log, read through the primary key the
// INSERT extends: allocating a position dirties no page but the one the row goes to (a log_head
// column in `users` cost a scattered users page per entry, the largest share of the WAL). Two
// statements rather than an INSERT ... RETURNING, which opens an ephemeral table per call.
Result<v1::LogEntry> SqliteServerStore::append_log(std::uint64_t user_id, v1::LogEntry entry) {
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT max(user_seq) FROM user_log WHERE user_id = ?"));
    WECHAT_ASSIGN_OR_RETURN(const auto head, st->query_int64(i64(user_id)));
    entry.set_user_seq(u64(head.value_or(0)) + 1);
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO user_log (user_id, created_at, kind, message_id, "
                                  "payload, user_seq) VALUES (?, ?, ?, ?, ?, ?)"));
  WECHAT_TRY(bind_log_insert(*st, user_id, entry));
  WECHAT_TRY(st->bind(6, i64(entry.user_seq())));
  WECHAT_TRY(st->run());
  return entry;
}

Result<SyncPage> SqliteServerStore::sync(std::uint64_t user_id, std::uint64_t after_user_seq,
                                         std::uint32_t limit) {
  SyncPage page;
  WECHAT_ASSIGN_OR_RETURN(page.head_user_seq, log_head(user_id));
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string("SELECT l.user_seq, l.created_at, l.payload, "
                                              "l.message_id IS NOT NULL, ") +
                                  kMessageColumns +
                                  " FROM user_log l LEFT JOIN messages m ON m.id = l.message_id"
                                  " LEFT JOIN conversations c ON c.id = m.conversation_id"
                                  " LEFT JOIN users u ON u.id = m.sender_id"
                                  " WHERE l.user_id = ? AND l.user_seq > ?"
                                  " ORDER BY l.user_seq LIMIT ?"));
  WECHAT_TRY(st->bind_all(i64(user_id), i64(after_user_seq), static_cast<std::int64_t>(limit) + 1));
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    if (page.entries.size() == limit) {
      page.has_more = true;
      break;
    }
    v1::LogEntry entry;
    if (st->int64(3) != 0) {
      read_message(*st, 4, *entry.mutable_message());
    } else if (!entry.ParseFromString(std::string(st->blob(2)))) {
      return Status(Error::kStorage, "a log entry in the database does not parse");
    }
    entry.set_user_seq(u64(st->int64(0)));
    entry.set_created_at_ms(st->int64(1));
    page.entries.push_back(std::move(entry));
  }
  return page;
}

Result<std::vector<v1::Message>> SqliteServerStore::history(std::uint64_t conversation_id,
                                                            std::uint64_t before_seq,
                                                            std::uint32_t limit,
                                                            std::uint64_t after_seq) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string("SELECT ") + kMessageColumns + " FROM messages m" +
                                  kMessageJoins +
                                  "WHERE m.conversation_id = ? AND m.seq < ? AND m.seq > ? "
                                  "ORDER BY m.seq DESC LIMIT ?"));
  const std::int64_t before =
      before_seq == 0 ? std::numeric_limits<std::int64_t>::max() : i64(before_seq);
  WECHAT_TRY(st->bind_all(i64(conversation_id), before, i64(after_seq),
                          static_cast<std::int64_t>(limit)));
  std::vector<v1::Message> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    read_message(*st, 0, out.emplace_back());
  }
  return out;
}

// Read, then write, rather than one UPDATE ... RETURNING: SQLite opens an ephemeral table for
// every RETURNING, which cost more than the update itself (see append_message).
Result<std::optional<std::uint64_t>> SqliteServerStore::advance_marker(
    std::string_view read_sql, std::string_view write_sql, std::uint64_t conversation_id,
    std::uint64_t user_id, std::uint64_t seq) {
  std::uint64_t target = 0;
  {
    WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(read_sql));
    WECHAT_TRY(st->bind_all(i64(conversation_id), i64(user_id)));
    WECHAT_ASSIGN_OR_RETURN(const bool row, st->step());
    if (!row) return std::optional<std::uint64_t>();  // not a member
    const auto marker = u64(st->int64(0));
    target = std::min(seq, u64(st->int64(1)));
    if (target <= marker) return std::optional<std::uint64_t>();
  }
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached(write_sql));
  WECHAT_TRY(st->run(i64(target), i64(conversation_id), i64(user_id)));
  return std::optional<std::uint64_t>(target);
}

// Both markers move forward only, and never past the conversation's last message.
Result<std::optional<std::uint64_t>> SqliteServerStore::advance_read_marker(
    std::uint64_t conversation_id, std::uint64_t user_id, std::uint64_t seq) {
  WECHAT_ASSIGN_OR_RETURN(
      auto moved,
      advance_marker("SELECT m.read_seq, c.last_seq FROM conversation_members m JOIN "
                     "conversations c ON c.id = m.conversation_id "
                     "WHERE m.conversation_id = ? AND m.user_id = ?",
                     "UPDATE conversation_members SET read_seq = ? "
                     "WHERE conversation_id = ? AND user_id = ?",
                     conversation_id, user_id, seq));
  if (moved) {
    // What was read was delivered: the delivery marker never trails the read marker.
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("UPDATE conversation_members SET delivered_seq = ?1 "
                                    "WHERE conversation_id = ?2 AND user_id = ?3 "
                                    "AND delivered_seq < ?1"));
    WECHAT_TRY(st->run(i64(*moved), i64(conversation_id), i64(user_id)));
  }
  return moved;
}

Result<std::optional<std::uint64_t>> SqliteServerStore::advance_delivered_marker(
    std::uint64_t conversation_id, std::uint64_t user_id, std::uint64_t seq) {
  return advance_marker(
      "SELECT m.delivered_seq, c.last_seq FROM conversation_members m JOIN conversations c "
      "ON c.id = m.conversation_id WHERE m.conversation_id = ? AND m.user_id = ?",
      "UPDATE conversation_members SET delivered_seq = ? WHERE conversation_id = ? AND user_id = ?",
      conversation_id, user_id, seq);
}

Result<std::vector<v1::ConversationSummary>> SqliteServerStore::conversations(
    std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached(
          std::string("SELECT me.conversation_id, c.kind, c.last_seq, me.read_seq, "
                      "peer.user_id, pu.username, peer.read_seq, peer.delivered_seq, "
                      "m.id IS NOT NULL, ") +
          kMessageColumns +
          ", g.conversation_id IS NOT NULL, g.name, g.owner_id, g.created_at, g.dissolved, "
          "CASE WHEN g.conversation_id IS NULL THEN 0 ELSE (SELECT count(*) FROM "
          "conversation_members x WHERE x.conversation_id = c.id) END"
          " FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id"
          // The peer of a direct conversation; groups have no peer (they have `group`).
          " LEFT JOIN conversation_members peer ON peer.conversation_id = me.conversation_id"
          "   AND peer.user_id != me.user_id AND c.kind = 1"
          " LEFT JOIN users pu ON pu.id = peer.user_id"
          // A group member does not see messages from before their join point.
          " LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq"
          "   AND m.seq > me.joined_seq"
          " LEFT JOIN users u ON u.id = m.sender_id"
          " LEFT JOIN group_conversations g ON g.conversation_id = c.id"
          " WHERE me.user_id = ? ORDER BY c.id"));
  WECHAT_TRY(st->bind(1, i64(user_id)));
  std::vector<v1::ConversationSummary> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    auto& s = out.emplace_back();
    s.set_conversation_id(u64(st->int64(0)));
    s.set_kind(static_cast<v1::ConversationKind>(st->int64(1)));
    s.set_last_seq(u64(st->int64(2)));
    s.set_read_seq(u64(st->int64(3)));
    if (!st->is_null(4)) {
      s.mutable_peer()->set_user_id(u64(st->int64(4)));
      s.mutable_peer()->set_username(std::string(st->text(5)));
      s.set_peer_read_seq(u64(st->int64(6)));
      s.set_peer_delivered_seq(u64(st->int64(7)));
    }
    if (st->int64(8) != 0) read_message(*st, 9, *s.mutable_last_message());
    if (st->int64(19) != 0) {
      auto* g = s.mutable_group();
      g->set_group_id(s.conversation_id());
      g->set_name(std::string(st->text(20)));
      g->set_owner_id(u64(st->int64(21)));
      g->set_created_at_ms(st->int64(22));
      g->set_dissolved(st->int64(23) != 0);
      g->set_member_count(static_cast<std::uint32_t>(st->int64(24)));
      g->set_last_seq(s.last_seq());
    }
  }
  return out;
}

}  // namespace wechat::server
