// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_INTEGRATION_CLUSTER_CLUSTER_HARNESS_H_
#define WECHAT_TESTS_INTEGRATION_CLUSTER_CLUSTER_HARNESS_H_

// A real cluster for tests: a gate and N chat nodes, each a wechat-server process, on a fresh
// PostgreSQL schema and a Redis database of their own (both servers started by ctest fixtures),
// and SDK clients that know only the gate.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "process.h"
#include "support/temp_dir.h"
#include "wechat/client.h"

namespace wechat::testing {

using namespace std::chrono_literals;

/// A seeded account.
struct ClusterUser {
  std::uint64_t id = 0;
  std::string username;
  std::string password;
};

class Cluster {
 public:
  /// Starts the gate and `chat_nodes` chat nodes; REQUIREs that they come up.
  /// `store_url` empty: a fresh schema on the test PostgreSQL; `redis_url` empty: a fresh
  /// database on the test Redis.
  explicit Cluster(int chat_nodes, std::string store_url = {}, std::string redis_url = {});
  ~Cluster();

  std::uint16_t gate_port() const { return gate_->port(); }
  chaos::ServerProcess& chat_node(int i) { return *chat_[static_cast<std::size_t>(i)]; }
  int chat_node_count() const { return static_cast<int>(chat_.size()); }
  const std::string& store_url() const { return store_url_; }
  const std::string& redis_url() const { return redis_url_; }

  /// Accounts written straight into the store (cheap password hashes), friends of each other
  /// in pairs (0-1, 2-3, ...) when `pair_friends`.
  std::vector<ClusterUser> seed_users(const std::string& prefix, int count, bool pair_friends);

  /// A client whose only server is the gate.
  std::unique_ptr<Client> make_client(const std::string& name);

  /// Live authenticated devices per chat node port, as the registry in Redis says now.
  std::map<std::uint16_t, std::uint64_t> devices_per_node();
  /// Waits until the registry lists exactly `n` live chat nodes.
  bool wait_live_chat_nodes(std::size_t n, std::chrono::milliseconds timeout = 15s);

 private:
  TempDir dir_;
  std::string store_url_;
  std::string redis_url_;
  std::unique_ptr<chaos::ServerProcess> gate_;
  std::vector<std::unique_ptr<chaos::ServerProcess>> chat_;
  int clients_ = 0;
};

/// A Redis server of one test's own (scripts/redis-test-server.sh on a free port), for tests
/// that restart it: the fixture's server is shared by tests running in parallel.
class PrivateRedis {
 public:
  PrivateRedis();
  ~PrivateRedis();
  std::string url() const;
  /// Stops it and starts it again, empty.
  void restart();

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
};

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_INTEGRATION_CLUSTER_CLUSTER_HARNESS_H_
