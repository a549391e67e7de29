// SPDX-License-Identifier: MIT
// async_connect(): resolve, connect, TLS handshake, under one deadline.

#include <fmt/format.h>

#include <utility>

#include "transport/asio.h"
#include "transport/connection.h"

namespace wechat::transport {

using asio::ip::tcp;

// Owns the pieces of one connection attempt; every handler holds it. All of it runs on the
// strand the new connection will use.
struct ConnectOperation : std::enable_shared_from_this<ConnectOperation> {
  ConnectOperation(asio::any_io_executor strand_executor, std::string host_name,
                   std::uint16_t port_number, std::shared_ptr<asio::ssl::context> tls_context,
                   ConnectionOptions connection_options,
                   std::function<void(Result<std::shared_ptr<Connection>>)> on_done)
      : strand(std::move(strand_executor)),
        host(std::move(host_name)),
        port(port_number),
        tls(std::move(tls_context)),
        options(std::move(connection_options)),
        done(std::move(on_done)),
        resolver(strand),
        socket(strand),
        timer(strand) {}

  std::string target() const { return fmt::format("{}:{}", host, port); }

  void run() {
    timer.expires_after(options.handshake_timeout);
    timer.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec) return;
      self->complete(Status(Error::kTimeout,
                            fmt::format("connecting to {} took longer than {} ms", self->target(),
                                        self->options.handshake_timeout.count())));
    });

    std::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {  // an IP literal: no resolver round trip
      socket.async_connect(
          tcp::endpoint(address, port),
          [self = shared_from_this()](const std::error_code& e) { self->on_connected(e); });
      return;
    }
    resolver.async_resolve(
        host, std::to_string(port),
        [self = shared_from_this()](const std::error_code& e, tcp::resolver::results_type results) {
          if (e) {
            self->complete(Status(Error::kUnavailable,
                                  fmt::format("cannot resolve {}: {}", self->host, e.message())));
            return;
          }
          asio::async_connect(
              self->socket, results,
              [self](const std::error_code& e2, const tcp::endpoint&) { self->on_connected(e2); });
        });
  }

  void on_connected(const std::error_code& ec) {
    if (finished) return;
    if (ec) {
      complete(Status(Error::kUnavailable,
                      fmt::format("cannot connect to {}: {}", target(), ec.message())));
      return;
    }
    std::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small frames, latency matters
    connection = Connection::create(std::move(socket), tls, TlsRole::kClient, options);
    if (!tls) {
      complete(connection);
      return;
    }
    connection->handshake_as_client(host, [self = shared_from_this()](Status status) {
      if (!status.ok()) {
        self->complete(std::move(status));
      } else {
        self->complete(self->connection);
      }
    });
  }

  void complete(Result<std::shared_ptr<Connection>> result) {
    if (finished) return;
    finished = true;
    timer.cancel();
    resolver.cancel();
    std::error_code ignored;
    socket.close(ignored);
    if (!result.ok() && connection) connection->finish(result.status());  // not started: silent
    connection.reset();
    auto callback = std::move(done);
    done = nullptr;
    callback(std::move(result));
  }

  asio::any_io_executor strand;
  std::string host;
  std::uint16_t port;
  std::shared_ptr<asio::ssl::context> tls;
  ConnectionOptions options;
  std::function<void(Result<std::shared_ptr<Connection>>)> done;
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  std::shared_ptr<Connection> connection;
  bool finished = false;
};

void async_connect(asio::any_io_executor executor, std::string host, std::uint16_t port,
                   std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
                   std::function<void(Result<std::shared_ptr<Connection>>)> done) {
  asio::any_io_executor strand = asio::make_strand(executor);
  if (host.empty() || port == 0) {
    asio::post(strand, [done = std::move(done)] {
      done(Status(Error::kInvalidArgument, "async_connect needs a host and a non-zero port"));
    });
    return;
  }
  auto op = std::make_shared<ConnectOperation>(strand, std::move(host), port, std::move(tls),
                                               std::move(options), std::move(done));
  // Start on the strand: the handlers below touch the operation's state there only.
  asio::post(strand, [op] { op->run(); });
}

}  // namespace wechat::transport
