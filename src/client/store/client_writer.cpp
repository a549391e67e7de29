// SPDX-License-Identifier: MIT
// Writer: the working set of one write transaction, and the rules that store server messages
// and move markers. Shared by apply, store_history, merge_conversations and mark_sent, so a
// message reaching the store by any of those paths ends up the same.
#include <algorithm>
#include <string>

#include "client/store/client_store_internal.h"
#include "common/random.h"

namespace wechat::client::internal {

namespace {

int state_code(MessageState s) { return static_cast<int>(s); }

// Rank of an outgoing state on its way: queued and failed are before sent.
int progress(MessageState s) {
  switch (s) {
    case MessageState::kSent:
      return 1;
    case MessageState::kDelivered:
      return 2;
    case MessageState::kRead:
      return 3;
    default:
      return 0;
  }
}

Status protocol_error(const char* what) { return Status(Error::kProtocol, what); }

}  // namespace

Message read_message(const store::Statement& st) {
  Message m;
  m.client_msg_id = wechat::detail::to_hex(st.blob(0));
  m.message_id = u64(st.int64(1));
  m.conversation_id = u64(st.int64(2));
  m.seq = u64(st.int64(3));  // NULL (unsent) reads as 0.
  m.sender_id = u64(st.int64(4));
  m.sender_username = std::string(st.text(5));
  m.peer_id = u64(st.int64(6));
  m.text = std::string(st.text(7));
  m.time_ms = st.int64(8);
  m.outgoing = st.int64(9) != 0;
  m.state = static_cast<MessageState>(st.int64(10));
  if (m.state == MessageState::kFailed) {
    m.failure = Status(static_cast<Error>(st.int64(11)), std::string(st.text(12)));
  }
  m.kind = st.int64(13) == static_cast<int>(ConversationKind::kGroup) ? ConversationKind::kGroup
                                                                       : ConversationKind::kDirect;
  return m;
}

Status read_messages(store::Statement& st, std::vector<Message>& out) {
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Status();
    out.push_back(read_message(st));
  }
}

Result<Message> message_by_row(store::Database& db, std::int64_t row) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db.prepare_cached(std::string(kMessageSelect) + "WHERE m.id = ?"));
  WECHAT_TRY(st->bind(1, row));
  WECHAT_ASSIGN_OR_RETURN(bool found, st->step());
  if (!found) return Status(Error::kInternal, "message row vanished");
  return read_message(*st);
}

Result<std::int64_t> insert_message(store::Database& db, const NewMessage& m) {
  {
    // ON CONFLICT DO NOTHING: (conversation_id, seq) stored already, e.g. by a history page.
    WECHAT_ASSIGN_OR_RETURN(
        auto st,
        db.prepare_cached("INSERT INTO messages (client_msg_id, message_id, conversation_id, "
                          "seq, sender_id, peer_id, outgoing, state, time_ms, text, kind) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
    const std::optional<std::uint64_t> seq =
        m.seq != 0 ? std::optional<std::uint64_t>(m.seq) : std::nullopt;
    WECHAT_TRY(st->run(store::Blob{m.client_msg_id}, m.message_id, m.conversation_id, seq,
                       m.sender_id, m.peer_id, m.outgoing, state_code(m.state), m.time_ms, m.text,
                       static_cast<int>(m.kind)));
  }
  if (db.changes() == 0) return std::int64_t{0};
  // Not indexed for search here: index_for_search() does it later, in bulk (it was two thirds
  // of the time of storing a synced page).
  return db.last_insert_rowid();
}

MessageState receipt_state(std::uint64_t seq, const ConvState& conv) {
  if (seq <= conv.peer_read_seq) return MessageState::kRead;
  if (seq <= conv.peer_delivered_seq) return MessageState::kDelivered;
  return MessageState::kSent;
}

Result<ConvState*> Writer::conversation(ConversationId id) {
  auto it = conversations_.find(id);
  if (it != conversations_.end()) return &it->second;
  ConvState c;
  c.id = id;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT peer_id, last_seq, read_seq, peer_read_seq, "
                                    "peer_delivered_seq, kind FROM conversations WHERE id = ?"));
    WECHAT_TRY(st->bind(1, id));
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (row) {
      c.peer_id = u64(st->int64(0));
      c.last_seq = u64(st->int64(1));
      c.read_seq = u64(st->int64(2));
      c.peer_read_seq = u64(st->int64(3));
      c.peer_delivered_seq = u64(st->int64(4));
      if (st->int64(5) == static_cast<int>(ConversationKind::kGroup)) {
        c.kind = ConversationKind::kGroup;
      }
    }
    // A new row stays unwritten unless something sets a value (dirty).
  }
  return &conversations_.emplace(id, c).first->second;
}

void Writer::note_user(UserId id, const std::string& username) {
  if (id == 0 || username.empty()) return;
  users_[id] = username;
}

Result<Writer::Stored> Writer::store_message(const v1::Message& m) {
  if (m.conversation_id() == 0) return protocol_error("message without a conversation");
  if (m.seq() == 0) return protocol_error("message without a seq");
  if (m.sender_id() == 0) return protocol_error("message without a sender");
  if (m.client_msg_id().size() != 16) return protocol_error("client_msg_id is not 16 bytes");
  const bool group = m.kind() == v1::CONVERSATION_KIND_GROUP;
  const bool outgoing = m.sender_id() == me_;
  // A group message has no peer: its conversation is the group.
  const UserId peer = group ? 0 : outgoing ? m.recipient_id() : m.sender_id();
  if (!group && peer == 0) return protocol_error("message without a recipient");

  note_user(m.sender_id(), m.sender_username());
  WECHAT_ASSIGN_OR_RETURN(ConvState * conv, conversation(m.conversation_id()));
  if (group && !conv->is_group()) {
    conv->kind = ConversationKind::kGroup;
    conv->peer_id = 0;
    conv->dirty = true;
  } else if (!group && conv->peer_id == 0) {
    conv->peer_id = peer;
    conv->dirty = true;
  }
  if (m.seq() > conv->last_seq) {
    conv->last_seq = m.seq();
    conv->dirty = true;
  }
  if (outgoing) advance_read(*conv, m.seq());  // Sending implies having read.

  Stored out;
  Message& msg = out.message;
  msg.client_msg_id = wechat::detail::to_hex(m.client_msg_id());
  msg.message_id = m.message_id();
  msg.conversation_id = m.conversation_id();
  msg.seq = m.seq();
  msg.sender_id = m.sender_id();
  msg.sender_username = m.sender_username();
  msg.peer_id = peer;
  msg.text = m.text();
  msg.time_ms = m.server_time_ms();
  msg.outgoing = outgoing;
  msg.state = outgoing ? receipt_state(m.seq(), *conv) : MessageState::kReceived;
  msg.kind = group ? ConversationKind::kGroup : ConversationKind::kDirect;

  const store::Blob cid{m.client_msg_id()};
  if (outgoing) {
    WECHAT_ASSIGN_OR_RETURN(
        auto find, db_.prepare_cached("SELECT id, state, message_id, conversation_id, seq, "
                                      "time_ms FROM messages WHERE client_msg_id = ? AND "
                                      "outgoing = 1"));
    WECHAT_TRY(find->bind(1, cid));
    WECHAT_ASSIGN_OR_RETURN(bool found, find->step());
    if (found) {
      const std::int64_t row = find->int64(0);
      const auto old_state = static_cast<MessageState>(find->int64(1));
      const bool same_values = u64(find->int64(2)) == m.message_id() &&
                               u64(find->int64(3)) == m.conversation_id() && !find->is_null(4) &&
                               u64(find->int64(4)) == m.seq() &&
                               find->int64(5) == m.server_time_ms();
      find->reset();
      // Queued or failed: the server's copy decides. Otherwise only move forward.
      if (progress(old_state) > progress(msg.state)) msg.state = old_state;
      out.kind = Stored::Kind::kUpdated;
      out.state_changed = msg.state != old_state;
      if (out.state_changed || !same_values) {
        WECHAT_ASSIGN_OR_RETURN(
            auto update,
            db_.prepare_cached("UPDATE messages SET message_id = ?, conversation_id = ?, seq = ?, "
                               "time_ms = ?, state = ?, failure_code = 0, failure_message = '' "
                               "WHERE id = ?"));
        WECHAT_TRY(update->run(m.message_id(), m.conversation_id(), m.seq(), m.server_time_ms(),
                               state_code(msg.state), row));
      }
      WECHAT_ASSIGN_OR_RETURN(auto unqueue,
                              db_.prepare_cached("DELETE FROM outbox WHERE message_row = ?"));
      WECHAT_TRY(unqueue->run(row));
      return out;
    }
  }

  NewMessage row;
  row.client_msg_id = m.client_msg_id();
  row.message_id = m.message_id();
  row.conversation_id = m.conversation_id();
  row.seq = m.seq();
  row.sender_id = m.sender_id();
  row.peer_id = peer;
  row.kind = msg.kind;
  row.outgoing = outgoing;
  row.state = msg.state;
  row.time_ms = m.server_time_ms();
  row.text = m.text();
  WECHAT_ASSIGN_OR_RETURN(std::int64_t inserted, insert_message(db_, row));
  out.kind = inserted != 0 ? Stored::Kind::kInserted : Stored::Kind::kExisting;
  return out;
}

bool Writer::advance_read(ConvState& conv, std::uint64_t up_to) {
  if (up_to <= conv.read_seq) return false;
  conv.read_seq = up_to;
  conv.dirty = true;
  return true;
}

// Both receipt updates touch only seqs in (old marker, new marker]: every outgoing message is
// stored with the state its conversation's markers give it (receipt_state), so those below the
// old marker are up to date already, and each marker costs the messages it newly covers.
Result<bool> Writer::advance_peer_read(ConvState& conv, std::uint64_t up_to) {
  if (up_to <= conv.peer_read_seq) return false;
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("UPDATE messages SET state = ? WHERE conversation_id = ? AND "
                                  "seq > ? AND seq <= ? AND outgoing = 1 AND state IN (?, ?)"));
  WECHAT_TRY(st->run(state_code(MessageState::kRead), conv.id, conv.peer_read_seq, up_to,
                     state_code(MessageState::kSent), state_code(MessageState::kDelivered)));
  conv.peer_read_seq = up_to;
  conv.dirty = true;
  return true;
}

Result<bool> Writer::advance_peer_delivered(ConvState& conv, std::uint64_t up_to) {
  if (up_to <= conv.peer_delivered_seq) return false;
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("UPDATE messages SET state = ? WHERE conversation_id = ? AND "
                                  "seq > ? AND seq <= ? AND outgoing = 1 AND state = ?"));
  WECHAT_TRY(st->run(state_code(MessageState::kDelivered), conv.id, conv.peer_delivered_seq, up_to,
                     state_code(MessageState::kSent)));
  conv.peer_delivered_seq = up_to;
  conv.dirty = true;
  return true;
}

Status Writer::flush() {
  if (!users_.empty()) {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO users (id, username) VALUES (?, ?) "
                                    "ON CONFLICT (id) DO UPDATE SET username = excluded.username "
                                    "WHERE username != excluded.username"));
    for (const auto& [id, name] : users_) WECHAT_TRY(st->run(id, name));
    users_.clear();
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO conversations (id, peer_id, last_seq, read_seq, "
                                  "peer_read_seq, peer_delivered_seq, kind) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?) "
                                  "ON CONFLICT (id) DO UPDATE SET peer_id = excluded.peer_id, "
                                  "last_seq = excluded.last_seq, read_seq = excluded.read_seq, "
                                  "peer_read_seq = excluded.peer_read_seq, "
                                  "peer_delivered_seq = excluded.peer_delivered_seq, "
                                  "kind = excluded.kind"));
  for (auto& [id, c] : conversations_) {
    if (!c.dirty) continue;
    WECHAT_TRY(st->run(c.id, c.peer_id, c.last_seq, c.read_seq, c.peer_read_seq,
                       c.peer_delivered_seq, static_cast<int>(c.kind)));
    c.dirty = false;
  }
  return Status();
}

FriendRequest request_from_wire(const v1::FriendRequest& r) {
  FriendRequest out;
  out.id = r.request_id();
  out.from = User{r.from().user_id(), r.from().username()};
  out.to = User{r.to().user_id(), r.to().username()};
  out.note = r.note();
  switch (r.state()) {
    case v1::FRIEND_REQUEST_STATE_ACCEPTED:
      out.state = FriendRequestState::kAccepted;
      break;
    case v1::FRIEND_REQUEST_STATE_REJECTED:
      out.state = FriendRequestState::kRejected;
      break;
    default:
      out.state = FriendRequestState::kPending;
      break;
  }
  out.created_ms = r.created_at_ms();
  out.answered_ms = r.answered_at_ms();
  return out;
}

Status put_friend_request(Writer& writer, const FriendRequest& r) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, writer.db().prepare_cached(
                   "INSERT OR REPLACE INTO friend_requests (id, from_id, to_id, note, state, "
                   "created_ms, answered_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  WECHAT_TRY(st->run(r.id, r.from.id, r.to.id, r.note, static_cast<int>(r.state), r.created_ms,
                     r.answered_ms));
  writer.note_user(r.from.id, r.from.username);
  writer.note_user(r.to.id, r.to.username);
  return Status();
}

Status put_friend(Writer& writer, const Friend& f) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, writer.db().prepare_cached(
                   "INSERT OR REPLACE INTO friends (user_id, since_ms, conversation_id, online, "
                   "last_seen_ms) VALUES (?, ?, ?, ?, ?)"));
  WECHAT_TRY(st->run(f.user.id, f.since_ms, f.conversation_id, f.presence.online,
                     f.presence.last_seen_ms));
  writer.note_user(f.user.id, f.user.username);
  return Status();
}

Result<ConversationId> conversation_id_with(store::Database& db, UserId peer) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db.prepare_cached("SELECT id FROM conversations WHERE peer_id = ? ORDER BY id LIMIT 1"));
  WECHAT_ASSIGN_OR_RETURN(auto id, st->query_int64(peer));
  return id ? u64(*id) : ConversationId{0};
}

}  // namespace wechat::client::internal
