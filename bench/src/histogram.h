// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_HISTOGRAM_H_
#define WECHAT_BENCH_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace wechat::bench {

/// A log-linear latency histogram from 1 µs to 60 s (HdrHistogram's layout, simplified): each
/// power of two is split into 128 linear sub-buckets, so any recorded value is reported within
/// 1/128 (< 0.8 %) of itself. Values are nanoseconds; below 1 µs counts as 1 µs and above 60 s
/// as 60 s (both counted in clamped()).
///
/// @par Thread Safety
/// Not synchronised: one histogram per thread, merged afterwards.
class Histogram {
 public:
  static constexpr std::int64_t kMinNs = 1'000;
  static constexpr std::int64_t kMaxNs = 60'000'000'000;

  Histogram();
  void record(std::int64_t ns);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t clamped() const { return clamped_; }
  /// The value at quantile q in [0, 1] (the bucket's midpoint), in nanoseconds; 0 if empty.
  std::int64_t quantile(double q) const;
  std::int64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

 private:
  static constexpr int kSubBits = 7;  // 128 sub-buckets per octave
  static int index_of(std::int64_t ns);
  static std::int64_t midpoint_of(int index);

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t clamped_ = 0;
  std::int64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_HISTOGRAM_H_
