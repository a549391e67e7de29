// SPDX-License-Identifier: MIT
// Group fan-out at the member limit: 500 members, every one of them online.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("groups: a message to a 500-member group reaches every member device exactly once") {
  TestServer server;
  auto owner = server.create_user("owner");
  // 499 accounts straight into the database (registering them over the wire would take
  // longer than the test itself), then every one of them logged in over the wire.
  auto members = server.seed_users("member", 499, {owner.id});
  std::vector<std::unique_ptr<TestClient>> devices;
  std::vector<std::uint64_t> ids;
  for (auto& m : members) {
    devices.push_back(server.login(m, "phone"));
    ids.push_back(m.id);
  }
  auto created = call_ok(*owner.client, req::create_group("five hundred", ids)).create_group();
  const auto group = created.group().group_id();
  REQUIRE(created.group().member_count() == 500);
  for (auto& d : devices) {
    auto entry = d->next_log();
    REQUIRE(entry.has_value());
    REQUIRE(entry->group_event().kind() == v1::GROUP_EVENT_KIND_CREATED);
  }
  owner.client->drain(100ms);  // presence of 499 friends, the CREATED event

  // The measured part: one send, acked after the transaction with 1 message row and 500 log
  // rows committed and 500 pushes handed to the connections.
  constexpr int kSends = 5;
  std::vector<v1::SendMessageOk> acks;
  double total_ms = 0;
  double worst_ms = 0;
  for (int i = 0; i < kSends; ++i) {
    const auto start = std::chrono::steady_clock::now();
    acks.push_back(call_ok(*owner.client, req::send_group_text(group, "to all " + std::to_string(i),
                                                               req::new_client_msg_id()))
                       .send_message());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    total_ms += ms;
    worst_ms = std::max(worst_ms, ms);
  }
  MESSAGE("500-member group send: mean ack " << total_ms / kSends << " ms, worst " << worst_ms
                                             << " ms over " << kSends << " sends");

  // Every member device gets each message once, in order, with consecutive user_seqs; the
  // sender's own device too.
  devices.push_back(std::move(owner.client));
  for (auto& d : devices) {
    std::uint64_t previous = 0;
    for (int i = 0; i < kSends; ++i) {
      auto entry = d->next_log();
      REQUIRE(entry.has_value());
      REQUIRE(entry->has_message());
      CHECK(entry->message().message_id() == acks[i].message_id());
      if (previous != 0) CHECK(entry->user_seq() == previous + 1);
      previous = entry->user_seq();
    }
  }
  // Nothing more arrived: a duplicate push would be waiting in a queue by now.
  std::size_t extra = 0;
  for (auto& d : devices) {
    while (auto event = d->next_event(0ms)) extra += event->has_log();
  }
  CHECK(extra == 0);
  // One read marker moves one member's marker only, and receipts count 499 others.
  call_ok(*devices[0], req::mark_read(group, acks.back().seq()));
  auto receipts =
      call_ok(*devices[1], req::read_receipts(group, acks.back().seq())).get_read_receipts();
  CHECK(receipts.member_count() == 499);
  CHECK(receipts.read_by_size() == 1);
}
