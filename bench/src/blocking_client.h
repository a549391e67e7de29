// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_BLOCKING_CLIENT_H_
#define WECHAT_BENCH_BLOCKING_CLIENT_H_

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "wire_session.h"

namespace wechat::bench {

/// A blocking request/response client over a WireSession, for setup and verification
/// (never in a measured path). The io_context runs on another thread.
class BlockingClient {
 public:
  static Result<std::unique_ptr<BlockingClient>> open(asio::io_context& io, const Target& target,
                                                      const Credentials& creds) {
    std::promise<Result<std::shared_ptr<WireSession>>> opened;
    std::promise<v1::LoginOk> login;
    asio::post(io, [&] {
      open_session(io.get_executor(), target, creds,
                   [&](Result<std::shared_ptr<WireSession>> r, v1::LoginOk ok) {
                     login.set_value(ok);
                     opened.set_value(std::move(r));
                   });
    });
    auto r = opened.get_future().get();
    if (!r.ok()) return r.status();
    auto client = std::unique_ptr<BlockingClient>(new BlockingClient(io, *r));
    client->login_ = login.get_future().get();
    return client;
  }

  ~BlockingClient() {
    auto s = session_;
    asio::post(io_, [s] {
      s->on_frame = nullptr;
      s->on_close = nullptr;
      s->conn->close();
    });
  }

  Result<v1::Response> call(v1::Request request) {
    auto promise = std::make_shared<std::promise<v1::Response>>();
    auto future = promise->get_future();
    const std::uint64_t id = next_id_++;
    {
      std::lock_guard lock(mu_);
      waiting_[id] = promise;
    }
    session_->send_request(id, std::move(request));
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return Status(Error::kTimeout, "no answer in 60 s");
    }
    auto response = future.get();
    if (response.has_error()) {
      return Status(static_cast<Error>(response.error().code()), response.error().message());
    }
    return response;
  }

  const v1::LoginOk& login() const { return login_; }

 private:
  BlockingClient(asio::io_context& io, std::shared_ptr<WireSession> s) : io_(io), session_(s) {
    s->on_frame = [this](v1::Frame&& frame) {
      if (!frame.has_response()) return;
      std::shared_ptr<std::promise<v1::Response>> p;
      {
        std::lock_guard lock(mu_);
        auto it = waiting_.find(frame.request_id());
        if (it == waiting_.end()) return;
        p = it->second;
        waiting_.erase(it);
      }
      p->set_value(std::move(*frame.mutable_response()));
    };
  }

  asio::io_context& io_;
  std::shared_ptr<WireSession> session_;
  std::mutex mu_;
  std::map<std::uint64_t, std::shared_ptr<std::promise<v1::Response>>> waiting_;
  std::atomic<std::uint64_t> next_id_{1};
  v1::LoginOk login_;
};

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_BLOCKING_CLIENT_H_
