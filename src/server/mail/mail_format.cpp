// SPDX-License-Identifier: MIT
#include "server/mail/mail_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <ctime>

#include "common/random.h"

namespace wechat {
namespace {

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 section 3.2.3.
bool is_atext(char c) noexcept {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return is_alnum(c) || kSpecials.find(c) != std::string_view::npos;
}

bool is_control(char c) noexcept {
  const auto b = static_cast<unsigned char>(c);
  return b < 0x20 || b == 0x7f;
}

bool is_ascii(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_plausible_domain(std::string_view domain) noexcept {
  if (domain.empty() || domain.size() > 253) return false;
  for (;;) {
    const auto dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

}  // namespace

namespace server {

bool is_plausible_email_address(std::string_view address) noexcept {
  if (address.size() < 3 || address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view local = address.substr(0, at);
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (!is_atext(c) && c != '.') return false;
  }
  return is_plausible_domain(address.substr(at + 1));
}

Status validate_mail_message(const MailMessage& message) {
  const auto invalid = [](std::string_view why) {
    return Status(Error::kInvalidArgument, std::string(why));
  };
  // Line breaks are checked first and named explicitly: they are how header injection is tried.
  if (message.to.find_first_of("\r\n") != std::string::npos) {
    return invalid("mail recipient contains a line break");
  }
  if (!is_plausible_email_address(message.to)) {
    return invalid("mail recipient is not a single plausible email address");
  }
  if (message.subject.find_first_of("\r\n") != std::string::npos) {
    return invalid("mail subject contains a line break");
  }
  if (message.subject.size() > kMaxSubjectBytes) {
    return invalid(fmt::format("mail subject is longer than {} bytes", kMaxSubjectBytes));
  }
  if (std::any_of(message.subject.begin(), message.subject.end(),
                  [](char c) { return is_control(c) && c != '\t'; })) {
    return invalid("mail subject contains a control character");
  }
  if (!detail::is_valid_utf8(message.subject)) return invalid("mail subject is not UTF-8");
  if (!detail::is_valid_utf8(message.body)) return invalid("mail body is not UTF-8");
  if (message.body.find('\0') != std::string::npos) return invalid("mail body contains NUL");
  std::size_t line = 0;
  for (char c : message.body) {
    line = (c == '\r' || c == '\n') ? 0 : line + 1;
    if (line > kMaxLineBytes) {
      return invalid(fmt::format("mail body has a line longer than {} bytes", kMaxLineBytes));
    }
  }
  return {};
}

}  // namespace server

namespace detail {

Result<Mailbox> parse_mailbox(std::string_view text) {
  const Status bad(Error::kInvalidArgument, "mail sender is not \"address\" or \"Name <address>\"");
  text = trim(text);
  Mailbox mailbox;
  if (!text.empty() && text.back() == '>') {
    const auto open = text.rfind('<');
    if (open == std::string_view::npos) return bad;
    mailbox.address = std::string(text.substr(open + 1, text.size() - open - 2));
    std::string_view name = trim(text.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      // Undo quoted-pair escapes; format_mailbox re-quotes as needed.
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        mailbox.display_name += name[i];
      }
    } else {
      mailbox.display_name = std::string(name);
    }
    if (std::any_of(mailbox.display_name.begin(), mailbox.display_name.end(), is_control) ||
        !is_valid_utf8(mailbox.display_name)) {
      return bad;
    }
  } else {
    mailbox.address = std::string(text);
  }
  if (!server::is_plausible_email_address(mailbox.address)) return bad;
  return mailbox;
}

std::string format_mailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  std::string name;
  if (!is_ascii(mailbox.display_name) || mailbox.display_name.find("=?") != std::string::npos) {
    name = encode_header_text(mailbox.display_name);
  } else if (std::all_of(mailbox.display_name.begin(), mailbox.display_name.end(),
                         [](char c) { return is_atext(c) || c == ' '; })) {
    name = mailbox.display_name;
  } else {
    name = "\"";
    for (char c : mailbox.display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += '"';
  }
  return name + " <" + mailbox.address + ">";
}

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((b0 & 0xe0) == 0xc0) {
      len = 2;
      cp = b0 & 0x1fu;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3;
      cp = b0 & 0x0fu;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3fu);
    }
    static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
        static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string encode_header_text(std::string_view text) {
  // "=?" in plain text would be read as the start of an encoded-word, so it is encoded too.
  if (is_ascii(text) && text.find("=?") == std::string_view::npos &&
      std::none_of(text.begin(), text.end(), is_control)) {
    return std::string(text);
  }
  // 39 bytes make 52 base64 characters, a 64-byte word: "Subject: " plus one word is 73 bytes,
  // under the 78 that RFC 5322 recommends. A word must hold whole characters (RFC 2047 6.3).
  constexpr std::size_t kChunk = 39;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = std::min(kChunk, text.size() - i);
    while (n > 1 && i + n < text.size() &&
           (static_cast<unsigned char>(text[i + n]) & 0xc0) == 0x80) {
      --n;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += base64_encode(text.substr(i, n));
    out += "?=";
    i += n;
  }
  return out;
}

std::string rfc5322_date(UnixMillis time) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = static_cast<std::time_t>(time >= 0 ? time / 1000 : (time - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string new_message_id(std::string_view domain) {
  return fmt::format("<{}@{}>", Id128::random().to_hex(), domain);
}

std::string format_mail(const server::MailMessage& message, std::string_view from_header,
                        UnixMillis date, std::string_view message_id) {
  std::string out;
  out.reserve(512 + message.body.size() + message.body.size() / 32);
  out += "Date: " + rfc5322_date(date) + "\r\n";
  out += fmt::format("From: {}\r\n", from_header);
  out += "To: " + message.to + "\r\n";
  out += "Subject: " + encode_header_text(message.subject) + "\r\n";
  out += fmt::format("Message-ID: {}\r\n", message_id);
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  // Every line end becomes CRLF: SMTP forbids bare CR and bare LF (RFC 5321 section 2.3.8).
  const std::string& body = message.body;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (body[i] == '\n') {
      out += "\r\n";
    } else {
      out += body[i];
    }
  }
  if (!body.empty() && body.back() != '\n' && body.back() != '\r') out += "\r\n";
  return out;
}

}  // namespace detail
}  // namespace wechat
