// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

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
  const auto value = node_value(node);
  CHECK(value == "chat chat1.example.com 7600 1234");
  auto parsed = parse_node_value("node-1", value);
  REQUIRE(parsed.has_value());
  CHECK(parsed->id == "node-1");
  CHECK(parsed->role == ServerRole::kChat);
  CHECK(parsed->host == node.host);
  CHECK(parsed->port == 7600);
  CHECK(parsed->devices == 1234);
  CHECK(parse_node_value("g", "gate 10.0.0.1 1 0")->role == ServerRole::kGate);
  CHECK(parse_node_value("a", "all ::1 65535 0")->role == ServerRole::kAll);
}

TEST_CASE("registry entry: malformed values are refused, not half-read") {
  for (const char* bad : {"", "chat", "chat host 7600", "chat host 7600 1 extra", "boss h 1 1",
                          "chat  7600 1", "chat h 0 1", "chat h 70000 1", "chat h -1 1",
                          "chat h 7600 -5", "chat h 7600 1x", "chat h x 1"}) {
    INFO("value: '" << bad << "'");
    CHECK_FALSE(parse_node_value("n", bad).has_value());
  }
}
