// SPDX-License-Identifier: MIT
#include "transport/listener.h"

#include <doctest/doctest.h>

#include <array>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <string>

#include "test_support.h"
#include "transport/frame_codec.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;
using wechat::Status;

namespace {

ConnectionOptions options() {
  ConnectionOptions o;
  o.idle_timeout = 5000ms;
  o.close_timeout = 2000ms;
  return o;
}

std::string header(std::uint32_t length) {
  std::string h(4, '\0');
  h[0] = static_cast<char>(length >> 24);
  h[1] = static_cast<char>(length >> 16);
  h[2] = static_cast<char>(length >> 8);
  h[3] = static_cast<char>(length);
  return h;
}

// True once the server closed `s` (EOF or reset on read).
bool peer_closed(asio::ip::tcp::socket& s) {
  std::array<char, 64> buf{};
  std::error_code ec;
  for (int i = 0; i < 1000; ++i) {
    s.read_some(asio::buffer(buf), ec);
    if (ec) return true;
  }
  return false;
}

// One misbehaving peer is closed with `expected` while a well-behaved client on the same
// listener keeps exchanging frames.
void check_bad_peer_is_isolated(const std::string& bad_bytes, Error expected) {
  IoRunner io;
  {
    TestServer server(io, server_options(options()), /*echo=*/true);
    auto good = connect_sync(io, server.port(), nullptr, options());
    REQUIRE(good.ok());
    auto rec = Recorder::make();
    (*good)->start(rec->handler());
    (*good)->send(make_frame(1, "before"));
    REQUIRE(rec->wait_frames(1));
    REQUIRE(server.wait_accepted(1));

    auto bad = raw_connect(io.io, server.port());
    asio::write(bad, asio::buffer(bad_bytes));
    REQUIRE(server.wait_accepted(2));
    auto srv_bad = server.accepted(1);
    REQUIRE(srv_bad.recorder->wait_closed());
    CHECK(srv_bad.recorder->close_status().code() == expected);
    CHECK(peer_closed(bad));

    (*good)->send(make_frame(2, "after"));
    REQUIRE(rec->wait_frames(2));
    CHECK(text_of(rec->frames()[1]) == "after");
    CHECK_FALSE(server.accepted(0).recorder->is_closed());
    (*good)->close();
    REQUIRE(rec->wait_closed());
  }
  io.finish();
}

}  // namespace

TEST_CASE("listener: start() returns the bound port and a second listener on it fails with kIo") {
  IoRunner io;
  {
    Listener first(io.io, ListenerOptions(), [](std::shared_ptr<Connection>) {});
    auto port = first.start();
    REQUIRE(port.ok());
    CHECK(*port != 0);
    CHECK(first.start().code() == Error::kInvalidArgument);

    ListenerOptions same_port;
    same_port.port = *port;
    Listener second(io.io, same_port, [](std::shared_ptr<Connection>) {});
    auto again = second.start();
    REQUIRE_FALSE(again.ok());
    CHECK(again.code() == Error::kIo);
    CHECK(again.status().message().find(std::to_string(*port)) != std::string::npos);
    first.stop();
  }
  io.finish();
}

TEST_CASE("listener: an address that is not local cannot be bound") {
  IoRunner io;
  {
    ListenerOptions remote;
    remote.host = "192.0.2.1";  // TEST-NET-1: never a local address
    Listener l(io.io, remote, [](std::shared_ptr<Connection>) {});
    CHECK(l.start().code() == Error::kIo);
  }
  io.finish();
}

TEST_CASE(
    "listener: a peer sending an oversized length is closed, another connection keeps working") {
  check_bad_peer_is_isolated(header(0x7fffffff), Error::kResourceExhausted);
}

TEST_CASE("listener: a peer sending garbage is closed, another connection keeps working") {
  check_bad_peer_is_isolated(header(6) + std::string("\xff\xff\xff\xff\xff\xff", 6),
                             Error::kProtocol);
}

TEST_CASE("listener: a peer sending a zero length is closed, another connection keeps working") {
  check_bad_peer_is_isolated(header(0), Error::kProtocol);
}

TEST_CASE("listener: connections over the limit are closed at once and counted") {
  IoRunner io;
  {
    TestServer server(io, server_options(options(), nullptr, 2));
    auto a = connect_sync(io, server.port(), nullptr, options());
    auto b = connect_sync(io, server.port(), nullptr, options());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(server.wait_accepted(2));
    CHECK(server.listener().active_connections() == 2);

    auto over = raw_connect(io.io, server.port());
    CHECK(peer_closed(over));
    CHECK(wait_until([&] { return server.listener().rejected_connections() == 1; }));
    CHECK(server.listener().active_connections() == 2);

    // Closing one frees a slot: the listener kept accepting.
    (*a)->abort(Status());
    REQUIRE(server.accepted(0).recorder->wait_closed());
    CHECK(wait_until([&] { return server.listener().active_connections() == 1; }));
    auto c = connect_sync(io, server.port(), nullptr, options());
    REQUIRE(c.ok());
    REQUIRE(server.wait_accepted(3));
    CHECK(server.listener().active_connections() == 2);
    (*b)->abort(Status());
    (*c)->abort(Status());
    CHECK(wait_until([&] { return server.listener().active_connections() == 0; }));
  }
  io.finish();
}

TEST_CASE("listener: connections get a strand each, or none when the options say so") {
  for (const bool strands : {true, false}) {
    CAPTURE(strands);
    IoRunner io;
    {
      ListenerOptions listen = server_options(options());
      listen.strand_per_connection = strands;
      TestServer server(io, listen, /*echo=*/true);
      auto client = connect_sync(io, server.port(), nullptr, options());
      REQUIRE(client.ok());
      auto rec = Recorder::make();
      (*client)->start(rec->handler());
      (*client)->send(make_frame(1, "through"));
      REQUIRE(rec->wait_frames(1));
      REQUIRE(server.wait_accepted(1));
      // Without a strand the connection runs on the io_context's own executor.
      const asio::any_io_executor plain(io.io.get_executor());
      CHECK((server.accepted(0).connection->executor() == plain) == !strands);
      (*client)->close();
      REQUIRE(rec->wait_closed());
    }
    io.finish();
  }
}

TEST_CASE("listener: stop() ends accepting and leaves open connections alone") {
  IoRunner io;
  {
    TestServer server(io, server_options(options()), /*echo=*/true);
    auto a = connect_sync(io, server.port(), nullptr, options());
    REQUIRE(a.ok());
    auto rec = Recorder::make();
    (*a)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    server.listener().stop();
    std::this_thread::sleep_for(20ms);
    auto refused = connect_sync(io, server.port(), nullptr, options());
    CHECK(refused.code() == Error::kUnavailable);
    (*a)->send(make_frame(5, "still here"));
    REQUIRE(rec->wait_frames(1));
    (*a)->close();
    REQUIRE(rec->wait_closed());
  }
  io.finish();
}

TEST_CASE("listener: an io_context run by several threads serves many clients") {
  IoRunner io(2);
  {
    TestServer server(io, server_options(options()), /*echo=*/true);
    constexpr int kClients = 8;
    constexpr int kFrames = 200;
    std::vector<std::shared_ptr<Connection>> clients;
    std::vector<std::shared_ptr<Recorder>> recs;
    for (int i = 0; i < kClients; ++i) {
      auto c = connect_sync(io, server.port(), nullptr, options());
      REQUIRE(c.ok());
      recs.push_back(Recorder::make());
      (*c)->start(recs.back()->handler());
      clients.push_back(*c);
    }
    for (int f = 0; f < kFrames; ++f) {
      for (auto& c : clients) c->send(make_frame(static_cast<std::uint64_t>(f)));
    }
    for (auto& r : recs) CHECK(r->wait_frames(kFrames));
    for (auto& c : clients) c->close();
    for (auto& r : recs) {
      REQUIRE(r->wait_closed());
      CHECK(r->close_status().ok());
    }
    CHECK(wait_until([&] { return server.listener().active_connections() == 0; }));
  }
  io.finish();
}
