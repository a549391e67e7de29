// SPDX-License-Identifier: MIT
#include "common/random.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <limits>

namespace wechat::detail {

void random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

std::uint64_t random_below(std::uint64_t bound) {
  // Rejection sampling: drop the top partial range so every result is equally likely.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t v = 0;
  do {
    random_bytes({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
  } while (v >= limit);
  return v % bound;
}

Id128 Id128::random() {
  Id128 id;
  random_bytes(id.bytes);
  return id;
}

std::optional<Id128> Id128::from_bytes(std::string_view raw) {
  if (raw.size() != 16) return std::nullopt;
  Id128 id;
  for (std::size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(raw[i]);
  return id;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace

std::optional<Id128> Id128::from_hex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Id128 id;
  for (std::size_t i = 0; i < 16; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return id;
}

std::string Id128::to_hex() const { return detail::to_hex(as_bytes()); }

bool Id128::is_zero() const {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<std::uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

}  // namespace wechat::detail
