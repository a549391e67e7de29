// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <asio/write.hpp>
#include <string>

#include "test_support.h"
#include "transport/connection.h"
#include "transport/tls.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;
using wechat::Status;

namespace {

ConnectionOptions connection_options() {
  ConnectionOptions o;
  o.idle_timeout = 5000ms;
  o.close_timeout = 2000ms;
  o.handshake_timeout = 3000ms;
  return o;
}

// Connects with `client_tls`, exchanges one frame each way, closes, and checks both sides.
void exchange_and_close(IoRunner& io, TestServer& server,
                        std::shared_ptr<asio::ssl::context> client_tls,
                        const std::string& host = "127.0.0.1") {
  auto client = connect_sync(io, server.port(), std::move(client_tls), connection_options(), host);
  REQUIRE_MESSAGE(client.ok(), client.status().to_string());
  auto rec = Recorder::make();
  (*client)->start(rec->handler());
  (*client)->send(make_frame(1, "over tls"));
  REQUIRE(server.wait_accepted(1));
  auto srv = server.accepted(0);
  REQUIRE(srv.recorder->wait_frames(1));
  CHECK(text_of(srv.recorder->frames()[0]) == "over tls");
  srv.connection->send(make_frame(2, "back over tls"));
  REQUIRE(rec->wait_frames(1));
  CHECK(text_of(rec->frames()[0]) == "back over tls");
  (*client)->close();
  REQUIRE(rec->wait_closed());
  CHECK(rec->close_status().ok());
  REQUIRE(srv.recorder->wait_closed());
  CHECK(srv.recorder->close_status().ok());  // close_notify
}

}  // namespace

TEST_CASE("tls: a client pinning the server's fingerprint connects and exchanges frames") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", cert.fingerprint()));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    exchange_and_close(io, server, *client_tls);
  }
  io.finish();
}

TEST_CASE("tls: a client trusting the certificate as its CA file connects to 127.0.0.1") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options(cert.cert, ""));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    exchange_and_close(io, server, *client_tls);
  }
  io.finish();
}

TEST_CASE("tls: a client trusting the certificate as its CA file connects to localhost by name") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options(cert.cert, ""));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    exchange_and_close(io, server, *client_tls, "localhost");
  }
  io.finish();
}

TEST_CASE("tls: a client with default trust refuses a self-signed certificate with kTls") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", ""));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    auto client = connect_sync(io, server.port(), *client_tls, connection_options());
    REQUIRE_FALSE(client.ok());
    CHECK(client.code() == Error::kTls);
    CHECK(client.status().message().find("certificate verification failed") != std::string::npos);
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().code() == Error::kTls);
  }
  io.finish();
}

TEST_CASE("tls: a wrong pin is refused with kTls") {
  TestCertificate cert;
  TestCertificate other;
  auto client_tls = make_client_tls_context(tls_options("", other.fingerprint()));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    auto client = connect_sync(io, server.port(), *client_tls, connection_options());
    REQUIRE_FALSE(client.ok());
    CHECK(client.code() == Error::kTls);
    CHECK(client.status().message().find("pinned") != std::string::npos);
  }
  io.finish();
}

TEST_CASE("tls: a pin is refused even when the CA file would trust the certificate") {
  TestCertificate cert;
  TestCertificate other;
  auto client_tls = make_client_tls_context(tls_options(cert.cert, other.fingerprint()));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    auto client = connect_sync(io, server.port(), *client_tls, connection_options());
    CHECK(client.code() == Error::kTls);
  }
  io.finish();
}

TEST_CASE("tls: verification can be switched off explicitly") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", "", false));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    exchange_and_close(io, server, *client_tls);
  }
  io.finish();
}

TEST_CASE("tls: close() flushes every queued frame before close_notify") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", cert.fingerprint()));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    auto client = connect_sync(io, server.port(), *client_tls, connection_options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    for (int i = 0; i < 300; ++i) srv.connection->send(make_frame(i, std::string(1500, 't')));
    srv.connection->close();
    REQUIRE(rec->wait_closed());
    CHECK_MESSAGE(rec->close_status().ok(), rec->close_status().to_string());
    REQUIRE(rec->frame_count() == 300);
    bool ordered = true;
    const auto frames = rec->frames();
    for (int i = 0; i < 300; ++i) ordered &= frames[i].request_id() == std::uint64_t(i);
    CHECK(ordered);
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().ok());
  }
  io.finish();
}

TEST_CASE("tls: a server handshake that never starts is closed after handshake_timeout") {
  TestCertificate cert;
  IoRunner io;
  {
    ConnectionOptions options = connection_options();
    options.handshake_timeout = 60ms;
    TestServer server(io, server_options(options, cert.server_context()));
    auto raw = raw_connect(io.io, server.port());  // connects, says nothing
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_closed(2000ms));
    CHECK(srv.recorder->close_status().code() == Error::kTimeout);
  }
  io.finish();
}

TEST_CASE("tls: a peer speaking plaintext to a TLS listener fails the handshake with kTls") {
  TestCertificate cert;
  IoRunner io;
  {
    TestServer server(io, server_options(connection_options(), cert.server_context()));
    auto raw = raw_connect(io.io, server.port());
    asio::write(raw, asio::buffer(encode_frame(make_frame(1))));
    REQUIRE(server.wait_accepted(1));
    auto srv = server.accepted(0);
    REQUIRE(srv.recorder->wait_closed());
    CHECK(srv.recorder->close_status().code() == Error::kTls);
  }
  io.finish();
}

TEST_CASE("connect: a server that never answers the TLS handshake times out with kTimeout") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", cert.fingerprint()));
  REQUIRE(client_tls.ok());
  IoRunner io;
  {
    asio::ip::tcp::acceptor silent(io.io, {asio::ip::make_address("127.0.0.1"), 0});
    ConnectionOptions options = connection_options();
    options.handshake_timeout = 80ms;
    auto client = connect_sync(io, silent.local_endpoint().port(), *client_tls, options);
    REQUIRE_FALSE(client.ok());
    CHECK(client.code() == Error::kTimeout);
  }
  io.finish();
}
