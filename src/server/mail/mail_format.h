// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_MAIL_MAIL_FORMAT_H_
#define WECHAT_SERVER_MAIL_MAIL_FORMAT_H_

// Building RFC 5322 messages, shared by FileMailer and SmtpMailer. Internal to server/mail.

#include <string>
#include <string_view>

#include "server/mail/mailer.h"
#include "wechat/clock.h"
#include "wechat/status.h"

namespace wechat::detail {

/// An address with an optional display name ("Name <address>").
struct Mailbox {
  std::string display_name;  ///< UTF-8, possibly empty.
  std::string address;       ///< Passes is_plausible_email_address.
};

/// Parses "address", "Name <address>" or "\"Quoted Name\" <address>".
/// Errors: kInvalidArgument for anything else, or a name with a control character or bad UTF-8.
Result<Mailbox> parse_mailbox(std::string_view text);

/// The header form of `mailbox`: the name as is, quoted, or RFC 2047 encoded, then "<address>".
std::string format_mailbox(const Mailbox& mailbox);

/// True for well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

/// Standard base64 with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);

/// `text` for an unstructured header or a display name: unchanged when plain ASCII; otherwise
/// RFC 2047 "B" encoded-words of whole UTF-8 characters, each at most 64 bytes, separated by
/// CRLF SP (folding), so every line of a Subject header stays under 78 bytes.
std::string encode_header_text(std::string_view text);

/// RFC 5322 date-time in UTC, e.g. "Tue, 14 Nov 2023 22:13:20 +0000". Locale-independent.
std::string rfc5322_date(UnixMillis time);

/// A fresh "<128 random bits in hex@domain>".
std::string new_message_id(std::string_view domain);

/// The complete message with CRLF line endings, ready for DATA (before dot-stuffing).
/// REQUIRES: validate_mail_message(message).ok(); from_header is a formatted mailbox.
std::string format_mail(const server::MailMessage& message, std::string_view from_header,
                        UnixMillis date, std::string_view message_id);

}  // namespace wechat::detail

#endif  // WECHAT_SERVER_MAIL_MAIL_FORMAT_H_
