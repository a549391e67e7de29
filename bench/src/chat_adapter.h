// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_CHAT_ADAPTER_H_
#define WECHAT_BENCH_CHAT_ADAPTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "transport/asio.h"
#include "wechat/status.h"

namespace wechat::bench {

/// What W1 needs from a protocol: connect N logged-in users, send a 100-byte message from a
/// user to its friend, and report acks (the sender's "stored" answer) and deliveries (the
/// recipient's copy) by message id. Everything runs on one event loop (one thread).
class ChatAdapter {
 public:
  struct Sink {
    std::function<void(std::uint64_t id)> ack;
    std::function<void(std::uint64_t id)> deliver;
    std::function<void(std::uint64_t id, int code)> error;
    std::function<void(const std::string& why)> connection_lost;
  };

  virtual ~ChatAdapter() = default;
  virtual std::size_t users() const = 0;
  /// Connects and logs in every user (bounded concurrency); `done` once all are ready or one
  /// failed.
  virtual void connect_all(std::function<void(Status)> done) = 0;
  /// Sends message `id` from `user` to its friend. REQUIRES: connect_all succeeded.
  virtual void send(std::size_t user, std::uint64_t id) = 0;
  virtual void close_all() = 0;
  /// The second half of every client_msg_id this run sends (our protocol), 0 otherwise.
  virtual std::uint64_t id_nonce() const { return 0; }

  void set_sink(Sink sink) { sink_ = std::move(sink); }

 protected:
  Sink sink_;
};

/// The payload every adapter sends: 100 bytes of printable ASCII (valid UTF-8, not blank).
inline std::string payload_text() { return std::string(100, 'x'); }

std::unique_ptr<ChatAdapter> make_wechat_adapter(asio::io_context& io, const std::string& host,
                                                 std::uint16_t port, bool tls,
                                                 const std::string& users_file,
                                                 std::size_t max_users, std::string& error);
std::unique_ptr<ChatAdapter> make_mqtt_adapter(asio::io_context& io, const std::string& host,
                                               std::uint16_t port, std::size_t users);
/// XMPP (bench/peers/ejabberd): accounts u0 .. u<users-1> on `domain`, all with `password`.
std::unique_ptr<ChatAdapter> make_xmpp_adapter(asio::io_context& io, const std::string& host,
                                               std::uint16_t port, std::size_t users,
                                               const std::string& domain,
                                               const std::string& password);

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_CHAT_ADAPTER_H_
