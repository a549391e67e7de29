// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_SESSION_POOL_ADAPTER_H_
#define WECHAT_BENCH_SESSION_POOL_ADAPTER_H_

#include <memory>
#include <string>
#include <vector>

#include "chat_adapter.h"

namespace wechat::bench {

/// What the peers' adapters (MQTT, XMPP) share: one session per user, connected
/// kConnectWindow at a time; each session tells the pool ready() once logged in and failed()
/// when it breaks. `Session` needs start(endpoint), close() and closed().
template <typename Session>
class SessionPoolAdapter : public ChatAdapter {
 public:
  static constexpr std::size_t kConnectWindow = 64;

  std::size_t users() const override { return users_; }

  void connect_all(std::function<void(Status)> done) override {
    done_ = std::move(done);
    for (std::size_t i = 0; i < kConnectWindow && next_ < users_; ++i) connect_next();
  }

  void send(std::size_t user, std::uint64_t id) override {
    auto& s = sessions_[user];
    if (!s || s->closed()) {
      if (sink_.error) sink_.error(id, static_cast<int>(Error::kUnavailable));
      return;
    }
    send_on(*s, user, id);
  }

  void close_all() override {
    closing_ = true;
    for (auto& s : sessions_) {
      if (s) s->close();
    }
  }

  // Called by sessions.
  void ready(std::size_t) {
    if (failed_) return;
    if (++ready_ == users_) {
      done_(Status());
    } else if (next_ < users_) {
      connect_next();
    }
  }
  void failed(std::size_t index, const std::string& why) {
    if (ready_ < users_ && !failed_) {
      failed_ = true;
      done_(Status(Error::kUnavailable, protocol_ + " user " + std::to_string(index) + ": " + why));
      return;
    }
    if (!closing_ && sink_.connection_lost) sink_.connection_lost(why);
  }
  Sink& sink() { return sink_; }

 protected:
  /// `protocol` names it in errors ("mqtt", "xmpp").
  SessionPoolAdapter(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::size_t users,
                     std::string protocol)
      : io_(io), endpoint_(endpoint), users_(users), protocol_(std::move(protocol)) {
    sessions_.resize(users_);
  }
  virtual std::shared_ptr<Session> make_session(asio::io_context& io, std::size_t index) = 0;
  /// Sends message `id` from `user` (whose session is open) to its friend.
  virtual void send_on(Session& session, std::size_t user, std::uint64_t id) = 0;

 private:
  void connect_next() {
    const std::size_t i = next_++;
    sessions_[i] = make_session(io_, i);
    sessions_[i]->start(endpoint_);
  }

  asio::io_context& io_;
  asio::ip::tcp::endpoint endpoint_;
  std::size_t users_;
  std::string protocol_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::size_t next_ = 0, ready_ = 0;
  bool failed_ = false, closing_ = false;
  std::function<void(Status)> done_;
};

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_SESSION_POOL_ADAPTER_H_
