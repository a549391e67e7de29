// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_REDIS_ABUSE_COUNTER_H_
#define WECHAT_SERVER_CLUSTER_REDIS_ABUSE_COUNTER_H_

#include <chrono>
#include <memory>
#include <string>

#include "server/cluster/redis_client.h"
#include "server/rate_limiter.h"

namespace wechat::server::cluster {

/// An abuse limit every node of a cluster counts together: each key's events are a sorted set
/// in Redis (scored by time, expiring with the window), read and pruned by one Lua script.
/// While Redis cannot answer, the node falls back to counting alone (a LocalAbuseCounter), so
/// an outage loosens the limit to one node's share instead of lifting it or refusing everyone.
class RedisAbuseCounter final : public AbuseCounter {
 public:
  /// `name` tells the limits apart in Redis (wechat:limit:<name>:<key>).
  RedisAbuseCounter(std::shared_ptr<RedisClient> redis, std::string name, const Clock& clock,
                    unsigned limit, std::chrono::milliseconds window);

  void retry_after(const std::string& key, std::function<void(std::int64_t)> done) override;
  void record(const std::string& key) override;
  void reset(const std::string& key) override;

 private:
  std::string redis_key(const std::string& key) const;

  std::shared_ptr<RedisClient> redis_;
  const std::string name_;
  const Clock& clock_;
  const unsigned limit_;
  const std::chrono::milliseconds window_;
  LocalAbuseCounter fallback_;
};

}  // namespace wechat::server::cluster

#endif  // WECHAT_SERVER_CLUSTER_REDIS_ABUSE_COUNTER_H_
