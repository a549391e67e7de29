// SPDX-License-Identifier: MIT
#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace wechat::bench {

// Index layout: values below 2^kSubBits ns map linearly (never used above 1 µs, kept for
// simplicity); from there, octave o (2^(o+kSubBits) .. 2^(o+kSubBits+1)) owns 128 buckets.
int Histogram::index_of(std::int64_t ns) {
  const auto v = static_cast<std::uint64_t>(ns);
  const int msb = 63 - std::countl_zero(v | 1);
  if (msb < kSubBits) return static_cast<int>(v);
  const int octave = msb - kSubBits + 1;
  const auto sub = static_cast<int>((v >> (msb - kSubBits)) & ((1u << kSubBits) - 1));
  return (octave << kSubBits) + sub;
}

std::int64_t Histogram::midpoint_of(int index) {
  const int octave = index >> kSubBits;
  const int sub = index & ((1 << kSubBits) - 1);
  if (octave == 0) return sub;
  const int shift = octave - 1;
  const std::uint64_t low = (static_cast<std::uint64_t>((1u << kSubBits) + sub)) << shift;
  const std::uint64_t width = std::uint64_t{1} << shift;
  return static_cast<std::int64_t>(low + width / 2);
}

Histogram::Histogram() : buckets_(static_cast<std::size_t>(index_of(kMaxNs)) + 1, 0) {}

void Histogram::record(std::int64_t ns) {
  if (ns < kMinNs || ns > kMaxNs) {
    ++clamped_;
    ns = std::clamp(ns, kMinNs, kMaxNs);
  }
  ++buckets_[static_cast<std::size_t>(index_of(ns))];
  ++count_;
  sum_ += ns;
  max_ = std::max(max_, ns);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = clamped_ = 0;
  sum_ = 0;
  max_ = 0;
}

std::int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  const std::uint64_t target = std::max<std::uint64_t>(1, rank);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= target) return std::min(midpoint_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace wechat::bench
