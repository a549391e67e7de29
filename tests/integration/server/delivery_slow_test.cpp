// SPDX-License-Identifier: MIT
// Larger delivery runs: ordering and exactly-once over many messages.
#include <doctest/doctest.h>

#include <set>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("delivery: 1,000 messages pipelined on one connection arrive once each, in order") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);

  constexpr int kCount = 1000;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kCount; ++i) {
    ids.push_back(alice.client->send(req::send_text(bob.id, std::to_string(i), req::new_client_msg_id())));
  }
  std::uint64_t last_seq = 0;
  for (auto id : ids) {
    auto response = alice.client->wait_response(id);
    REQUIRE(response.ok());
    REQUIRE(error_of(*response) == Error::kOk);
    CHECK(response->send_message().seq() == last_seq + 1);  // acks in send order
    last_seq = response->send_message().seq();
  }
  std::uint64_t last_user_seq = 0;
  for (int i = 0; i < kCount; ++i) {
    auto entry = bob.client->next_log();
    REQUIRE(entry.has_value());
    REQUIRE(entry->has_message());
    CHECK(entry->message().text() == std::to_string(i));
    if (last_user_seq != 0) CHECK(entry->user_seq() == last_user_seq + 1);  // pushed in log order
    last_user_seq = entry->user_seq();
  }
  CHECK_FALSE(bob.client->next_log(300ms).has_value());
}

TEST_CASE("delivery: two senders at once to one recipient; the recipient's log is gap-free") {
  TestServer server;
  auto bob = server.create_user("bob");
  auto alice = server.create_user("alice");
  auto carol = server.create_user("carol");
  server.befriend(alice, bob);
  server.befriend(carol, bob);
  bob.client->drain(100ms);
  constexpr int kEach = 300;
  std::thread a([&] {
    for (int i = 0; i < kEach; ++i) alice.client->send(req::send_text(bob.id, "a", req::new_client_msg_id()));
  });
  std::thread c([&] {
    for (int i = 0; i < kEach; ++i) carol.client->send(req::send_text(bob.id, "c", req::new_client_msg_id()));
  });
  a.join();
  c.join();
  std::set<std::uint64_t> message_ids;
  std::uint64_t previous = 0;
  for (int i = 0; i < 2 * kEach; ++i) {
    auto entry = bob.client->next_log();
    REQUIRE(entry.has_value());
    if (previous != 0) CHECK(entry->user_seq() == previous + 1);
    previous = entry->user_seq();
    message_ids.insert(entry->message().message_id());
  }
  CHECK(message_ids.size() == 2 * kEach);
}
