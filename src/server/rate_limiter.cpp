// SPDX-License-Identifier: MIT
#include "server/rate_limiter.h"

#include <algorithm>

namespace wechat::server {

RateLimiter::RateLimiter(const Clock& clock, unsigned limit, std::chrono::milliseconds window)
    : clock_(clock), limit_(limit), window_ms_(window.count()) {}

void RateLimiter::prune(std::deque<UnixMillis>& events, UnixMillis now) const {
  while (!events.empty() && events.front() <= now - window_ms_) events.pop_front();
}

void RateLimiter::maybe_sweep(UnixMillis now) {
  // Keys that went quiet are dropped once per window so memory stays bounded by active keys.
  if (now - last_sweep_ < window_ms_) return;
  last_sweep_ = now;
  for (auto it = events_.begin(); it != events_.end();) {
    prune(it->second, now);
    it = it->second.empty() ? events_.erase(it) : std::next(it);
  }
}

std::int64_t RateLimiter::retry_after_locked(const std::string& key, UnixMillis now) {
  auto it = events_.find(key);
  if (it == events_.end()) return 0;
  prune(it->second, now);
  if (it->second.size() < limit_) return 0;
  // The oldest event in the window must age out before another is allowed.
  const auto& events = it->second;
  return events[events.size() - limit_] + window_ms_ - now;
}

std::int64_t RateLimiter::retry_after(const std::string& key) {
  std::lock_guard lock(mutex_);
  return retry_after_locked(key, clock_.now_ms());
}

void RateLimiter::record(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now_ms();
  maybe_sweep(now);
  auto& events = events_[key];
  prune(events, now);
  events.push_back(now);
  if (events.size() > limit_) events.pop_front();
}

bool RateLimiter::try_acquire(const std::string& key, std::int64_t* retry_after_ms) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.now_ms();
  maybe_sweep(now);
  const auto wait = retry_after_locked(key, now);
  if (retry_after_ms) *retry_after_ms = wait;
  if (wait > 0) return false;
  events_[key].push_back(now);
  return true;
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  events_.erase(key);
}

TokenBucket::TokenBucket(double rate, double burst, std::chrono::steady_clock::time_point now)
    : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

double TokenBucket::tokens_at(std::chrono::steady_clock::time_point now) const {
  // A `now` read before the bucket's last use (another thread's clock reading that reached the
  // lock second, a bucket created after the caller read the clock) refills nothing; negative
  // refill would refuse a token that is there.
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - last_).count());
  return std::min(burst_, tokens_ + elapsed * rate_);
}

void TokenBucket::refill(std::chrono::steady_clock::time_point now) {
  tokens_ = tokens_at(now);
  last_ = std::max(last_, now);
}

std::chrono::steady_clock::duration TokenBucket::wait_for_one(double tokens) const {
  const double wait_s = tokens >= 1.0 ? 0.0 : (1.0 - tokens) / rate_;
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(wait_s));
}

bool TokenBucket::try_take(std::chrono::steady_clock::time_point now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::optional<std::chrono::steady_clock::duration> TokenBucket::reserve(
    std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration max_wait) {
  refill(now);
  const auto wait = wait_for_one(tokens_);
  if (wait > max_wait) return std::nullopt;
  // Tokens may go below zero: each reservation past the bucket takes a token still to come.
  tokens_ -= 1.0;
  return wait;
}

std::chrono::steady_clock::duration TokenBucket::next_wait(
    std::chrono::steady_clock::time_point now) const {
  return wait_for_one(tokens_at(now));
}

std::optional<std::chrono::steady_clock::duration> KeyedTokenBuckets::reserve(
    std::uint64_t key, std::chrono::steady_clock::duration max_wait) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  return bucket(key, now).reserve(now, max_wait);
}

std::chrono::steady_clock::duration KeyedTokenBuckets::next_wait(std::uint64_t key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const auto it = buckets_.find(key);
  return it == buckets_.end() ? std::chrono::steady_clock::duration::zero()
                              : it->second.next_wait(now);
}

bool KeyedTokenBuckets::try_take(std::uint64_t key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  return bucket(key, now).try_take(now);
}

TokenBucket& KeyedTokenBuckets::bucket(std::uint64_t key, std::chrono::steady_clock::time_point now) {
  // A bucket that has been idle long enough to refill completely is the same as no bucket.
  const auto refill = std::chrono::duration<double>(burst_ / rate_);
  if (now - last_sweep_ > refill) {
    last_sweep_ = now;
    std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last_used() > refill; });
  }
  // Full as of `now`, the time the caller takes from it.
  return buckets_.try_emplace(key, rate_, burst_, now).first->second;
}

}  // namespace wechat::server
