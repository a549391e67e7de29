// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTING_H_
#define WECHAT_TESTING_H_

/// @file
/// Helpers for applications' own tests: a real wechat::Server in-process, so an app's test
/// suite needs no external server.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "wechat/client.h"
#include "wechat/export.h"
#include "wechat/server.h"

namespace wechat::testing {

/// A real server on 127.0.0.1, port 0, in a temporary data directory that is removed on
/// destruction. Plaintext by default (loopback); with `tls`, a self-signed certificate that
/// client_options() pins. Mail goes to files; latest_code() reads the newest code.
///
/// @par Thread Safety
/// Methods must not be called concurrently with each other; the server itself is thread-safe.
///
/// @code
///   auto server = wechat::testing::LocalServer::start().value();
///   auto client = wechat::Client::create(server->client_options(my_temp_dir)).value();
///   client->request_code("a@example.com", wechat::CodePurpose::kRegister, [](wechat::Status) {});
///   ... server->latest_code("a@example.com") ...
/// @endcode
class WECHAT_API LocalServer {
 public:
  struct Options {
    bool tls = false;
    bool allow_strangers = false;
    /// Password hash cost for new accounts; low by default so tests run fast.
    unsigned scrypt_log2_n = 4;
    /// Anything else to change before the server starts.
    std::function<void(ServerOptions&)> tweak;
  };

  static Result<std::unique_ptr<LocalServer>> start(Options options);
  static Result<std::unique_ptr<LocalServer>> start() { return start(Options{}); }
  ~LocalServer();

  std::uint16_t port() const;
  /// Options for a Client of this server, keeping its local data in `data_dir`.
  ClientOptions client_options(const std::string& data_dir) const;
  /// The newest 6-digit code mailed to `email`, or "" if none.
  std::string latest_code(const std::string& email) const;
  /// The server's data directory (database, mail folder, certificate).
  const std::string& data_dir() const;

  /// Stops the server, keeping its data (clients see the connection drop).
  void stop();
  /// Starts it again on the same data and, if it is free, the same port.
  Status restart();

 private:
  struct State;
  explicit LocalServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace wechat::testing

#endif  // WECHAT_TESTING_H_
