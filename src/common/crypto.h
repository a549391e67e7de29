// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_CRYPTO_H_
#define WECHAT_COMMON_CRYPTO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "wechat/status.h"

namespace wechat::detail {

/// SHA-256 of `data`, 32 raw bytes. Used to store session tokens hashed: a token is 256 random
/// bits, so a plain hash is enough (no salt or stretching needed, unlike passwords).
std::string sha256(std::string_view data);

/// Compares in time that depends only on the lengths, not on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// scrypt cost. Memory used is 128 * n * r bytes (32 MiB at the production default).
struct ScryptParams {
  std::uint64_t n = 1u << 15;  ///< CPU/memory cost, a power of two. Default: 2^15.
  std::uint32_t r = 8;          ///< Block size. Default: 8.
  std::uint32_t p = 1;          ///< Parallelism. Default: 1.
};

/// scrypt(password, salt) through OpenSSL's EVP_KDF, `length` raw bytes.
/// Errors: kInvalidArgument for parameters OpenSSL rejects, kInternal if the KDF is missing.
/// Blocking and memory-hard by design: never call it on an I/O thread.
Result<std::string> scrypt(std::string_view password, std::string_view salt,
                           const ScryptParams& params, std::size_t length = 32);

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_CRYPTO_H_
