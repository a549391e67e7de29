// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

v1::Request friend_request(std::uint64_t to, const std::string& note = "") {
  v1::Request r;
  r.mutable_send_friend_request()->set_to_user_id(to);
  r.mutable_send_friend_request()->set_note(note);
  return r;
}

v1::Request answer(std::uint64_t request_id, bool accept) {
  v1::Request r;
  r.mutable_answer_friend_request()->set_request_id(request_id);
  r.mutable_answer_friend_request()->set_accept(accept);
  return r;
}

v1::Request search(const std::string& query) {
  v1::Request r;
  r.mutable_search_users()->set_query(query);
  return r;
}

v1::Request list_friends() {
  v1::Request r;
  r.mutable_list_friends();
  return r;
}

}  // namespace

TEST_CASE("friends: search finds users by username prefix and by exact email, never leaking emails") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto alfred = server.create_user("alfred");
  auto bob = server.create_user("bob");
  auto found = call_ok(*bob.client, search("al")).search_users();
  REQUIRE(found.users_size() == 2);
  CHECK(found.users(0).username() == "alfred");
  CHECK(found.users(1).username() == "alice");
  auto by_email = call_ok(*bob.client, search("ALICE@example.com")).search_users();
  REQUIRE(by_email.users_size() == 1);
  CHECK(by_email.users(0).user_id() == alice.id);
  // Wildcards mean themselves, and one does not find oneself.
  CHECK(call_ok(*bob.client, search("%")).search_users().users_size() == 0);
  CHECK(call_ok(*bob.client, search("bob")).search_users().users_size() == 0);
  CHECK(call_error(*bob.client, search("")) == Error::kInvalidArgument);
}

TEST_CASE("friends: a request with a note reaches the other side, and accepting makes both friends") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  auto sent = call_ok(*alice.client, friend_request(bob.id, "hello from alice"));
  const auto request_id = sent.send_friend_request().request().request_id();

  auto incoming = bob.client->next_log();
  REQUIRE(incoming.has_value());
  REQUIRE(incoming->has_friend_request());
  CHECK(incoming->friend_request().note() == "hello from alice");
  CHECK(incoming->friend_request().from().username() == "alice");
  auto lists = call_ok(*bob.client, [] {
                 v1::Request r;
                 r.mutable_list_friend_requests();
                 return r;
               }()).list_friend_requests();
  CHECK(lists.incoming_size() == 1);
  CHECK(lists.outgoing_size() == 0);

  call_ok(*bob.client, answer(request_id, true));
  // Alice hears about it, as a log entry after her own "sent" entry.
  std::optional<v1::LogEntry> answered;
  while (auto e = alice.client->next_log()) {
    if (e->has_friend_answer()) {
      answered = e;
      break;
    }
  }
  REQUIRE(answered.has_value());
  CHECK(answered->friend_answer().state() == v1::FRIEND_REQUEST_STATE_ACCEPTED);

  auto friends = call_ok(*alice.client, list_friends()).list_friends();
  REQUIRE(friends.friends_size() == 1);
  CHECK(friends.friends(0).user().user_id() == bob.id);
  CHECK(friends.friends(0).conversation_id() != 0);
  CHECK(friends.friends(0).presence().online());
}

TEST_CASE("friends: self, duplicate and already-friends requests get clear errors") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  CHECK(call_error(*alice.client, friend_request(alice.id)) == Error::kSelfRequest);
  CHECK(call_error(*alice.client, friend_request(999999)) == Error::kNotFound);
  call_ok(*alice.client, friend_request(bob.id));
  CHECK(call_error(*alice.client, friend_request(bob.id)) == Error::kRequestPending);
  CHECK(call_error(*bob.client, friend_request(alice.id)) == Error::kRequestPending);
  CHECK(call_error(*alice.client, friend_request(bob.id, std::string(300, 'x'))) ==
        Error::kInvalidArgument);
  // Once friends, asking again is "already friends".
  auto pending = call_ok(*bob.client, [] {
                   v1::Request r;
                   r.mutable_list_friend_requests();
                   return r;
                 }()).list_friend_requests();
  REQUIRE(pending.incoming_size() == 1);
  call_ok(*bob.client, answer(pending.incoming(0).request_id(), true));
  CHECK(call_error(*alice.client, friend_request(bob.id)) == Error::kAlreadyFriends);
}

TEST_CASE("friends: rejecting a request tells the sender and makes nobody friends") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  auto sent = call_ok(*alice.client, friend_request(bob.id));
  const auto id = sent.send_friend_request().request().request_id();
  // Only the addressee may answer.
  CHECK(call_error(*alice.client, answer(id, true)) == Error::kNotFound);
  call_ok(*bob.client, answer(id, false));
  CHECK(call_error(*bob.client, answer(id, true)) == Error::kInvalidArgument);
  CHECK(call_ok(*alice.client, list_friends()).list_friends().friends_size() == 0);
  bool told = false;
  while (auto e = alice.client->next_log(1s)) {
    if (e->has_friend_answer()) told = e->friend_answer().state() == v1::FRIEND_REQUEST_STATE_REJECTED;
  }
  CHECK(told);
  // After a rejection, asking again is allowed.
  CHECK(call_error(*alice.client, friend_request(bob.id)) == Error::kOk);
}

TEST_CASE("friends: removing a friend tells both sides and stops messages") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  v1::Request remove;
  remove.mutable_remove_friend()->set_user_id(bob.id);
  call_ok(*alice.client, remove);
  auto removed = bob.client->next_log();
  REQUIRE(removed.has_value());
  CHECK(removed->has_friend_removed());
  CHECK(removed->friend_removed().user_id() == alice.id);
  CHECK(call_error(*alice.client, remove) == Error::kNotFriends);
  CHECK(call_error(*alice.client, req::send_text(bob.id, "hi", req::new_client_msg_id())) ==
        Error::kNotFriends);
}

TEST_CASE("friends: presence goes to friends when they come and go") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  bob.client.reset();  // bob goes offline
  std::optional<v1::Presence> offline;
  while (auto e = alice.client->next_event(2s)) {
    if (e->has_presence()) {
      offline = e->presence();
      break;
    }
  }
  REQUIRE(offline.has_value());
  CHECK(offline->user_id() == bob.id);
  CHECK_FALSE(offline->online());
  CHECK(offline->last_seen_ms() > 0);

  auto again = server.login(bob, "phone");
  std::optional<v1::Presence> online;
  while (auto e = alice.client->next_event(2s)) {
    if (e->has_presence()) {
      online = e->presence();
      break;
    }
  }
  REQUIRE(online.has_value());
  CHECK(online->online());
}

TEST_CASE("friends: every friend operation needs a login") {
  TestServer server;
  auto client = server.connect();
  CHECK(call_error(*client, search("a")) == Error::kUnauthenticated);
  CHECK(call_error(*client, friend_request(1)) == Error::kUnauthenticated);
  CHECK(call_error(*client, answer(1, true)) == Error::kUnauthenticated);
  CHECK(call_error(*client, list_friends()) == Error::kUnauthenticated);
}
