// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_LISTENER_H_
#define WECHAT_TRANSPORT_LISTENER_H_

/// @file
/// The server's accept loop: binds, accepts, enforces the connection limit and hands out
/// connections (each on its own strand, unless ListenerOptions says otherwise) to the server.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/logger.h"
#include "transport/asio.h"
#include "transport/connection.h"
#include "wechat/status.h"

namespace wechat::transport {

/// Where and how a Listener accepts.
struct ListenerOptions {
  /// Address to bind: an IP literal ("0.0.0.0", "::") or a name resolved once at start().
  /// Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  /// Default: 0, an ephemeral port (start() returns the one chosen).
  std::uint16_t port = 0;
  /// Server TLS context (make_server_tls_context()); null for plain TCP. Default: null.
  std::shared_ptr<asio::ssl::context> tls;
  /// Options of every accepted connection (their TLS handshake runs in Connection::start()).
  ConnectionOptions connection;
  /// Connections open at once; beyond it, accepted sockets are closed immediately and counted
  /// in rejected_connections(). A connection counts until it has closed. Default: 10000.
  std::size_t max_connections = 10000;
  /// Accept failures (e.g. out of file descriptors) are reported here. Default: dropped.
  wechat::detail::Logger logger;
  /// Each accepted connection runs on a strand of its own. false when only one thread runs the
  /// io_context: its handlers never run at once anyway, and a strand would cost every
  /// connection ~130 bytes and every handler a dispatch through it. Default: true.
  bool strand_per_connection = true;
};

/// Accepts TCP connections and hands them to `on_accept`, not yet started.
///
/// Accept errors never stop the listener: after a resource error (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM) it waits 100 ms before accepting again rather than spinning.
///
/// Lifetime: the io_context must outlive the Listener. Destroying the Listener stops it; its
/// connections live on independently (owned by whoever holds them, or by their own pending
/// operations until on_close).
///
/// @par Thread Safety
/// stop(), active_connections() and rejected_connections() are safe from any thread; start() must
/// not race with stop(). `on_accept` runs on the listener's own strand, one call at a time;
/// the io_context may be run by several threads. After stop() returns, on_accept is not called
/// again, except that a call already under way on another thread finishes.
///
/// @code
///   ListenerOptions options;
///   options.port = 7000;
///   options.tls = server_tls;  // make_server_tls_context()
///   Listener listener(io, options, [&](std::shared_ptr<Connection> c) {
///     c->start(make_session_handler(c));
///   });
///   WECHAT_ASSIGN_OR_RETURN(std::uint16_t port, listener.start());
/// @endcode
class Listener {
 public:
  Listener(asio::io_context& io, ListenerOptions options,
           std::function<void(std::shared_ptr<Connection>)> on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Binds and listens, then accepts in the background; returns the bound port.
  /// Errors: kIo (with the address and the OS's reason) if the address does not resolve or
  /// cannot be bound; kInvalidArgument if called twice.
  [[nodiscard]] Result<std::uint16_t> start();

  /// Stops accepting and closes the listening socket; open connections are not touched.
  /// Idempotent.
  void stop();

  /// Accepted connections that have not closed yet.
  std::size_t active_connections() const;
  /// Sockets closed at once because max_connections was reached.
  std::size_t rejected_connections() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace wechat::transport

#endif  // WECHAT_TRANSPORT_LISTENER_H_
