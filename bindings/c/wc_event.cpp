// SPDX-License-Identifier: MIT
// wc_event: building events and results from the C++ client's, and reading them.
#include <type_traits>
#include <utility>

#include "bindings/c/wc_internal.h"

using wechat::cabi::empty_string;
using wechat::cabi::out_string;
using wechat::cabi::to_c;

namespace wechat::cabi {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::unique_ptr<wc_event> new_result(std::uint64_t tag, int kind, Status status) {
  auto e = std::make_unique<wc_event>();
  e->type = WC_EVENT_RESULT;
  e->tag = tag;
  e->result_kind = kind;
  e->status = std::move(status);
  return e;
}

/// A result holding one value or a list: `Field` is the event's vector the items go into.
template <typename T, typename Field>
std::unique_ptr<wc_event> result_of(std::uint64_t tag, int kind, Result<T> result, Field field) {
  auto e = new_result(tag, kind, result.status());
  if (result.ok()) {
    auto& items = (*e).*field;
    if constexpr (std::is_same_v<T, std::decay_t<decltype(items)>>) {
      items = std::move(result).value();
    } else {
      items.push_back(std::move(result).value());
    }
  }
  return e;
}

}  // namespace

std::unique_ptr<wc_event> make_event(Event event) {
  auto e = std::make_unique<wc_event>();
  std::visit(Overloaded{
                 [&](MessageReceived& v) {
                   e->type = WC_EVENT_MESSAGE_RECEIVED;
                   e->messages.push_back(std::move(v.message));
                 },
                 [&](MessageStateChanged& v) {
                   e->type = WC_EVENT_MESSAGE_STATE_CHANGED;
                   e->messages.push_back(std::move(v.message));
                 },
                 [&](ReceiptUpdated&) { e->type = WC_EVENT_RECEIPT_UPDATED; },
                 [&](ConversationRead&) { e->type = WC_EVENT_CONVERSATION_READ; },
                 [&](FriendRequestUpdated& v) {
                   e->type = WC_EVENT_FRIEND_REQUEST_UPDATED;
                   e->requests.push_back(std::move(v.request));
                 },
                 [&](FriendAdded& v) {
                   e->type = WC_EVENT_FRIEND_ADDED;
                   e->friends.push_back(std::move(v.added));
                 },
                 [&](FriendRemoved&) { e->type = WC_EVENT_FRIEND_REMOVED; },
                 [&](PresenceChanged&) { e->type = WC_EVENT_PRESENCE_CHANGED; },
                 [&](TypingChanged&) { e->type = WC_EVENT_TYPING_CHANGED; },
                 [&](ConnectionStateChanged& v) {
                   e->type = WC_EVENT_CONNECTION_STATE_CHANGED;
                   e->status = v.reason;
                 },
                 [&](SyncProgress&) { e->type = WC_EVENT_SYNC_PROGRESS; },
                 [&](SessionEnded& v) {
                   e->type = WC_EVENT_SESSION_ENDED;
                   e->status = v.reason;
                 },
                 [&](GroupChanged& v) {
                   e->type = WC_EVENT_GROUP_CHANGED;
                   e->groups.push_back(std::move(v.group));
                 },
             },
             event);
  e->event = std::move(event);
  return e;
}

std::unique_ptr<wc_event> make_result(std::uint64_t tag, Status status) {
  return new_result(tag, WC_RESULT_NONE, std::move(status));
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<User> result) {
  return result_of(tag, WC_RESULT_USER, std::move(result), &wc_event::users);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<User>> result) {
  return result_of(tag, WC_RESULT_USERS, std::move(result), &wc_event::users);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<FriendRequest> result) {
  return result_of(tag, WC_RESULT_FRIEND_REQUEST, std::move(result), &wc_event::requests);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag,
                                      Result<std::vector<FriendRequest>> result) {
  return result_of(tag, WC_RESULT_FRIEND_REQUESTS, std::move(result), &wc_event::requests);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Friend>> result) {
  return result_of(tag, WC_RESULT_FRIENDS, std::move(result), &wc_event::friends);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<Message> result) {
  return result_of(tag, WC_RESULT_MESSAGE, std::move(result), &wc_event::messages);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Message>> result) {
  return result_of(tag, WC_RESULT_MESSAGES, std::move(result), &wc_event::messages);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<Group> result) {
  return result_of(tag, WC_RESULT_GROUP, std::move(result), &wc_event::groups);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Group>> result) {
  return result_of(tag, WC_RESULT_GROUPS, std::move(result), &wc_event::groups);
}
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<ReadReceipts> result) {
  return result_of(tag, WC_RESULT_READ_RECEIPTS, std::move(result), &wc_event::receipts);
}

}  // namespace wechat::cabi

namespace {

/// The client event inside `e` if it is a `T`, else nullptr.
template <typename T>
const T* as(const wc_event* e) noexcept {
  if (e == nullptr || !e->event) return nullptr;
  return std::get_if<T>(&*e->event);
}

template <typename T>
auto item(const std::vector<T>& items, size_t i) noexcept -> decltype(to_c(items[0])) {
  return i < items.size() ? to_c(items[i]) : nullptr;
}

}  // namespace

extern "C" {

void wc_event_destroy(wc_event* event) { delete event; }

int wc_event_type(const wc_event* event) { return event != nullptr ? event->type : 0; }
uint64_t wc_event_tag(const wc_event* event) { return event != nullptr ? event->tag : 0; }
int wc_event_result_kind(const wc_event* event) {
  return event != nullptr ? event->result_kind : WC_RESULT_NONE;
}
wc_status wc_event_status(const wc_event* event) {
  return event != nullptr ? static_cast<wc_status>(event->status.code()) : WC_OK;
}
const char* wc_event_status_message(const wc_event* event, size_t* len) {
  return event != nullptr ? out_string(event->status.message(), len) : empty_string(len);
}
int64_t wc_event_status_retry_after_ms(const wc_event* event) {
  return event != nullptr ? event->status.retry_after_ms() : 0;
}

size_t wc_event_count(const wc_event* event) {
  if (event == nullptr) return 0;
  return event->users.size() + event->messages.size() + event->friends.size() +
         event->requests.size() + event->groups.size() + event->receipts.size();
}
const wc_user* wc_event_user(const wc_event* event, size_t i) {
  return event != nullptr ? item(event->users, i) : nullptr;
}
const wc_message* wc_event_message(const wc_event* event, size_t i) {
  return event != nullptr ? item(event->messages, i) : nullptr;
}
const wc_friend* wc_event_friend(const wc_event* event, size_t i) {
  return event != nullptr ? item(event->friends, i) : nullptr;
}
const wc_friend_request* wc_event_friend_request(const wc_event* event, size_t i) {
  return event != nullptr ? item(event->requests, i) : nullptr;
}
const wc_presence* wc_event_presence(const wc_event* event) {
  const auto* p = as<wechat::PresenceChanged>(event);
  return p != nullptr ? to_c(p->presence) : nullptr;
}
const wc_group* wc_event_group(const wc_event* event, size_t i) {
  return event != nullptr ? item(event->groups, i) : nullptr;
}
const wc_read_receipts* wc_event_read_receipts(const wc_event* event) {
  return event != nullptr ? item(event->receipts, 0) : nullptr;
}

uint64_t wc_event_conversation_id(const wc_event* event) {
  if (const auto* r = as<wechat::ReceiptUpdated>(event)) return r->conversation_id;
  if (const auto* r = as<wechat::ConversationRead>(event)) return r->conversation_id;
  if (const auto* t = as<wechat::TypingChanged>(event)) return t->conversation_id;
  if (event != nullptr && event->type == WC_EVENT_GROUP_CHANGED && !event->groups.empty()) {
    return event->groups[0].id;
  }
  return 0;
}
uint64_t wc_event_user_id(const wc_event* event) {
  if (const auto* r = as<wechat::ReceiptUpdated>(event)) return r->peer_id;
  if (const auto* f = as<wechat::FriendRemoved>(event)) return f->user_id;
  if (const auto* p = as<wechat::PresenceChanged>(event)) return p->presence.user_id;
  if (const auto* t = as<wechat::TypingChanged>(event)) return t->user_id;
  if (const auto* g = as<wechat::GroupChanged>(event)) return g->actor.id;
  return 0;
}
uint64_t wc_event_seq(const wc_event* event) {
  if (const auto* r = as<wechat::ReceiptUpdated>(event)) return r->up_to_seq;
  if (const auto* r = as<wechat::ConversationRead>(event)) return r->read_seq;
  return 0;
}
uint64_t wc_event_unread(const wc_event* event) {
  const auto* r = as<wechat::ConversationRead>(event);
  return r != nullptr ? r->unread : 0;
}
int wc_event_message_state(const wc_event* event) {
  const auto* r = as<wechat::ReceiptUpdated>(event);
  return r != nullptr ? static_cast<int>(r->state) : 0;
}
int wc_event_incoming(const wc_event* event) {
  const auto* r = as<wechat::FriendRequestUpdated>(event);
  return r != nullptr && r->incoming ? 1 : 0;
}
int wc_event_typing(const wc_event* event) {
  const auto* t = as<wechat::TypingChanged>(event);
  return t != nullptr && t->typing ? 1 : 0;
}
int wc_event_connection_state(const wc_event* event) {
  const auto* c = as<wechat::ConnectionStateChanged>(event);
  return c != nullptr ? static_cast<int>(c->state) : 0;
}
uint64_t wc_event_sync_applied(const wc_event* event) {
  const auto* s = as<wechat::SyncProgress>(event);
  return s != nullptr ? s->applied : 0;
}
uint64_t wc_event_sync_head(const wc_event* event) {
  const auto* s = as<wechat::SyncProgress>(event);
  return s != nullptr ? s->head : 0;
}
int wc_event_group_event_kind(const wc_event* event) {
  const auto* g = as<wechat::GroupChanged>(event);
  return g != nullptr ? static_cast<int>(g->kind) : 0;
}
const wc_user* wc_event_actor(const wc_event* event) {
  const auto* g = as<wechat::GroupChanged>(event);
  return g != nullptr ? to_c(g->actor) : nullptr;
}
size_t wc_event_subject_count(const wc_event* event) {
  const auto* g = as<wechat::GroupChanged>(event);
  return g != nullptr ? g->subjects.size() : 0;
}
const wc_user* wc_event_subject(const wc_event* event, size_t i) {
  const auto* g = as<wechat::GroupChanged>(event);
  return g != nullptr ? item(g->subjects, i) : nullptr;
}
int wc_event_group_role(const wc_event* event) {
  const auto* g = as<wechat::GroupChanged>(event);
  return g != nullptr ? static_cast<int>(g->role) : 0;
}

}  // extern "C"
