// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_SESSION_H_
#define WECHAT_SERVER_SESSION_H_

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "server/push_router.h"
#include "server/server_context.h"
#include "transport/connection.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::server {

/// One client connection on the server: the hello handshake, who is logged in on it, request
/// dispatch and pushes. Each request runs as a coroutine on the connection's strand; responses
/// carry the request id and may complete out of order.
///
/// Lifetime: kept alive by the connection's callbacks and, while logged in, by the router; it
/// goes away after the connection closes.
///
/// @par Thread Safety
/// deliver() and end() are safe from any thread; everything else runs on the connection's strand.
class Session final : public PushTarget, public std::enable_shared_from_this<Session> {
 public:
  struct Identity {
    std::uint64_t user_id = 0;
    std::uint64_t device_id = 0;
    std::string username;
  };

  Session(ServerContext& context, std::shared_ptr<transport::Connection> connection);
  ~Session() override;

  void start();

  void deliver(std::shared_ptr<const std::string> frame) override;
  void end(Status reason) override;
  /// Closes the connection at once (server shutdown, after end() had its chance).
  void abort(const Status& reason) { connection_->abort(reason); }

  // --- For request handlers (on the strand) ---
  const std::optional<Identity>& identity() const { return identity_; }
  /// Registers this device for pushes (the router announces presence) and raises the idle
  /// timeout.
  void authenticate(Identity identity);
  /// Forgets the login (logout); the connection stays open.
  void deauthenticate();
  const std::string& address() const { return connection_->remote_address(); }

 private:
  void on_frame(v1::Frame&& frame);
  void on_close(const Status& status);
  asio::awaitable<void> run_request(std::uint64_t request_id, v1::Request request,
                                    std::chrono::steady_clock::duration delay);
  void respond(std::uint64_t request_id, v1::Response response);
  void respond_error(std::uint64_t request_id, const Status& status);

  ServerContext& context_;
  std::shared_ptr<transport::Connection> connection_;
  bool hello_done_ = false;
  bool closed_ = false;
  unsigned in_flight_ = 0;
  TokenBucket requests_;  ///< Per-connection request rate.
  std::optional<Identity> identity_;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_SESSION_H_
