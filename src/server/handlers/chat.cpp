// SPDX-License-Identifier: MIT
// Messages (the delivery contract), sync, history, read markers, typing, conversation list.
#include <algorithm>

#include "server/handlers/handlers.h"
#include "server/validation.h"
#include "transport/frame_codec.h"

namespace wechat::server {

namespace {

constexpr std::size_t kClientMsgIdBytes = 16;

/// Room for the rest of a response frame around its repeated entries.
constexpr std::size_t kFrameOverhead = 4096;

/// Bytes a page may use: pages are cut short (has_more) rather than exceed the frame limit the
/// server advertises, whatever the texts' sizes.
std::size_t page_budget(const ServerContext& c) {
  return c.options.max_frame_bytes > 2 * kFrameOverhead ? c.options.max_frame_bytes - kFrameOverhead
                                                        : kFrameOverhead;
}

}  // namespace

Status append_and_push(ServerStore& store, Effects& effects, std::uint64_t user,
                       const v1::LogEntry& entry) {
  WECHAT_ASSIGN_OR_RETURN(v1::LogEntry stored, store.append_log(user, entry));
  v1::Event event;
  *event.mutable_log() = std::move(stored);
  effects.push(user, std::move(event));
  return {};
}

v1::SendMessageOk ack_of(const v1::Message& m, bool duplicate) {
  v1::SendMessageOk ack;
  ack.set_message_id(m.message_id());
  ack.set_conversation_id(m.conversation_id());
  ack.set_seq(m.seq());
  ack.set_server_time_ms(m.server_time_ms());
  ack.set_duplicate(duplicate);
  return ack;
}

v1::Message outgoing_message(const Session::Identity& sender, std::uint64_t conversation_id,
                             v1::ConversationKind kind, const std::string& client_msg_id,
                             const std::string& text, UnixMillis now) {
  v1::Message message;
  message.set_conversation_id(conversation_id);
  message.set_sender_id(sender.user_id);
  message.set_client_msg_id(client_msg_id);
  message.set_server_time_ms(now);
  message.set_text(text);
  message.set_kind(kind);
  message.set_sender_username(sender.username);
  return message;
}

asio::awaitable<Reply> handle_send_message(ServerContext& c, Session& s,
                                           const v1::SendMessage& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.client_msg_id().size() != kClientMsgIdBytes) {
    co_return Status(Error::kInvalidArgument, "client_msg_id must be 16 bytes");
  }
  WECHAT_CO_TRY(validate_text(req.text(), c.options.max_text_bytes));
  // Group messages have a path of their own (groups.cpp); this one stays the direct path.
  if (req.group_id() != 0) co_return co_await handle_send_group_message(c, s, req);
  if (req.to_user_id() == 0 || req.to_user_id() == me.user_id) {
    co_return Status(Error::kInvalidArgument, "a message needs a recipient other than yourself");
  }

  const bool allow_strangers = c.options.allow_strangers;
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work1 = [=, me = me, to = req.to_user_id(), cid = req.client_msg_id(), text = req.text(),
     now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<v1::SendMessageOk> {
      // Exactly once: a resent client_msg_id gets the original answer and changes nothing.
      WECHAT_ASSIGN_OR_RETURN(auto earlier, store.message_by_client_id(me.user_id, cid));
      if (earlier) return ack_of(*earlier, true);

      WECHAT_ASSIGN_OR_RETURN(const auto route, store.direct_route(me.user_id, to));
      if (!route.recipient_exists) return Status(Error::kNotFound, "no such user");
      if (!allow_strangers && !route.friends) {
        return Status(Error::kNotFriends, "you can only message friends");
      }
      std::optional<std::uint64_t> conversation = route.conversation_id;
      if (!conversation) {
        WECHAT_ASSIGN_OR_RETURN(conversation, store.direct_conversation(me.user_id, to, true, now));
      }
      v1::Message message =
          outgoing_message(me, *conversation, v1::CONVERSATION_KIND_DIRECT, cid, text, now);
      message.set_recipient_id(to);
      WECHAT_ASSIGN_OR_RETURN(message, store.append_message(std::move(message)));

      v1::LogEntry entry;
      entry.set_created_at_ms(now);
      *entry.mutable_message() = message;
      // The sender's own devices get it too: that is how a second device sees what the
      // first one sent, and how the sending device's log position stays gap-free.
      WECHAT_TRY(append_and_push(store, effects, to, entry));
      WECHAT_TRY(append_and_push(store, effects, me.user_id, entry));
      return ack_of(message, false);
    };
  // Both log heads this send bumps, locked up front in id order (Job::lock_users). Named, not
  // a braced list inside co_await (GCC 12 rejects that).
  std::vector<std::uint64_t> users{me.user_id, req.to_user_id()};
  auto ack = co_await c.store.run<v1::SendMessageOk>(std::move(work1), std::move(users));
  if (!ack.ok()) co_return ack.status();
  v1::Response response;
  *response.mutable_send_message() = std::move(*ack);
  co_return response;
}

asio::awaitable<Reply> handle_sync(ServerContext& c, Session& s, const v1::Sync& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  const std::uint32_t limit = req.limit() == 0 ? 200 : std::min<std::uint32_t>(req.limit(), 1000);
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work2 = [me = me.user_id, after = req.after_user_seq(), limit](ServerStore& store, Effects&) {
      return store.sync(me, after, limit);
    };
  auto page = co_await c.store.run<SyncPage>(std::move(work2));
  if (!page.ok()) co_return page.status();
  v1::Response response;
  auto* ok = response.mutable_sync();
  std::size_t bytes = 0;
  bool cut = false;
  for (auto& e : page->entries) {
    bytes += e.ByteSizeLong() + 8;
    if (bytes > page_budget(c) && ok->entries_size() > 0) {
      cut = true;
      break;
    }
    *ok->add_entries() = std::move(e);
  }
  ok->set_has_more(page->has_more || cut);
  ok->set_head_user_seq(page->head_user_seq);
  if (req.include_presence()) {
    auto presence = co_await friends_presence(c, me.user_id);
    if (!presence.ok()) co_return presence.status();
    for (auto& p : *presence) *ok->add_presence() = std::move(p);
  }
  co_return response;
}

asio::awaitable<Reply> handle_history(ServerContext& c, Session& s, const v1::History& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  const std::uint32_t limit = req.limit() == 0 ? 50 : std::min<std::uint32_t>(req.limit(), 200);
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work3 = [me = me.user_id, conv = req.conversation_id(), before = req.before_seq(), limit,
     budget = page_budget(c)](ServerStore& store, Effects&) -> Result<v1::HistoryOk> {
      WECHAT_ASSIGN_OR_RETURN(auto membership, require_member(store, conv, me));
      // One more than asked tells whether an older page exists. A group member reads only
      // what was sent after they (last) joined.
      WECHAT_ASSIGN_OR_RETURN(auto messages,
                              store.history(conv, before, limit + 1, membership.joined_seq));
      v1::HistoryOk out;
      out.set_has_more(messages.size() > limit);
      if (messages.size() > limit) messages.resize(limit);
      std::size_t bytes = 0;
      for (auto& m : messages) {
        bytes += m.ByteSizeLong() + 8;
        if (bytes > budget && out.messages_size() > 0) {
          out.set_has_more(true);
          break;
        }
        *out.add_messages() = std::move(m);
      }
      return out;
    };
  auto page = co_await c.store.run<v1::HistoryOk>(std::move(work3));
  if (!page.ok()) co_return page.status();
  v1::Response response;
  *response.mutable_history() = std::move(*page);
  co_return response;
}

namespace {

/// Read and delivery markers: move the marker forward and log it for whoever must know.
asio::awaitable<Reply> advance_marker(ServerContext& c, Session& s, std::uint64_t conversation,
                                      std::uint64_t seq, bool read) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work4 = [me = me.user_id, conversation, seq, read, now = c.clock.now_ms()](
        ServerStore& store, Effects& effects) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(auto membership, require_member(store, conversation, me));
      WECHAT_ASSIGN_OR_RETURN(auto advanced,
                              read ? store.advance_read_marker(conversation, me, seq)
                                   : store.advance_delivered_marker(conversation, me, seq));
      if (!advanced) return false;  // older or equal marker: accepted, nothing to tell
      v1::LogEntry entry;
      entry.set_created_at_ms(now);
      auto* marker = read ? entry.mutable_read_marker() : entry.mutable_delivered_marker();
      marker->set_conversation_id(conversation);
      marker->set_reader_id(me);
      marker->set_up_to_seq(*advanced);
      // Groups: only the reader's own devices hear of it (their unread counts converge);
      // the other members pull receipts with GetReadReceipts instead of every member's log
      // growing by one entry per reader.
      if (membership.kind == v1::CONVERSATION_KIND_GROUP) {
        WECHAT_TRY(append_and_push(store, effects, me, entry));
        return true;
      }
      // A read marker also updates unread counts on the reader's other devices; a delivery
      // marker matters only to the senders.
      if (read) WECHAT_TRY(append_and_push(store, effects, me, entry));
      for (auto other : membership.other_members) {
        WECHAT_TRY(append_and_push(store, effects, other, entry));
      }
      return true;
    };
  auto marked = co_await c.store.run<bool>(std::move(work4));
  if (!marked.ok()) co_return marked.status();
  co_return v1::Response();
}

}  // namespace

asio::awaitable<Reply> handle_mark_read(ServerContext& c, Session& s, const v1::MarkRead& req) {
  auto reply = co_await advance_marker(c, s, req.conversation_id(), req.up_to_seq(), true);
  if (reply.ok()) reply->mutable_mark_read();
  co_return reply;
}

asio::awaitable<Reply> handle_mark_delivered(ServerContext& c, Session& s,
                                             const v1::MarkDelivered& req) {
  auto reply = co_await advance_marker(c, s, req.conversation_id(), req.up_to_seq(), false);
  if (reply.ok()) reply->mutable_mark_delivered();
  co_return reply;
}

asio::awaitable<Reply> handle_set_typing(ServerContext& c, Session& s, const v1::SetTyping& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work5 = [me = me.user_id, conv = req.conversation_id(), typing = req.typing()](
        ServerStore& store, Effects& effects) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(auto membership,
                              require_member(store, conv, me, /*with_group_members=*/true));
      if (membership.kind == v1::CONVERSATION_KIND_GROUP) {
        WECHAT_ASSIGN_OR_RETURN(auto group, store.group(conv));
        if (group && group->dissolved()) {
          return Status(Error::kGroupDissolved, "this group was dissolved");
        }
      }
      v1::Frame frame;
      auto* t = frame.mutable_event()->mutable_typing();
      t->set_conversation_id(conv);
      t->set_user_id(me);
      t->set_typing(typing);
      // Framed once, whatever the number of members.
      auto encoded = std::make_shared<const std::string>(transport::encode_frame(frame));
      for (auto other : membership.other_members) effects.push_encoded(other, encoded);
      return true;
    };
  auto sent = co_await c.store.run<bool>(std::move(work5));
  if (!sent.ok()) co_return sent.status();
  v1::Response response;
  response.mutable_set_typing();
  co_return response;
}

asio::awaitable<Reply> handle_get_read_receipts(ServerContext& c, Session& s,
                                                const v1::GetReadReceipts& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.conversation_id() == 0 || req.seq() == 0) {
    co_return Status(Error::kInvalidArgument, "a receipt needs a conversation and a seq");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work7 = [me = me.user_id, conv = req.conversation_id(), seq = req.seq()](
                   ServerStore& store, Effects&) -> Result<v1::GetReadReceiptsOk> {
    WECHAT_ASSIGN_OR_RETURN(auto membership, require_member(store, conv, me));
    // A message from before the caller joined is as invisible here as in History.
    if (seq <= membership.joined_seq) return Status(Error::kNotFound, "no such message");
    WECHAT_ASSIGN_OR_RETURN(auto message, store.message_at(conv, seq));
    if (!message) return Status(Error::kNotFound, "no such message");
    WECHAT_ASSIGN_OR_RETURN(auto members, store.members(conv));
    v1::GetReadReceiptsOk out;
    std::uint32_t count = 0;
    for (auto& m : members) {
      // Who could have read it: current members other than its sender who had joined by then.
      if (m.user().user_id() == message->sender_id() || m.joined_seq() >= seq) continue;
      ++count;
      if (m.read_seq() >= seq) {
        *out.add_read_by() = std::move(*m.mutable_user());
      } else if (m.delivered_seq() >= seq) {
        *out.add_delivered_to() = std::move(*m.mutable_user());
      }
    }
    out.set_member_count(count);
    return out;
  };
  auto receipts = co_await c.store.run<v1::GetReadReceiptsOk>(std::move(work7));
  if (!receipts.ok()) co_return receipts.status();
  v1::Response response;
  *response.mutable_get_read_receipts() = std::move(*receipts);
  co_return response;
}

asio::awaitable<Reply> handle_list_conversations(ServerContext& c, Session& s,
                                                 const v1::ListConversations&) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work6 = [me = me.user_id](ServerStore& store, Effects&) { return store.conversations(me); };
  auto list = co_await c.store.run<std::vector<v1::ConversationSummary>>(std::move(work6));
  if (!list.ok()) co_return list.status();
  v1::Response response;
  auto* ok = response.mutable_list_conversations();
  for (auto& conv : *list) *ok->add_conversations() = std::move(conv);
  co_return response;
}

}  // namespace wechat::server
