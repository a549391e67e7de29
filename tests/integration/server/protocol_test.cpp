// SPDX-License-Identifier: MIT
// Hostile and out-of-order input at the protocol level: the offending connection gets a clear
// error or is closed, and everyone else carries on.
#include <doctest/doctest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <thread>

#include "client/convert.h"
#include "support/test_server.h"
#include "transport/frame_codec.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// A blocking raw socket, for bytes no real client would send.
struct RawSocket {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  explicit RawSocket(std::uint16_t port) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void write(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  /// True if the server closed the connection within ~5 s (reads until EOF or reset).
  bool closed_by_server() {
    socket.non_blocking(false);
    timeval tv{5, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    for (;;) {
      std::error_code ec;
      socket.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;  // timeout
    }
  }
};

std::string length_prefix(std::uint32_t n) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(n >> 24);
  out[1] = static_cast<char>(n >> 16);
  out[2] = static_cast<char>(n >> 8);
  out[3] = static_cast<char>(n);
  return out;
}

}  // namespace

TEST_CASE("protocol: the first request must be hello, and hello only once") {
  TestServer server;
  auto client = TestClient::connect(server.port(), false);
  REQUIRE(client.ok());
  CHECK(call_error(**client, req::sync(0)) == Error::kProtocol);
  v1::Request hello;
  hello.mutable_hello()->set_protocol_version(1);
  CHECK(call_error(**client, hello) == Error::kOk);
  CHECK(call_error(**client, hello) == Error::kProtocol);
}

TEST_CASE("protocol: an unsupported version is answered, then the connection closes") {
  TestServer server;
  auto client = TestClient::connect(server.port(), false);
  REQUIRE(client.ok());
  v1::Request hello;
  hello.mutable_hello()->set_protocol_version(99);
  CHECK(call_error(**client, hello) == Error::kUnsupportedVersion);
  CHECK((*client)->wait_closed().has_value());
}

TEST_CASE("protocol: an unknown request type is answered and the connection stays usable") {
  TestServer server;
  auto alice = server.create_user("alice");
  v1::Request empty;  // no kind set: what a newer client's new request looks like here
  CHECK(call_error(*alice.client, empty) == Error::kInvalidArgument);
  CHECK(call_error(*alice.client, req::sync(0)) == Error::kOk);
}

TEST_CASE("protocol: requests before login are refused with unauthenticated") {
  TestServer server;
  auto client = server.connect();
  CHECK(call_error(*client, req::sync(0)) == Error::kUnauthenticated);
  CHECK(call_error(*client, req::send_text(1, "x", req::new_client_msg_id())) ==
        Error::kUnauthenticated);
  CHECK(call_error(*client, req::history(1, 0)) == Error::kUnauthenticated);
  CHECK(call_error(*client, req::mark_read(1, 1)) == Error::kUnauthenticated);
}

TEST_CASE("protocol: a frame that is not a request, or has no request id, closes the connection") {
  TestServer server;
  auto client = server.connect();
  v1::Frame frame;
  frame.mutable_event()->mutable_typing()->set_user_id(1);
  client->send_frame(frame);
  CHECK(client->wait_closed().has_value());

  auto other = server.connect();
  v1::Frame no_id;
  no_id.mutable_request()->mutable_sync();
  other->send_frame(no_id);
  CHECK(other->wait_closed().has_value());
}

TEST_CASE("protocol: garbage, oversized and zero lengths close only the offending connection") {
  TestServer server([](ServerOptions& o) { o.max_frame_bytes = 64 * 1024; });
  auto alice = server.create_user("alice");

  RawSocket huge(server.port());
  huge.write(length_prefix(0xfffffff0u));
  CHECK(huge.closed_by_server());

  RawSocket over(server.port());
  over.write(length_prefix(64 * 1024 + 1));
  CHECK(over.closed_by_server());

  RawSocket zero(server.port());
  zero.write(length_prefix(0));
  CHECK(zero.closed_by_server());

  RawSocket garbage(server.port());
  garbage.write(length_prefix(8) + std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8));
  CHECK(garbage.closed_by_server());

  // The well-behaved client never noticed.
  CHECK(call_error(*alice.client, req::sync(0)) == Error::kOk);
}

TEST_CASE("protocol: a half-sent frame is dropped after the unauthenticated idle timeout") {
  TestServer server([](ServerOptions& o) {
    o.unauthenticated_timeout = std::chrono::milliseconds(300);
  });
  RawSocket slow(server.port());
  slow.write(length_prefix(100) + "abc");  // and never the rest
  CHECK(slow.closed_by_server());
  auto fine = server.connect();
  CHECK(call_error(*fine, req::sync(0)) == Error::kUnauthenticated);
}

TEST_CASE("protocol: many requests in flight on one connection are all answered by id") {
  TestServer server;
  auto alice = server.create_user("alice");
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(alice.client->send(req::sync(0)));
  for (auto id : ids) {
    auto response = alice.client->wait_response(id);
    REQUIRE(response.ok());
    CHECK(error_of(*response) == Error::kOk);
  }
}

TEST_CASE("protocol: a text field that is not UTF-8 closes that connection, others carry on") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  // protobuf refuses to parse a string field that is not UTF-8: the frame is garbage.
  auto mallory = server.login(alice, "other-device");
  mallory->send(req::send_text(bob.id, std::string("bad \xff utf8"), req::new_client_msg_id()));
  CHECK(mallory->wait_closed().has_value());
  CHECK(call_error(*alice.client, req::send_text(bob.id, "fine", req::new_client_msg_id())) ==
        Error::kOk);
}

TEST_CASE("protocol: a request flood from one connection is answered with rate_limited") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.requests_per_connection_per_second = 10;
    o.rate_limits.request_burst_per_connection = 20;
  });
  auto alice = server.create_user("alice");  // a handful of requests: within the burst
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(alice.client->send(req::sync(0)));
  int limited = 0;
  for (auto id : ids) {
    auto response = alice.client->wait_response(id);
    REQUIRE(response.ok());
    const Status status = client::status_of(*response);
    if (status.code() != Error::kRateLimited) continue;
    ++limited;
    // A refused request would have had to wait past max_request_delay by at most one token's
    // time (100 ms at 10/s): that excess is how long to wait.
    CHECK(status.retry_after_ms() > 0);
    CHECK(status.retry_after_ms() <= 101);
  }
  // 20 in the burst, about 10 more wait their turn (max_request_delay, 1 s at 10/s), the rest
  // are refused.
  CHECK(limited >= 25);
  // A second connection is not affected by the first one's flood.
  auto other = server.connect();
  CHECK(call_error(*other, req::sync(0)) == Error::kUnauthenticated);
}

TEST_CASE("protocol: a request flood from one user across devices is limited per user") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.requests_per_user_per_second = 10;
    o.rate_limits.request_burst_per_user = 20;
  });
  auto alice = server.create_user("alice");
  auto phone = server.login(alice, "phone");
  std::vector<std::pair<TestClient*, std::uint64_t>> ids;
  for (int i = 0; i < 30; ++i) {
    ids.emplace_back(alice.client.get(), alice.client->send(req::sync(0)));
    ids.emplace_back(phone.get(), phone->send(req::sync(0)));
  }
  int limited = 0;
  for (auto [client, id] : ids) {
    auto response = client->wait_response(id);
    REQUIRE(response.ok());
    const Status status = client::status_of(*response);
    if (status.code() != Error::kRateLimited) continue;
    ++limited;
    CHECK(status.retry_after_ms() > 0);  // as above: at most one token's time, 100 ms
    CHECK(status.retry_after_ms() <= 101);
  }
  CHECK(limited >= 25);  // as above: the burst, then a second of waiting, then refusals
}

TEST_CASE("protocol: a request the user's rate refuses costs its connection nothing") {
  TestServer server([](ServerOptions& o) {
    // The connection's tokens never come back within the test; the user's come back in 100 ms.
    o.rate_limits.requests_per_connection_per_second = 0.001;
    o.rate_limits.request_burst_per_connection = 6;
    o.rate_limits.requests_per_user_per_second = 10;
    o.rate_limits.request_burst_per_user = 1;
    o.rate_limits.max_request_delay = std::chrono::milliseconds(0);  // refuse, never queue
  });
  auto alice = server.create_user("alice");
  auto phone = server.login(alice, "phone");  // hello and login: 2 of the phone's 6 tokens
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the user's bucket refills
  // One request goes through (3 connection tokens left); the rest find the user's bucket empty.
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(phone->send(req::sync(0)));
  int refused = 0;
  for (auto id : ids) {
    auto response = phone->wait_response(id);
    REQUIRE(response.ok());
    if (client::status_of(*response).code() == Error::kRateLimited) ++refused;
  }
  REQUIRE(refused >= 3);  // had they cost tokens, the connection's 3 would be gone
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the user's bucket refills
  auto response = phone->call(req::sync(0));
  REQUIRE(response.ok());
  CHECK_MESSAGE(client::status_of(*response).ok(), client::status_of(*response).to_string());
}

TEST_CASE("protocol: a request refused over the rate is accepted after its retry_after_ms") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.requests_per_connection_per_second = 1;
    o.rate_limits.request_burst_per_connection = 1;
    o.rate_limits.max_request_delay = std::chrono::milliseconds(0);  // refuse, never queue
  });
  auto client = server.connect();  // its hello took the one token
  Status refused;
  for (int i = 0; i < 5 && refused.code() != Error::kRateLimited; ++i) {
    auto response = client->call(req::sync(0));
    REQUIRE(response.ok());
    refused = client::status_of(*response);
  }
  REQUIRE(refused.code() == Error::kRateLimited);
  CHECK(refused.retry_after_ms() > 0);
  CHECK(refused.retry_after_ms() <= 1000);  // one token at 1/s
  std::this_thread::sleep_for(std::chrono::milliseconds(refused.retry_after_ms()));
  // Not logged in, so refused all the same, but no longer for the rate.
  CHECK(call_error(*client, req::sync(0)) == Error::kUnauthenticated);
}

TEST_CASE("protocol: requests over the rate wait their turn and keep their order") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.requests_per_connection_per_second = 20;
    o.rate_limits.request_burst_per_connection = 5;
    o.rate_limits.max_request_delay = std::chrono::milliseconds(2000);
  });
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the bucket refills
  // Pipelined past the burst: none refused, and stored in the order sent (an outbox flush).
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 25; ++i) {
    ids.push_back(alice.client->send(
        req::send_text(bob.id, "m" + std::to_string(i), req::new_client_msg_id())));
  }
  std::uint64_t last_seq = 0;
  for (auto id : ids) {
    auto response = alice.client->wait_response(id);
    REQUIRE(response.ok());
    REQUIRE(error_of(*response) == Error::kOk);
    const auto seq = response->send_message().seq();
    CHECK(seq > last_seq);
    last_seq = seq;
  }
}

TEST_CASE("protocol: thousands of idle unauthenticated connections do not stop service") {
  TestServer server([](ServerOptions& o) {
    o.max_connections = 3000;
    o.unauthenticated_timeout = std::chrono::milliseconds(1500);
  });
  asio::io_context io;
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 2000; ++i) {
    idle.emplace_back(io);
    idle.back().connect({asio::ip::make_address("127.0.0.1"), server.port()});
  }
  auto alice = server.create_user("alice");
  CHECK(call_error(*alice.client, req::sync(0)) == Error::kOk);
  // Past the limit, new connections are turned away, not queued.
  std::vector<asio::ip::tcp::socket> over;
  for (int i = 0; i < 1100; ++i) {
    over.emplace_back(io);
    std::error_code ec;
    over.back().connect({asio::ip::make_address("127.0.0.1"), server.port()}, ec);
  }
  // The idle ones are dropped after the unauthenticated timeout, freeing the slots.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  auto later = server.connect();
  CHECK(call_error(*later, req::sync(0)) == Error::kUnauthenticated);
}
