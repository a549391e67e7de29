// SPDX-License-Identifier: MIT
#include "server/cluster/redis_abuse_counter.h"

#include "common/random.h"

namespace wechat::server::cluster {

namespace {

/// KEYS: the key's set. ARGV: now, window, limit. Drops events that left the window; returns
/// the milliseconds until the oldest event that keeps the key at its limit leaves it (0: may
/// act now). The same rule as RateLimiter's.
constexpr const char* kRetryAfterScript = R"lua(
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then return 0 end
local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return math.max(0, tonumber(oldest[2]) + window - now)
)lua";

/// KEYS: the key's set. ARGV: now, window, a unique member. Records one event.
constexpr const char* kRecordScript = R"lua(
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)lua";

}  // namespace

RedisAbuseCounter::RedisAbuseCounter(std::shared_ptr<RedisClient> redis, std::string name,
                                     const Clock& clock, unsigned limit,
                                     std::chrono::milliseconds window)
    : redis_(std::move(redis)),
      name_(std::move(name)),
      clock_(clock),
      limit_(limit),
      window_(window),
      fallback_(clock, limit, window) {}

std::string RedisAbuseCounter::redis_key(const std::string& key) const {
  return "wechat:limit:" + name_ + ":" + key;
}

void RedisAbuseCounter::retry_after(const std::string& key,
                                    std::function<void(std::int64_t)> done) {
  redis_->command({"EVAL", kRetryAfterScript, "1", redis_key(key), std::to_string(clock_.now_ms()),
                   std::to_string(window_.count()), std::to_string(limit_)},
                  [this, key, done = std::move(done)](Result<RedisReply> reply) {
                    if (reply.ok() && reply->is_integer()) return done(reply->integer);
                    fallback_.retry_after(key, done);
                  });
}

void RedisAbuseCounter::record(const std::string& key) {
  // Both: the local count is what applies while Redis is away.
  fallback_.record(key);
  const auto now = clock_.now_ms();
  redis_->command({"EVAL", kRecordScript, "1", redis_key(key), std::to_string(now),
                   std::to_string(window_.count()),
                   std::to_string(now) + "-" + detail::Id128::random().to_hex()},
                  [](Result<RedisReply>) {});
}

void RedisAbuseCounter::reset(const std::string& key) {
  fallback_.reset(key);
  redis_->command({"DEL", redis_key(key)}, [](Result<RedisReply>) {});
}

}  // namespace wechat::server::cluster
