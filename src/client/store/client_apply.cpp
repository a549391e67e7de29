// SPDX-License-Identifier: MIT
// ClientStore: applying the user's log (the client side of the delivery contract), and merging
// what ListConversations and History return.
#include <algorithm>
#include <string>
#include <utility>

#include "client/store/client_store.h"
#include "client/store/client_store_internal.h"
#include "store/transaction.h"

namespace wechat::client {

using internal::ConvState;
using internal::u64;
using internal::Writer;
using store::Transaction;

namespace {

// Collects ApplyResult::delivered: per conversation, the highest incoming seq, in order of
// first appearance (a page usually touches few conversations: a linear scan is enough).
void note_delivered(ApplyResult& out, ConversationId conversation, std::uint64_t seq) {
  for (auto& [id, up_to] : out.delivered) {
    if (id == conversation) {
      up_to = std::max(up_to, seq);
      return;
    }
  }
  out.delivered.emplace_back(conversation, seq);
}

Status apply_message(Writer& w, const v1::Message& m, ApplyResult& out) {
  const bool own = m.sender_id() == w.me();
  std::uint64_t unread_before = 0;
  if (own && m.conversation_id() != 0) {
    WECHAT_ASSIGN_OR_RETURN(ConvState * conv, w.conversation(m.conversation_id()));
    unread_before = conv->unread();
  }
  WECHAT_ASSIGN_OR_RETURN(Writer::Stored stored, w.store_message(m));
  switch (stored.kind) {
    case Writer::Stored::Kind::kInserted:
      out.events.emplace_back(MessageReceived{std::move(stored.message)});
      break;
    case Writer::Stored::Kind::kUpdated:
      if (stored.state_changed) {
        out.events.emplace_back(MessageStateChanged{std::move(stored.message)});
      }
      break;
    case Writer::Stored::Kind::kExisting:  // Shown already (cached from a history page).
      break;
  }
  if (own) {
    // Sending moved the read marker: tell the app if that cleared unread messages.
    WECHAT_ASSIGN_OR_RETURN(ConvState * conv, w.conversation(m.conversation_id()));
    if (conv->unread() != unread_before) {
      out.events.emplace_back(ConversationRead{conv->id, conv->read_seq, conv->unread()});
    }
  } else {
    note_delivered(out, m.conversation_id(), m.seq());
  }
  return Status();
}

Status apply_marker(Writer& w, const v1::ReadMarker& marker, bool read, ApplyResult& out) {
  if (marker.conversation_id() == 0 || marker.reader_id() == 0) {
    return Status(Error::kProtocol, "marker without a conversation or reader");
  }
  WECHAT_ASSIGN_OR_RETURN(ConvState * conv, w.conversation(marker.conversation_id()));
  if (marker.reader_id() == w.me()) {
    // This account on some device. A delivery marker of our own is not logged to us by the
    // server; should one come, it changes nothing here.
    if (read && w.advance_read(*conv, marker.up_to_seq())) {
      out.events.emplace_back(ConversationRead{conv->id, conv->read_seq, conv->unread()});
    }
    return Status();
  }
  if (conv->is_group()) {
    // The conversation's peer markers hold the furthest any other member got, so the states
    // of outgoing messages say "by at least one"; each member's marker is still news for
    // "read by N of M" (the server logs a member's marker only when it moved).
    if (read) {
      WECHAT_TRY(w.advance_peer_read(*conv, marker.up_to_seq()).status());
    } else {
      WECHAT_TRY(w.advance_peer_delivered(*conv, marker.up_to_seq()).status());
    }
    out.events.emplace_back(ReceiptUpdated{conv->id, marker.reader_id(), marker.up_to_seq(),
                                           read ? MessageState::kRead : MessageState::kDelivered});
    return Status();
  }
  if (conv->peer_id == 0) {
    conv->peer_id = marker.reader_id();
    conv->dirty = true;
  }
  bool moved = false;
  if (read) {
    WECHAT_ASSIGN_OR_RETURN(moved, w.advance_peer_read(*conv, marker.up_to_seq()));
  } else {
    WECHAT_ASSIGN_OR_RETURN(moved, w.advance_peer_delivered(*conv, marker.up_to_seq()));
  }
  if (moved) {
    out.events.emplace_back(ReceiptUpdated{conv->id, marker.reader_id(),
                                           read ? conv->peer_read_seq : conv->peer_delivered_seq,
                                           read ? MessageState::kRead : MessageState::kDelivered});
  }
  return Status();
}

Status check_request(const v1::FriendRequest& r) {
  if (r.request_id() == 0 || r.from().user_id() == 0 || r.to().user_id() == 0) {
    return Status(Error::kProtocol, "friend request without an id, sender or recipient");
  }
  return Status();
}

Status apply_entry(Writer& w, const v1::LogEntry& e, ApplyResult& out) {
  switch (e.kind_case()) {
    case v1::LogEntry::kMessage:
      return apply_message(w, e.message(), out);
    case v1::LogEntry::kReadMarker:
      return apply_marker(w, e.read_marker(), true, out);
    case v1::LogEntry::kDeliveredMarker:
      return apply_marker(w, e.delivered_marker(), false, out);
    case v1::LogEntry::kFriendRequest:
    case v1::LogEntry::kFriendAnswer: {
      const bool answer = e.kind_case() == v1::LogEntry::kFriendAnswer;
      const v1::FriendRequest& wire = answer ? e.friend_answer() : e.friend_request();
      WECHAT_TRY(check_request(wire));
      FriendRequest request = internal::request_from_wire(wire);
      WECHAT_TRY(internal::put_friend_request(w, request));
      const bool incoming = request.to.id == w.me();
      out.events.emplace_back(FriendRequestUpdated{request, incoming});
      if (answer && request.state == FriendRequestState::kAccepted) {
        Friend f;
        f.user = incoming ? request.from : request.to;
        f.since_ms = request.answered_ms != 0 ? request.answered_ms : e.created_at_ms();
        WECHAT_TRY(w.flush());  // So that a conversation created earlier in this call is seen.
        WECHAT_ASSIGN_OR_RETURN(f.conversation_id,
                                internal::conversation_id_with(w.db(), f.user.id));
        f.presence.user_id = f.user.id;
        WECHAT_TRY(internal::put_friend(w, f));
        out.events.emplace_back(FriendAdded{std::move(f)});
      }
      return Status();
    }
    case v1::LogEntry::kFriendRemoved: {
      const UserId other = e.friend_removed().user_id();
      if (other == 0) return Status(Error::kProtocol, "friend_removed without a user");
      WECHAT_ASSIGN_OR_RETURN(auto st,
                              w.db().prepare_cached("DELETE FROM friends WHERE user_id = ?"));
      WECHAT_TRY(st->run(other));
      out.events.emplace_back(FriendRemoved{other});
      return Status();
    }
    case v1::LogEntry::kGroupEvent:
      return internal::apply_group_event(w, e.group_event(), out.events);
    case v1::LogEntry::KIND_NOT_SET:
      // A kind added to the protocol after this build (proto3 keeps it as an unknown field).
      // Passing over it keeps the client in step; stopping would stall sync for good.
      return Status();
  }
  return Status();
}

Status with_context(const Status& s, std::uint64_t user_seq) {
  return Status(s.code(), "log entry " + std::to_string(user_seq) + ": " + s.message());
}

}  // namespace

Result<ApplyResult> ClientStore::apply(UserId me, const std::vector<v1::LogEntry>& entries) {
  std::lock_guard lock(mu_);
  ApplyResult out;
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  std::uint64_t applied = 0;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT applied_user_seq FROM sync_state WHERE id = 1"));
    WECHAT_ASSIGN_OR_RETURN(auto seq, st->query_int64());
    applied = seq ? u64(*seq) : 0;
  }
  const std::uint64_t start = applied;
  Writer writer(db_, me);
  for (const auto& entry : entries) {
    if (entry.user_seq() <= applied) continue;  // Seen already (a push that sync also brought).
    if (entry.user_seq() != applied + 1) {
      out.gap = true;
      break;
    }
    Status s = apply_entry(writer, entry, out);
    if (!s.ok()) return with_context(s, entry.user_seq());  // tx rolls everything back.
    applied = entry.user_seq();
  }
  out.applied_user_seq = applied;
  if (applied == start) return out;  // Nothing applied: nothing was written either.

  // The server moves a sender's read marker to their own message (replying implies having
  // read) without logging a marker: apply the same rule to each peer who wrote in this call.
  // Once per conversation, after the loop, so a long sync page costs one update, not one each.
  for (const auto& [conversation, seq] : out.delivered) {
    WECHAT_ASSIGN_OR_RETURN(ConvState * conv, writer.conversation(conversation));
    WECHAT_ASSIGN_OR_RETURN(bool moved, writer.advance_peer_read(*conv, seq));
    if (moved && db_.changes() > 0) {  // only if one of our messages became read
      UserId reader = conv->peer_id;
      if (conv->is_group()) {
        // In a group the reader is whoever wrote the newest message.
        WECHAT_ASSIGN_OR_RETURN(
            auto st, db_.prepare_cached(
                         "SELECT sender_id FROM messages WHERE conversation_id = ? AND seq = ?"));
        WECHAT_ASSIGN_OR_RETURN(auto sender, st->query_int64(conversation, seq));
        reader = sender ? u64(*sender) : 0;
      }
      out.events.emplace_back(
          ReceiptUpdated{conv->id, reader, conv->peer_read_seq, MessageState::kRead});
    }
  }

  WECHAT_TRY(writer.flush());
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("UPDATE sync_state SET applied_user_seq = ? WHERE id = 1"));
    WECHAT_TRY(st->run(applied));
  }
  WECHAT_TRY(tx.commit());
  return out;
}

Status ClientStore::merge_conversations(UserId me,
                                        const std::vector<v1::ConversationSummary>& list) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  Writer writer(db_, me);
  for (const auto& summary : list) {
    if (summary.conversation_id() == 0) {
      return Status(Error::kProtocol, "conversation summary without an id");
    }
    WECHAT_ASSIGN_OR_RETURN(ConvState * conv, writer.conversation(summary.conversation_id()));
    if (summary.kind() == v1::CONVERSATION_KIND_GROUP) {
      if (summary.has_group()) {
        if (summary.group().group_id() != summary.conversation_id()) {
          return Status(Error::kProtocol, "group summary of another conversation");
        }
        WECHAT_TRY(internal::put_group_info(writer, summary.group()).status());
      } else if (!conv->is_group()) {
        conv->kind = ConversationKind::kGroup;
        conv->peer_id = 0;
        conv->dirty = true;
      }
    } else if (summary.has_peer() && summary.peer().user_id() != 0) {
      writer.note_user(summary.peer().user_id(), summary.peer().username());
      if (conv->peer_id != summary.peer().user_id()) {
        conv->peer_id = summary.peer().user_id();
        conv->dirty = true;
      }
    }
    if (summary.has_last_message() && summary.last_message().seq() != 0) {
      WECHAT_TRY(writer.store_message(summary.last_message()).status());
    }
    if (summary.last_seq() > conv->last_seq) {
      conv->last_seq = summary.last_seq();
      conv->dirty = true;
    }
    writer.advance_read(*conv, summary.read_seq());
    WECHAT_TRY(writer.advance_peer_read(*conv, summary.peer_read_seq()).status());
    WECHAT_TRY(writer.advance_peer_delivered(*conv, summary.peer_delivered_seq()).status());
  }
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

Status ClientStore::store_history(UserId me, const std::vector<v1::Message>& page) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  Writer writer(db_, me);
  for (const auto& m : page) WECHAT_TRY(writer.store_message(m).status());
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

}  // namespace wechat::client
