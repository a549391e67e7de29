// SPDX-License-Identifier: MIT
#include "transport/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <utility>

#include "transport/tls_internal.h"
#include "transport/tls_socket.h"

namespace wechat::transport {
namespace {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;
using detail::TlsSocket;

// Reads start small so ten thousand idle connections cost little, and double while the peer
// keeps filling them (a burst, or one large frame).
constexpr std::size_t kInitialReadSize = std::size_t{4} << 10;
constexpr std::size_t kMaxReadSize = std::size_t{64} << 10;
constexpr std::size_t kDiscardSize = std::size_t{4} << 10;

// One plain-TCP write gathers at most this much (one writev; Linux takes up to 1024 iovecs).
constexpr std::size_t kMaxGatherBuffers = 64;
constexpr std::size_t kMaxGatherBytes = std::size_t{1} << 20;
// Each SSL_write of a separate frame would be a record (and a send) of its own, so for TLS small
// frames are copied into one buffer of up to this size: four full 16 KiB records at most.
constexpr std::size_t kCoalesceBytes = std::size_t{64} << 10;

std::string format_endpoint(const tcp::socket& socket) {
  std::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

// Socket errors are kIo with the OS's message; failures inside TLS after the handshake (a bad
// record, a decryption error) are kTls.
Status io_failure(const char* what, const std::error_code& ec) {
  const Error code = ec.category() == asio::error::get_ssl_category() ? Error::kTls : Error::kIo;
  return Status(code, fmt::format("{} failed: {}", what, ec.message()));
}

}  // namespace

std::shared_ptr<Connection> Connection::create(tcp::socket socket,
                                               std::shared_ptr<asio::ssl::context> tls,
                                               TlsRole role, ConnectionOptions options) {
  return std::shared_ptr<Connection>(
      new Connection(std::move(socket), std::move(tls), role, std::move(options)));
}

Connection::Connection(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls, TlsRole role,
                       ConnectionOptions options)
    : options_(std::move(options)),
      remote_address_(format_endpoint(socket)),
      tls_(std::move(tls)),
      socket_(std::move(socket)),
      tls_socket_(tls_ ? std::make_unique<TlsSocket>(socket_, tls_->native_handle(),
                                                     role == TlsRole::kServer
                                                         ? TlsSocket::Side::kServer
                                                         : TlsSocket::Side::kClient)
                       : nullptr),
      decoder_(options_.max_frame_bytes),
      read_size_(kInitialReadSize),
      idle_timeout_(options_.idle_timeout),
      idle_timer_(socket_.get_executor()) {}

Connection::~Connection() { release_listener_slot(); }

bool Connection::is_tls() const noexcept { return tls_socket_ != nullptr; }

// ---- Public, thread-safe entry points: they only post to the strand. ----

void Connection::start(ConnectionHandler handler) {
  asio::post(executor(), [self = shared_from_this(), handler = std::move(handler)]() mutable {
    self->do_start(std::move(handler));
  });
}

void Connection::send(const v1::Frame& frame) {
  if (stopping_.load(std::memory_order_acquire)) return;
  send_encoded(std::make_shared<const std::string>(encode_frame(frame)));
}

void Connection::send_encoded(std::shared_ptr<const std::string> encoded) {
  if (!encoded || encoded->empty() || stopping_.load(std::memory_order_acquire)) return;
  if (!admit(encoded->size())) return;
  asio::post(executor(), [self = shared_from_this(), encoded = std::move(encoded)]() mutable {
    self->enqueue(std::move(encoded));
  });
}

void Connection::send_on_executor(const v1::Frame& frame) {
  if (stopping_.load(std::memory_order_acquire)) return;
  auto encoded = std::make_shared<const std::string>(encode_frame(frame));
  if (!admit(encoded->size())) return;
  enqueue(std::move(encoded));
}

bool Connection::admit(std::size_t n) {
  // Counted on the sender's thread, so the bound also covers frames still travelling through
  // the strand's queue, not only those in queue_.
  const std::size_t before = queued_bytes_.fetch_add(n, std::memory_order_relaxed);
  if (before + n <= options_.max_send_queue_bytes) return true;
  queued_bytes_.fetch_sub(n, std::memory_order_relaxed);
  // stopping_ also drops every later send(): the peer never sees a gap followed by more data.
  if (!stopping_.exchange(true, std::memory_order_acq_rel)) {
    asio::post(executor(), [self = shared_from_this()] {
      self->fail(
          Status(Error::kResourceExhausted, fmt::format("slow consumer: send queue over {} bytes",
                                                        self->options_.max_send_queue_bytes)));
    });
  }
  return false;
}

void Connection::close() {
  stopping_.store(true, std::memory_order_release);
  asio::post(executor(), [self = shared_from_this()] { self->begin_close(); });
}

void Connection::abort(Status reason) {
  stopping_.store(true, std::memory_order_release);
  asio::post(executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    self->fail(std::move(reason));
  });
}

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
  asio::post(executor(), [self = shared_from_this(), timeout] {
    self->idle_timeout_ = timeout;
    if (self->state_ == State::kOpen) self->arm_idle_timer();
  });
}

// ---- Strand side. ----

void Connection::handshake_as_client(const std::string& host, std::function<void(Status)> done) {
  if (SSL* ssl = tls_socket_->native_handle()) {  // else the handshake reports no_memory
    Status configured = detail::configure_client_session(ssl, host);
    if (!configured.ok()) {
      done(std::move(configured));
      return;
    }
  }
  tls_socket_->async_handshake(
      [self = shared_from_this(), done = std::move(done)](const std::error_code& ec) {
        if (ec) {
          done(detail::tls_handshake_failure(self->tls_socket_->native_handle(), ec));
          return;
        }
        self->handshaken_ = true;
        done(Status());
      });
}

void Connection::do_start(ConnectionHandler handler) {
  if (started_) return;
  started_ = true;
  handler_ = std::move(handler);
  if (state_ == State::kClosed) {  // closed or aborted before start(): report that, once
    ConnectionHandler h = std::move(handler_);
    handler_ = {};
    if (h.on_close) h.on_close(close_status_);
    return;
  }
  if (!is_tls() || handshaken_) {
    open();
    return;
  }
  state_ = State::kHandshaking;
  deadline_timer().expires_after(options_.handshake_timeout);
  deadline_timer().async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->state_ != State::kHandshaking) return;
    self->finish(Status(Error::kTimeout, fmt::format("TLS handshake not done within {} ms",
                                                     self->options_.handshake_timeout.count())));
  });
  // The side (client or server) was fixed when the session was created.
  tls_socket_->async_handshake([self = shared_from_this()](const std::error_code& ec) {
    if (self->state_ != State::kHandshaking) return;  // timed out or aborted meanwhile
    // Not kept for the connection's life: most connections never close gracefully.
    // Destroying it aborts its pending wait.
    self->deadline_timer_.reset();
    if (ec) {
      self->finish(detail::tls_handshake_failure(self->tls_socket_->native_handle(), ec));
      return;
    }
    self->handshaken_ = true;
    self->open();
    if (self->close_after_handshake_) self->begin_close();
  });
}

void Connection::open() {
  state_ = State::kOpen;
  // read_some() after a readiness wait must report would_block, never block the strand (the
  // TLS socket set this already).
  std::error_code ignored;
  socket_.non_blocking(true, ignored);
  last_received_ = last_sent_ = Clock::now();
  arm_idle_timer();
  arm_heartbeat_timer();
  read();
  if (!writing_ && !queue_.empty()) write();
}

void Connection::read() {
  // While open, bytes go straight into the decoder's buffer; while closing they are discarded
  // (we only wait for the peer's EOF / close_notify).
  read_to_decoder_ = state_ == State::kOpen && !stopping_.load(std::memory_order_acquire);
  reading_ = true;
  if (read_to_decoder_) {
    // Wait for readability with no buffer and read only then, so an idle connection holds no
    // read buffer at all: neither the decoder's nor, with TLS, OpenSSL's record buffer (TLS
    // completes this wait at once when OpenSSL still holds received bytes).
    auto on_readable = [self = shared_from_this()](const std::error_code& ec) {
      self->on_readable(ec);
    };
    if (is_tls()) {
      tls_socket_->async_wait_readable(std::move(on_readable));
    } else {
      socket_.async_wait(tcp::socket::wait_read, std::move(on_readable));
    }
    return;
  }
  if (!discard_) discard_ = std::make_unique<char[]>(kDiscardSize);
  const asio::mutable_buffer target(discard_.get(), kDiscardSize);
  auto on_done = [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
    self->on_read(ec, n);
  };
  if (is_tls()) {
    tls_socket_->async_read_some(target, std::move(on_done));
  } else {
    socket_.async_read_some(target, std::move(on_done));
  }
}

void Connection::on_readable(const std::error_code& ec) {
  if (ec || state_ != State::kOpen || stopping_.load(std::memory_order_acquire)) {
    if (!ec && state_ != State::kClosed) {
      reading_ = false;
      read();  // closing meanwhile: switch to discarding
      return;
    }
    on_read(ec, 0);
    return;
  }
  const std::span<char> span = decoder_.prepare(read_size_);
  if (span.empty()) {  // cannot happen: on_read drains every complete frame first
    reading_ = false;
    finish(Status(Error::kInternal, "frame decoder has no room"));
    return;
  }
  const asio::mutable_buffer target(span.data(), span.size());
  std::error_code read_ec;
  const std::size_t n =
      is_tls() ? tls_socket_->read_some(target, read_ec) : socket_.read_some(target, read_ec);
  if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
    // A spurious wake-up, or (TLS) only part of a record arrived: OpenSSL keeps that part.
    decoder_.release_if_empty();
    reading_ = false;
    read();
    return;
  }
  on_read(read_ec, n);
}

void Connection::release_read_buffers() {
  decoder_ = FrameDecoder(1);  // releases the buffer
  discard_.reset();
}

void Connection::release_listener_slot() noexcept {
  if (!listener_count_) return;
  listener_count_->fetch_sub(1, std::memory_order_acq_rel);
  listener_count_.reset();
}

void Connection::on_read(const std::error_code& ec, std::size_t n) {
  reading_ = false;
  if (state_ == State::kClosed) return;  // finish() ran while this read was pending

  if (ec) {
    if (state_ == State::kShuttingDown) {
      // Everything was flushed and our FIN / close_notify sent; the peer closing (or failing)
      // now is the end of a clean close.
      finish(Status());
    } else if (state_ == State::kDraining) {
      if (ec == asio::error::eof) {
        peer_closed_ = true;  // keep flushing: the peer may still read after a half-close
      } else {
        finish(io_failure("read", ec));
      }
    } else if (ec == asio::error::eof) {
      if (read_to_decoder_ && decoder_.buffered_bytes() > 0) {
        finish(Status(Error::kProtocol,
                      fmt::format("connection closed in the middle of a frame ({} bytes received)",
                                  decoder_.buffered_bytes())));
      } else {
        finish(Status());  // orderly EOF (plain FIN, or TLS close_notify)
      }
    } else if (ec == asio::ssl::error::stream_truncated) {
      finish(Status(Error::kIo, "peer closed the connection without TLS close_notify"));
    } else {
      finish(io_failure("read", ec));
    }
    return;
  }

  last_received_ = Clock::now();
  if (!read_to_decoder_) {
    read();
    return;
  }
  decoder_.commit(n);
  if (n == read_size_ && read_size_ < kMaxReadSize) read_size_ *= 2;
  while (!stopping_.load(std::memory_order_acquire)) {
    Result<std::optional<v1::Frame>> next = decoder_.next();
    if (!next.ok()) {
      finish(next.status());
      return;
    }
    if (!next->has_value()) break;
    deliver(std::move(**next));
    if (state_ != State::kOpen) return;  // a Pong over the queue bound ended the connection
  }
  decoder_.release_if_empty();
  read();
}

void Connection::deliver(v1::Frame&& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kPing: {
      v1::Frame pong;
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      enqueue_control(pong);
      return;
    }
    case v1::Frame::kPong:
      return;  // receiving it already reset the idle deadline
    default:
      if (handler_.on_frame) handler_.on_frame(std::move(frame));
  }
}

void Connection::enqueue_control(const v1::Frame& frame) {
  auto encoded = std::make_shared<const std::string>(encode_frame(frame));
  const std::size_t n = encoded->size();
  if (queued_bytes_.fetch_add(n, std::memory_order_relaxed) + n > options_.max_send_queue_bytes) {
    queued_bytes_.fetch_sub(n, std::memory_order_relaxed);
    fail(Status(Error::kResourceExhausted, fmt::format("slow consumer: send queue over {} bytes",
                                                       options_.max_send_queue_bytes)));
    return;
  }
  enqueue(std::move(encoded));
}

void Connection::enqueue(std::shared_ptr<const std::string> encoded) {
  if (state_ == State::kClosed || state_ == State::kShuttingDown) {
    queued_bytes_.fetch_sub(encoded->size(), std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(encoded));
  if (writing_ || write_scheduled_ || !may_write()) return;
  // Not at once: the frames the strand runs next (a committed batch's ack and push to the same
  // peer) then leave in the same write, one system call instead of one each.
  write_scheduled_ = true;
  asio::post(executor(), [self = shared_from_this()] {
    self->write_scheduled_ = false;
    if (!self->writing_ && !self->queue_.empty() && self->may_write()) self->write();
  });
}

void Connection::write() {
  writing_ = true;
  last_sent_ = Clock::now();
  batch_bytes_ = 0;
  auto on_done = [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
    self->on_write(ec, n);
  };

  if (is_tls()) {
    if (queue_.size() == 1 || queue_.front()->size() >= kCoalesceBytes) {
      in_flight_.push_back(std::move(queue_.front()));
      take_from_queue(1);
      batch_bytes_ = in_flight_.back()->size();
      tls_socket_->async_write(asio::buffer(*in_flight_.back()), std::move(on_done));
      return;
    }
    std::size_t taken = 0;
    while (taken < queue_.size() && batch_bytes_ + queue_[taken]->size() <= kCoalesceBytes) {
      batch_bytes_ += queue_[taken]->size();
      ++taken;
    }
    auto coalesced = std::make_shared<std::string>();
    coalesced->reserve(batch_bytes_);
    for (std::size_t i = 0; i < taken; ++i) *coalesced += *queue_[i];
    take_from_queue(taken);
    in_flight_.push_back(std::move(coalesced));
    tls_socket_->async_write(asio::buffer(*in_flight_.back()), std::move(on_done));
    return;
  }

  std::vector<asio::const_buffer> buffers;
  buffers.reserve(std::min(queue_.size(), kMaxGatherBuffers));
  std::size_t taken = 0;
  while (taken < queue_.size() && buffers.size() < kMaxGatherBuffers &&
         batch_bytes_ < kMaxGatherBytes) {
    const std::string& bytes = *queue_[taken];
    buffers.emplace_back(bytes.data(), bytes.size());
    batch_bytes_ += bytes.size();
    in_flight_.push_back(std::move(queue_[taken]));
    ++taken;
  }
  take_from_queue(taken);
  // async_write copies the buffer sequence; in_flight_ keeps the bytes alive.
  asio::async_write(socket_, buffers, std::move(on_done));
}

void Connection::take_from_queue(std::size_t n) {
  if (n == queue_.size()) {
    // Drained: give the memory back, an idle connection keeps no queue.
    std::vector<std::shared_ptr<const std::string>>().swap(queue_);
  } else {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

void Connection::on_write(const std::error_code& ec, std::size_t /*bytes*/) {
  writing_ = false;
  queued_bytes_.fetch_sub(batch_bytes_, std::memory_order_relaxed);
  batch_bytes_ = 0;
  std::vector<std::shared_ptr<const std::string>>().swap(in_flight_);
  if (state_ == State::kClosed) return;
  if (ec) {
    finish(io_failure("write", ec));
    return;
  }
  if (!queue_.empty()) {
    write();
    return;
  }
  if (state_ == State::kDraining) shut_down();
}

void Connection::begin_close() {
  switch (state_) {
    case State::kIdle:
      finish(Status());
      return;
    case State::kHandshaking:
      close_after_handshake_ = true;  // flush what was sent once the channel exists
      return;
    case State::kOpen:
      break;
    default:
      return;  // already closing or closed
  }
  state_ = State::kDraining;
  idle_timer_.cancel();
  if (heartbeat_timer_) heartbeat_timer_->cancel();
  deadline_timer().expires_after(options_.close_timeout);
  deadline_timer().async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec) return;
    if (self->state_ == State::kDraining) {
      self->finish(Status(Error::kTimeout,
                          fmt::format("close: {} queued bytes not written within {} ms",
                                      self->queued_bytes(), self->options_.close_timeout.count())));
    } else if (self->state_ == State::kShuttingDown) {
      self->finish(Status());  // all data went out; the peer just did not answer our FIN
    }
  });
  if (!writing_ && queue_.empty()) shut_down();
}

void Connection::shut_down() {
  state_ = State::kShuttingDown;
  if (is_tls()) {
    // close_notify, beside the outstanding read. It completes once the alert is on the wire;
    // then, as with TCP below, the read waits for the peer's close_notify or EOF (on_read ends
    // the connection cleanly on either, or on any error), bounded by close_timeout.
    tls_socket_->async_shutdown([self = shared_from_this()](const std::error_code& ec) {
      if (self->state_ != State::kShuttingDown) return;
      if (ec || self->peer_closed_ || !self->reading_) self->finish(Status());
    });
    return;
  }
  std::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  // Then wait for the peer's FIN (on_read) rather than closing with unread data, which would
  // send RST and might destroy our last frames in the peer's receive buffer.
  if (peer_closed_ || !reading_) finish(Status());
}

void Connection::fail(Status status) {
  if (state_ == State::kClosed) return;
  finish(std::move(status));
}

void Connection::finish(Status status) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  stopping_.store(true, std::memory_order_release);
  close_status_ = std::move(status);

  // Closing the socket completes the outstanding read, write and shutdown with
  // operation_aborted; their handlers see kClosed and only release their references.
  std::error_code ignored;
  socket_.close(ignored);
  idle_timer_.cancel();
  if (heartbeat_timer_) heartbeat_timer_->cancel();
  if (deadline_timer_) deadline_timer_->cancel();

  std::size_t dropped = 0;
  for (const auto& bytes : queue_) dropped += bytes->size();
  std::vector<std::shared_ptr<const std::string>>().swap(queue_);
  queued_bytes_.fetch_sub(dropped, std::memory_order_relaxed);  // in-flight bytes: on_write
  // No read can fill the buffers any more: a plain read either completed before close()
  // returned or never will, and TlsSocket makes no OpenSSL call once the socket is closed
  // (asio::ssl::stream used to decrypt into them after the close, which is why they were kept).
  release_read_buffers();
  release_listener_slot();

  if (!started_) return;  // start() will report close_status_
  ConnectionHandler h = std::move(handler_);
  handler_ = {};
  if (h.on_close) h.on_close(close_status_);
}

void Connection::arm_idle_timer() {
  if (idle_timeout_.count() <= 0) {
    idle_timer_.cancel();
    return;
  }
  // One timer per connection, re-armed lazily: reads only move last_received_, and the handler
  // re-checks the deadline, so a busy connection does not touch the timer queue per read.
  idle_timer_.expires_at(last_received_ + idle_timeout_);
  idle_timer_.async_wait(
      [self = shared_from_this()](const std::error_code& ec) { self->on_idle_timer(ec); });
}

void Connection::on_idle_timer(const std::error_code& ec) {
  if (ec || state_ != State::kOpen || idle_timeout_.count() <= 0) return;
  if (Clock::now() >= last_received_ + idle_timeout_) {
    finish(
        Status(Error::kTimeout, fmt::format("nothing received for {} ms", idle_timeout_.count())));
    return;
  }
  arm_idle_timer();
}

asio::steady_timer& Connection::deadline_timer() {
  if (!deadline_timer_) deadline_timer_ = std::make_unique<asio::steady_timer>(executor());
  return *deadline_timer_;
}

asio::steady_timer& Connection::heartbeat_timer() {
  if (!heartbeat_timer_) heartbeat_timer_ = std::make_unique<asio::steady_timer>(executor());
  return *heartbeat_timer_;
}

void Connection::arm_heartbeat_timer() {
  if (options_.heartbeat_interval.count() <= 0) return;
  heartbeat_timer().expires_at(last_sent_ + options_.heartbeat_interval);
  heartbeat_timer().async_wait(
      [self = shared_from_this()](const std::error_code& ec) { self->on_heartbeat_timer(ec); });
}

void Connection::on_heartbeat_timer(const std::error_code& ec) {
  if (ec || state_ != State::kOpen) return;
  const auto interval = options_.heartbeat_interval;
  if (Clock::now() < last_sent_ + interval) {
    arm_heartbeat_timer();
    return;
  }
  // A write still in progress counts as sending; a Ping behind it would not help.
  if (!writing_) {
    v1::Frame ping;
    ping.mutable_ping()->set_nonce(next_ping_nonce_++);
    enqueue_control(ping);
    if (state_ != State::kOpen) return;
  }
  heartbeat_timer().expires_after(interval);
  heartbeat_timer().async_wait(
      [self = shared_from_this()](const std::error_code& e) { self->on_heartbeat_timer(e); });
}

}  // namespace wechat::transport
