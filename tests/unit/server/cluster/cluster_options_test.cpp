// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/test_server.h"
#include "wechat/server.h"

using namespace wechat;
using namespace std::chrono_literals;

using wechat::testing::try_start_server;

namespace {
/// A chat node with everything it needs (Redis, a PostgreSQL store), unreachable: each case
/// below breaks one thing on top, and the checks refuse it before connecting anywhere.
void chat_node(ServerOptions& o) {
  o.cluster.role = ServerRole::kChat;
  o.cluster.redis_url = "redis://127.0.0.1:1/0";
  o.store_url = "postgresql://nobody@127.0.0.1:1/none";
}
}  // namespace

TEST_CASE("cluster options: roles and Redis need each other, and a shared PostgreSQL store") {
  const auto gate_without_redis =
      try_start_server([](ServerOptions& o) { o.cluster.role = ServerRole::kGate; });
  CHECK(gate_without_redis.code() == Error::kInvalidArgument);
  CHECK(gate_without_redis.message().find("Redis") != std::string::npos);

  const auto redis_on_sqlite =
      try_start_server([](ServerOptions& o) { o.cluster.redis_url = "redis://127.0.0.1:1/0"; });
  CHECK(redis_on_sqlite.code() == Error::kInvalidArgument);
  CHECK(redis_on_sqlite.message().find("PostgreSQL") != std::string::npos);

  const auto wildcard = try_start_server([](ServerOptions& o) {
    chat_node(o);
    o.listen_host = "0.0.0.0";
  });
  CHECK(wildcard.code() == Error::kInvalidArgument);
  CHECK(wildcard.message().find("advertise") != std::string::npos);

  const auto short_ttl = try_start_server([](ServerOptions& o) {
    chat_node(o);
    o.cluster.heartbeat_interval = 1000ms;
    o.cluster.node_ttl = 500ms;
  });
  CHECK(short_ttl.code() == Error::kInvalidArgument);

  const auto bad_url = try_start_server([](ServerOptions& o) {
    chat_node(o);
    o.cluster.redis_url = "http://example.com";
  });
  CHECK(bad_url.code() == Error::kInvalidArgument);
}
