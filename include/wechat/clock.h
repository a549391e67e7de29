// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLOCK_H_
#define WECHAT_CLOCK_H_

/// @file
/// The wall-clock seam. Everything that expires (verification codes, session tokens, rate-limit
/// windows) asks a Clock, so tests can move time instead of sleeping.

#include <atomic>
#include <cstdint>

#include "wechat/export.h"

namespace wechat {

/// Milliseconds since the Unix epoch: the unit of every timestamp on the wire and on disk.
using UnixMillis = std::int64_t;

/// @par Thread Safety
/// now_ms() may be called from any thread.
class WECHAT_API Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis now_ms() const = 0;
};

/// The real wall clock.
class WECHAT_API SystemClock final : public Clock {
 public:
  UnixMillis now_ms() const override;
};

/// A clock that moves only when told to, for tests.
class WECHAT_API ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start = 1'700'000'000'000) : now_(start) {}
  UnixMillis now_ms() const override { return now_.load(std::memory_order_relaxed); }
  void advance_ms(std::int64_t delta) { now_.fetch_add(delta, std::memory_order_relaxed); }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace wechat

#endif  // WECHAT_CLOCK_H_
