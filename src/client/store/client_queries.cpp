// SPDX-License-Identifier: MIT
// ClientStore: reads (friends, requests, conversations, message pages) and full-text search.
// None of them needs the network.
#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "client/store/client_store.h"
#include "client/store/client_store_internal.h"

namespace wechat::client {

using internal::i64;
using internal::kMessageSelect;
using internal::u64;

namespace {

constexpr std::uint64_t kNoUpperBound =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// This device's messages to `peer` the server has not stored (queued or failed), newest first.
Status unsent_to(store::Database& db, UserId peer, std::vector<Message>& out) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db.prepare_cached(std::string(kMessageSelect) +
                                 "WHERE m.peer_id = ? AND m.seq IS NULL ORDER BY m.id DESC"));
  WECHAT_TRY(st->bind(1, peer));
  return internal::read_messages(*st, out);
}

// This device's messages to group `id` the server has not stored, newest first. Unsent rows
// have a NULL seq, which messages_by_seq (conversation_id, seq) finds directly.
Status unsent_in_group(store::Database& db, ConversationId id, std::vector<Message>& out) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db.prepare_cached(std::string(kMessageSelect) +
                                 "WHERE m.conversation_id = ? AND m.seq IS NULL AND m.kind = ? "
                                 "ORDER BY m.id DESC"));
  WECHAT_TRY(st->bind_all(id, static_cast<int>(ConversationKind::kGroup)));
  return internal::read_messages(*st, out);
}

// One page of a conversation: see ClientStore::messages. `peer` for a direct conversation,
// `group` for a group one.
Result<std::vector<Message>> page(store::Database& db, ConversationId id, UserId peer,
                                  bool group, std::uint64_t before_seq, std::uint32_t limit) {
  std::vector<Message> out;
  if (before_seq == 0 && group) WECHAT_TRY(unsent_in_group(db, id, out));
  if (before_seq == 0 && !group && peer != 0) WECHAT_TRY(unsent_to(db, peer, out));
  if (id == 0) return out;
  WECHAT_ASSIGN_OR_RETURN(auto st, db.prepare_cached(std::string(kMessageSelect) +
                                                     "WHERE m.conversation_id = ? AND m.seq < ? "
                                                     "ORDER BY m.seq DESC LIMIT ?"));
  const std::uint64_t below = before_seq == 0 ? kNoUpperBound : std::min(before_seq, kNoUpperBound);
  WECHAT_TRY(st->bind_all(id, below, limit));
  WECHAT_TRY(internal::read_messages(*st, out));
  return out;
}

}  // namespace

Result<std::vector<Friend>> ClientStore::friends() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached(
          "SELECT f.user_id, coalesce(u.username, ''), f.since_ms, "
          "coalesce(nullif(f.conversation_id, 0), "
          "(SELECT c.id FROM conversations c WHERE c.peer_id = f.user_id ORDER BY c.id LIMIT 1), "
          "0), f.online, f.last_seen_ms "
          "FROM friends f LEFT JOIN users u ON u.id = f.user_id "
          "ORDER BY u.username, f.user_id"));
  std::vector<Friend> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    Friend f;
    f.user = User{u64(st->int64(0)), std::string(st->text(1))};
    f.since_ms = st->int64(2);
    f.conversation_id = u64(st->int64(3));
    f.presence.user_id = f.user.id;
    f.presence.online = st->int64(4) != 0;
    f.presence.last_seen_ms = st->int64(5);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<FriendRequest>> ClientStore::friend_requests() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(
                   "SELECT r.id, r.from_id, coalesce(f.username, ''), r.to_id, "
                   "coalesce(t.username, ''), r.note, r.state, r.created_ms, r.answered_ms "
                   "FROM friend_requests r LEFT JOIN users f ON f.id = r.from_id "
                   "LEFT JOIN users t ON t.id = r.to_id ORDER BY r.created_ms DESC, r.id DESC"));
  std::vector<FriendRequest> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    FriendRequest r;
    r.id = u64(st->int64(0));
    r.from = User{u64(st->int64(1)), std::string(st->text(2))};
    r.to = User{u64(st->int64(3)), std::string(st->text(4))};
    r.note = std::string(st->text(5));
    r.state = static_cast<FriendRequestState>(st->int64(6));
    r.created_ms = st->int64(7);
    r.answered_ms = st->int64(8);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<Conversation>> ClientStore::conversations() {
  std::lock_guard lock(mu_);
  struct Row {
    Conversation conversation;
    std::int64_t last_row = 0;    // The stored message with the highest seq.
    std::int64_t unsent_row = 0;  // The newest unsent message to the peer.
    UnixMillis activity = 0;
  };
  std::vector<Row> rows;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st,
        db_.prepare_cached(
            "SELECT c.id, c.peer_id, coalesce(u.username, ''), c.last_seq, c.read_seq, "
            "c.peer_read_seq, "
            "(SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND m.seq IS NOT NULL "
            " ORDER BY m.seq DESC LIMIT 1), "
            "CASE WHEN c.kind = 2 THEN (SELECT max(m.id) FROM messages m WHERE "
            " m.conversation_id = c.id AND m.seq IS NULL) "
            "ELSE (SELECT max(m.id) FROM messages m WHERE m.peer_id = c.peer_id AND "
            " m.seq IS NULL) END, "
            "c.kind, g.id, g.name, g.owner_id, g.member_count, g.created_ms, g.dissolved, "
            "g.my_role, g.membership "
            "FROM conversations c LEFT JOIN users u ON u.id = c.peer_id "
            "LEFT JOIN groups g ON g.id = c.id "
            "WHERE c.peer_id != 0 OR (c.kind = 2 AND g.id IS NOT NULL)"));
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
      if (!row) break;
      Row r;
      Conversation& c = r.conversation;
      c.id = u64(st->int64(0));
      c.last_seq = u64(st->int64(3));
      c.read_seq = u64(st->int64(4));
      c.peer_read_seq = u64(st->int64(5));
      c.unread = c.last_seq > c.read_seq ? c.last_seq - c.read_seq : 0;
      r.last_row = st->int64(6);
      r.unsent_row = st->int64(7);
      if (st->int64(8) == static_cast<int>(ConversationKind::kGroup)) {
        c.kind = ConversationKind::kGroup;
        c.group = internal::read_group(*st, 9);
      } else {
        c.peer = User{u64(st->int64(1)), std::string(st->text(2))};
      }
      rows.push_back(std::move(r));
    }
  }
  for (Row& r : rows) {
    if (r.last_row != 0) {
      WECHAT_ASSIGN_OR_RETURN(Message m, internal::message_by_row(db_, r.last_row));
      r.activity = m.time_ms;
      r.conversation.last_message = std::move(m);
    }
    if (r.unsent_row != 0) {
      WECHAT_ASSIGN_OR_RETURN(Message m, internal::message_by_row(db_, r.unsent_row));
      if (!r.conversation.last_message || m.time_ms >= r.activity) {
        r.activity = m.time_ms;
        r.conversation.last_message = std::move(m);
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.activity != b.activity) return a.activity > b.activity;
    return a.conversation.id > b.conversation.id;
  });
  std::vector<Conversation> out;
  out.reserve(rows.size());
  for (Row& r : rows) out.push_back(std::move(r.conversation));
  return out;
}

Result<std::optional<ConversationId>> ClientStore::conversation_with(UserId peer) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(ConversationId id, internal::conversation_id_with(db_, peer));
  if (id == 0) return std::optional<ConversationId>();
  return std::optional<ConversationId>(id);
}

Result<std::vector<Message>> ClientStore::messages(ConversationId id, std::uint64_t before_seq,
                                                   std::uint32_t limit) {
  std::lock_guard lock(mu_);
  UserId peer = 0;
  bool group = false;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT peer_id, kind FROM conversations WHERE id = ?"));
    WECHAT_TRY(st->bind(1, id));
    WECHAT_ASSIGN_OR_RETURN(bool found, st->step());
    if (found) {
      peer = u64(st->int64(0));
      group = st->int64(1) == static_cast<int>(ConversationKind::kGroup);
    } else {
      // Not stored: maybe a group not synced yet with messages of ours queued to it.
      group = true;
    }
  }
  return page(db_, id, peer, group, before_seq, limit);
}

Result<std::vector<Message>> ClientStore::messages_with(UserId peer, std::uint64_t before_seq,
                                                        std::uint32_t limit) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(ConversationId id, internal::conversation_id_with(db_, peer));
  return page(db_, id, peer, false, before_seq, limit);
}

}  // namespace wechat::client
