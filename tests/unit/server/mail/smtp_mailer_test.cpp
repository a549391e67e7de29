// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_smtp_server.h"
#include "server/mail/mailer.h"

using wechat::Error;
using wechat::ManualClock;
using wechat::server::MailMessage;
using wechat::server::SmtpMailer;
using wechat::server::SmtpOptions;
using wechat::testing::FakeSmtpBehaviour;
using wechat::testing::FakeSmtpServer;
using SteadyClock = std::chrono::steady_clock;

namespace {

SmtpOptions plain_options(const std::string& url) {
  SmtpOptions options;
  options.url = url;
  options.from = "libwechat <no-reply@example.com>";
  options.require_tls = false;  // the fake server speaks plain text only
  options.timeout = std::chrono::milliseconds(5000);
  return options;
}

struct ParsedMail {
  std::vector<std::string> header_lines;       // physical lines, folding kept
  std::map<std::string, std::string> headers;  // unfolded values by name
  std::string body;
};

ParsedMail parse(const std::string& data) {
  ParsedMail mail;
  const auto end = data.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  mail.body = data.substr(end + 4);
  std::string last;
  std::size_t pos = 0;
  while (pos < end) {
    const auto eol = data.find("\r\n", pos);
    const std::string line = data.substr(pos, eol - pos);
    mail.header_lines.push_back(line);
    if (!line.empty() && line[0] == ' ') {
      mail.headers[last] += line;  // folded continuation
    } else {
      const auto colon = line.find(':');
      REQUIRE(colon != std::string::npos);
      last = line.substr(0, colon);
      mail.headers[last] = line.substr(colon + 2);
    }
    pos = eol + 2;
  }
  return mail;
}

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto index = kAlphabet.find(c);
    REQUIRE(index != std::string::npos);
    value = (value << 6) | static_cast<unsigned>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xffu);
    }
  }
  return out;
}

// Decodes a header value made only of "=?UTF-8?B?...?=" words separated by folding white space.
std::string decode_encoded_words(std::string_view value) {
  constexpr std::string_view kOpen = "=?UTF-8?B?";
  std::string out;
  for (;;) {
    const auto start = value.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return out;
    value.remove_prefix(start);
    REQUIRE(value.starts_with(kOpen));
    value.remove_prefix(kOpen.size());
    const auto close = value.find("?=");
    REQUIRE(close != std::string_view::npos);
    out += base64_decode(std::string(value.substr(0, close)));
    value.remove_prefix(close + 2);
  }
}

// "<32 lowercase hex digits@domain>"
bool is_message_id(std::string_view id, std::string_view domain) {
  if (id.size() != 35 + domain.size() || id.front() != '<' || id.back() != '>') return false;
  if (id.substr(1, 32).find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return false;
  return id.substr(33, 1 + domain.size()) == "@" + std::string(domain);
}

bool has_bare_line_feed(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return true;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("smtp mailer: a mail arrives with the right envelope, headers and body") {
  FakeSmtpServer server;
  auto clock = std::make_shared<ManualClock>(1'700'000'000'000);
  SmtpMailer mailer(plain_options(server.url()), clock);

  const MailMessage message{"alice@example.com", "Your verification code",
                            "Your code is:\n\n    482913\n\nIt expires in 10 minutes.\n"};
  const auto status = mailer.send(message);
  REQUIRE_MESSAGE(status.ok(), status.to_string());

  const auto t = server.transcript();
  CHECK(t.connections == 1);
  CHECK(t.mail_from.starts_with("<no-reply@example.com>"));
  REQUIRE(t.rcpt_to.size() == 1);
  CHECK(t.rcpt_to[0] == "<alice@example.com>");
  CHECK(t.auth_plain.empty());  // no username, no AUTH
  CHECK(t.quit);
  CHECK_FALSE(has_bare_line_feed(t.data));

  const ParsedMail mail = parse(t.data);
  CHECK(mail.headers.at("Date") == "Tue, 14 Nov 2023 22:13:20 +0000");
  CHECK(mail.headers.at("From") == "libwechat <no-reply@example.com>");
  CHECK(mail.headers.at("To") == "alice@example.com");
  CHECK(mail.headers.at("Subject") == "Your verification code");
  CHECK(is_message_id(mail.headers.at("Message-ID"), "example.com"));
  CHECK(mail.headers.at("MIME-Version") == "1.0");
  CHECK(mail.headers.at("Content-Type") == "text/plain; charset=utf-8");
  CHECK(mail.headers.at("Content-Transfer-Encoding") == "8bit");
  CHECK(mail.headers.size() == 8);
  CHECK(mail.body == "Your code is:\r\n\r\n    482913\r\n\r\nIt expires in 10 minutes.\r\n");
}

TEST_CASE("smtp mailer: a body line that is a single dot arrives intact") {
  FakeSmtpServer server;
  SmtpMailer mailer(plain_options(server.url()));
  // Unstuffed, the lone "." would end DATA early and the rest would be read as commands.
  REQUIRE(mailer.send({"alice@example.com", "Dots", ".\nbefore\n.\n..two\nafter"}).ok());
  const ParsedMail mail = parse(server.transcript().data);
  CHECK(mail.body == ".\r\nbefore\r\n.\r\n..two\r\nafter\r\n");
}

TEST_CASE("smtp mailer: credentials go in AUTH and never into an error message") {
  FakeSmtpBehaviour behaviour;
  behaviour.offer_auth = true;
  behaviour.rcpt_reply = 550;
  FakeSmtpServer server(behaviour);
  SmtpOptions options = plain_options(server.url());
  options.username = "mailer";
  options.password = "s3cret-pa55";
  SmtpMailer mailer(options);

  const auto status = mailer.send({"nobody@example.com", "Code", "123456\n"});
  CHECK(status.code() == Error::kUnavailable);
  CHECK(status.message().find("550") != std::string::npos);
  CHECK(status.message().find("No such user here") != std::string::npos);  // the server's reason
  CHECK(status.message().find("127.0.0.1") != std::string::npos);
  CHECK(status.message().find("s3cret-pa55") == std::string::npos);

  const auto t = server.transcript();
  CHECK(t.auth_plain == "AG1haWxlcgBzM2NyZXQtcGE1NQ==");  // base64("\0mailer\0s3cret-pa55")
  REQUIRE(t.rcpt_to.size() == 1);
  CHECK(t.rcpt_to[0] == "<nobody@example.com>");
  CHECK(t.data.empty());
}

TEST_CASE("smtp mailer: a port with nothing listening gives kUnavailable quickly") {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: connections to it are refused
  SmtpOptions options = plain_options("smtp://127.0.0.1:" + std::to_string(port));
  options.timeout = std::chrono::milliseconds(15000);
  SmtpMailer mailer(options);

  const auto start = SteadyClock::now();
  const auto status = mailer.send({"alice@example.com", "Code", "123456\n"});
  CHECK(status.code() == Error::kUnavailable);
  CHECK(SteadyClock::now() - start < std::chrono::seconds(3));
  CHECK_FALSE(status.message().empty());
}

TEST_CASE("smtp mailer: a server that never answers is given up on after the timeout") {
  FakeSmtpBehaviour behaviour;
  behaviour.silent = true;
  FakeSmtpServer server(behaviour);
  SmtpOptions options = plain_options(server.url());
  options.timeout = std::chrono::milliseconds(300);
  SmtpMailer mailer(options);

  const auto start = SteadyClock::now();
  const auto status = mailer.send({"alice@example.com", "Code", "123456\n"});
  const auto elapsed = SteadyClock::now() - start;
  CHECK(status.code() == Error::kUnavailable);
  CHECK(elapsed >= std::chrono::milliseconds(250));
  CHECK(elapsed < std::chrono::seconds(5));
}

TEST_CASE("smtp mailer: a non-ASCII subject is RFC 2047 encoded") {
  FakeSmtpServer server;
  SmtpMailer mailer(plain_options(server.url()));
  // Long enough to need several encoded-words: French, then Chinese ("verification code").
  const std::string subject =
      "Votre code de v\xc3\xa9rification \xe2\x80\x94 \xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81 "
      "\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81 \xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81";
  REQUIRE(mailer.send({"alice@example.com", subject, "123456\n"}).ok());

  const auto data = server.transcript().data;
  const ParsedMail mail = parse(data);
  const std::string& encoded = mail.headers.at("Subject");
  CHECK(encoded.starts_with("=?UTF-8?B?"));
  CHECK(decode_encoded_words(encoded) == subject);
  for (const std::string& line : mail.header_lines) {
    CAPTURE(line);
    CHECK(line.size() <= 78);
    for (char c : line) CHECK(static_cast<unsigned char>(c) < 0x80);  // headers stay ASCII
  }
}

TEST_CASE("smtp mailer: require_tls refuses a server without STARTTLS before any credentials") {
  FakeSmtpBehaviour behaviour;
  behaviour.offer_auth = true;
  FakeSmtpServer server(behaviour);
  SmtpOptions options = plain_options(server.url());
  options.require_tls = true;
  options.username = "mailer";
  options.password = "s3cret-pa55";
  SmtpMailer mailer(options);

  const auto status = mailer.send({"alice@example.com", "Code", "123456\n"});
  CHECK(status.code() == Error::kUnavailable);
  const auto t = server.transcript();
  CHECK(t.auth_plain.empty());
  CHECK(t.mail_from.empty());
  CHECK(t.data.empty());
}

TEST_CASE("smtp mailer: header injection is refused before connecting") {
  FakeSmtpServer server;
  SmtpMailer mailer(plain_options(server.url()));
  for (const MailMessage& m : std::vector<MailMessage>{
           {"alice@example.com\r\nBcc: eve@example.com", "Code", "1\n"},
           {"alice@example.com>\r\nRCPT TO:<eve@example.com", "Code", "1\n"},
           {"alice@example.com, eve@example.com", "Code", "1\n"},
           {"alice@example.com", "Code\r\nBcc: eve@example.com", "1\n"},
           {"alice@example.com", "Code\nBcc: eve@example.com", "1\n"},
       }) {
    CAPTURE(m.to);
    CAPTURE(m.subject);
    CHECK(mailer.send(m).code() == Error::kInvalidArgument);
  }
  CHECK(server.transcript().connections == 0);
}

TEST_CASE("smtp mailer: bad options are reported by validate and by send") {
  const auto invalid = [](SmtpOptions options) {
    CHECK(SmtpMailer::validate(options).code() == Error::kInvalidArgument);
    SmtpMailer mailer(options);
    CHECK(mailer.send({"alice@example.com", "Code", "1\n"}).code() == Error::kInvalidArgument);
  };
  const SmtpOptions good = plain_options("smtps://smtp.example.com:465");
  CHECK(SmtpMailer::validate(good).ok());

  SmtpOptions o = good;
  o.url = "http://smtp.example.com";
  invalid(o);
  o.url = "smtp://user:secret@smtp.example.com:587";
  invalid(o);
  o.url = "smtp://";
  invalid(o);
  o.url = "smtp://smtp.example.com:587\r\nX";
  invalid(o);
  o = good;
  o.from = "not an address";
  invalid(o);
  o.from = "Evil\r\nBcc: x <a@example.com>";
  invalid(o);
  o = good;
  o.password = "lonely";
  invalid(o);
  o = good;
  o.timeout = std::chrono::milliseconds(0);
  invalid(o);
}
