// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_RATE_LIMITER_H_
#define WECHAT_SERVER_RATE_LIMITER_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
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

/// Where an abuse limit (codes requested, failed logins) counts its events: this process
/// (LocalAbuseCounter) or, in a cluster, Redis (cluster::RedisAbuseCounter), so that every node
/// counts the same events and spreading attempts over nodes gains nothing.
///
/// @par Thread Safety
/// All methods are safe from any thread.
class AbuseCounter {
 public:
  virtual ~AbuseCounter() = default;
  /// Calls `done` once, on any thread, with the milliseconds until `key` may act again (0: now).
  virtual void retry_after(const std::string& key, std::function<void(std::int64_t)> done) = 0;
  /// Records one event for `key`.
  virtual void record(const std::string& key) = 0;
  /// Forgets `key` (e.g. after a successful login).
  virtual void reset(const std::string& key) = 0;
};

/// An AbuseCounter over a RateLimiter in this process.
class LocalAbuseCounter final : public AbuseCounter {
 public:
  LocalAbuseCounter(const Clock& clock, unsigned limit, std::chrono::milliseconds window)
      : limiter_(clock, limit, window) {}
  void retry_after(const std::string& key, std::function<void(std::int64_t)> done) override {
    done(limiter_.retry_after(key));
  }
  void record(const std::string& key) override { limiter_.record(key); }
  void reset(const std::string& key) override { limiter_.reset(key); }

 private:
  RateLimiter limiter_;
};

/// A token bucket: `rate` tokens a second up to `burst`. Cheap enough for every request.
/// Not thread-safe (one per connection, used on its strand).
class TokenBucket {
 public:
  /// Full at `now`.
  TokenBucket(double rate, double burst,
              std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  /// Takes one token if there is one.
  bool try_take(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  /// Takes the next token, available now or within `max_wait`, and returns how long to wait
  /// for it; nullopt (nothing taken) if it is further away. Successive reservations get
  /// successive tokens, so their waits never decrease.
  std::optional<std::chrono::steady_clock::duration> reserve(
      std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration max_wait);
  /// How long a reservation made at `now` would wait; takes nothing.
  std::chrono::steady_clock::duration next_wait(std::chrono::steady_clock::time_point now) const;
  /// Returns the token the last reserve() took, for a request that another limit refused.
  void give_back() { tokens_ = std::min(burst_, tokens_ + 1.0); }
  std::chrono::steady_clock::time_point last_used() const { return last_; }

 private:
  /// The tokens at `now`: refilled since last_, capped at the burst.
  double tokens_at(std::chrono::steady_clock::time_point now) const;
  /// Brings tokens_ and last_ to `now` (never moving last_ back).
  void refill(std::chrono::steady_clock::time_point now);
  /// How long until one token is there, holding `tokens` now.
  std::chrono::steady_clock::duration wait_for_one(double tokens) const;

  double rate_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

/// Token buckets by key (user id), for limits that span connections. Thread-safe; idle keys
/// are dropped so memory follows the active users.
class KeyedTokenBuckets {
 public:
  KeyedTokenBuckets(double rate, double burst) : rate_(rate), burst_(burst) {}
  bool try_take(std::uint64_t key);
  /// TokenBucket::reserve on `key`'s bucket.
  std::optional<std::chrono::steady_clock::duration> reserve(
      std::uint64_t key, std::chrono::steady_clock::duration max_wait);
  /// TokenBucket::next_wait on `key`'s bucket (zero for a key with no bucket: it is full).
  std::chrono::steady_clock::duration next_wait(std::uint64_t key);

 private:
  /// REQUIRES: mutex_ held. Sweeps idle buckets now and then.
  TokenBucket& bucket(std::uint64_t key, std::chrono::steady_clock::time_point now);

  const double rate_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, TokenBucket> buckets_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_RATE_LIMITER_H_
