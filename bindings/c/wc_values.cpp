// SPDX-License-Identifier: MIT
// Accessors of the value views (users, messages, conversations, presence, friends, requests,
// groups, read receipts) and of the lists returned by local reads. None of them allocates, so
// none can throw.
#include "bindings/c/wc_internal.h"

using wechat::cabi::empty_string;
using wechat::cabi::from_c;
using wechat::cabi::out_string;
using wechat::cabi::to_c;

namespace {

template <typename List>
size_t list_size(const List* list) noexcept {
  return list != nullptr ? list->items.size() : 0;
}

template <typename List>
auto list_at(const List* list, size_t i) noexcept -> decltype(to_c(list->items[0])) {
  if (list == nullptr || i >= list->items.size()) return nullptr;
  return to_c(list->items[i]);
}

}  // namespace

extern "C" {

// --- wc_user -----------------------------------------------------------------------------------

uint64_t wc_user_id(const wc_user* user) { return user != nullptr ? from_c(user)->id : 0; }
const char* wc_user_username(const wc_user* user, size_t* len) {
  return user != nullptr ? out_string(from_c(user)->username, len) : empty_string(len);
}
void wc_user_destroy(wc_user* user) {
  // Only wc_client_current_user hands out a wc_user, allocated as a wechat::User.
  delete reinterpret_cast<wechat::User*>(user);
}

// --- wc_message --------------------------------------------------------------------------------

const char* wc_message_client_msg_id(const wc_message* message, size_t* len) {
  return message != nullptr ? out_string(from_c(message)->client_msg_id, len) : empty_string(len);
}
uint64_t wc_message_id(const wc_message* message) {
  return message != nullptr ? from_c(message)->message_id : 0;
}
uint64_t wc_message_conversation_id(const wc_message* message) {
  return message != nullptr ? from_c(message)->conversation_id : 0;
}
uint64_t wc_message_seq(const wc_message* message) {
  return message != nullptr ? from_c(message)->seq : 0;
}
uint64_t wc_message_sender_id(const wc_message* message) {
  return message != nullptr ? from_c(message)->sender_id : 0;
}
const char* wc_message_sender_username(const wc_message* message, size_t* len) {
  return message != nullptr ? out_string(from_c(message)->sender_username, len)
                            : empty_string(len);
}
uint64_t wc_message_peer_id(const wc_message* message) {
  return message != nullptr ? from_c(message)->peer_id : 0;
}
const char* wc_message_text(const wc_message* message, size_t* len) {
  return message != nullptr ? out_string(from_c(message)->text, len) : empty_string(len);
}
int64_t wc_message_time_ms(const wc_message* message) {
  return message != nullptr ? from_c(message)->time_ms : 0;
}
int wc_message_outgoing(const wc_message* message) {
  return message != nullptr && from_c(message)->outgoing ? 1 : 0;
}
int wc_message_state(const wc_message* message) {
  return message != nullptr ? static_cast<int>(from_c(message)->state) : 0;
}
wc_status wc_message_failure(const wc_message* message) {
  return message != nullptr ? static_cast<wc_status>(from_c(message)->failure.code()) : WC_OK;
}
const char* wc_message_failure_message(const wc_message* message, size_t* len) {
  return message != nullptr ? out_string(from_c(message)->failure.message(), len)
                            : empty_string(len);
}

int wc_message_kind(const wc_message* message) {
  return message != nullptr ? static_cast<int>(from_c(message)->kind) : 0;
}

// --- wc_conversation ---------------------------------------------------------------------------

uint64_t wc_conversation_id(const wc_conversation* conversation) {
  return conversation != nullptr ? from_c(conversation)->id : 0;
}
const wc_user* wc_conversation_peer(const wc_conversation* conversation) {
  return conversation != nullptr ? to_c(from_c(conversation)->peer) : nullptr;
}
uint64_t wc_conversation_last_seq(const wc_conversation* conversation) {
  return conversation != nullptr ? from_c(conversation)->last_seq : 0;
}
uint64_t wc_conversation_read_seq(const wc_conversation* conversation) {
  return conversation != nullptr ? from_c(conversation)->read_seq : 0;
}
uint64_t wc_conversation_peer_read_seq(const wc_conversation* conversation) {
  return conversation != nullptr ? from_c(conversation)->peer_read_seq : 0;
}
uint64_t wc_conversation_unread(const wc_conversation* conversation) {
  return conversation != nullptr ? from_c(conversation)->unread : 0;
}
const wc_message* wc_conversation_last_message(const wc_conversation* conversation) {
  if (conversation == nullptr || !from_c(conversation)->last_message) return nullptr;
  return to_c(*from_c(conversation)->last_message);
}
int wc_conversation_kind(const wc_conversation* conversation) {
  return conversation != nullptr ? static_cast<int>(from_c(conversation)->kind) : 0;
}
const wc_group* wc_conversation_group(const wc_conversation* conversation) {
  if (conversation == nullptr || !from_c(conversation)->group) return nullptr;
  return to_c(*from_c(conversation)->group);
}

// --- wc_presence -------------------------------------------------------------------------------

uint64_t wc_presence_user_id(const wc_presence* presence) {
  return presence != nullptr ? from_c(presence)->user_id : 0;
}
int wc_presence_online(const wc_presence* presence) {
  return presence != nullptr && from_c(presence)->online ? 1 : 0;
}
int64_t wc_presence_last_seen_ms(const wc_presence* presence) {
  return presence != nullptr ? from_c(presence)->last_seen_ms : 0;
}

// --- wc_friend ---------------------------------------------------------------------------------

const wc_user* wc_friend_user(const wc_friend* friend_) {
  return friend_ != nullptr ? to_c(from_c(friend_)->user) : nullptr;
}
int64_t wc_friend_since_ms(const wc_friend* friend_) {
  return friend_ != nullptr ? from_c(friend_)->since_ms : 0;
}
uint64_t wc_friend_conversation_id(const wc_friend* friend_) {
  return friend_ != nullptr ? from_c(friend_)->conversation_id : 0;
}
const wc_presence* wc_friend_presence(const wc_friend* friend_) {
  return friend_ != nullptr ? to_c(from_c(friend_)->presence) : nullptr;
}

// --- wc_friend_request -------------------------------------------------------------------------

uint64_t wc_friend_request_id(const wc_friend_request* request) {
  return request != nullptr ? from_c(request)->id : 0;
}
const wc_user* wc_friend_request_from(const wc_friend_request* request) {
  return request != nullptr ? to_c(from_c(request)->from) : nullptr;
}
const wc_user* wc_friend_request_to(const wc_friend_request* request) {
  return request != nullptr ? to_c(from_c(request)->to) : nullptr;
}
const char* wc_friend_request_note(const wc_friend_request* request, size_t* len) {
  return request != nullptr ? out_string(from_c(request)->note, len) : empty_string(len);
}
int wc_friend_request_state(const wc_friend_request* request) {
  return request != nullptr ? static_cast<int>(from_c(request)->state) : 0;
}
int64_t wc_friend_request_created_ms(const wc_friend_request* request) {
  return request != nullptr ? from_c(request)->created_ms : 0;
}
int64_t wc_friend_request_answered_ms(const wc_friend_request* request) {
  return request != nullptr ? from_c(request)->answered_ms : 0;
}

// --- wc_group ----------------------------------------------------------------------------------

uint64_t wc_group_id(const wc_group* group) { return group != nullptr ? from_c(group)->id : 0; }
const char* wc_group_name(const wc_group* group, size_t* len) {
  return group != nullptr ? out_string(from_c(group)->name, len) : empty_string(len);
}
uint64_t wc_group_owner_id(const wc_group* group) {
  return group != nullptr ? from_c(group)->owner_id : 0;
}
uint32_t wc_group_member_count(const wc_group* group) {
  return group != nullptr ? from_c(group)->member_count : 0;
}
int64_t wc_group_created_ms(const wc_group* group) {
  return group != nullptr ? from_c(group)->created_ms : 0;
}
int wc_group_dissolved(const wc_group* group) {
  return group != nullptr && from_c(group)->dissolved ? 1 : 0;
}
int wc_group_my_role(const wc_group* group) {
  return group != nullptr ? static_cast<int>(from_c(group)->my_role) : 0;
}
int wc_group_membership(const wc_group* group) {
  return group != nullptr ? static_cast<int>(from_c(group)->membership) : 0;
}
size_t wc_group_members_size(const wc_group* group) {
  return group != nullptr ? from_c(group)->members.size() : 0;
}
const wc_group_member* wc_group_member_at(const wc_group* group, size_t i) {
  if (group == nullptr || i >= from_c(group)->members.size()) return nullptr;
  return to_c(from_c(group)->members[i]);
}
void wc_group_destroy(wc_group* group) {
  // Only wc_client_group hands out a wc_group, allocated as a wechat::Group.
  delete reinterpret_cast<wechat::Group*>(group);
}

const wc_user* wc_group_member_user(const wc_group_member* member) {
  return member != nullptr ? to_c(from_c(member)->user) : nullptr;
}
int wc_group_member_role(const wc_group_member* member) {
  return member != nullptr ? static_cast<int>(from_c(member)->role) : 0;
}
int64_t wc_group_member_joined_ms(const wc_group_member* member) {
  return member != nullptr ? from_c(member)->joined_ms : 0;
}
uint64_t wc_group_member_read_seq(const wc_group_member* member) {
  return member != nullptr ? from_c(member)->read_seq : 0;
}
uint64_t wc_group_member_delivered_seq(const wc_group_member* member) {
  return member != nullptr ? from_c(member)->delivered_seq : 0;
}

// --- wc_read_receipts --------------------------------------------------------------------------

uint64_t wc_read_receipts_conversation_id(const wc_read_receipts* receipts) {
  return receipts != nullptr ? from_c(receipts)->conversation_id : 0;
}
uint64_t wc_read_receipts_seq(const wc_read_receipts* receipts) {
  return receipts != nullptr ? from_c(receipts)->seq : 0;
}
uint32_t wc_read_receipts_member_count(const wc_read_receipts* receipts) {
  return receipts != nullptr ? from_c(receipts)->member_count : 0;
}
size_t wc_read_receipts_read_by_size(const wc_read_receipts* receipts) {
  return receipts != nullptr ? from_c(receipts)->read_by.size() : 0;
}
const wc_user* wc_read_receipts_read_by_at(const wc_read_receipts* receipts, size_t i) {
  if (receipts == nullptr || i >= from_c(receipts)->read_by.size()) return nullptr;
  return to_c(from_c(receipts)->read_by[i]);
}
size_t wc_read_receipts_delivered_to_size(const wc_read_receipts* receipts) {
  return receipts != nullptr ? from_c(receipts)->delivered_to.size() : 0;
}
const wc_user* wc_read_receipts_delivered_to_at(const wc_read_receipts* receipts, size_t i) {
  if (receipts == nullptr || i >= from_c(receipts)->delivered_to.size()) return nullptr;
  return to_c(from_c(receipts)->delivered_to[i]);
}

// --- Lists -------------------------------------------------------------------------------------

size_t wc_message_list_size(const wc_message_list* list) { return list_size(list); }
const wc_message* wc_message_list_at(const wc_message_list* list, size_t i) {
  return list_at(list, i);
}
void wc_message_list_destroy(wc_message_list* list) { delete list; }

size_t wc_conversation_list_size(const wc_conversation_list* list) { return list_size(list); }
const wc_conversation* wc_conversation_list_at(const wc_conversation_list* list, size_t i) {
  return list_at(list, i);
}
void wc_conversation_list_destroy(wc_conversation_list* list) { delete list; }

size_t wc_friend_list_size(const wc_friend_list* list) { return list_size(list); }
const wc_friend* wc_friend_list_at(const wc_friend_list* list, size_t i) {
  return list_at(list, i);
}
void wc_friend_list_destroy(wc_friend_list* list) { delete list; }

size_t wc_friend_request_list_size(const wc_friend_request_list* list) {
  return list_size(list);
}
const wc_friend_request* wc_friend_request_list_at(const wc_friend_request_list* list, size_t i) {
  return list_at(list, i);
}
void wc_friend_request_list_destroy(wc_friend_request_list* list) { delete list; }

size_t wc_group_list_size(const wc_group_list* list) { return list_size(list); }
const wc_group* wc_group_list_at(const wc_group_list* list, size_t i) { return list_at(list, i); }
void wc_group_list_destroy(wc_group_list* list) { delete list; }

}  // extern "C"
