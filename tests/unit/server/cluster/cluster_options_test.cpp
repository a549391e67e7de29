// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/temp_dir.h"
#include "wechat/server.h"

using namespace wechat;
using namespace std::chrono_literals;

namespace {
Status start_with(const std::function<void(ServerOptions&)>& tweak) {
  wechat::testing::TempDir dir;
  ServerOptions options;
  options.data_dir = dir.path().string();
  options.listen_port = 0;
  options.plaintext = true;
  tweak(options);
  auto server = Server::start(options);
  return server.ok() ? Status() : server.status();
}
}  // namespace

TEST_CASE("cluster options: roles and Redis need each other, and a shared PostgreSQL store") {
  const auto gate_without_redis =
      start_with([](ServerOptions& o) { o.cluster.role = ServerRole::kGate; });
  CHECK(gate_without_redis.code() == Error::kInvalidArgument);
  CHECK(gate_without_redis.message().find("Redis") != std::string::npos);

  const auto redis_on_sqlite =
      start_with([](ServerOptions& o) { o.cluster.redis_url = "redis://127.0.0.1:1/0"; });
  CHECK(redis_on_sqlite.code() == Error::kInvalidArgument);
  CHECK(redis_on_sqlite.message().find("PostgreSQL") != std::string::npos);

  const auto wildcard = start_with([](ServerOptions& o) {
    o.cluster.role = ServerRole::kChat;
    o.cluster.redis_url = "redis://127.0.0.1:1/0";
    o.store_url = "postgresql://nobody@127.0.0.1:1/none";
    o.listen_host = "0.0.0.0";
  });
  CHECK(wildcard.code() == Error::kInvalidArgument);
  CHECK(wildcard.message().find("advertise") != std::string::npos);

  const auto short_ttl = start_with([](ServerOptions& o) {
    o.cluster.role = ServerRole::kChat;
    o.cluster.redis_url = "redis://127.0.0.1:1/0";
    o.store_url = "postgresql://nobody@127.0.0.1:1/none";
    o.cluster.heartbeat_interval = 1000ms;
    o.cluster.node_ttl = 500ms;
  });
  CHECK(short_ttl.code() == Error::kInvalidArgument);

  const auto bad_url = start_with([](ServerOptions& o) {
    o.cluster.role = ServerRole::kChat;
    o.cluster.redis_url = "http://example.com";
    o.store_url = "postgresql://nobody@127.0.0.1:1/none";
  });
  CHECK(bad_url.code() == Error::kInvalidArgument);
}
