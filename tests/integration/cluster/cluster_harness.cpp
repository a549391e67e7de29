// SPDX-License-Identifier: MIT
#include "cluster_harness.h"

#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "cluster.h"
#include "pg_test_env.h"
#include "server/password.h"
#include "server/store/pg/pg_server_store.h"
#include "support/free_port.h"

namespace wechat::testing {

namespace {

std::string redis_port() { return std::to_string(WECHAT_REDIS_TEST_PORT); }

/// A Redis database of this test's own: the fixture's server has 16, handed out in turn from
/// 1 to 14 (0 holds the counter; the chaos checker's cluster run uses 15).
std::string fresh_redis_url() {
  const std::string n =
      chaos::redis_cli("redis://127.0.0.1:" + redis_port() + "/0", "INCR wechat-test-next-db");
  REQUIRE_MESSAGE(!n.empty(), "is the test Redis running (scripts/redis-test-server.sh)?");
  const int db = 1 + std::stoi(n) % (WECHAT_REDIS_TEST_DATABASES - 2);
  const std::string url = "redis://127.0.0.1:" + redis_port() + "/" + std::to_string(db);
  (void)chaos::redis_cli(url, "FLUSHDB");
  return url;
}

std::string redis_script() {
  return std::string(WECHAT_SOURCE_DIR) + "/scripts/redis-test-server.sh";
}

}  // namespace

PrivateRedis::PrivateRedis() : port_(free_port()) {
  const int rc = std::system((redis_script() + " start " + dir_.file("redis") + " " +
                              std::to_string(port_) + " >/dev/null")
                                 .c_str());
  REQUIRE(rc == 0);
}

PrivateRedis::~PrivateRedis() {
  (void)std::system(
      (redis_script() + " stop " + dir_.file("redis") + " " + std::to_string(port_) + " >/dev/null")
          .c_str());
}

std::string PrivateRedis::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
}

void PrivateRedis::restart() {
  const int rc = std::system((redis_script() + " restart " + dir_.file("redis") + " " +
                              std::to_string(port_) + " >/dev/null")
                                 .c_str());
  REQUIRE(rc == 0);
}

Cluster::Cluster(int chat_nodes, std::string store_url, std::string redis_url)
    : store_url_(store_url.empty() ? pg::fresh_store_url() : std::move(store_url)),
      redis_url_(redis_url.empty() ? fresh_redis_url() : std::move(redis_url)) {
  const auto node = [&](const std::string& name, const std::string& role) {
    const std::string data = dir_.file(name);
    const std::string logs = dir_.file(name + "-logs");
    std::filesystem::create_directories(logs);
    // Short beats, so that a killed node is noticed within a test's patience.
    return std::make_unique<chaos::ServerProcess>(
        WECHAT_SERVER_BINARY, data, logs,
        std::vector<std::string>{"--role", role, "--store", store_url_, "--redis", redis_url_,
                                 "--config", std::string(WECHAT_CLUSTER_TEST_CONFIG)});
  };
  gate_ = node("gate", "gate");
  auto started = gate_->start();
  REQUIRE_MESSAGE(started.ok(), started.to_string());
  for (int i = 0; i < chat_nodes; ++i) {
    chat_.push_back(node("chat" + std::to_string(i), "chat"));
    started = chat_.back()->start();
    REQUIRE_MESSAGE(started.ok(), started.to_string());
  }
  REQUIRE(wait_live_chat_nodes(static_cast<std::size_t>(chat_nodes)));
}

Cluster::~Cluster() {
  for (auto& c : chat_) c->stop();
  gate_->stop();
}

std::vector<ClusterUser> Cluster::seed_users(const std::string& prefix, int count,
                                             bool pair_friends) {
  auto store = server::PgServerStore::open(store_url_);
  REQUIRE_MESSAGE(store.ok(), store.status().to_string());
  REQUIRE((*store)->begin_batch().ok());
  std::vector<ClusterUser> users;
  auto hash = server::hash_password("password-of-" + prefix, 4);
  REQUIRE(hash.ok());
  for (int i = 0; i < count; ++i) {
    ClusterUser user;
    user.username = prefix + std::to_string(i);
    user.password = "password-of-" + prefix;
    server::UserRow row;
    row.username = user.username;
    row.email = user.username + "@example.com";
    row.password_hash = *hash;
    row.created_at = 1;
    auto id = (*store)->create_user(row);
    REQUIRE_MESSAGE(id.ok(), id.status().to_string());
    user.id = *id;
    if (pair_friends && i % 2 == 1) {
      REQUIRE((*store)->add_friendship(users.back().id, user.id, 1).ok());
    }
    users.push_back(std::move(user));
  }
  REQUIRE((*store)->commit_batch().ok());
  return users;
}

std::unique_ptr<Client> Cluster::make_client(const std::string& name) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = gate_->port();
  options.plaintext = true;
  options.data_dir = dir_.file("client-" + name + "-" + std::to_string(++clients_));
  options.device_name = name;
  options.reconnect_initial = 100ms;
  options.reconnect_max = 1000ms;
  auto client = Client::create(options);
  REQUIRE_MESSAGE(client.ok(), client.status().to_string());
  return std::move(*client);
}

std::map<std::uint16_t, std::uint64_t> Cluster::devices_per_node() {
  std::map<std::uint16_t, std::uint64_t> out;
  std::istringstream ids(chaos::redis_cli(redis_url_, "SMEMBERS wechat:nodes"));
  std::string id;
  while (ids >> id) {
    std::istringstream value(chaos::redis_cli(redis_url_, "GET wechat:node:" + id));
    std::string role, host;
    unsigned port = 0;
    std::uint64_t devices = 0;
    if (value >> role >> host >> port >> devices && role == "chat") {
      out[static_cast<std::uint16_t>(port)] = devices;
    }
  }
  return out;
}

bool Cluster::wait_live_chat_nodes(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (devices_per_node().size() == n) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

}  // namespace wechat::testing
