// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_MAIL_MAILER_H_
#define WECHAT_SERVER_MAIL_MAILER_H_

/// @file
/// Outgoing mail: the server mails 6-digit verification codes for registration and password
/// reset. `SmtpMailer` sends through an SMTP relay (libcurl); `FileMailer` (development and
/// tests) writes each mail as a file that a person can read with `cat`.
///
/// ## The FileMailer directory
///
/// The directory is created with mode 0700 (missing parents too) on the first send. Each mail is
/// one file, mode 0600, named
///
///     <unix-millis>-<counter>-<recipient>.eml     e.g. 1700000000000-0-alice@example.com.eml
///
/// - `unix-millis`: when it was sent (the mailer's clock), in decimal.
/// - `counter`: a per-process sequence number in decimal, telling apart mails written in the
///   same millisecond. The newest mail is the one with the greatest (unix-millis, counter),
///   both compared as numbers.
/// - `recipient`: the To address lowercased, with every byte outside `[a-z0-9.@_+-]` replaced
///   by `_` (at most 128 bytes). Two addresses can map to one name: readers check `To:`.
///
/// A file appears complete or not at all: it is written as `.<name>.tmp`, fsynced, then renamed.
///
/// The content is exactly the message `SmtpMailer` would send: RFC 5322 headers, an empty line,
/// the body; CRLF line endings; the body raw UTF-8, so the code reads as is:
///
///     Date: Tue, 14 Nov 2023 22:13:20 +0000
///     From: libwechat <no-reply@localhost>
///     To: alice@example.com
///     Subject: Your verification code
///     Message-ID: <0f6c2b...@localhost>
///     MIME-Version: 1.0
///     Content-Type: text/plain; charset=utf-8
///     Content-Transfer-Encoding: 8bit
///
///     Your verification code is:
///
///         123456
///     ...
///
/// A Subject with non-ASCII characters is RFC 2047 encoded (`=?UTF-8?B?...?=` words, folded
/// onto continuation lines that start with a space). To read the newest mail to Alice:
///
///     cd <dir> && cat "$(ls -- *-alice@example.com.eml | sort -t- -k1,1n -k2,2n | tail -n 1)"
///
/// or, from code, `latest_mail_to(dir, "alice@example.com")`.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/logger.h"
#include "wechat/clock.h"
#include "wechat/status.h"

namespace wechat::server {

/// One plain-text mail to one recipient.
struct MailMessage {
  /// One bare address, "alice@example.com" (see is_plausible_email_address). No display name,
  /// no list.
  std::string to;
  /// UTF-8, one line (no CR or LF, no control characters), at most kMaxSubjectBytes bytes.
  std::string subject;
  /// UTF-8 plain text. Lines may end in "\n", "\r\n" or "\r" (all sent as CRLF) and hold at
  /// most kMaxLineBytes bytes; no NUL.
  std::string body;
};

inline constexpr std::size_t kMaxSubjectBytes = 512;
inline constexpr std::size_t kMaxLineBytes = 998;  ///< RFC 5322 section 2.1.1.

/// Sends mail.
///
/// @par Thread Safety
/// Implementations are thread-safe: send() may run on several threads at once. send() may block
/// (network, disk) up to its timeout: call it on a worker thread, never on an I/O thread.
class Mailer {
 public:
  virtual ~Mailer() = default;

  /// Sends `message`, or says why not.
  /// Errors: kInvalidArgument when validate_mail_message rejects the message (nothing is sent);
  /// otherwise as documented by the implementation.
  virtual Status send(const MailMessage& message) = 0;
};

/// True if `address` is one bare address we are willing to mail: `local@domain`, at most 254
/// bytes; `local` a dot-atom of RFC 5322 atext (1-64 bytes, no leading, trailing or double
/// dot); `domain` dot-separated labels of [A-Za-z0-9-] (1-63 bytes, no leading or trailing
/// hyphen; a single label such as "localhost" is accepted). Rejected on purpose: display names,
/// lists, quoted local parts, IP literals, non-ASCII (SMTPUTF8) addresses, and any whitespace
/// or control character, so an accepted address cannot inject a header or an SMTP command.
bool is_plausible_email_address(std::string_view address) noexcept;

/// OK, or kInvalidArgument naming the first field that breaks the rules of MailMessage (in
/// particular a CR or LF in the recipient or the subject: header injection is refused).
Status validate_mail_message(const MailMessage& message);

/// Development mailer: writes each mail as a file (format at the top of this header).
///
/// Errors from send(): kInvalidArgument (see validate_mail_message, or an empty directory
/// name); kIo when the directory cannot be created or the file cannot be written.
///
/// @par Thread Safety
/// send() is safe from any thread; concurrent sends write distinct files.
///
/// @code
///   wechat::server::FileMailer mailer(data_dir + "/mail");
///   WECHAT_TRY(mailer.send({"alice@example.com", verification_mail_subject("register"),
///                          verification_mail_body(code, "register", 10)}));
/// @endcode
class FileMailer final : public Mailer {
 public:
  /// The From header of every mail written.
  static constexpr std::string_view kFrom = "libwechat <no-reply@localhost>";

  /// Does no I/O: `directory` is created on the first send. `clock` names files and dates
  /// mails; null means the system clock. Mails written are logged at info level (recipient and
  /// path, never the content).
  explicit FileMailer(std::string directory, std::shared_ptr<const Clock> clock = nullptr,
                      detail::Logger logger = {});

  Status send(const MailMessage& message) override;

  const std::string& directory() const noexcept { return directory_; }

 private:
  const std::string directory_;
  const std::shared_ptr<const Clock> clock_;
  const detail::Logger logger_;
};

/// The whole content of the newest mail to `recipient` (compared ignoring ASCII case) that a
/// FileMailer wrote in `directory`.
/// Errors: kNotFound when there is none, or the directory does not exist; kIo when the directory
/// cannot be listed.
/// Thread-safe; it only reads, and files being written are not visible until complete.
Result<std::string> latest_mail_to(const std::string& directory, const std::string& recipient);

/// How SmtpMailer reaches the relay.
struct SmtpOptions {
  /// "smtp://host:port" (usually 587, upgraded with STARTTLS) or "smtps://host:port" (usually
  /// 465, TLS from the first byte). A path, if any, is the name sent in EHLO. Credentials do not
  /// belong here (a URL with "user@" is refused): use username and password. REQUIRED.
  std::string url;
  /// SMTP AUTH user name. Default: empty, no authentication.
  std::string username;
  /// SMTP AUTH password. Never logged and never part of an error message. Default: empty.
  std::string password;
  /// Envelope sender and From header: "no-reply@example.com" or
  /// "Example Chat <no-reply@example.com>" (a non-ASCII name is RFC 2047 encoded). REQUIRED.
  std::string from;
  /// For smtp:// URLs: true sends nothing (credentials included) before STARTTLS has succeeded
  /// (CURLUSESSL_ALL); false uses STARTTLS when the server offers it and plain text otherwise
  /// (CURLUSESSL_TRY), which also sends the password in clear to such a server: for local test
  /// servers only. smtps:// is always TLS. Default: true.
  bool require_tls = true;
  /// PEM bundle that verifies the server's certificate. Default: empty, the system trust store.
  /// Certificate and host name verification are never turned off.
  std::string ca_file;
  /// Limit on one whole send (connect, TLS, SMTP dialogue). Default: 15 s.
  std::chrono::milliseconds timeout{15000};
};

/// Production mailer: sends through an SMTP relay with libcurl, one connection per send.
///
/// The message is built as described at the top of this header (Date, From, To, Subject,
/// Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8,
/// Content-Transfer-Encoding: 8bit). Errors from send(): kInvalidArgument for a message that
/// validate_mail_message rejects or options that validate() rejects (nothing is sent);
/// kUnavailable for anything curl reports (refused connection, timeout, TLS failure, a 4xx/5xx
/// reply such as 550 to RCPT), with curl's description and never the password.
///
/// @par Thread Safety
/// send() is safe from any thread; sends on several threads run in parallel. It blocks up to
/// options.timeout: never call it on an I/O thread.
///
/// @code
///   wechat::server::SmtpOptions smtp;
///   smtp.url = "smtp://smtp.example.com:587";
///   smtp.username = "mailer";
///   smtp.password = secret;
///   smtp.from = "Example Chat <no-reply@example.com>";
///   WECHAT_TRY(wechat::server::SmtpMailer::validate(smtp));  // at startup, to fail early
///   wechat::server::SmtpMailer mailer(smtp);
///   WECHAT_TRY(mailer.send({"alice@example.com", verification_mail_subject("reset"),
///                          verification_mail_body(code, "reset", 10)}));
/// @endcode
class SmtpMailer final : public Mailer {
 public:
  /// Does no I/O. Invalid options are not fatal here: send() then returns validate()'s error.
  /// `clock` dates mails; null means the system clock. Failures are logged at warn level,
  /// successes at debug (recipient and relay, never the content or the password).
  explicit SmtpMailer(SmtpOptions options, std::shared_ptr<const Clock> clock = nullptr,
                      detail::Logger logger = {});

  /// OK, or kInvalidArgument naming the first bad option: url not smtp:// or smtps://, or with
  /// credentials, spaces or no host; from not an address or "Name <address>"; a password
  /// without a user name; a timeout that is not positive.
  static Status validate(const SmtpOptions& options);

  Status send(const MailMessage& message) override;

 private:
  const SmtpOptions options_;
  const std::shared_ptr<const Clock> clock_;
  const detail::Logger logger_;
  Status options_status_;
  std::string relay_;          // host[:port], for messages
  std::string envelope_from_;  // "<address>", for MAIL FROM
  std::string from_header_;    // the From header's value
  std::string from_domain_;    // right side of Message-ID
};

/// The subject of a verification mail for `purpose` ("register" or "reset"; anything else gets a
/// generic subject). ASCII, one line, never the code (it would show in notifications).
std::string verification_mail_subject(std::string_view purpose);

/// The body of a verification mail: `code` alone on its own line, what it is for (`purpose` as
/// above), that it expires after `minutes_valid` minutes, and what to do when one did not ask
/// for it. Wording lives here and nowhere else. REQUIRES: minutes_valid > 0.
std::string verification_mail_body(std::string_view code, std::string_view purpose,
                                   int minutes_valid);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_MAIL_MAILER_H_
