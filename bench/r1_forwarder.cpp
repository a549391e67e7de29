// SPDX-License-Identifier: MIT
// R1: the W1 ceiling in durability class D0. A minimal server speaking our framing over the
// same transport (wechat_transport: Listener, Connection, FrameDecoder): Hello, Resume (the
// token is looked up in users.tsv, nothing is checked or stored), and SendMessage, which is
// pushed to the recipient and echoed to the sender like the real server does, then acked.
// No sessions layer, no coroutines, no store thread, no database: what is left of the server's
// per-message cost when everything but framing and routing is taken away.
#include <signal.h>

#include <cstdio>
#include <string>
#include <unordered_map>

#include "transport/asio.h"
// After transport/asio.h (see there).
#include <asio/signal_set.hpp>

#include "transport/frame_codec.h"
#include "transport/listener.h"
#include "users.h"

using namespace wechat;  // NOLINT(google-build-using-namespace): a small tool

namespace {

struct Forwarder {
  std::unordered_map<std::string, wechat::bench::BenchUser> by_token;
  std::unordered_map<std::uint64_t, std::shared_ptr<transport::Connection>> online;
  std::uint64_t next_message_id = 1;
  std::unordered_map<std::uint64_t, std::uint64_t> next_seq;  // per (ordered) pair

  void respond(transport::Connection& c, std::uint64_t id, v1::Response response) {
    v1::Frame frame;
    frame.set_request_id(id);
    *frame.mutable_response() = std::move(response);
    c.send(frame);
  }

  void on_frame(const std::shared_ptr<transport::Connection>& c, std::uint64_t& me,
                v1::Frame&& frame) {
    if (!frame.has_request()) return;
    const auto& request = frame.request();
    v1::Response response;
    if (request.has_hello()) {
      auto* ok = response.mutable_hello();
      ok->set_protocol_version(1);
      ok->set_server_version("r1");
      ok->set_max_frame_bytes(1u << 20);
      ok->set_heartbeat_interval_ms(10000);
    } else if (request.has_resume()) {
      auto it = by_token.find(request.resume().token());
      if (it == by_token.end()) {
        response.mutable_error()->set_code(v1::SESSION_EXPIRED);
      } else {
        me = it->second.user_id;
        online[me] = c;
        auto* ok = response.mutable_resume();
        ok->mutable_user()->set_user_id(me);
        ok->mutable_user()->set_username(it->second.username);
        ok->set_device_id(me);
      }
    } else if (request.has_send_message() && me != 0) {
      const auto& send = request.send_message();
      const std::uint64_t to = send.to_user_id();
      const std::uint64_t pair = std::min(me, to) << 32 | std::max(me, to);
      v1::Frame push;
      auto* m = push.mutable_event()->mutable_log()->mutable_message();
      m->set_message_id(next_message_id++);
      m->set_conversation_id(pair);
      m->set_seq(++next_seq[pair]);
      m->set_sender_id(me);
      m->set_recipient_id(to);
      m->set_client_msg_id(send.client_msg_id());
      m->set_text(send.text());
      m->set_kind(v1::CONVERSATION_KIND_DIRECT);
      auto encoded = std::make_shared<const std::string>(transport::encode_frame(push));
      if (auto it = online.find(to); it != online.end()) it->second->send_encoded(encoded);
      c->send_encoded(encoded);
      auto* ok = response.mutable_send_message();
      ok->set_message_id(m->message_id());
      ok->set_conversation_id(pair);
      ok->set_seq(m->seq());
    } else {
      response.mutable_error()->set_code(v1::INVALID_ARGUMENT);
    }
    respond(*c, frame.request_id(), std::move(response));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: r1_forwarder PORT USERS_FILE\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  auto users = wechat::bench::load_users(argv[2]);
  if (!users.ok()) {
    std::fprintf(stderr, "r1_forwarder: %s\n", users.status().to_string().c_str());
    return 2;
  }
  Forwarder forwarder;
  for (auto& u : *users) forwarder.by_token[u.token] = u;
  asio::io_context io(1);
  transport::ListenerOptions options;
  options.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
  options.max_connections = 19000;
  options.connection.idle_timeout = std::chrono::milliseconds(0);
  transport::Listener listener(io, options, [&](std::shared_ptr<transport::Connection> c) {
    auto me = std::make_shared<std::uint64_t>(0);
    std::weak_ptr<transport::Connection> weak = c;
    transport::ConnectionHandler handler;
    handler.on_frame = [&forwarder, weak, me](v1::Frame&& frame) {
      if (auto conn = weak.lock()) forwarder.on_frame(conn, *me, std::move(frame));
    };
    handler.on_close = [&forwarder, weak, me](const Status&) {
      auto it = forwarder.online.find(*me);
      if (it != forwarder.online.end() && it->second == weak.lock()) forwarder.online.erase(it);
    };
    c->start(std::move(handler));
  });
  auto port = listener.start();
  if (!port.ok()) {
    std::fprintf(stderr, "r1_forwarder: %s\n", port.status().to_string().c_str());
    return 2;
  }
  std::printf("r1_forwarder listening on 127.0.0.1:%u\n", *port);
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) {
    listener.stop();
    io.stop();
  });
  io.run();
  return 0;
}
