// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_PASSWORD_H_
#define WECHAT_SERVER_PASSWORD_H_

#include <string>
#include <string_view>

#include "common/crypto.h"
#include "wechat/status.h"

namespace wechat::server {

/// Hashes a password with scrypt and a fresh 16-byte salt. The result is self-describing,
/// "scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>", so the cost can be raised later without
/// breaking existing accounts. Blocking (tens of ms by design): call on a worker thread.
Result<std::string> hash_password(std::string_view password, unsigned log2_n);

/// Checks `password` against an encoded hash in constant time. A malformed encoding is
/// kInternal (a corrupt row), never "wrong password".
Result<bool> verify_password(std::string_view password, std::string_view encoded);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_PASSWORD_H_
