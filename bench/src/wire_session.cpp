// SPDX-License-Identifier: MIT
#include "wire_session.h"

#include <asio/ssl.hpp>

#include "transport/tls.h"

namespace wechat::bench {

std::shared_ptr<asio::ssl::context> bench_client_tls() {
  transport::ClientTlsOptions options;
  options.verify = false;
  auto ctx = transport::make_client_tls_context(options);
  return ctx.ok() ? *ctx : nullptr;
}

void WireSession::send_request(std::uint64_t request_id, v1::Request request) {
  v1::Frame frame;
  frame.set_request_id(request_id);
  *frame.mutable_request() = std::move(request);
  conn->send(frame);
}

void open_session(asio::any_io_executor executor, const Target& target, const Credentials& creds,
                  std::function<void(Result<std::shared_ptr<WireSession>>, v1::LoginOk)> done) {
  transport::ConnectionOptions options;
  options.idle_timeout = std::chrono::milliseconds(0);
  // The server drops a logged-in connection after 45 s of silence: ping like a real client.
  options.heartbeat_interval = std::chrono::milliseconds(10000);
  options.max_send_queue_bytes = 64u << 20;
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  transport::async_connect(
      executor, target.host, target.port, target.tls, options,
      [creds, shared_done](Result<std::shared_ptr<transport::Connection>> connected) {
        if (!connected.ok()) {
          (*shared_done)(connected.status(), {});
          return;
        }
        auto session = std::make_shared<WireSession>();
        session->conn = *connected;
        std::weak_ptr<WireSession> weak = session;
        auto finished = std::make_shared<bool>(false);
        auto finish = [shared_done, finished](Result<std::shared_ptr<WireSession>> r,
                                              v1::LoginOk ok) {
          if (*finished) return;
          *finished = true;
          (*shared_done)(std::move(r), std::move(ok));
        };
        const bool login = !creds.token.empty() || !creds.login.empty();
        session->on_frame = [weak, finish, login](v1::Frame&& frame) {
          auto s = weak.lock();
          if (!s || !frame.has_response()) return;
          const auto& response = frame.response();
          if (response.has_error()) {
            s->conn->abort(Status(Error::kCancelled, "login refused"));
            finish(Status(static_cast<Error>(response.error().code()), response.error().message()),
                   {});
            return;
          }
          if (frame.request_id() == kControlIdBase && !login) finish(s, {});
          if (frame.request_id() == kControlIdBase + 1) {
            finish(s, response.has_login() ? response.login() : response.resume());
          }
        };
        session->on_close = [finish](const Status& status) {
          finish(status.ok() ? Status(Error::kUnavailable, "closed during login") : status, {});
        };
        transport::ConnectionHandler handler;
        handler.on_frame = [session](v1::Frame&& frame) {
          if (session->on_frame) session->on_frame(std::move(frame));
        };
        handler.on_close = [session](const Status& status) {
          session->closed = true;
          auto on_close = std::move(session->on_close);
          session->on_frame = nullptr;
          if (on_close) on_close(status);
        };
        session->conn->start(std::move(handler));
        v1::Request hello;
        hello.mutable_hello()->set_protocol_version(1);
        hello.mutable_hello()->set_client_name("wechat-bench");
        session->send_request(kControlIdBase, std::move(hello));
        if (!creds.token.empty()) {
          v1::Request resume;
          resume.mutable_resume()->set_token(creds.token);
          session->send_request(kControlIdBase + 1, std::move(resume));
        } else if (!creds.login.empty()) {
          v1::Request request;
          auto* l = request.mutable_login();
          l->set_login(creds.login);
          l->set_password(creds.password);
          l->set_device_name(creds.device_name);
          session->send_request(kControlIdBase + 1, std::move(request));
        }
      });
}

}  // namespace wechat::bench
