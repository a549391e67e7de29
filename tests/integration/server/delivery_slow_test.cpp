// SPDX-License-Identifier: MIT
// Larger delivery runs: ordering and exactly-once over many messages.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// Sends `count` texts keeping at most `window` in flight (the server bounds in-flight requests
/// per connection) and returns the acks in send order.
std::vector<v1::SendMessageOk> pipeline(TestClient& client, std::uint64_t to, int count,
                                        int window = 128) {
  std::vector<v1::SendMessageOk> acks;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(client.send(req::send_text(to, std::to_string(i), req::new_client_msg_id())));
    if (static_cast<int>(ids.size()) - static_cast<int>(acks.size()) >= window || i + 1 == count) {
      for (std::size_t k = acks.size(); k < ids.size(); ++k) {
        auto response = client.wait_response(ids[k]);
        REQUIRE(response.ok());
        REQUIRE_MESSAGE(error_of(*response) == Error::kOk, response->error().message());
        acks.push_back(response->send_message());
      }
    }
  }
  return acks;
}

}  // namespace

TEST_CASE("delivery: 1,000 messages pipelined on one connection arrive once each, in order") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);

  constexpr int kCount = 1000;
  auto acks = pipeline(*alice.client, bob.id, kCount);
  for (int i = 0; i < kCount; ++i) CHECK(acks[i].seq() == static_cast<std::uint64_t>(i + 1));

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
  std::thread a([&] { pipeline(*alice.client, bob.id, kEach); });
  std::thread c([&] { pipeline(*carol.client, bob.id, kEach); });
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
