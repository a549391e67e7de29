// SPDX-License-Identifier: MIT
#include "server/validation.h"

#include <algorithm>
#include <cstdint>

namespace wechat::server {

Status validate_username(std::string_view username) {
  const bool ok = username.size() >= 3 && username.size() <= 32 &&
                  std::all_of(username.begin(), username.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                  });
  if (ok) return {};
  return Status(Error::kInvalidUsername, "a username is 3-32 characters of a-z, 0-9 and _");
}

Result<std::string> normalize_email(std::string_view email) {
  const Status bad(Error::kInvalidEmail, "not a valid email address");
  if (email.size() < 3 || email.size() > 254) return bad;
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return bad;
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return bad;
  std::string out;
  out.reserve(email.size());
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '\\')
      return bad;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const auto n = text.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<std::uint8_t>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

Status validate_password(std::string_view password, std::size_t min_length) {
  if (password.size() < min_length) {
    return Status(Error::kWeakPassword,
                  "a password needs at least " + std::to_string(min_length) + " bytes");
  }
  if (password.size() > 1024 || !is_valid_utf8(password)) {
    return Status(Error::kInvalidArgument, "a password is at most 1024 bytes of UTF-8");
  }
  return {};
}

Status validate_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status(Error::kMessageTooLarge,
                  "a message is at most " + std::to_string(max_bytes) + " bytes");
  }
  if (!is_valid_utf8(text)) return Status(Error::kInvalidArgument, "text is not valid UTF-8");
  const bool blank = std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
  if (blank) return Status(Error::kInvalidArgument, "a message needs some text");
  return {};
}

Status validate_group_name(std::string_view name) {
  const Status bad(Error::kInvalidArgument,
                   "a group name is 1-64 bytes of UTF-8 without control characters");
  if (name.empty() || name.size() > 64 || !is_valid_utf8(name)) return bad;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return bad;
    // U+0080-U+009F (C1 controls) are encoded as C2 80 - C2 9F.
    if (c == 0xc2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) <= 0x9f) {
      return bad;
    }
  }
  if (std::all_of(name.begin(), name.end(), [](char c) { return c == ' '; })) return bad;
  return {};
}

bool is_code_shaped(std::string_view code) {
  return code.size() == 6 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace wechat::server
