// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_NODE_REGISTRY_H_
#define WECHAT_SERVER_CLUSTER_NODE_REGISTRY_H_

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/logger.h"
#include "server/cluster/redis_client.h"
#include "server/push_router.h"
#include "wechat/clock.h"
#include "wechat/server.h"

namespace wechat::server::cluster {

/// A node as the registry knows it.
struct NodeInfo {
  std::string id;
  ServerRole role = ServerRole::kAll;
  std::string host;
  std::uint16_t port = 0;
  std::uint64_t devices = 0;   ///< Live authenticated devices at its last heartbeat.
  std::uint64_t attached = 0;  ///< Devices attached there since it started, at the same moment.
  UnixMillis counted_at_ms = 0;  ///< When those were counted, by the node's clock.
};

/// "<role> <host> <port> <devices> <attached> <counted_at_ms>", the registry's value for a
/// node; parse_node_value is its inverse (nullopt for anything malformed).
std::string node_value(const NodeInfo& node);
std::optional<NodeInfo> parse_node_value(std::string id, std::string_view value);

/// One gate's view of one chat node's load: the node's count at its last beat, plus the clients
/// this gate sent it that the count does not show yet. A client is on its way for a while after
/// it was sent (its login answered, its connection to the node made), and its arrival shows only
/// at the node's next beat: without this, a burst of logins between two beats would all go to
/// the node that looked emptiest, and guessing how long clients take would send a slow node more
/// than its share. So each count says how many devices attached there in all, and the clients
/// that attached since the last count are taken to be the oldest of those sent before it.
///
/// With one gate that is the number on their way, but for clients that attach in another order
/// than they were sent while some never come. With several, another gate's clients attaching
/// (or a client connecting to an `all` node directly) are taken for this gate's, so the load
/// may be low by the clients still on their way, never below the count plus those sent since.
class SentClients {
 public:
  /// Takes a count of the node's from the registry; reading the same one again changes nothing.
  /// Attachments that went back mean a node restarted under the same id: the clients sent
  /// before its count are forgotten.
  void observe(const NodeInfo& node);
  /// This gate sent a client there `at` that time (its clock, as counted_at_ms is the node's).
  void sent(UnixMillis at);
  /// observe(node), then the node's devices plus the clients on their way. One sent more than
  /// `patience` before the count and still not attached is taken as not coming.
  std::uint64_t load(const NodeInfo& node, std::chrono::milliseconds patience);

 private:
  std::optional<std::uint64_t> attached_;  ///< As of the last count observed.
  std::deque<UnixMillis> on_the_way_;      ///< When each was sent, oldest first.
};

/// The cluster's node registry in Redis. Every node heartbeats a key with a TTL carrying its
/// address and load, and reads the others back on the same beat: gates choose chat nodes from
/// that list, and any node that finds a registered node's key expired reports it dead (the push
/// router then reaps its routes). A node that finds its own key expired (it could not beat for
/// node_ttl, so others may have reaped it) reports that it rejoined, and the router registers
/// its routes again.
///
/// @par Thread Safety
/// pick_chat_node() and live_nodes() are safe from any thread; start() and stop() from the
/// owner; the beat runs on the executor.
class NodeRegistry : public std::enable_shared_from_this<NodeRegistry> {
 public:
  struct Options {
    NodeInfo self;  ///< Its counts are ignored: `load` gives them at each beat.
    std::chrono::milliseconds heartbeat_interval{1000};
    std::chrono::milliseconds node_ttl{3000};
    /// Dates this node's counts and, on a gate, the clients it sends.
    std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  };

  NodeRegistry(asio::any_io_executor executor, std::shared_ptr<RedisClient> redis, Options options,
               std::function<DeviceLoad()> load,
               std::function<void(const std::string&)> on_dead_node,
               std::function<void()> on_rejoined, detail::Logger log);

  void start();
  /// Stops beating and deletes this node's registration, waiting up to `patience` for Redis to
  /// confirm (a node that cannot reach Redis expires after node_ttl anyway). Blocks: call it
  /// from outside the executor. Its routes are the push router's to remove (reap_node).
  void stop(std::chrono::milliseconds patience);

  /// The live chat-capable node (role chat or all) with the lowest SentClients::load, patient
  /// for node_ttl (a node a client cannot reach in that time is as good as dead); nullopt if
  /// there is none.
  std::optional<NodeInfo> pick_chat_node();
  /// pick_chat_node(), but when no chat node is known yet (a gate that just started, or a
  /// cluster whose nodes all came up since the last beat) it reads the registry first. `done`
  /// runs once, on the executor or inside this call.
  void pick_chat_node(std::function<void(std::optional<NodeInfo>)> done);
  std::vector<NodeInfo> live_nodes() const;
  const NodeInfo& self() const { return options_.self; }

 private:
  void beat();
  /// Reads the registry; `then` (optional) runs after the list was updated, or failed to be.
  void refresh(std::function<void()> then = {});
  void on_members(std::vector<std::string> ids, std::function<void()> then);
  /// The registry's values for `ids` (nil: expired) become the live list.
  void update(const std::vector<std::string>& ids, const std::vector<RedisReply>& values);

  asio::any_io_executor executor_;
  std::shared_ptr<RedisClient> redis_;
  const Options options_;
  std::function<DeviceLoad()> load_;
  std::function<void(const std::string&)> on_dead_node_;
  std::function<void()> on_rejoined_;
  detail::Logger log_;
  asio::steady_timer timer_;
  bool stopped_ = false;
  bool reachable_ = true;    ///< Executor only: for logging the loss and the return once.
  bool registered_ = false;  ///< Executor only: a beat has registered this node before.

  mutable std::mutex mutex_;
  std::vector<NodeInfo> live_;  ///< As of the last refresh.
  std::unordered_map<std::string, SentClients> sent_;  ///< By node id.
};

}  // namespace wechat::server::cluster

#endif  // WECHAT_SERVER_CLUSTER_NODE_REGISTRY_H_
