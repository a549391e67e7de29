// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_RANDOM_H_
#define WECHAT_COMMON_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wechat::detail {

/// Fills `out` from the operating system's CSPRNG (through OpenSSL). Aborts if the CSPRNG is
/// unavailable: continuing with guessable tokens would be worse than stopping.
void random_bytes(std::span<std::uint8_t> out);

/// A uniformly random integer in [0, bound). REQUIRES: bound > 0.
std::uint64_t random_below(std::uint64_t bound);

/// A 128-bit random identifier (client message ids, device ids).
struct Id128 {
  std::array<std::uint8_t, 16> bytes{};

  static Id128 random();
  /// REQUIRES: raw.size() == 16; otherwise nullopt.
  static std::optional<Id128> from_bytes(std::string_view raw);
  /// 32 lowercase hex digits; nullopt for anything else.
  static std::optional<Id128> from_hex(std::string_view hex);

  std::string to_hex() const;
  std::string_view as_bytes() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  bool is_zero() const;

  friend bool operator==(const Id128&, const Id128&) = default;
};

/// Lowercase hex of arbitrary bytes.
std::string to_hex(std::string_view bytes);

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_RANDOM_H_
