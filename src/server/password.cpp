// SPDX-License-Identifier: MIT
#include "server/password.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <vector>

#include "common/random.h"

namespace wechat::server {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + 2 * i + 2) return std::nullopt;
    out[i] = static_cast<char>(v);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<std::string> hash_password(std::string_view password, unsigned log2_n) {
  if (log2_n < 1 || log2_n > 24) return Status(Error::kInvalidArgument, "scrypt log2(N) out of range");
  std::array<std::uint8_t, kSaltBytes> salt{};
  detail::random_bytes(salt);
  const std::string_view salt_view(reinterpret_cast<const char*>(salt.data()), salt.size());
  detail::ScryptParams params;
  params.n = std::uint64_t{1} << log2_n;
  WECHAT_ASSIGN_OR_RETURN(std::string hash, detail::scrypt(password, salt_view, params, kHashBytes));
  return fmt::format("scrypt${}${}${}${}${}", log2_n, params.r, params.p,
                     detail::to_hex(salt_view), detail::to_hex(hash));
}

Result<bool> verify_password(std::string_view password, std::string_view encoded) {
  const auto parts = split(encoded, '$');
  detail::ScryptParams params;
  unsigned log2_n = 0;
  if (parts.size() != 6 || parts[0] != "scrypt" || !parse_number(parts[1], log2_n) ||
      log2_n < 1 || log2_n > 24 || !parse_number(parts[2], params.r) ||
      !parse_number(parts[3], params.p)) {
    return Status(Error::kInternal, "stored password hash is malformed");
  }
  params.n = std::uint64_t{1} << log2_n;
  const auto salt = from_hex(parts[4]);
  const auto expected = from_hex(parts[5]);
  if (!salt || !expected || expected->empty()) {
    return Status(Error::kInternal, "stored password hash is malformed");
  }
  WECHAT_ASSIGN_OR_RETURN(std::string actual,
                          detail::scrypt(password, *salt, params, expected->size()));
  return detail::constant_time_equal(actual, *expected);
}

}  // namespace wechat::server
