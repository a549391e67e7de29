// SPDX-License-Identifier: MIT
// Client::Impl: catching up (sync), applying pushes, delivery markers, and the outbox.
#include <algorithm>
#include <utility>

#include "client/client_impl.h"
#include "client/convert.h"
#include "common/random.h"

namespace wechat {

namespace {

constexpr std::uint32_t kSyncPage = 500;

/// How soon refused or unanswered sends go again when the server did not say (retry_after_ms).
constexpr std::chrono::milliseconds kOutboxRetry{1000};

/// Errors after which resending the same message can never succeed.
bool is_permanent(Error code) {
  switch (code) {
    case Error::kInvalidArgument:
    case Error::kNotFound:
    case Error::kNotFriends:
    case Error::kMessageTooLarge:
    case Error::kPermissionDenied:
    case Error::kNotGroupMember:  // left, removed, or no such group: resending cannot help
    case Error::kGroupDissolved:
      return true;
    default:
      return false;
  }
}

}  // namespace

void Client::Impl::start_sync() {
  if (syncing_ || !authenticated_) return;
  syncing_ = true;
  if (state_ == ConnectionState::kOnline) set_state(ConnectionState::kSyncing);
  sync_page(true);
}

void Client::Impl::sync_page(bool first) {
  auto s = store();
  if (!s.ok()) {
    syncing_ = false;
    return;
  }
  auto applied = (*s)->applied_user_seq();
  if (!applied.ok()) {
    log_.error("local store: {}", applied.status().to_string());
    syncing_ = false;
    return;
  }
  v1::Request r;
  r.mutable_sync()->set_after_user_seq(*applied);
  r.mutable_sync()->set_limit(kSyncPage);
  r.mutable_sync()->set_include_presence(first);
  const std::uint64_t generation = generation_;
  send_now(std::move(r), [this, generation](Result<v1::Response> response) {
    if (generation != generation_) return;  // that connection is gone; the next one syncs
    if (!response.ok() || !client::status_of(*response).ok()) {
      syncing_ = false;
      const Status why = response.ok() ? client::status_of(*response) : response.status();
      log_.warn("sync failed: {}", why.to_string());
      drop_connection(why);
      return;
    }
    const auto& ok = response->sync();
    for (const auto& p : ok.presence()) emit(PresenceChanged{client::to_presence(p)});
    head_user_seq_ = std::max(head_user_seq_, ok.head_user_seq());
    apply_entries({ok.entries().begin(), ok.entries().end()});
    auto st = store();
    if (!st.ok()) {
      syncing_ = false;
      return;
    }
    auto now_applied = (*st)->applied_user_seq();
    const std::uint64_t position = now_applied.ok() ? *now_applied : 0;
    emit(SyncProgress{position, head_user_seq_});
    if (ok.has_more() && ok.entries_size() > 0) return sync_page(false);
    syncing_ = false;
    set_state(ConnectionState::kOnline);
    flush_outbox();
    index_for_search_soon();
    // Pushes raced ahead of the snapshot, or the server said pushes were lost meanwhile.
    if (position < head_user_seq_ || std::exchange(sync_again_, false)) start_sync();
  });
}

void Client::Impl::apply_entries(const std::vector<v1::LogEntry>& entries) {
  if (entries.empty()) return;
  auto s = store();
  auto me = current_user();
  if (!s.ok() || !me) return;
  auto result = (*s)->apply(me->id, entries);
  if (!result.ok()) {
    // The transaction rolled back: the position did not move, so a later sync retries.
    log_.error("could not store synced events: {}", result.status().to_string());
    return;
  }
  for (auto& e : result->events) emit(std::move(e));
  // Tell the senders their messages are stored here (delivery receipts).
  for (const auto& [conversation, seq] : result->delivered) {
    v1::Request r;
    r.mutable_mark_delivered()->set_conversation_id(conversation);
    r.mutable_mark_delivered()->set_up_to_seq(seq);
    if (authenticated_) send_now(std::move(r), [](Result<v1::Response>) {});
  }
  if (result->gap) start_sync();
  // While syncing, the index waits for the sync to end (a chunk per page would only slow it).
  if (!syncing_ && !result->events.empty()) index_for_search_soon();
}

void Client::Impl::index_for_search_soon() {
  if (indexing_) return;
  indexing_ = true;
  post([this] {
    indexing_ = false;
    auto s = store();
    if (!s.ok()) return;
    constexpr std::size_t kChunk = 2000;
    auto indexed = (*s)->index_for_search(kChunk);
    if (!indexed.ok()) {
      // search() retries it (it completes the index first) and so does the next sync.
      log_.warn("could not index messages for search: {}", indexed.status().to_string());
      return;
    }
    if (*indexed == kChunk) index_for_search_soon();
  });
}

void Client::Impl::on_event(v1::Event&& event) {
  switch (event.kind_case()) {
    case v1::Event::kLog: {
      if (!authenticated_) return;
      head_user_seq_ = std::max(head_user_seq_, event.log().user_seq());
      // While syncing, contiguous pushes are applied too; others are covered by the sync.
      apply_entries({std::move(*event.mutable_log())});
      break;
    }
    case v1::Event::kPresence:
      emit(PresenceChanged{client::to_presence(event.presence())});
      break;
    case v1::Event::kTyping:
      emit(TypingChanged{event.typing().conversation_id(), event.typing().user_id(),
                         event.typing().typing()});
      break;
    case v1::Event::kSessionEnded: {
      const auto& ended = event.session_ended();
      Status reason(static_cast<Error>(ended.reason()), ended.message());
      if (ended.reason() == v1::SESSION_EXPIRED) {
        end_session(reason);
      }
      // Otherwise (server shutting down) the connection closes and we reconnect.
      break;
    }
    case v1::Event::kSyncNeeded:
      // A sync already running may have read its pages before the lost entries committed.
      if (syncing_) sync_again_ = true;
      start_sync();
      break;
    case v1::Event::KIND_NOT_SET:
      break;
  }
}

void Client::Impl::send_text(UserId to, const std::string& text, Callback<Message> done) {
  enqueue(to, 0, text, std::move(done));
}

void Client::Impl::send_group_text(ConversationId group, const std::string& text,
                                   Callback<Message> done) {
  enqueue(0, group, text, std::move(done));
}

void Client::Impl::enqueue(UserId to, ConversationId group, const std::string& text,
                           Callback<Message> done) {
  auto s = store();
  auto me = current_user();
  if (!s.ok() || !me) {
    return complete(done, Result<Message>(Error::kUnauthenticated, "log in first"));
  }
  // Durable before anything touches the network: from here the message is never lost.
  const UnixMillis now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto queued = group != 0 ? (*s)->enqueue_group(me->id, me->username, group, text, now)
                           : (*s)->enqueue(me->id, me->username, to, text, now);
  if (!queued.ok()) return complete(done, Result<Message>(queued.status()));
  complete(done, Result<Message>(*queued));
  if (state_ == ConnectionState::kOnline) flush_outbox();
}

void Client::Impl::flush_outbox() {
  if (state_ != ConnectionState::kOnline) return;
  // Waiting out a refusal: whatever went now would be refused again (or overtake the refused
  // messages). The timer flushes.
  if (outbox_retry_timer_.expiry() > std::chrono::steady_clock::now()) return;
  auto s = store();
  if (!s.ok()) return;
  // In-flight sends are the oldest outbox entries, so the first kMaxSendsInFlight entries hold
  // them and everything that may go out now.
  auto items = (*s)->outbox(kMaxSendsInFlight);
  if (!items.ok()) {
    log_.error("local store: {}", items.status().to_string());
    return;
  }
  for (const auto& item : *items) {
    if (sending_.size() >= send_window_) break;  // the next ack sends more
    if (!sending_.count(item.client_msg_id)) send_outboxed(item);
  }
}

void Client::Impl::send_outboxed(const client::OutboxItem& item) {
  sending_.insert(item.client_msg_id);
  v1::Request r;
  r.mutable_send_message()->set_client_msg_id(item.client_msg_id);
  if (item.group_id != 0) {
    r.mutable_send_message()->set_group_id(item.group_id);
  } else {
    r.mutable_send_message()->set_to_user_id(item.peer_id);
  }
  r.mutable_send_message()->set_text(item.text);
  const std::uint64_t generation = generation_;
  send_now(std::move(r), [this, id = item.client_msg_id, generation](Result<v1::Response> response) {
    if (generation != generation_) return;  // resent on the next connection
    sending_.erase(id);
    auto s = store();
    if (!s.ok()) return;
    if (!response.ok()) {
      // No answer (timeout): still in the outbox; try again shortly. The server de-duplicates.
      retry_outbox(response.status());
      return;
    }
    const Status status = client::status_of(*response);
    Result<std::optional<Message>> updated =
        status.ok() ? (*s)->mark_sent(id, response->send_message())
        : is_permanent(status.code()) ? (*s)->mark_failed(id, status)
                                      : Result<std::optional<Message>>(std::optional<Message>());
    if (!updated.ok()) {
      log_.error("local store: {}", updated.status().to_string());
      return;
    }
    if (*updated) emit(MessageStateChanged{std::move(**updated)});
    if (status.ok() || is_permanent(status.code())) {
      send_window_ = std::min(send_window_ + 1, kMaxSendsInFlight);
      flush_outbox();  // a slot is free
    } else {
      log_.debug("outbox: sending {} was refused, will retry: {}", id, status.to_string());
      send_window_ = 1;
      retry_outbox(status);
    }
  });
}

void Client::Impl::retry_outbox(const Status& why) {
  const auto now = std::chrono::steady_clock::now();
  const bool armed = outbox_retry_timer_.expiry() > now;
  std::chrono::steady_clock::time_point at;
  if (why.retry_after_ms() > 0) {
    // One flush resends every refused message, so it must wait for the latest time any of their
    // refusals asked for: sooner, the server refuses them again (each refusal may cost a token).
    at = now + std::chrono::milliseconds(why.retry_after_ms());
    if (armed && outbox_retry_timer_.expiry() >= at) return;
  } else {
    // Our own guess, not the server's: a flush already due retries this message as well.
    if (armed) return;
    at = now + kOutboxRetry;
  }
  outbox_retry_timer_.expires_at(at);  // cancels the earlier wait, if any
  outbox_retry_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    if (!ec) flush_outbox();
  });
}

}  // namespace wechat
