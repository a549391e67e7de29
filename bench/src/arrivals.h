// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_ARRIVALS_H_
#define WECHAT_BENCH_ARRIVALS_H_

#include <chrono>
#include <cstdint>
#include <random>

namespace wechat::bench {

/// Monotonic nanoseconds (steady_clock): the one time base of every measurement.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Open-loop Poisson arrivals: exponential gaps with mean 1/rate. The schedule never looks at
/// responses, so a slow server cannot slow the offered load down (no coordinated omission):
/// every latency is measured from the *intended* time returned here, not from when the
/// generator got around to sending.
class PoissonArrivals {
 public:
  PoissonArrivals(double rate_per_s, std::int64_t start_ns, std::uint64_t seed)
      : rng_(seed), gap_(rate_per_s / 1e9), next_(start_ns) {
    next_ += static_cast<std::int64_t>(gap_(rng_));
  }
  /// The intended time of the next arrival (not consumed).
  std::int64_t peek() const { return next_; }
  /// Consumes the next arrival and returns its intended time.
  std::int64_t pop() {
    const std::int64_t t = next_;
    next_ += static_cast<std::int64_t>(gap_(rng_));
    return t;
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
  std::int64_t next_;
};

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_ARRIVALS_H_
