// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_CLOCK_H_
#define WECHAT_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace wechat::detail {

/// Milliseconds since the Unix epoch: the unit of every timestamp on the wire and on disk.
using UnixMillis = std::int64_t;

/// Wall-clock seam: code that decides expiry (codes, tokens, rate-limit windows) asks a Clock,
/// so tests can move time instead of sleeping.
///
/// @par Thread Safety
/// now_ms() is safe from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis now_ms() const = 0;
};

/// The real wall clock.
class SystemClock final : public Clock {
 public:
  UnixMillis now_ms() const override;
  /// A process-wide instance, for defaults.
  static const SystemClock& instance();
};

/// A clock that moves only when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start = 1'700'000'000'000) : now_(start) {}
  UnixMillis now_ms() const override { return now_.load(std::memory_order_relaxed); }
  void advance_ms(std::int64_t delta) { now_.fetch_add(delta, std::memory_order_relaxed); }
  void set_ms(UnixMillis value) { now_.store(value, std::memory_order_relaxed); }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_CLOCK_H_
