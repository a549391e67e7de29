// SPDX-License-Identifier: MIT
#include "transport/listener.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <utility>

namespace wechat::transport {

using asio::ip::tcp;

namespace {
constexpr std::chrono::milliseconds kAcceptBackoff{100};
}  // namespace

// Shared with every pending handler, so the Listener object may go away while the io_context
// still holds them.
struct Listener::State : std::enable_shared_from_this<Listener::State> {
  State(asio::io_context& context, ListenerOptions listener_options,
        std::function<void(std::shared_ptr<Connection>)> accepted)
      : io(context),
        options(std::move(listener_options)),
        on_accept(std::move(accepted)),
        strand(asio::make_strand(context)),
        acceptor(strand),
        backoff(strand) {}

  void accept() {
    auto on_accepted = [self = shared_from_this()](const std::error_code& ec, tcp::socket s) {
      self->on_accepted(ec, std::move(s));
    };
    // The accepted socket's executor is the one its Connection runs on.
    if (options.strand_per_connection) {
      acceptor.async_accept(asio::make_strand(io), std::move(on_accepted));
    } else {
      acceptor.async_accept(io.get_executor(), std::move(on_accepted));
    }
  }

  void on_accepted(const std::error_code& ec, tcp::socket socket) {
    if (stopped.load(std::memory_order_acquire) || ec == asio::error::operation_aborted) return;
    if (ec) {
      if (ec == asio::error::connection_aborted || ec == asio::error::connection_reset) {
        accept();  // that one client gave up; nothing wrong with us
        return;
      }
      // Out of descriptors or memory: the pending connection stays in the backlog and would
      // fail again at once. Wait instead of spinning.
      options.logger.warn("accept on {} failed: {}; retrying in {} ms", address, ec.message(),
                          kAcceptBackoff.count());
      backoff.expires_after(kAcceptBackoff);
      backoff.async_wait([self = shared_from_this()](const std::error_code& e) {
        if (!e && !self->stopped.load(std::memory_order_acquire)) self->accept();
      });
      return;
    }
    if (active->load(std::memory_order_acquire) >= options.max_connections) {
      std::error_code ignored;
      socket.close(ignored);
      rejected.fetch_add(1, std::memory_order_relaxed);
      accept();
      return;
    }
    std::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection =
        Connection::create(std::move(socket), options.tls, TlsRole::kServer, options.connection);
    // The connection gives its place back when it closes (or is destroyed unstarted).
    active->fetch_add(1, std::memory_order_acq_rel);
    connection->listener_count_ = active;
    accept();
    if (on_accept) on_accept(std::move(connection));
  }

  asio::io_context& io;
  const ListenerOptions options;
  const std::function<void(std::shared_ptr<Connection>)> on_accept;
  asio::any_io_executor strand;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  std::string address;
  bool started = false;
  std::atomic<bool> stopped{false};
  // Outlives the State: connections release their slot whenever they close.
  std::shared_ptr<std::atomic<std::size_t>> active = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<std::size_t> rejected{0};
};

Listener::Listener(asio::io_context& io, ListenerOptions options,
                   std::function<void(std::shared_ptr<Connection>)> on_accept)
    : state_(std::make_shared<State>(io, std::move(options), std::move(on_accept))) {}

Listener::~Listener() { stop(); }

Result<std::uint16_t> Listener::start() {
  State& s = *state_;
  if (s.started) return Status(Error::kInvalidArgument, "listener already started");
  if (s.stopped.load()) return Status(Error::kInvalidArgument, "listener was stopped");
  const std::string& host = s.options.host;

  std::error_code ec;
  tcp::endpoint endpoint;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, s.options.port);
  } else {
    tcp::resolver resolver(s.io);
    auto results =
        resolver.resolve(host, std::to_string(s.options.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Status(Error::kIo, fmt::format("cannot resolve listen address {}: {}", host,
                                            ec ? ec.message() : "no address"));
    }
    endpoint = results.begin()->endpoint();
  }

  const std::string where = fmt::format("{}:{}", host, s.options.port);
  auto failed = [&](const char* step) {
    std::error_code ignored;
    s.acceptor.close(ignored);
    return Status(Error::kIo,
                  fmt::format("cannot listen on {}: {} failed: {}", where, step, ec.message()));
  };
  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) return failed("open");
  // Restarting a server must not wait for TIME_WAIT sockets of its previous run.
  s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return failed("setsockopt");
  s.acceptor.bind(endpoint, ec);
  if (ec) return failed("bind");
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen");
  const std::uint16_t port = s.acceptor.local_endpoint(ec).port();
  if (ec) return failed("getsockname");

  s.started = true;
  s.address = fmt::format("{}:{}", host, port);
  asio::post(s.strand, [self = state_] { self->accept(); });
  return port;
}

void Listener::stop() {
  state_->stopped.store(true, std::memory_order_release);
  asio::post(state_->strand, [self = state_] {
    std::error_code ignored;
    self->acceptor.close(ignored);
    self->backoff.cancel();
  });
}

std::size_t Listener::active_connections() const {
  return state_->active->load(std::memory_order_acquire);
}

std::size_t Listener::rejected_connections() const {
  return state_->rejected.load(std::memory_order_relaxed);
}

}  // namespace wechat::transport
