// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "server/cluster/node_registry.h"

using namespace wechat;
using namespace wechat::server::cluster;

TEST_CASE("registry entry: a node's value round-trips") {
  NodeInfo node;
  node.id = "node-1";
  node.role = ServerRole::kChat;
  node.host = "chat1.example.com";
  node.port = 7600;
  node.devices = 1234;
  node.attached = 5678;
  node.counted_at_ms = 1796000000123;
  const auto value = node_value(node);
  CHECK(value == "chat chat1.example.com 7600 1234 5678 1796000000123");
  auto parsed = parse_node_value("node-1", value);
  REQUIRE(parsed.has_value());
  CHECK(parsed->id == "node-1");
  CHECK(parsed->role == ServerRole::kChat);
  CHECK(parsed->host == node.host);
  CHECK(parsed->port == 7600);
  CHECK(parsed->devices == 1234);
  CHECK(parsed->attached == 5678);
  CHECK(parsed->counted_at_ms == 1796000000123);
  CHECK(parse_node_value("g", "gate 10.0.0.1 1 0 0 0")->role == ServerRole::kGate);
  CHECK(parse_node_value("a", "all ::1 65535 0 1 1")->role == ServerRole::kAll);
}

TEST_CASE("registry entry: malformed values are refused, not half-read") {
  for (const char* bad :
       {"", "chat", "chat host 7600", "chat host 7600 1 1", "chat host 7600 1 1 2 extra",
        "boss h 1 1 1 1", "chat  7600 1 1 1", "chat h 0 1 1 1", "chat h 70000 1 1 1",
        "chat h -1 1 1 1", "chat h 7600 -5 1 1", "chat h 7600 1x 1 1", "chat h x 1 1 1",
        "chat h 7600 1 1 -1", "chat h 7600 1 1 1.5", "chat h 7600 1 1 99999999999999999999",
        "chat h 7600 99999999999999999999 99999999999999999999 1",
        // More devices now than ever attached.
        "chat h 7600 2 1 1"}) {
    INFO("value: '" << std::string(bad) << "'");
    CHECK_FALSE(parse_node_value("n", bad).has_value());
  }
}

namespace {

constexpr std::chrono::milliseconds kPatience(1000);

/// chat-1's count at `at_ms`.
NodeInfo count(std::int64_t at_ms, std::uint64_t devices, std::uint64_t attached) {
  NodeInfo node;
  node.id = "chat-1";
  node.role = ServerRole::kChat;
  node.host = "127.0.0.1";
  node.port = 7600;
  node.devices = devices;
  node.attached = attached;
  node.counted_at_ms = at_ms;
  return node;
}

}  // namespace

TEST_CASE("gate's load: a client sent counts once, however long it takes to arrive") {
  SentClients node;
  node.observe(count(1000, 10, 10));
  node.sent(1050);
  node.sent(1060);
  node.sent(1070);
  // The count before they were sent, read again: 10 devices and the three.
  CHECK(node.load(count(1000, 10, 10), kPatience) == 13);
  // One arrived by the next count: 11 devices and the two on their way.
  CHECK(node.load(count(1200, 11, 11), kPatience) == 13);
  // Sent after that count: on top of it.
  node.sent(1210);
  CHECK(node.load(count(1200, 11, 11), kPatience) == 14);
  // Slow ones: by 1600 only one more arrived (the one sent at 1210 cannot be it: the two sent
  // before the last count are older), so two are still on their way.
  CHECK(node.load(count(1600, 12, 12), kPatience) == 14);
  // All arrived; later counts say the same.
  CHECK(node.load(count(1800, 14, 14), kPatience) == 14);
  CHECK(node.load(count(3500, 14, 14), kPatience) == 14);
}

TEST_CASE("gate's load: a client that came and went is not counted, nor one that never comes") {
  SentClients node;
  node.observe(count(1000, 0, 0));
  node.sent(1100);
  node.sent(1100);
  // One attached and left again before the count; the other is still on its way.
  CHECK(node.load(count(1200, 0, 1), kPatience) == 1);
  // The other never comes: once the node has counted for `patience` past it, it is given up.
  CHECK(node.load(count(2100, 0, 1), kPatience) == 1);
  CHECK(node.load(count(2101, 0, 1), kPatience) == 0);
}

TEST_CASE("gate's load: clients arriving from elsewhere never make it less than the count") {
  SentClients node;
  node.observe(count(1000, 5, 5));
  node.sent(1100);
  node.sent(1300);
  // Five others attached by 1200 (another gate's clients): this gate's first client is taken as
  // one of them, its second, sent after the count, cannot be.
  CHECK(node.load(count(1200, 10, 10), kPatience) == 11);
  CHECK(node.load(count(1400, 11, 11), kPatience) == 11);
}

TEST_CASE("gate's load: a node restarted under the same id starts afresh") {
  SentClients node;
  node.observe(count(1000, 50, 80));
  node.sent(1100);
  node.sent(1600);
  CHECK(node.load(count(1000, 50, 80), kPatience) == 52);
  // Its attachments went back: the client sent before its new count is forgotten, the one
  // sent since counts.
  CHECK(node.load(count(1500, 0, 0), kPatience) == 1);
  CHECK(node.load(count(1700, 1, 1), kPatience) == 1);
}

TEST_CASE("gate's load: a slow node gets its share of a burst of logins, not more") {
  // Three nodes beating every 200 ms, at their own phases; the gate reads the registry every
  // 200 ms too. Clients reach two of the nodes in 20 and 50 ms, the third in 700: 300 logins
  // over two seconds. Counting the clients sent in the last two beats (the rule before this
  // one) sent the slow node 133 here, counting only those sent since its count 129.
  constexpr int kLogins = 300;
  const std::int64_t latency[3] = {20, 50, 700};
  const std::int64_t phase[3] = {0, 70, 140};
  constexpr std::int64_t kBeat = 200;
  constexpr std::int64_t kGatePhase = 30;
  std::vector<std::int64_t> arrivals[3];
  SentClients view[3];
  const auto beat_before = [&](std::int64_t t, std::int64_t ph) {
    return ph + kBeat * ((t - ph) / kBeat - (t < ph ? 1 : 0));
  };
  const auto count_at = [&](int n, std::int64_t at) {
    std::uint64_t arrived = 0;
    for (auto a : arrivals[n]) arrived += a <= at;
    return count(at, arrived, arrived);
  };
  for (int k = 0; k < kLogins; ++k) {
    const std::int64_t now = 1000 + (2000 * k + 1000) / kLogins;
    const auto read = beat_before(now, kGatePhase);
    int best = 0;
    std::uint64_t best_load = 0;
    for (int n = 0; n < 3; ++n) {
      const auto load = view[n].load(count_at(n, beat_before(read, phase[n])), kPatience);
      if (n == 0 || load < best_load) {
        best = n;
        best_load = load;
      }
    }
    view[best].sent(now);
    arrivals[best].push_back(now + latency[best]);
  }
  for (int n = 0; n < 3; ++n) {
    INFO("node " << n << " got " << arrivals[n].size());
    CHECK(arrivals[n].size() >= 95);
    CHECK(arrivals[n].size() <= 105);
  }
}
