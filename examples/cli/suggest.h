// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_SUGGEST_H_
#define WECHAT_CLI_SUGGEST_H_

/// @file
/// "Did you mean": the closest word to a typo, by edit distance. Pure.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wechat::cli {

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours cost one each. Bytes, so ASCII words.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, or nullopt when none is plausibly meant. A candidate that
/// `word` is a prefix of always counts; otherwise the distance must be at most 3 and less than
/// the longer word's length. Ties go to the longer common prefix, then to the earlier candidate.
std::optional<std::string> closest(std::string_view word,
                                   std::span<const std::string_view> candidates);

}  // namespace wechat::cli

#endif  // WECHAT_CLI_SUGGEST_H_
