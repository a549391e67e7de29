// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_CLUSTER_KEYS_H_
#define WECHAT_SERVER_CLUSTER_CLUSTER_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

/// The Redis keys and channels of a cluster, in one place (docs/cluster.md lists them).
namespace wechat::server::cluster::keys {

/// SET of every node id that has registered and not been reaped yet.
inline constexpr std::string_view kNodes = "wechat:nodes";

/// STRING "<role> <host> <port> <devices>", expiring after node_ttl unless refreshed.
inline std::string node(std::string_view node_id) { return "wechat:node:" + std::string(node_id); }

/// HASH device id -> node id: where each online device of the user is connected.
inline constexpr std::string_view kRoutePrefix = "wechat:route:";
inline std::string route(std::uint64_t user_id) {
  return std::string(kRoutePrefix) + std::to_string(user_id);
}

/// SET of user ids with a device on the node (so a dead node's routes can be found).
inline std::string node_users(std::string_view node_id) {
  return "wechat:node-users:" + std::string(node_id);
}

/// Pub/sub channel of pushes for devices connected to the node.
inline constexpr std::string_view kPushChannelPrefix = "wechat:push:";
inline std::string push_channel(std::string_view node_id) {
  return std::string(kPushChannelPrefix) + std::string(node_id);
}

}  // namespace wechat::server::cluster::keys

#endif  // WECHAT_SERVER_CLUSTER_CLUSTER_KEYS_H_
