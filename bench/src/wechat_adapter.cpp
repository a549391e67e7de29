// SPDX-License-Identifier: MIT
// W1 over our protocol: Resume with the user's saved token, SendMessage to the friend, the ack
// is SendMessageOk, the delivery is the recipient's pushed LogEntry. Pointed at a cluster gate
// (--port of the gate), each session follows LoginOk.chat_node to its chat node and resumes
// there, as the SDK does; against a whole server nothing changes.
#include <cstdio>
#include <cstring>
#include <map>

#include "chat_adapter.h"
#include "users.h"
#include "wire_session.h"

namespace wechat::bench {
namespace {

constexpr std::size_t kConnectWindow = 64;

class WechatAdapter final : public ChatAdapter {
 public:
  WechatAdapter(asio::io_context& io, Target target, std::vector<BenchUser> users)
      : io_(io), target_(std::move(target)), users_(std::move(users)), text_(payload_text()) {
    sessions_.resize(users_.size());
    nonce_ =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }

  std::size_t users() const override { return users_.size(); }

  void connect_all(std::function<void(Status)> done) override {
    done_ = std::move(done);
    for (std::size_t i = 0; i < kConnectWindow && next_ < users_.size(); ++i) connect_next();
  }

  void send(std::size_t user, std::uint64_t id) override {
    auto& s = sessions_[user];
    if (!s || s->closed) {
      if (sink_.error) sink_.error(id, static_cast<int>(Error::kUnavailable));
      return;
    }
    v1::Frame frame;
    frame.set_request_id(id);
    auto* send = frame.mutable_request()->mutable_send_message();
    char cid[16];
    std::memcpy(cid, &id, 8);
    std::memcpy(cid + 8, &nonce_, 8);
    send->set_client_msg_id(cid, 16);
    send->set_to_user_id(users_[users_[user].friend_index].user_id);
    send->set_text(text_);
    s->conn->send(frame);
  }

  std::uint64_t id_nonce() const override { return nonce_; }

  void close_all() override {
    for (auto& s : sessions_) {
      if (s && !s->closed) {
        s->on_close = nullptr;
        s->conn->abort(Status(Error::kCancelled, "benchmark done"));
      }
    }
  }

 private:
  void connect_next() {
    const std::size_t i = next_++;
    Credentials creds;
    creds.token = users_[i].token;
    open_session(
        io_.get_executor(), target_, creds,
        [this, i](Result<std::shared_ptr<WireSession>> r, v1::LoginOk ok) {
          if (failed_) return;
          if (!r.ok()) return fail(i, r.status());
          // A cluster gate does not log the connection in: it names the chat node that serves
          // the session. Follow it as the SDK does: connect there and Resume with the token.
          if (ok.has_chat_node()) return follow_chat_node(i, *r, ok.chat_node());
          ready(i, *r);
        });
  }

  void follow_chat_node(std::size_t i, const std::shared_ptr<WireSession>& gate,
                        const v1::Endpoint& node) {
    gate->on_frame = nullptr;
    gate->on_close = nullptr;
    gate->conn->close();
    ++via_gate_;
    Target chat = target_;
    chat.host = node.host();
    chat.port = static_cast<std::uint16_t>(node.port());
    Credentials creds;
    creds.token = users_[i].token;
    open_session(io_.get_executor(), chat, creds,
                 [this, i, chat](Result<std::shared_ptr<WireSession>> r, v1::LoginOk ok) {
                   if (failed_) return;
                   if (!r.ok()) {
                     return fail(i, Status(r.code(), "chat node " + chat.host + ":" +
                                                         std::to_string(chat.port) + ": " +
                                                         r.status().message()));
                   }
                   if (ok.has_chat_node()) {
                     return fail(i, Status(Error::kInternal, "chat node redirected again"));
                   }
                   ++per_node_[chat.host + ":" + std::to_string(chat.port)];
                   ready(i, *r);
                 });
  }

  void fail(std::size_t i, const Status& status) {
    failed_ = true;
    done_(Status(status.code(), "user " + std::to_string(i) + ": " + status.message()));
  }

  void ready(std::size_t i, const std::shared_ptr<WireSession>& s) {
    attach(i, s);
    if (++ready_ == users_.size()) {
      if (via_gate_ > 0) {
        std::string nodes;
        for (const auto& [node, n] : per_node_) nodes += " " + node + "=" + std::to_string(n);
        std::fprintf(stderr, "w1: %zu sessions placed by the gate:%s\n", via_gate_,
                     nodes.c_str());
      }
      done_(Status());
    } else if (next_ < users_.size()) {
      connect_next();
    }
  }

  void attach(std::size_t i, std::shared_ptr<WireSession> s) {
    sessions_[i] = s;
    const std::uint64_t me = users_[i].user_id;
    WireSession* raw = s.get();
    s->on_frame = [this, me, raw](v1::Frame&& frame) {
      (void)raw;
      if (frame.has_response()) {
        const std::uint64_t id = frame.request_id();
        if (id >= kControlIdBase) return;
        if (frame.response().has_error()) {
          if (sink_.error) sink_.error(id, frame.response().error().code());
        } else if (sink_.ack) {
          sink_.ack(id);
        }
        return;
      }
      if (!frame.has_event() || !frame.event().has_log()) return;
      const auto& entry = frame.event().log();
      if (!entry.has_message()) return;
      const auto& m = entry.message();
      // Each message is pushed to both users; the recipient's copy is the delivery.
      if (m.recipient_id() != me || m.client_msg_id().size() != 16) return;
      std::uint64_t id = 0, nonce = 0;
      std::memcpy(&id, m.client_msg_id().data(), 8);
      std::memcpy(&nonce, m.client_msg_id().data() + 8, 8);
      if (nonce != nonce_) return;  // a message of an earlier run, synced or late
      if (sink_.deliver) sink_.deliver(id);
    };
    s->on_close = [this, i](const Status& status) {
      if (sink_.connection_lost) {
        sink_.connection_lost("user " + std::to_string(i) + ": " + status.to_string());
      }
    };
  }

  asio::io_context& io_;
  Target target_;
  std::vector<BenchUser> users_;
  std::vector<std::shared_ptr<WireSession>> sessions_;
  std::string text_;
  std::uint64_t nonce_ = 0;
  std::size_t next_ = 0;
  std::size_t ready_ = 0;
  std::size_t via_gate_ = 0;                   ///< sessions a cluster gate sent elsewhere
  std::map<std::string, std::size_t> per_node_;  ///< chat node -> sessions (via a gate)
  bool failed_ = false;
  std::function<void(Status)> done_;
};

}  // namespace

std::unique_ptr<ChatAdapter> make_wechat_adapter(asio::io_context& io, const std::string& host,
                                                 std::uint16_t port, bool tls,
                                                 const std::string& users_file,
                                                 std::size_t max_users, std::string& error) {
  auto users = load_users(users_file);
  if (!users.ok()) {
    error = users.status().to_string();
    return nullptr;
  }
  if (max_users > 0 && users->size() > max_users) users->resize(max_users & ~std::size_t{1});
  Target target;
  target.host = host;
  target.port = port;
  if (tls) target.tls = bench_client_tls();
  return std::make_unique<WechatAdapter>(io, std::move(target), std::move(*users));
}

}  // namespace wechat::bench
