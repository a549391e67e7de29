// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_VALIDATION_H_
#define WECHAT_SERVER_VALIDATION_H_

#include <string>
#include <string_view>

#include "wechat/status.h"

namespace wechat::server {

/// 3-32 characters of [a-z0-9_]. Error: kInvalidUsername.
Status validate_username(std::string_view username);

/// A plausible single address (local@domain.tld, no spaces or control characters, at most
/// 254 bytes), returned lowercased. Error: kInvalidEmail.
Result<std::string> normalize_email(std::string_view email);

/// At least `min_length` bytes and at most 1024, valid UTF-8. Error: kWeakPassword or
/// kInvalidArgument.
Status validate_password(std::string_view password, std::size_t min_length);

/// Well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF) and no NUL.
bool is_valid_utf8(std::string_view text);

/// Message text: non-empty after trimming, valid UTF-8, at most `max_bytes`.
/// Errors: kInvalidArgument, kMessageTooLarge.
Status validate_text(std::string_view text, std::size_t max_bytes);

/// A group name: 1-64 bytes of valid UTF-8, not only white space, and no control character
/// (U+0000-U+001F, U+007F-U+009F). Error: kInvalidArgument.
Status validate_group_name(std::string_view name);

/// Exactly six ASCII digits.
bool is_code_shaped(std::string_view code);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_VALIDATION_H_
