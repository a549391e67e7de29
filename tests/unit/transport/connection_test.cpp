// SPDX-License-Identifier: MIT
#include "transport/connection.h"

#include <doctest/doctest.h>

#include <array>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tcp_segments.h"
#include "test_support.h"
#include "transport/frame_codec.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;
using wechat::Status;
namespace v1 = wechat::v1;

namespace {

ConnectionOptions fast_options() {
  ConnectionOptions o;
  o.idle_timeout = 5000ms;
  o.close_timeout = 2000ms;
  o.handshake_timeout = 3000ms;
  return o;
}

// Reads one frame from a raw (blocking) socket.
v1::Frame read_frame(asio::ip::tcp::socket& s) {
  std::array<char, 4> h{};
  asio::read(s, asio::buffer(h));
  const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(h[0])} << 24) |
                          (std::uint32_t{static_cast<unsigned char>(h[1])} << 16) |
                          (std::uint32_t{static_cast<unsigned char>(h[2])} << 8) |
                          std::uint32_t{static_cast<unsigned char>(h[3])};
  std::string payload(n, '\0');
  asio::read(s, asio::buffer(payload));
  v1::Frame f;
  REQUIRE(f.ParseFromString(payload));
  return f;
}

}  // namespace

TEST_CASE("connection: frames flow both ways over plain TCP and close() ends both sides cleanly") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    CHECK((*client)->remote_address() == "127.0.0.1:" + std::to_string(server.port()));

    (*client)->send(make_frame(1, "to server"));
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_frames(1));
    CHECK(text_of(srv.recorder->frames()[0]) == "to server");

    srv.connection->send(make_frame(2, "to client"));
    REQUIRE(rec->wait_frames(1));
    CHECK(text_of(rec->frames()[0]) == "to client");
    CHECK(rec->frames()[0].request_id() == 2);

    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().ok());  // orderly EOF
    CHECK(rec->close_calls() == 1);
    CHECK(srv.recorder->close_calls() == 1);
    CHECK(wait_until([&] { return server.listener().active_connections() == 0; }));
  }
  io.finish();
}

TEST_CASE("connection: ten thousand frames arrive in order") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    constexpr int kFrames = 10000;
    for (int i = 1; i <= kFrames; ++i) (*client)->send(make_frame(static_cast<std::uint64_t>(i)));
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_frames(kFrames));
    const auto frames = srv.recorder->frames();
    bool in_order = true;
    for (int i = 0; i < kFrames; ++i) in_order &= frames[i].request_id() == std::uint64_t(i + 1);
    CHECK(in_order);
    (*client)->close();
    REQUIRE(rec->wait_closed());
    REQUIRE(srv.recorder->wait_closed());
  }
  io.finish();
}

TEST_CASE(
    "connection: frames sent from several threads at once all arrive, each thread's in order") {
  IoRunner io(2);
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2000;
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          (*client)->send(make_frame(std::uint64_t(t) << 32 | std::uint64_t(i), "threaded"));
        }
      });
    }
    for (auto& s : senders) s.join();
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_frames(kThreads * kPerThread));
    std::map<std::uint64_t, std::uint64_t> next;
    bool ordered = true;
    for (const auto& f : srv.recorder->frames()) {
      const std::uint64_t t = f.request_id() >> 32;
      const std::uint64_t i = f.request_id() & 0xffffffffu;
      ordered &= next[t] == i;
      next[t] = i + 1;
    }
    CHECK(ordered);
    CHECK(next.size() == kThreads);
    (*client)->close();
    REQUIRE(rec->wait_closed());
  }
  io.finish();
}

TEST_CASE("connection: close() flushes everything sent before it") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    for (int i = 0; i < 500; ++i) srv.connection->send(make_frame(i, std::string(2000, 'f')));
    srv.connection->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
    CHECK(rec->frame_count() == 500);
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().ok());
    CHECK(srv.connection->queued_bytes() == 0);
  }
  io.finish();
}

TEST_CASE("connection: abort() reports its reason once and nothing is delivered after it") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    (*client)->abort(Status(Error::kCancelled, "test abort"));
    (*client)->abort(Status(Error::kInternal, "second abort is ignored"));
    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status() == Status(Error::kCancelled, "test abort"));
    REQUIRE(server.wait_accepted(1));
    REQUIRE(server.accepted(0).recorder->wait_closed());
    std::this_thread::sleep_for(20ms);
    CHECK(rec->close_calls() == 1);
    CHECK_FALSE(rec->frame_after_close());
  }
  io.finish();
}

TEST_CASE("connection: a connection aborted before start() reports it from start()") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    (*client)->abort(Status(Error::kCancelled, "never started"));
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().code() == Error::kCancelled);
  }
  io.finish();
}

TEST_CASE("connection: a Ping is answered with a Pong carrying its nonce") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto raw = raw_connect(io.io, server.port());
    v1::Frame ping;
    ping.mutable_ping()->set_nonce(424242);
    asio::write(raw, asio::buffer(encode_frame(ping)));
    const v1::Frame pong = read_frame(raw);
    CHECK(pong.has_pong());
    CHECK(pong.pong().nonce() == 424242);
    REQUIRE(server.wait_accepted(1));
    CHECK(server.accepted(0).recorder->frame_count() == 0);  // not passed to on_frame
  }
  io.finish();
}

TEST_CASE("connection: a peer closing in the middle of a frame is a protocol error") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto raw = raw_connect(io.io, server.port());
    const std::string bytes = encode_frame(make_frame(1, "cut short"));
    asio::write(raw, asio::buffer(bytes.substr(0, bytes.size() - 3)));
    raw.shutdown(asio::ip::tcp::socket::shutdown_send);
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().code() == Error::kProtocol);
    CHECK(srv.recorder->frame_count() == 0);
  }
  io.finish();
}

TEST_CASE("connection: without heartbeats an idle connection is closed with kTimeout") {
  IoRunner io;
  {
    ConnectionOptions srv_opts = fast_options();
    srv_opts.idle_timeout = 60ms;
    TestServer server(io, server_options(srv_opts));
    ConnectionOptions client_options = fast_options();
    client_options.idle_timeout = 0ms;  // only the server times out
    auto client = connect_sync(io, server.port(), nullptr, client_options);
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(srv.recorder->wait_closed(2000ms));
    CHECK(srv.recorder->close_status().code() == Error::kTimeout);
    CHECK(std::chrono::steady_clock::now() - started >= 40ms);
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());  // plain TCP: the abort looks like an orderly EOF
  }
  io.finish();
}

TEST_CASE("connection: a client with heartbeats keeps an idle server connection alive") {
  IoRunner io;
  {
    ConnectionOptions srv_opts = fast_options();
    srv_opts.idle_timeout = 100ms;
    TestServer server(io, server_options(srv_opts));
    ConnectionOptions client_options = fast_options();
    client_options.heartbeat_interval = 20ms;
    client_options.idle_timeout = 100ms;  // kept alive by the server's Pongs
    auto client = connect_sync(io, server.port(), nullptr, client_options);
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    std::this_thread::sleep_for(400ms);  // four idle timeouts
    CHECK_FALSE(srv.recorder->is_closed());
    CHECK_FALSE(rec->is_closed());
    CHECK(srv.recorder->frame_count() == 0);  // Pings are not frames for the application
    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().ok());
  }
  io.finish();
}

TEST_CASE("connection: set_idle_timeout moves the deadline") {
  IoRunner io;
  {
    ConnectionOptions srv_opts = fast_options();
    srv_opts.idle_timeout = 60ms;
    TestServer server(io, server_options(srv_opts));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    srv.connection->set_idle_timeout(5000ms);
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(srv.recorder->is_closed());
    srv.connection->set_idle_timeout(30ms);
    REQUIRE(srv.recorder->wait_closed(2000ms));
    CHECK(srv.recorder->close_status().code() == Error::kTimeout);
    REQUIRE(rec->wait_closed());
  }
  io.finish();
}

TEST_CASE("connection: a peer that never reads is aborted as a slow consumer") {
  IoRunner io;
  {
    ConnectionOptions srv_opts = fast_options();
    srv_opts.max_send_queue_bytes = 256 << 10;
    TestServer server(io, server_options(srv_opts));
    asio::ip::tcp::socket raw(io.io);
    raw.open(asio::ip::tcp::v4());
    raw.set_option(asio::socket_base::receive_buffer_size(4096));
    raw.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    const std::string chunk(16 << 10, 'z');
    std::size_t max_queued = 0;
    for (int i = 0; i < 100000 && !srv.recorder->is_closed(); ++i) {
      srv.connection->send(make_frame(static_cast<std::uint64_t>(i), chunk));
      max_queued = std::max(max_queued, srv.connection->queued_bytes());
      if (i % 64 == 0) std::this_thread::sleep_for(1ms);  // let the strand write
    }
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status() ==
          Status(Error::kResourceExhausted, "slow consumer: send queue over 262144 bytes"));
    CHECK(max_queued <= srv_opts.max_send_queue_bytes);
    CHECK(wait_until([&] { return srv.connection->queued_bytes() == 0; }));
  }
  io.finish();
}

TEST_CASE("connection: a bounded send queue does not abort a peer that keeps up") {
  IoRunner io;
  {
    ConnectionOptions srv_opts = fast_options();
    srv_opts.max_send_queue_bytes = 1 << 20;
    TestServer server(io, server_options(srv_opts));
    auto client = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    for (int i = 0; i < 2000; ++i) {
      while (srv.connection->queued_bytes() > (512 << 10)) std::this_thread::sleep_for(1ms);
      srv.connection->send(make_frame(static_cast<std::uint64_t>(i), std::string(4000, 'k')));
    }
    REQUIRE(rec->wait_frames(2000));
    CHECK_FALSE(srv.recorder->is_closed());
    (*client)->close();
    REQUIRE(rec->wait_closed());
  }
  io.finish();
}

TEST_CASE("connection: send_encoded shares one buffer between connections") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    auto a = connect_sync(io, server.port(), nullptr, fast_options());
    auto b = connect_sync(io, server.port(), nullptr, fast_options());
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    auto ra = Recorder::make();
    auto rb = Recorder::make();
    (*a)->start(ra->handler());
    (*b)->start(rb->handler());
    REQUIRE(server.wait_accepted(2));
    auto shared = std::make_shared<const std::string>(encode_frame(make_frame(77, "fan-out")));
    server.accepted(0).connection->send_encoded(shared);
    server.accepted(1).connection->send_encoded(shared);
    REQUIRE(ra->wait_frames(1));
    REQUIRE(rb->wait_frames(1));
    CHECK(text_of(ra->frames()[0]) == "fan-out");
    CHECK(text_of(rb->frames()[0]) == "fan-out");
    (*a)->close();
    (*b)->close();
    REQUIRE(ra->wait_closed());
    REQUIRE(rb->wait_closed());
  }
  io.finish();
}

TEST_CASE("connection: frames queued in one turn of its executor leave in one write") {
  IoRunner io;
  {
    TestServer server(io, server_options(fast_options()));
    asio::ip::tcp::socket raw = raw_connect(io.io, server.port());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    // Segments that reached the peer: one per write of the server (the peer sends nothing).
    const std::int64_t before = tcp_segments_in(raw.native_handle());
    REQUIRE(before >= 0);
    // What a server request handler does: its response, then (same turn) more for the peer.
    asio::post(srv.connection->executor(), [c = srv.connection] {
      c->send_on_executor(make_frame(1, "response"));
      c->send_on_executor(make_frame(2, "and a push"));
    });
    CHECK(read_frame(raw).request_id() == 1);
    CHECK(read_frame(raw).request_id() == 2);
    CHECK(tcp_segments_in(raw.native_handle()) - before == 1);
  }
  io.finish();
}

TEST_CASE("connect: a port nobody listens on reports kUnavailable") {
  IoRunner io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io.io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto r = connect_sync(io, port, nullptr, fast_options());
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Error::kUnavailable);
  io.finish();
}

TEST_CASE("connect: an empty host is an invalid argument") {
  IoRunner io;
  auto r = connect_sync(io, 1, nullptr, fast_options(), "");
  CHECK(r.code() == Error::kInvalidArgument);
  io.finish();
}
