// SPDX-License-Identifier: MIT
#include "server/mail/mail_format.h"

#include <doctest/doctest.h>

#include <string>

#include "server/mail/mailer.h"

using wechat::Error;
using wechat::detail::base64_encode;
using wechat::detail::encode_header_text;
using wechat::detail::format_mail;
using wechat::detail::format_mailbox;
using wechat::detail::is_valid_utf8;
using wechat::detail::parse_mailbox;
using wechat::detail::rfc5322_date;
using wechat::server::is_plausible_email_address;
using wechat::server::MailMessage;
using wechat::server::validate_mail_message;

TEST_CASE("mail format: plausible addresses are single bare addr-specs") {
  for (const char* good :
       {"alice@example.com", "a.b+tag@sub.example.co.uk", "x@localhost", "o'brien@example.ie",
        "a/b@example.com", "UPPER@EXAMPLE.COM", "1@2.io"}) {
    CAPTURE(good);
    CHECK(is_plausible_email_address(good));
  }
  for (const char* bad : {"",
                          "a@",
                          "@example.com",
                          "alice",
                          "alice@@example.com",
                          "a@b@example.com",
                          "alice@example.com ",
                          " alice@example.com",
                          "alice@exa mple.com",
                          "al ice@example.com",
                          "Alice <alice@example.com>",
                          "<alice@example.com>",
                          "alice@example.com, bob@example.com",
                          "alice@example.com\r\n",
                          "alice\n@example.com",
                          ".alice@example.com",
                          "alice.@example.com",
                          "al..ice@example.com",
                          "alice@-example.com",
                          "alice@example-.com",
                          "alice@example..com",
                          "alice@example.com.",
                          "alice@[127.0.0.1]",
                          "\"alice\"@example.com",
                          "\xc3\xa9@example.com",
                          "alice@ex\xc3\xa4mple.com"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_plausible_email_address(bad));
  }
  CHECK_FALSE(is_plausible_email_address(std::string(65, 'a') + "@example.com"));
  CHECK(is_plausible_email_address(std::string(64, 'a') + "@example.com"));
  CHECK_FALSE(is_plausible_email_address("a@" + std::string(64, 'b') + ".com"));
}

TEST_CASE("mail format: a message is refused for line breaks, bad UTF-8 and overlong lines") {
  const MailMessage ok{"alice@example.com", "Hello \xe4\xbd\xa0\xe5\xa5\xbd", "body\n"};
  CHECK(validate_mail_message(ok).ok());

  MailMessage m = ok;
  m.subject = "a\tb";
  CHECK(validate_mail_message(m).ok());
  m.subject =
      "a\x01"
      "b";
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);
  m.subject = "\xff";
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);
  m.subject = std::string(513, 'x');
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);

  m = ok;
  m.body = std::string(998, 'x') + "\n" + std::string(998, 'y');
  CHECK(validate_mail_message(m).ok());
  m.body = std::string(999, 'x');
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);
  m.body = std::string("a\0b", 3);
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);
  m.body = "\xc0\xaf";  // overlong '/'
  CHECK(validate_mail_message(m).code() == Error::kInvalidArgument);

  m = ok;
  m.to = "alice@example.com\r\nBcc: eve@example.com";
  const auto status = validate_mail_message(m);
  CHECK(status.code() == Error::kInvalidArgument);
  CHECK(status.message().find("line break") != std::string::npos);
}

TEST_CASE("mail format: UTF-8 validation rejects overlongs, surrogates and out-of-range") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xc3"));
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));
}

TEST_CASE("mail format: base64 matches the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("mail format: header text is RFC 2047 encoded only when it must be") {
  CHECK(encode_header_text("Your verification code") == "Your verification code");
  CHECK(encode_header_text("caf\xc3\xa9") == "=?UTF-8?B?Y2Fmw6k=?=");
  CHECK(encode_header_text("a =?x?= b").starts_with("=?UTF-8?B?"));

  // 20 three-byte characters (60 bytes) cannot share one word, and no word splits a character.
  std::string han;
  for (int i = 0; i < 20; ++i) han += "\xe4\xbd\xa0";
  const std::string encoded = encode_header_text(han);
  CHECK(encoded ==
        "=?UTF-8?B?5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g5L2g?=\r\n"
        " =?UTF-8?B?5L2g5L2g5L2g5L2g5L2g5L2g5L2g?=");
}

TEST_CASE("mail format: the sender may carry a display name, quoted or encoded as needed") {
  auto plain = parse_mailbox("no-reply@example.com");
  REQUIRE(plain.ok());
  CHECK(plain->display_name.empty());
  CHECK(format_mailbox(*plain) == "no-reply@example.com");

  auto named = parse_mailbox("libwechat <no-reply@localhost>");
  REQUIRE(named.ok());
  CHECK(named->display_name == "libwechat");
  CHECK(named->address == "no-reply@localhost");
  CHECK(format_mailbox(*named) == "libwechat <no-reply@localhost>");

  auto special = parse_mailbox("\"Example, Inc.\" <no-reply@example.com>");
  REQUIRE(special.ok());
  CHECK(special->display_name == "Example, Inc.");
  CHECK(format_mailbox(*special) == "\"Example, Inc.\" <no-reply@example.com>");

  auto unicode = parse_mailbox("Caf\xc3\xa9 <no-reply@example.com>");
  REQUIRE(unicode.ok());
  CHECK(format_mailbox(*unicode) == "=?UTF-8?B?Q2Fmw6k=?= <no-reply@example.com>");

  for (const char* bad :
       {"", "Name <>", "Name <not an address>", "Evil\r\nBcc: x <a@b.com>", "a@b.com, c@d.com"}) {
    CAPTURE(bad);
    CHECK(parse_mailbox(bad).code() == Error::kInvalidArgument);
  }
}

TEST_CASE("mail format: dates are RFC 5322 in UTC, whatever the locale") {
  CHECK(rfc5322_date(1'700'000'000'000) == "Tue, 14 Nov 2023 22:13:20 +0000");
  CHECK(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(rfc5322_date(951'782'400'999) == "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST_CASE("mail format: the body gets CRLF line ends whatever it came with") {
  const MailMessage m{"alice@example.com", "S", "one\ntwo\r\nthree\rfour"};
  const std::string mail = format_mail(m, "x@example.com", 0, "<id@example.com>");
  CHECK(mail ==
        "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
        "From: x@example.com\r\n"
        "To: alice@example.com\r\n"
        "Subject: S\r\n"
        "Message-ID: <id@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "one\r\ntwo\r\nthree\r\nfour\r\n");
}
