// SPDX-License-Identifier: MIT
#include "server/session.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "server/handlers/handlers.h"
#include "transport/frame_codec.h"
#include "wechat/version.h"

namespace wechat::server {

namespace {
/// Requests one connection may have in flight; more are refused, not queued without bound.
constexpr unsigned kMaxInFlight = 256;
}  // namespace

Session::Session(ServerContext& context, std::shared_ptr<transport::Connection> connection)
    : context_(context),
      connection_(std::move(connection)),
      requests_(context.options.rate_limits.requests_per_connection_per_second,
                context.options.rate_limits.request_burst_per_connection) {}

Session::~Session() = default;

void Session::start() {
  auto self = shared_from_this();
  transport::ConnectionHandler handler;
  handler.on_frame = [self](v1::Frame&& frame) { self->on_frame(std::move(frame)); };
  handler.on_close = [self](const Status& status) { self->on_close(status); };
  connection_->start(std::move(handler));
}

void Session::deliver(std::shared_ptr<const std::string> frame) {
  connection_->send_encoded(std::move(frame));
}

void Session::end(Status reason) {
  asio::post(connection_->executor(), [self = shared_from_this(), reason = std::move(reason)] {
    if (self->closed_) return;
    v1::Frame frame;
    auto* ended = frame.mutable_event()->mutable_session_ended();
    ended->set_reason(static_cast<v1::ErrorCode>(reason.code()));
    ended->set_message(reason.message());
    self->connection_->send(frame);
    self->connection_->close();
  });
}

void Session::authenticate(Identity identity) {
  // A login that finished after its connection closed must not leave a ghost device online.
  if (closed_) return;
  identity_ = std::move(identity);
  connection_->set_idle_timeout(context_.options.authenticated_timeout);
  // Registered before the login answer leaves: anything committed from now on is pushed, and
  // anything committed before is in the log the client syncs next. Nothing falls in between.
  context_.router.attach(identity_->user_id, identity_->device_id, shared_from_this());
}

void Session::deauthenticate() {
  if (!identity_) return;
  const auto id = *identity_;
  identity_.reset();
  context_.router.detach(id.user_id, id.device_id, this);
  connection_->set_idle_timeout(context_.options.unauthenticated_timeout);
}

void Session::on_frame(v1::Frame&& frame) {
  if (closed_) return;
  if (!frame.has_request() || frame.request_id() == 0) {
    // Only requests flow from client to server (heartbeats are handled by the transport).
    connection_->abort(Status(Error::kProtocol, "expected a request with a non-zero request id"));
    return;
  }
  const auto request_id = frame.request_id();
  if (in_flight_ >= kMaxInFlight) {
    respond_error(request_id, Status(Error::kResourceExhausted,
                                     "too many requests in flight on this connection"));
    return;
  }
  // Over the rate (per connection, then per user across devices) a request waits for its turn,
  // in arrival order, up to max_request_delay; a flood that would wait longer gets a clear
  // refusal. Refusing one request of a pipeline while later ones pass would reorder them.
  using SteadyClock = std::chrono::steady_clock;
  const SteadyClock::duration max_delay = context_.options.rate_limits.max_request_delay;
  const auto now = SteadyClock::now();
  const auto delay = requests_.reserve(now, max_delay);
  std::optional<SteadyClock::duration> user_delay = SteadyClock::duration::zero();
  if (delay && identity_) {
    user_delay = context_.requests_per_user.reserve(identity_->user_id, max_delay);
    // A refused request costs nothing: a flood from the user's other devices must not also
    // drain this connection's own allowance.
    if (!user_delay) requests_.give_back();
  }
  if (!delay || !user_delay) {
    // How long to wait: both buckets refill with time, so this request would fit once the
    // longer of their next waits is down to max_delay. Exact if nothing else reserves
    // meanwhile; the user's other devices can only make the wait longer.
    auto next = requests_.next_wait(now);
    if (identity_) next = std::max(next, context_.requests_per_user.next_wait(identity_->user_id));
    const auto retry_after = std::max<std::int64_t>(
        1, std::chrono::ceil<std::chrono::milliseconds>(next - max_delay).count());
    respond_error(request_id, Status(Error::kRateLimited, "too many requests; slow down")
                                  .with_retry_after_ms(retry_after));
    return;
  }
  ++in_flight_;
  asio::co_spawn(connection_->executor(),
                 run_request(request_id, std::move(*frame.mutable_request()),
                             std::max(*delay, *user_delay)),
                 asio::detached);
}

asio::awaitable<void> Session::run_request(std::uint64_t request_id, v1::Request request,
                                           std::chrono::steady_clock::duration delay) {
  auto self = shared_from_this();  // keeps the session alive across suspensions
  if (delay > std::chrono::steady_clock::duration::zero()) {
    // Waits end in the order they were reserved: the requests keep their arrival order.
    asio::steady_timer turn(connection_->executor(), delay);
    std::error_code ignored;
    co_await turn.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  Reply reply = Status(Error::kInternal, "unhandled");
  if (request.has_hello()) {
    const auto& hello = request.hello();
    if (hello_done_) {
      reply = Status(Error::kProtocol, "hello was already sent on this connection");
    } else if (hello.protocol_version() != WECHAT_PROTOCOL_VERSION) {
      reply = Status(Error::kUnsupportedVersion,
                     "this server speaks protocol version " +
                         std::to_string(WECHAT_PROTOCOL_VERSION));
    } else {
      hello_done_ = true;
      v1::Response response;
      auto* ok = response.mutable_hello();
      ok->set_protocol_version(WECHAT_PROTOCOL_VERSION);
      ok->set_server_version(WECHAT_VERSION_STRING);
      ok->set_max_frame_bytes(static_cast<std::uint32_t>(context_.options.max_frame_bytes));
      ok->set_heartbeat_interval_ms(
          static_cast<std::uint32_t>(context_.options.heartbeat_interval.count()));
      reply = std::move(response);
    }
  } else if (!hello_done_) {
    reply = Status(Error::kProtocol, "the first request must be hello");
  } else {
    try {
      reply = co_await dispatch_request(context_, *this, request);
    } catch (const std::exception& e) {
      // A handler bug must cost one request, not the server.
      context_.log.error("request from {} failed: {}", address(), e.what());
      reply = Status(Error::kInternal, "internal error");
    }
  }
  --in_flight_;
  if (reply.ok()) {
    respond(request_id, std::move(reply).value());
  } else {
    respond_error(request_id, reply.status());
    if (reply.code() == Error::kUnsupportedVersion) connection_->close();
  }
}

void Session::respond(std::uint64_t request_id, v1::Response response) {
  if (closed_) return;
  v1::Frame frame;
  frame.set_request_id(request_id);
  *frame.mutable_response() = std::move(response);
  connection_->send_on_executor(frame);  // respond() runs on the connection's executor
}

void Session::respond_error(std::uint64_t request_id, const Status& status) {
  v1::Response response;
  response.mutable_error()->set_code(static_cast<v1::ErrorCode>(status.code()));
  response.mutable_error()->set_message(status.message());
  response.mutable_error()->set_retry_after_ms(status.retry_after_ms());
  respond(request_id, std::move(response));
}

void Session::on_close(const Status& status) {
  if (closed_) return;
  closed_ = true;
  if (!status.ok() && status.code() != Error::kCancelled) {
    context_.log.debug("connection {} closed: {}", address(), status.to_string());
  }
  deauthenticate();
}

}  // namespace wechat::server
