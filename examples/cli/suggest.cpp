// SPDX-License-Identifier: MIT
#include "suggest.h"

#include <algorithm>
#include <vector>

namespace wechat::cli {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: the swap rule looks two rows back.
  const std::size_t n = b.size();
  std::vector<std::size_t> two_back(n + 1), prev(n + 1), cur(n + 1);
  for (std::size_t j = 0; j <= n; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= n; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], two_back[j - 2] + 1);
      }
    }
    two_back.swap(prev);
    prev.swap(cur);
  }
  return prev[n];
}

namespace {
std::size_t common_prefix(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}
}  // namespace

std::optional<std::string> closest(std::string_view word,
                                   std::span<const std::string_view> candidates) {
  if (word.empty()) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  std::size_t best_prefix = 0;
  for (const auto candidate : candidates) {
    const bool is_prefix = candidate.size() > word.size() && candidate.starts_with(word);
    // A prefix is as good as a one-letter typo: "/hist" means "/history".
    const std::size_t distance = is_prefix ? 1 : edit_distance(word, candidate);
    const std::size_t longer = std::max(word.size(), candidate.size());
    if (!is_prefix && (distance > 3 || distance >= longer)) continue;
    const std::size_t prefix = common_prefix(word, candidate);
    if (!best || distance < best_distance || (distance == best_distance && prefix > best_prefix)) {
      best = candidate;
      best_distance = distance;
      best_prefix = prefix;
    }
  }
  if (!best) return std::nullopt;
  return std::string(*best);
}

}  // namespace wechat::cli
