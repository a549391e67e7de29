// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_REDIS_PUSH_ROUTER_H_
#define WECHAT_SERVER_CLUSTER_REDIS_PUSH_ROUTER_H_

#include <atomic>
#include <memory>
#include <string>

#include "common/logger.h"
#include "server/cluster/redis_client.h"
#include "server/device_table.h"
#include "server/push_router.h"

namespace wechat::server::cluster {

/// The cluster's PushRouter. Devices connected here are in a local DeviceTable; Redis holds
/// every online device's route (user -> device -> node), and each node subscribes to its own
/// push channel. A push goes to the local devices at once and, through one Lua script that
/// reads the user's routes and publishes, to every other node that has one of the user's
/// devices.
///
/// Pushes between nodes are best effort (pub/sub keeps nothing for a node that is away): what a
/// device misses is in its log. After the node's link to Redis comes back, it re-registers its
/// devices' routes and sends each of them SyncNeeded, so they sync at once.
///
/// Presence is cluster-wide: the route scripts report when a user's first device anywhere
/// arrives and the last one leaves, and when a dead node's routes are reaped.
///
/// @par Thread Safety
/// Every method is safe from any thread.
class RedisPushRouter final : public PushRouter {
 public:
  RedisPushRouter(std::shared_ptr<RedisClient> redis, std::string node_id, detail::Logger log);

  /// Subscribes to this node's push channel. Call once, before serving.
  void start();
  /// Drops the Redis client (after the server stopped, before its io_context goes); the router
  /// then serves only this node's devices.
  void release_redis();

  void set_presence_listener(PresenceListener listener) override;
  void attach(std::uint64_t user_id, std::uint64_t device_id,
              std::shared_ptr<PushTarget> target) override;
  void detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target) override;
  void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) override;
  void end_sessions(std::uint64_t user_id, const Status& reason, std::uint64_t device_id) override;
  void query_online(std::vector<std::uint64_t> users,
                    std::function<void(std::vector<bool>)> done) override;
  DeviceLoad device_load() const override;

  /// Removes the routes of a node found dead (the registry calls this) and announces the users
  /// left with no device anywhere as offline. Only one node wins the reaping of a given node.
  /// `done` (optional) runs once it is finished or failed, on any thread.
  void reap_node(const std::string& dead_node_id, std::function<void()> done = {});
  /// Registers every route of this node again and tells every device here to sync: after the
  /// link to Redis was down (pushes lost, Redis maybe restarted empty) or this node's
  /// registration expired (others may have reaped its routes).
  void register_again();

 private:
  /// redis_->command, or kUnavailable once the client is released.
  void command(std::vector<std::string> args, RedisClient::Done done);
  void on_channel_message(std::string_view payload);
  void on_resubscribed();
  void register_route(std::uint64_t user_id, std::uint64_t device_id, bool announce);
  void publish(std::uint64_t user_id, std::string payload);
  /// Tells friends that the users a dead node took with it are offline.
  void announce_reaped(const std::string& dead_node_id,
                       const std::vector<RedisReply>& offline_users);

  std::shared_ptr<RedisClient> redis_;
  const std::string node_id_;
  detail::Logger log_;
  DeviceTable devices_;
  PresenceListener presence_;
  std::atomic<bool> subscribed_before_{false};
};

}  // namespace wechat::server::cluster

#endif  // WECHAT_SERVER_CLUSTER_REDIS_PUSH_ROUTER_H_
