// SPDX-License-Identifier: MIT
// TlsSocket on its own (two sockets driven by hand, one io_context each, so the order of events
// is fixed), and TLS connections with peers that stream, flood, vanish or misbehave.
#include "transport/tls_socket.h"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "test_support.h"
#include "transport/frame_codec.h"
#include "transport/tls13_records.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;
using wechat::Status;
using wechat::transport::detail::Tls13Records;
using wechat::transport::detail::TlsSocket;
namespace v1 = wechat::v1;
using asio::ip::tcp;

namespace {

ConnectionOptions tls_connection_options() {
  ConnectionOptions o;
  o.idle_timeout = 5000ms;
  o.close_timeout = 2000ms;
  o.handshake_timeout = 3000ms;
  return o;
}

std::shared_ptr<asio::ssl::context> pinned_client_context(const TestCertificate& cert) {
  auto ctx = make_client_tls_context(tls_options("", cert.fingerprint()));
  REQUIRE(ctx.ok());
  return *ctx;
}

// Runs `io` until `done` holds; fails the test after 5 s.
void run_until(asio::io_context& io, const std::function<bool()>& done) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) FAIL("timed out");
    io.run_one_for(10ms);
    io.restart();
  }
}

// One end of a TLS session on its own io_context, driven by the test thread.
struct Endpoint {
  Endpoint(tcp::socket s, SSL_CTX* ctx, TlsSocket::Side side)
      : socket(std::move(s)), tls(std::make_unique<TlsSocket>(socket, ctx, side)) {}

  // Starts the handshake; `handshake` is set when it completes.
  void start_handshake() {
    tls->async_handshake([this](const std::error_code& ec) { handshake = ec; });
  }

  std::error_code write(const std::string& bytes) {
    std::optional<std::error_code> result;
    std::size_t written = 0;
    tls->async_write(asio::buffer(bytes), [&](const std::error_code& ec, std::size_t n) {
      result = ec;
      written = n;
    });
    run_until(*io, [&] { return result.has_value(); });
    if (!*result) CHECK(written == bytes.size());
    return *result;
  }

  // One async_wait_readable() + read_some() round; returns what read_some() returned.
  std::pair<std::error_code, std::string> read_once(std::size_t max = 64 << 10) {
    std::optional<std::error_code> ready;
    tls->async_wait_readable([&](const std::error_code& ec) { ready = ec; });
    run_until(*io, [&] { return ready.has_value(); });
    if (*ready) return {*ready, {}};
    std::string buffer(max, '\0');
    std::error_code ec;
    const std::size_t n = tls->read_some(asio::buffer(buffer), ec);
    buffer.resize(n);
    return {ec, buffer};
  }

  asio::io_context* io = nullptr;
  tcp::socket socket;
  std::unique_ptr<TlsSocket> tls;  // after socket: destroyed first
  std::optional<std::error_code> handshake;
};

// A connected pair: `server` on io_server, `client` on io_client, handshakes not started.
struct Pair {
  explicit Pair(const TestCertificate& cert)
      : server_ctx(cert.server_context()),
        client_ctx(pinned_client_context(cert)),
        server(accept_one(), server_ctx->native_handle(), TlsSocket::Side::kServer),
        client(std::move(connected), client_ctx->native_handle(), TlsSocket::Side::kClient) {
    server.io = &io_server;
    client.io = &io_client;
  }

  tcp::socket accept_one() {
    tcp::acceptor acceptor(io_server, {asio::ip::make_address("127.0.0.1"), 0});
    connected.connect(acceptor.local_endpoint());
    return acceptor.accept();
  }

  // Both handshakes, driven alternately until both are done.
  void handshake() {
    server.start_handshake();
    client.start_handshake();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!server.handshake || !client.handshake) {
      if (std::chrono::steady_clock::now() >= deadline) FAIL("handshake timed out");
      io_client.restart();
      io_client.poll();
      io_server.restart();
      io_server.poll();
    }
    REQUIRE_FALSE(*server.handshake);
    REQUIRE_FALSE(*client.handshake);
  }

  asio::io_context io_server;
  asio::io_context io_client;
  std::shared_ptr<asio::ssl::context> server_ctx;
  std::shared_ptr<asio::ssl::context> client_ctx;
  tcp::socket connected{io_client};
  Endpoint server;
  Endpoint client;
};

// A TLS client on its own io_context that completes the handshake and then does whatever the
// test says, e.g. writes raw bytes past OpenSSL.
struct RawTlsClient {
  RawTlsClient(std::uint16_t port, const TestCertificate& cert, int receive_buffer = 0)
      : ctx(pinned_client_context(cert)),
        endpoint(connect(port, receive_buffer), ctx->native_handle(), TlsSocket::Side::kClient) {
    endpoint.io = &io;
    endpoint.start_handshake();
    run_until(io, [&] { return endpoint.handshake.has_value(); });
    REQUIRE_FALSE(*endpoint.handshake);
  }

  tcp::socket connect(std::uint16_t port, int receive_buffer) {
    tcp::socket s(io);
    s.open(tcp::v4());
    if (receive_buffer > 0) s.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
  }

  // Writes bytes on the socket itself, around OpenSSL.
  void write_raw(const std::string& bytes) {
    endpoint.socket.non_blocking(false);
    asio::write(endpoint.socket, asio::buffer(bytes));
  }

  asio::io_context io;
  std::shared_ptr<asio::ssl::context> ctx;
  Endpoint endpoint;
};

}  // namespace

TEST_CASE("tls socket: data the client sent right behind its Finished is read at once") {
  TestCertificate cert;
  Pair pair(cert);
  pair.server.start_handshake();
  pair.client.start_handshake();
  // Drive both until the client has sent its Finished, then hold the server back: it has sent
  // its flight and waits for that Finished.
  run_until(pair.io_client, [&] {
    if (SSL_is_init_finished(pair.client.tls->native_handle())) return true;
    pair.io_server.restart();
    pair.io_server.poll();
    return false;
  });
  run_until(pair.io_client, [&] { return pair.client.handshake.has_value(); });
  REQUIRE_FALSE(*pair.client.handshake);
  const std::size_t finished_bytes = pair.server.socket.available();
  REQUIRE(pair.client.write("early application data") == std::error_code());
  // Loopback may deliver a moment later on a loaded machine.
  REQUIRE(wait_until([&] { return pair.server.socket.available() > finished_bytes; }));
  run_until(pair.io_server, [&] { return pair.server.handshake.has_value(); });
  REQUIRE_FALSE(*pair.server.handshake);
  // The server read no further than the Finished and took the records over from OpenSSL.
  CHECK(pair.server.tls->records_handed_over());
  CHECK(pair.server.tls->native_handle() == nullptr);
  CHECK(pair.server.socket.available() > 0);
  auto [ec, data] = pair.server.read_once();
  CHECK_FALSE(ec);
  CHECK(data == "early application data");
  // The client keeps OpenSSL's session.
  CHECK_FALSE(pair.client.tls->records_handed_over());
}

TEST_CASE("tls socket: a read that fills the buffer leaves the rest for the next read") {
  TestCertificate cert;
  Pair pair(cert);
  pair.handshake();
  std::string sent;
  for (int i = 0; i < 3000; ++i) sent += "0123456789";
  // Client to server (our records), then server to client (OpenSSL's, with read ahead: the
  // rest of a record waits in OpenSSL, where no socket wait would find it).
  for (auto [from, to] : {std::pair{&pair.client, &pair.server}, {&pair.server, &pair.client}}) {
    REQUIRE(from->write(sent) == std::error_code());
    std::string received;
    while (received.size() < sent.size()) {
      auto [ec, data] = to->read_once(1000);
      REQUIRE_FALSE(ec);
      CHECK(data.size() <= 1000);
      received += data;
    }
    CHECK(received == sent);
  }
}

// 100 KiB each way in one write: several records, more than one send.
void exchange(Pair& pair) {
  std::string big(100 << 10, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  for (auto [from, to] : {std::pair{&pair.client, &pair.server}, {&pair.server, &pair.client}}) {
    REQUIRE(from->write(big) == std::error_code());
    std::string received;
    while (received.size() < big.size()) {
      auto [ec, data] = to->read_once();
      REQUIRE_FALSE(ec);
      received += data;
    }
    CHECK(received == big);
  }
}

TEST_CASE("tls socket: with each TLS 1.3 suite the server takes the records over from OpenSSL") {
  for (const char* suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    CAPTURE(suite);
    TestCertificate cert;
    Pair pair(cert);
    REQUIRE(SSL_set_ciphersuites(pair.client.tls->native_handle(), suite) == 1);
    pair.handshake();
    REQUIRE(pair.server.tls->records_handed_over());
    CHECK(pair.server.tls->native_handle() == nullptr);
    CHECK(SSL_CIPHER_get_name(SSL_get_current_cipher(pair.client.tls->native_handle())) ==
          std::string(suite));
    exchange(pair);
    // Our close_notify reads as OpenSSL's eof.
    std::optional<std::error_code> shut;
    pair.server.tls->async_shutdown([&](const std::error_code& ec) { shut = ec; });
    run_until(pair.io_server, [&] { return shut.has_value(); });
    CHECK_FALSE(*shut);
    auto [ec, data] = pair.client.read_once();
    CHECK(ec == asio::error::eof);
  }
}

// A TLS 1.3 pair whose handshake is done and whose server took the records over.
struct HandedOverPair {
  HandedOverPair() {
    pair.handshake();
    REQUIRE(pair.server.tls->records_handed_over());
  }
  TestCertificate cert;
  Pair pair{cert};
};

TEST_CASE("tls socket: a client's KeyUpdate is followed, and the one it requests is sent") {
  HandedOverPair handed_over;
  Pair& pair = handed_over.pair;
  SSL* client = pair.client.tls->native_handle();
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    // OpenSSL sends the KeyUpdate with the next write.
    REQUIRE(SSL_key_update(
                client, round == 1 ? SSL_KEY_UPDATE_NOT_REQUESTED : SSL_KEY_UPDATE_REQUESTED) == 1);
    REQUIRE(pair.client.write("after the update") == std::error_code());
    // The KeyUpdate may arrive alone: a wake-up with nothing to read (would_block), as after
    // any record that carries no data.
    auto [ec, data] = pair.server.read_once();
    if (ec == asio::error::would_block) std::tie(ec, data) = pair.server.read_once();
    REQUIRE_FALSE(ec);
    CHECK(data == "after the update");
    REQUIRE(pair.server.write("reply") == std::error_code());
    // When asked, the server's KeyUpdate goes before its reply; OpenSSL opens the reply with
    // the key that follows it.
    const std::size_t expected = (round == 1 ? 0 : Tls13Records::sealed_size(5)) +
                                 Tls13Records::sealed_size(std::string("reply").size());
    REQUIRE(wait_until([&] { return pair.client.socket.available() >= expected; }));
    CHECK(pair.client.socket.available() == expected);
    auto [ec2, reply] = pair.client.read_once();
    REQUIRE_FALSE(ec2);
    CHECK(reply == "reply");
  }
  exchange(pair);
}

TEST_CASE("tls socket: a peer sending record after record without data is cut off") {
  HandedOverPair handed_over;
  Pair& pair = handed_over.pair;
  SSL* client = pair.client.tls->native_handle();
  // Each KeyUpdate is a record that costs the server a key derivation and carries no data.
  for (int i = 0; i < 40; ++i) {
    REQUIRE(SSL_key_update(client, SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    REQUIRE(SSL_do_handshake(client) == 1);
  }
  std::error_code ec;
  for (int reads = 0; reads < 40; ++reads) {
    ec = pair.server.read_once().first;
    if (ec != asio::error::would_block) break;
  }
  CHECK(ec.category() == asio::error::get_ssl_category());
  CHECK(ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_RECORD_TOO_SMALL);
}

TEST_CASE("tls socket: with TLS 1.2 OpenSSL keeps the server's records") {
  TestCertificate cert;
  Pair pair(cert);
  REQUIRE(SSL_set_max_proto_version(pair.client.tls->native_handle(), TLS1_2_VERSION) == 1);
  pair.handshake();
  CHECK(SSL_version(pair.client.tls->native_handle()) == TLS1_2_VERSION);
  CHECK_FALSE(pair.server.tls->records_handed_over());
  CHECK(pair.server.tls->native_handle() != nullptr);
  exchange(pair);
}

TEST_CASE("tls socket: the peer's close_notify reads as eof") {
  TestCertificate cert;
  Pair pair(cert);
  pair.handshake();
  REQUIRE(pair.client.write("last words") == std::error_code());
  std::optional<std::error_code> shut;
  pair.client.tls->async_shutdown([&](const std::error_code& ec) { shut = ec; });
  run_until(pair.io_client, [&] { return shut.has_value(); });
  CHECK_FALSE(*shut);  // done once close_notify is out, without waiting for the server's
  auto [ec, data] = pair.server.read_once();
  CHECK_FALSE(ec);
  CHECK(data == "last words");
  auto [ec2, data2] = pair.server.read_once();
  CHECK(ec2 == asio::error::eof);
  CHECK(data2.empty());
}

TEST_CASE("tls socket: EOF without close_notify reads as stream_truncated") {
  TestCertificate cert;
  Pair pair(cert);
  pair.handshake();
  REQUIRE(pair.client.write("cut") == std::error_code());
  pair.client.socket.shutdown(tcp::socket::shutdown_send);
  auto [ec, data] = pair.server.read_once();
  CHECK_FALSE(ec);
  CHECK(data == "cut");
  auto [ec2, data2] = pair.server.read_once();
  CHECK(ec2 == asio::ssl::error::stream_truncated);
}

TEST_CASE("tls socket: a corrupt record is an error in asio's ssl category") {
  TestCertificate cert;
  Pair pair(cert);
  pair.handshake();
  // An application-data record header and 32 bytes that do not decrypt.
  const std::string record = std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, '\x5a');
  pair.client.socket.non_blocking(false);
  asio::write(pair.client.socket, asio::buffer(record));
  auto [ec, data] = pair.server.read_once();
  CHECK(ec.category() == asio::error::get_ssl_category());
  CHECK(data.empty());
}

TEST_CASE("tls socket: operations after the socket is closed report operation_aborted") {
  TestCertificate cert;
  Pair pair(cert);
  pair.handshake();
  std::optional<std::error_code> waited;
  pair.server.tls->async_wait_readable([&](const std::error_code& ec) { waited = ec; });
  pair.server.socket.close();
  run_until(pair.io_server, [&] { return waited.has_value(); });
  CHECK(*waited == asio::error::operation_aborted);
  std::string buffer(16, '\0');
  std::error_code ec;
  CHECK(pair.server.tls->read_some(asio::buffer(buffer), ec) == 0);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(pair.server.write("x") == asio::error::operation_aborted);
}

TEST_CASE("tls: a 700 KiB frame crosses in many records both ways") {
  TestCertificate cert;
  IoRunner io(2);
  {
    ConnectionOptions options = tls_connection_options();
    TestServer server(io, server_options(options, cert.server_context()), /*echo=*/true);
    auto client = connect_sync(io, server.port(), pinned_client_context(cert), options);
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    std::string text(700 << 10, '\0');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 23);
    (*client)->send(make_frame(1, text));
    (*client)->send(make_frame(2, "after the big one"));
    REQUIRE(rec->wait_frames(2));
    const auto frames = rec->frames();
    CHECK(text_of(frames[0]) == text);
    CHECK(text_of(frames[1]) == "after the big one");
    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
  }
  io.finish();
}

TEST_CASE("tls: thousands of frames flow both ways at once, each direction in order") {
  TestCertificate cert;
  IoRunner io(2);
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    auto client =
        connect_sync(io, server.port(), pinned_client_context(cert), tls_connection_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    constexpr int kFrames = 3000;
    auto send_all = [](Connection& c) {
      for (int i = 0; i < kFrames; ++i) {
        while (c.queued_bytes() > (2 << 20)) std::this_thread::sleep_for(1ms);
        c.send(make_frame(static_cast<std::uint64_t>(i), std::string(i % 3000, 'b')));
      }
    };
    std::thread a([&] { send_all(**client); });
    std::thread b([&] { send_all(*srv.connection); });
    a.join();
    b.join();
    REQUIRE(rec->wait_frames(kFrames, 20000ms));
    REQUIRE(srv.recorder->wait_frames(kFrames, 20000ms));
    for (const auto& r : {rec, srv.recorder}) {
      const auto frames = r->frames();
      bool ordered = true;
      for (int i = 0; i < kFrames; ++i) {
        ordered &= frames[i].request_id() == std::uint64_t(i) &&
                   text_of(frames[i]).size() == static_cast<std::size_t>(i % 3000);
      }
      CHECK(ordered);
    }
    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().ok());
  }
  io.finish();
}

TEST_CASE("tls: a peer that vanishes without close_notify ends the connection with kIo") {
  TestCertificate cert;
  IoRunner io;
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    auto client =
        connect_sync(io, server.port(), pinned_client_context(cert), tls_connection_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    // A round trip first, so the client has read everything (session tickets included) and
    // its close is a FIN, not a reset.
    (*client)->send(make_frame(1));
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_frames(1));
    srv.connection->send(make_frame(2));
    REQUIRE(rec->wait_frames(1));
    (*client)->abort(Status(Error::kCancelled, "gone"));  // no close_notify
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status() ==
          Status(Error::kIo, "peer closed the connection without TLS close_notify"));
  }
  io.finish();
}

TEST_CASE("tls: garbage after the handshake closes the connection with kTls") {
  TestCertificate cert;
  IoRunner io;
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    RawTlsClient peer(server.port(), cert);
    REQUIRE(peer.endpoint.write(encode_frame(make_frame(1, "a real frame"))) == std::error_code());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_frames(1));
    peer.write_raw(std::string("\x17\x03\x03\x00\x40", 5) + std::string(64, '\x01'));
    REQUIRE(srv.recorder->wait_closed());
    CHECK_MESSAGE(srv.recorder->close_status().code() == Error::kTls,
                  srv.recorder->close_status().to_string());
  }
  io.finish();
}

TEST_CASE("tls: an unencrypted alert after the handshake closes the connection with kTls") {
  TestCertificate cert;
  IoRunner io;
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    RawTlsClient peer(server.port(), cert);
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    peer.write_raw(std::string("\x15\x03\x03\x00\x02\x02\x28", 7));  // fatal handshake_failure
    REQUIRE(srv.recorder->wait_closed());
    CHECK_MESSAGE(srv.recorder->close_status().code() == Error::kTls,
                  srv.recorder->close_status().to_string());
  }
  io.finish();
}

TEST_CASE("tls: a peer that never reads is aborted as a slow consumer") {
  TestCertificate cert;
  IoRunner io;
  {
    ConnectionOptions options = tls_connection_options();
    options.max_send_queue_bytes = 256 << 10;
    TestServer server(io, server_options(options, cert.server_context()));
    RawTlsClient peer(server.port(), cert, 4096);  // handshakes, then never reads
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    const std::string chunk(16 << 10, 'z');
    for (int i = 0; i < 100000 && !srv.recorder->is_closed(); ++i) {
      srv.connection->send(make_frame(static_cast<std::uint64_t>(i), chunk));
      if (i % 64 == 0) std::this_thread::sleep_for(1ms);
    }
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status() ==
          Status(Error::kResourceExhausted, "slow consumer: send queue over 262144 bytes"));
    CHECK(wait_until([&] { return srv.connection->queued_bytes() == 0; }));
  }
  io.finish();
}

TEST_CASE("tls: both ends closing at once with data queued each end cleanly") {
  TestCertificate cert;
  IoRunner io(2);
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    auto client =
        connect_sync(io, server.port(), pinned_client_context(cert), tls_connection_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    for (int i = 0; i < 200; ++i) {
      (*client)->send(make_frame(static_cast<std::uint64_t>(i), std::string(1500, 'c')));
      srv.connection->send(make_frame(static_cast<std::uint64_t>(i), std::string(1500, 's')));
    }
    (*client)->close();
    srv.connection->close();
    REQUIRE(rec->wait_closed());
    REQUIRE(srv.recorder->wait_closed());
    CHECK_MESSAGE(rec->close_status().ok(), rec->close_status().to_string());
    CHECK_MESSAGE(srv.recorder->close_status().ok(), srv.recorder->close_status().to_string());
  }
  io.finish();
}

TEST_CASE("tls: aborting while the peer keeps writing is clean, again and again") {
  TestCertificate cert;
  IoRunner io(2);
  {
    TestServer server(io, server_options(tls_connection_options(), cert.server_context()));
    for (int round = 0; round < 10; ++round) {
      auto client =
          connect_sync(io, server.port(), pinned_client_context(cert), tls_connection_options());
      REQUIRE(client.ok());
      auto rec = Recorder::make();
      (*client)->start(rec->handler());
      REQUIRE(server.wait_accepted(static_cast<std::size_t>(round) + 1));
      auto srv = server.accepted(static_cast<std::size_t>(round));
      for (int i = 0; i < 300; ++i) {
        (*client)->send(make_frame(static_cast<std::uint64_t>(i), std::string(3000, 'w')));
      }
      REQUIRE(srv.recorder->wait_frames(1));
      srv.connection->abort(Status(Error::kCancelled, "enough"));
      REQUIRE(srv.recorder->wait_closed());
      CHECK(srv.recorder->close_status().code() == Error::kCancelled);
      REQUIRE(rec->wait_closed());
      CHECK_FALSE(rec->close_status().ok());  // reset or truncated, never a clean close
    }
  }
  io.finish();
}

TEST_CASE("tls: an idle TLS connection is closed with kTimeout") {
  TestCertificate cert;
  IoRunner io;
  {
    ConnectionOptions server_opts = tls_connection_options();
    server_opts.idle_timeout = 60ms;
    TestServer server(io, server_options(server_opts, cert.server_context()));
    ConnectionOptions client_opts = tls_connection_options();
    client_opts.idle_timeout = 0ms;
    auto client = connect_sync(io, server.port(), pinned_client_context(cert), client_opts);
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_closed(2000ms));
    CHECK(srv.recorder->close_status().code() == Error::kTimeout);
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().code() == Error::kIo);  // no close_notify on a timeout
  }
  io.finish();
}
