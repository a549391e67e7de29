// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_UNIT_SERVER_MAIL_FAKE_SMTP_SERVER_H_
#define WECHAT_TESTS_UNIT_SERVER_MAIL_FAKE_SMTP_SERVER_H_

// A tiny plain-text SMTP server for tests: one thread running an asio io_context on
// 127.0.0.1:<ephemeral>, one coroutine per connection, speaking just enough RFC 5321 for curl.
// It records what it is told; the destructor stops the io_context and joins the thread.

#include <asio.hpp>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace wechat::testing {

struct FakeSmtpBehaviour {
  int rcpt_reply = 250;     ///< 250 accepts recipients; anything else is sent as "<code> ...".
  bool offer_auth = false;  ///< Advertise AUTH PLAIN in the EHLO reply.
  bool silent = false;      ///< Accept connections but never say a word.
};

struct SmtpTranscript {
  int connections = 0;
  std::vector<std::string> commands;  ///< Every command line, without CRLF.
  std::string mail_from;              ///< The argument of MAIL FROM: ("<a@b> SIZE=..").
  std::vector<std::string> rcpt_to;   ///< Arguments of RCPT TO:.
  std::string auth_plain;             ///< The base64 AUTH PLAIN response, if any.
  std::string data;                   ///< The DATA content, dot-unstuffed, without the final dot.
  bool quit = false;
};

class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(FakeSmtpBehaviour behaviour = {})
      : behaviour_(behaviour),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()) {  // read before the io thread owns acceptor_
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeSmtpServer() {
    io_.stop();
    thread_.join();
    // The io thread is gone: what remains is closed and freed on this thread.
    asio::error_code ignored;
    acceptor_.close(ignored);
  }
  FakeSmtpServer(const FakeSmtpServer&) = delete;
  FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port()); }

  SmtpTranscript transcript() const {
    std::lock_guard lock(mu_);
    return transcript_;
  }

 private:
  using tcp = asio::ip::tcp;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }

  void record(auto&& update) {
    std::lock_guard lock(mu_);
    update(transcript_);
  }

  static bool is_command(const std::string& line, std::string_view verb) {
    if (line.size() < verb.size()) return false;
    for (std::size_t i = 0; i < verb.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(line[i])) != verb[i]) return false;
    }
    return true;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    record([](SmtpTranscript& t) { ++t.connections; });
    std::string buffer;
    const auto read_line = [&]() -> asio::awaitable<std::string> {
      const std::size_t n = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer),
                                                            "\r\n", asio::use_awaitable);
      std::string line = buffer.substr(0, n - 2);
      buffer.erase(0, n);
      co_return line;
    };
    const auto reply = [&](std::string text) -> asio::awaitable<void> {
      co_await asio::async_write(socket, asio::buffer(text), asio::use_awaitable);
    };

    if (behaviour_.silent) {
      for (;;) co_await read_line();  // until the client gives up
    }
    co_await reply("220 fake.test ESMTP ready\r\n");
    for (;;) {
      const std::string line = co_await read_line();
      record([&](SmtpTranscript& t) { t.commands.push_back(line); });
      if (is_command(line, "EHLO")) {
        co_await reply(std::string("250-fake.test greets you\r\n") +
                       (behaviour_.offer_auth ? "250-AUTH PLAIN\r\n" : "") + "250 8BITMIME\r\n");
      } else if (is_command(line, "HELO")) {
        co_await reply("250 fake.test\r\n");
      } else if (is_command(line, "AUTH PLAIN")) {
        std::string response = line.size() > 11 ? line.substr(11) : "";
        if (response.empty()) {
          co_await reply("334 \r\n");
          response = co_await read_line();
        }
        record([&](SmtpTranscript& t) { t.auth_plain = response; });
        co_await reply("235 2.7.0 Authentication successful\r\n");
      } else if (is_command(line, "MAIL FROM:")) {
        record([&](SmtpTranscript& t) { t.mail_from = line.substr(10); });
        co_await reply("250 2.1.0 OK\r\n");
      } else if (is_command(line, "RCPT TO:")) {
        record([&](SmtpTranscript& t) { t.rcpt_to.push_back(line.substr(8)); });
        if (behaviour_.rcpt_reply == 250) {
          co_await reply("250 2.1.5 OK\r\n");
        } else {
          co_await reply(std::to_string(behaviour_.rcpt_reply) + " 5.1.1 No such user here\r\n");
        }
      } else if (is_command(line, "DATA")) {
        co_await reply("354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string data;
        for (;;) {
          std::string data_line = co_await read_line();
          if (data_line == ".") break;
          if (!data_line.empty() && data_line[0] == '.') data_line.erase(0, 1);  // RFC 5321 4.5.2
          data += data_line + "\r\n";
        }
        record([&](SmtpTranscript& t) { t.data = data; });
        co_await reply("250 2.0.0 OK queued\r\n");
      } else if (is_command(line, "RSET") || is_command(line, "NOOP")) {
        co_await reply("250 2.0.0 OK\r\n");
      } else if (is_command(line, "QUIT")) {
        record([](SmtpTranscript& t) { t.quit = true; });
        co_await reply("221 2.0.0 Bye\r\n");
        co_return;
      } else {
        co_await reply("502 5.5.2 Command not recognized\r\n");
      }
    }
  }

  const FakeSmtpBehaviour behaviour_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  const std::uint16_t port_;
  std::thread thread_;
  mutable std::mutex mu_;
  SmtpTranscript transcript_;
};

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_UNIT_SERVER_MAIL_FAKE_SMTP_SERVER_H_
