// SPDX-License-Identifier: MIT
// Builders for log entries and server messages, shared by the client store's test files.
#ifndef WECHAT_TESTS_UNIT_CLIENT_CLIENT_STORE_FIXTURES_H_
#define WECHAT_TESTS_UNIT_CLIENT_CLIENT_STORE_FIXTURES_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "client/store/client_store.h"
#include "common/random.h"
#include "support/temp_dir.h"

namespace wechat::client::testing {

/// The value of `r`, failing the test case (with the error) when there is none.
template <typename T>
T must(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return std::move(r).value();
}

inline void must_ok(const Status& s) { REQUIRE_MESSAGE(s.ok(), s.to_string()); }

inline std::unique_ptr<ClientStore> open_store(const std::string& path) {
  return must(ClientStore::open(path));
}

/// A deterministic 16-byte client message id.
inline std::string cid(std::uint64_t n) {
  std::string raw(16, '\0');
  for (int i = 0; i < 8; ++i)
    raw[static_cast<std::size_t>(15 - i)] = static_cast<char>(n >> (8 * i));
  raw[0] = 'c';
  return raw;
}

inline std::string username_of(UserId id) { return "user" + std::to_string(id); }

inline v1::Message wire_message(ConversationId conversation, std::uint64_t seq, UserId sender,
                                UserId recipient, std::string client_id, std::string text,
                                std::int64_t time_ms = 0) {
  v1::Message m;
  m.set_message_id(conversation * 1'000'000 + seq);
  m.set_conversation_id(conversation);
  m.set_seq(seq);
  m.set_sender_id(sender);
  m.set_recipient_id(recipient);
  m.set_client_msg_id(std::move(client_id));
  m.set_server_time_ms(time_ms != 0 ? time_ms : static_cast<std::int64_t>(1'000 * seq));
  m.set_text(std::move(text));
  m.set_kind(v1::CONVERSATION_KIND_DIRECT);
  m.set_sender_username(username_of(sender));
  return m;
}

inline v1::LogEntry message_entry(std::uint64_t user_seq, v1::Message m) {
  v1::LogEntry e;
  e.set_user_seq(user_seq);
  e.set_created_at_ms(m.server_time_ms());
  *e.mutable_message() = std::move(m);
  return e;
}

inline v1::LogEntry marker_entry(std::uint64_t user_seq, ConversationId conversation, UserId reader,
                                 std::uint64_t up_to, bool read) {
  v1::LogEntry e;
  e.set_user_seq(user_seq);
  auto* marker = read ? e.mutable_read_marker() : e.mutable_delivered_marker();
  marker->set_conversation_id(conversation);
  marker->set_reader_id(reader);
  marker->set_up_to_seq(up_to);
  return e;
}

inline v1::FriendRequest wire_request(std::uint64_t id, UserId from, UserId to,
                                      v1::FriendRequestState state, std::int64_t created,
                                      std::int64_t answered = 0) {
  v1::FriendRequest r;
  r.set_request_id(id);
  r.mutable_from()->set_user_id(from);
  r.mutable_from()->set_username(username_of(from));
  r.mutable_to()->set_user_id(to);
  r.mutable_to()->set_username(username_of(to));
  r.set_note("hi, it's " + username_of(from));
  r.set_state(state);
  r.set_created_at_ms(created);
  r.set_answered_at_ms(answered);
  return r;
}

/// A group message from `sender` (recipient 0, kind group).
inline v1::Message group_message(ConversationId group, std::uint64_t seq, UserId sender,
                                 std::string client_id, std::string text) {
  v1::Message m = wire_message(group, seq, sender, 0, std::move(client_id), std::move(text));
  m.set_kind(v1::CONVERSATION_KIND_GROUP);
  return m;
}

inline v1::GroupInfo group_info(ConversationId id, std::string name, UserId owner,
                                std::uint32_t member_count, std::uint64_t last_seq = 0,
                                bool dissolved = false) {
  v1::GroupInfo g;
  g.set_group_id(id);
  g.set_name(std::move(name));
  g.set_owner_id(owner);
  g.set_member_count(member_count);
  g.set_created_at_ms(500);
  g.set_last_seq(last_seq);
  g.set_dissolved(dissolved);
  return g;
}

inline void add_member(v1::GroupInfo& g, UserId user, v1::GroupRole role,
                       std::uint64_t read_seq = 0) {
  auto* m = g.add_members();
  m->mutable_user()->set_user_id(user);
  m->mutable_user()->set_username(username_of(user));
  m->set_role(role);
  m->set_joined_at_ms(500);
  m->set_read_seq(read_seq);
}

inline v1::LogEntry group_entry(std::uint64_t user_seq, v1::GroupEventKind kind,
                                v1::GroupInfo info, UserId actor, std::vector<UserId> subjects,
                                std::uint64_t at_seq = 0,
                                v1::GroupRole role = v1::GROUP_ROLE_UNSPECIFIED) {
  v1::LogEntry e;
  e.set_user_seq(user_seq);
  e.set_created_at_ms(1'000 * static_cast<std::int64_t>(user_seq));
  auto* g = e.mutable_group_event();
  g->set_kind(kind);
  *g->mutable_group() = std::move(info);
  g->mutable_actor()->set_user_id(actor);
  g->mutable_actor()->set_username(username_of(actor));
  for (UserId s : subjects) {
    auto* u = g->add_subjects();
    u->set_user_id(s);
    u->set_username(username_of(s));
  }
  g->set_role(role);
  g->set_at_seq(at_seq);
  return e;
}

template <typename E>
std::vector<E> events_of(const ApplyResult& r) {
  std::vector<E> out;
  for (const auto& e : r.events) {
    if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
  }
  return out;
}

}  // namespace wechat::client::testing

#endif  // WECHAT_TESTS_UNIT_CLIENT_CLIENT_STORE_FIXTURES_H_
