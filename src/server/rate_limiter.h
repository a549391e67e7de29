// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_RATE_LIMITER_H_
#define WECHAT_SERVER_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "wechat/clock.h"

namespace wechat::server {

/// At most `limit` events per key in any sliding `window`. In memory, for one process; a cluster
/// keeps these counters in Redis instead.
///
/// @par Thread Safety
/// All methods are safe from any thread.
class RateLimiter {
 public:
  RateLimiter(const Clock& clock, unsigned limit, std::chrono::milliseconds window);

  /// Milliseconds until `key` may act again; 0 if it may act now.
  std::int64_t retry_after(const std::string& key);
  /// Records one event for `key`.
  void record(const std::string& key);
  /// Checks and records in one step: true if allowed (and recorded).
  bool try_acquire(const std::string& key, std::int64_t* retry_after_ms = nullptr);
  /// Forgets `key` (e.g. after a successful login).
  void reset(const std::string& key);

 private:
  void prune(std::deque<UnixMillis>& events, UnixMillis now) const;
  void maybe_sweep(UnixMillis now);
  std::int64_t retry_after_locked(const std::string& key, UnixMillis now);

  const Clock& clock_;
  const unsigned limit_;
  const std::int64_t window_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<UnixMillis>> events_;
  UnixMillis last_sweep_ = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_RATE_LIMITER_H_
