// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_WIRE_SESSION_H_
#define WECHAT_BENCH_WIRE_SESSION_H_

// The raw libwechat protocol over wechat_transport: many sessions on one event loop, no SDK.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "transport/asio.h"
#include "transport/connection.h"

namespace wechat::bench {

/// Request ids at or above this value are the harness's own (hello, login); below it they are
/// message ids, so an ack maps to its message without a lookup table.
inline constexpr std::uint64_t kControlIdBase = std::uint64_t{1} << 62;

struct Target {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7600;
  std::shared_ptr<asio::ssl::context> tls;  ///< null: plaintext
};

/// Client TLS context for the benchmark: TLS 1.2/1.3 as the library configures it, without
/// certificate verification (the server's cost is what is measured; verification is the client's).
std::shared_ptr<asio::ssl::context> bench_client_tls();

/// One connection. `on_frame` / `on_close` may be replaced at any time (on the loop thread).
struct WireSession {
  std::shared_ptr<transport::Connection> conn;
  std::function<void(v1::Frame&&)> on_frame;
  std::function<void(const Status&)> on_close;
  bool closed = false;

  void send_request(std::uint64_t request_id, v1::Request request);
};

/// How to authenticate a new session: a token (Resume), or a password (Login), or neither.
struct Credentials {
  std::string token;
  std::string login;
  std::string password;
  std::string device_name;
};

/// Connects, sends Hello and then Resume or Login (pipelined), and calls `done` once with the
/// open, authenticated session (and its LoginOk) or the error. Runs on the loop; `done` is
/// never called inside this function.
void open_session(asio::any_io_executor executor, const Target& target, const Credentials& creds,
                  std::function<void(Result<std::shared_ptr<WireSession>>, v1::LoginOk)> done);

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_WIRE_SESSION_H_
