// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_CONNECTION_H_
#define WECHAT_TRANSPORT_CONNECTION_H_

/// @file
/// One framed connection over TCP or TLS: a read loop that hands out frames, a write queue with a
/// bound, heartbeats and an idle timeout. docs/threading.md describes where callbacks run.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/asio.h"
#include "transport/frame_codec.h"
#include "wechat/status.h"
#include "wechat/v1/frame.pb.h"

namespace asio::ssl {
class context;
}  // namespace asio::ssl

namespace wechat::transport {

namespace detail {
class TlsSocket;
}  // namespace detail

/// Limits and timers of one connection.
struct ConnectionOptions {
  /// Largest frame payload accepted from the peer; a larger one closes the connection with
  /// kResourceExhausted. Default: 1 MiB.
  std::size_t max_frame_bytes = kDefaultMaxFrameBytes;
  /// Bound on bytes accepted by send() and not yet written to the socket (slow-consumer policy,
  /// see Connection). Default: 8 MiB.
  std::size_t max_send_queue_bytes = 8u << 20;
  /// Nothing received for this long closes the connection with kTimeout. Zero disables it.
  /// Default: 30 s.
  std::chrono::milliseconds idle_timeout{30000};
  /// When > 0, a Ping is sent whenever nothing was sent for this long (keeps NAT mappings and the
  /// peer's idle timer alive). Default: 0, off.
  std::chrono::milliseconds heartbeat_interval{0};
  /// Deadline of the TLS handshake (server side, in start()) and, for async_connect(), of
  /// resolve + connect + handshake together. Default: 10 s.
  std::chrono::milliseconds handshake_timeout{10000};
  /// Deadline of a graceful close(): flushing the queue plus the TLS close_notify / TCP FIN
  /// exchange. When it passes the socket is closed anyway. Default: 5 s.
  std::chrono::milliseconds close_timeout{5000};
};

/// The callbacks of one connection. Both run on the connection's strand, one at a time, in order.
struct ConnectionHandler {
  /// Every frame except Ping and Pong, which the connection handles itself (a Ping is answered
  /// with a Pong carrying its nonce). Never called after on_close.
  std::function<void(v1::Frame&&)> on_frame;
  /// Called exactly once per started connection, last. ok() for a clean close (close() by us, or
  /// an orderly EOF / TLS close_notify from the peer); otherwise why the connection ended:
  ///  - kIo: a socket error (the message is the OS's), or a TLS peer that vanished without
  ///    close_notify;
  ///  - kTls: TLS handshake failure, or a corrupt TLS record later on;
  ///  - kTimeout: idle timeout, handshake timeout, or close() could not flush in time;
  ///  - kResourceExhausted: an oversized frame from the peer, or the send queue bound (us);
  ///  - kProtocol: a frame that does not parse, or EOF in the middle of a frame;
  ///  - whatever Status was passed to abort().
  /// Both callbacks are released (destroyed) right after on_close returns, which breaks any
  /// reference cycle through captures.
  std::function<void(const Status&)> on_close;
};

/// Which side of the TLS handshake a connection plays.
enum class TlsRole { kClient, kServer };

/// A framed, full-duplex connection (asio's chat example, grown up): one outstanding read, one
/// outstanding write gathering everything queued, all state on one strand.
///
/// Lifecycle: created connected (by Listener or async_connect(), not yet started) -> start() ->
/// frames flow -> close(), abort(), a peer close, an error or a timeout -> on_close, once.
///
/// Slow-consumer policy: send() never blocks and never drops a frame silently. If the bytes
/// queued (accepted by send() and not yet written) would exceed `max_send_queue_bytes`, the
/// connection is aborted with kResourceExhausted ("slow consumer: send queue over N bytes") and
/// that frame and all later ones are discarded. This is safe because every durable event can be
/// re-synced by the client from its log position after it reconnects; ephemeral ones (presence,
/// typing) may be lost by design.
///
/// Ownership and lifetime:
///  - Callers hold a std::shared_ptr. A started connection keeps itself alive (its pending
///    handlers hold shared_from_this()) until on_close has run, so the caller may drop its
///    pointer at any time; dropping it does not close the connection.
///  - The handler's captures must stay valid until on_close has run. An owner that dies first
///    must abort() the connection and wait for on_close, or capture weak pointers.
///  - The executor (io_context) must outlive every connection made on it; the TLS context is
///    kept alive by the connection.
///
/// @par Thread Safety
/// All public methods are safe from any thread, including from inside the callbacks: they post
/// to the strand and never invoke a callback before returning. Frames sent from one thread are
/// written in the order of the send() calls.
///
/// @code
///   conn->start({.on_frame = [](v1::Frame&& f) { ... },
///                .on_close = [](const Status& s) { ... }});
///   conn->send(frame);
///   conn->close();   // on_close(ok) once the queue is flushed
/// @endcode
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// Wraps a connected socket, plain TCP when `tls` is null, otherwise TLS in `role`. The socket's
  /// executor must be a strand (asio::make_strand), or belong to an io_context run by one thread:
  /// the connection serialises everything through it. A TLS connection handshakes in start()
  /// (bounded by handshake_timeout) unless async_connect() already did, which is also the only
  /// way to get SNI and host-name verification on the client side.
  /// Most code gets connections from Listener or async_connect() instead.
  static std::shared_ptr<Connection> create(asio::ip::tcp::socket socket,
                                            std::shared_ptr<asio::ssl::context> tls, TlsRole role,
                                            ConnectionOptions options);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts the connection: the TLS handshake for a server-side TLS connection (bounded by
  /// handshake_timeout), then the read loop and timers. Frames sent before start() are written
  /// once it runs. If the connection was closed or aborted before start(), on_close is delivered
  /// with that status. REQUIRES: called at most once.
  void start(ConnectionHandler handler);

  /// Encodes `frame` on the calling thread and queues it. Ignored after close()/abort()/on_close.
  /// May abort the connection under the slow-consumer policy (see the class comment).
  /// Encoding writes protobuf's cached sizes into `frame`: do not pass the same Frame object
  /// from two threads at once (encode once and use send_encoded() to fan out).
  void send(const v1::Frame& frame);

  /// Queues bytes that are already framed (encode_frame()): one buffer may be shared by many
  /// connections. A null or empty buffer is ignored.
  void send_encoded(std::shared_ptr<const std::string> encoded);

  /// send() for a caller running on executor() (a handler of this connection): the frame joins
  /// the queue at once instead of through a post, so it leaves in the same write as the frames
  /// that handlers before it queued (a response and the pushes of the same commit).
  /// REQUIRES: called on executor().
  void send_on_executor(const v1::Frame& frame);

  /// Graceful close: stops delivering frames, flushes what was sent before this call, sends TLS
  /// close_notify / TCP FIN, waits (up to close_timeout) for the peer to close too, then closes;
  /// on_close(ok), or kTimeout if queued bytes could not be written in time. Before start() it
  /// closes at once without flushing; during the server's TLS handshake it takes effect when the
  /// handshake is done. Idempotent.
  void close();

  /// Immediate close: pending frames are dropped, no close_notify; on_close(`reason`) unless the
  /// connection had already ended. An ok `reason` is reported as ok. Idempotent.
  void abort(Status reason);

  /// Changes the idle timeout (e.g. longer once the peer authenticated); the deadline counts from
  /// the last byte received. Zero disables it.
  void set_idle_timeout(std::chrono::milliseconds timeout);

  /// The peer, "ip:port" ("[v6]:port" for IPv6). Fixed at construction, so safe from any thread.
  const std::string& remote_address() const noexcept { return remote_address_; }

  /// Bytes accepted by send() and not yet written; approximate, for monitoring.
  std::size_t queued_bytes() const noexcept {
    return queued_bytes_.load(std::memory_order_relaxed);
  }

  /// The strand all callbacks and internal state run on: the socket's executor. Safe from any
  /// thread (the socket never changes its executor). Not a member of its own: an idle connection
  /// should cost as little as possible, and a copy of an executor is 56 bytes.
  asio::any_io_executor executor() noexcept { return socket_.get_executor(); }

 private:
  enum class State { kIdle, kHandshaking, kOpen, kDraining, kShuttingDown, kClosed };

  Connection(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls, TlsRole role,
             ConnectionOptions options);

  friend class Listener;
  friend struct ConnectOperation;

  // Everything below runs on the strand.
  // async_connect(): the client handshake, before the connection is handed out.
  void handshake_as_client(const std::string& host, std::function<void(Status)> done);
  void do_start(ConnectionHandler handler);
  void open();
  void read();
  void on_read(const std::error_code& ec, std::size_t n);
  void on_readable(const std::error_code& ec);
  void deliver(v1::Frame&& frame);
  void enqueue(std::shared_ptr<const std::string> encoded);
  void enqueue_control(const v1::Frame& frame);
  void write();
  void on_write(const std::error_code& ec, std::size_t bytes);
  /// Drops the first n queued frames (moved or copied into in_flight_ already).
  void take_from_queue(std::size_t n);
  asio::steady_timer& deadline_timer();
  asio::steady_timer& heartbeat_timer();
  void begin_close();
  void shut_down();
  void fail(Status status);
  void finish(Status status);
  void release_read_buffers();
  void release_listener_slot() noexcept;
  void arm_idle_timer();
  void arm_heartbeat_timer();
  void on_idle_timer(const std::error_code& ec);
  void on_heartbeat_timer(const std::error_code& ec);
  bool is_tls() const noexcept;
  // Queued frames may go out: open, or draining before a graceful close.
  bool may_write() const noexcept { return state_ == State::kOpen || state_ == State::kDraining; }
  // Counts `n` bytes against the send-queue bound; false (and the connection fails as a slow
  // consumer) if they do not fit.
  bool admit(std::size_t n);

  const ConnectionOptions options_;
  const std::string remote_address_;
  const std::shared_ptr<asio::ssl::context> tls_;  // keeps the SSL_CTX alive for the session
  asio::ip::tcp::socket socket_;
  // TLS only, on socket_ (declared after it: destroyed first). Null for plain TCP.
  std::unique_ptr<detail::TlsSocket> tls_socket_;

  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<bool> stopping_{false};  // close()/abort() called: stop sending and delivering

  State state_ = State::kIdle;
  bool started_ = false;
  bool handshaken_ = false;
  bool close_after_handshake_ = false;
  Status close_status_;  // what on_close reports once the connection has ended
  ConnectionHandler handler_;
  FrameDecoder decoder_;
  std::size_t read_size_;
  bool reading_ = false;
  bool read_to_decoder_ = false;     // the outstanding read fills the decoder (else discard_)
  bool peer_closed_ = false;         // EOF seen while draining; no more reads
  std::unique_ptr<char[]> discard_;  // read target while closing: frames are no longer parsed

  // A vector, not a deque: libstdc++'s deque allocates ~600 bytes even when empty, and an idle
  // connection should cost as little as possible. Writes take a prefix of it at once.
  std::vector<std::shared_ptr<const std::string>> queue_;
  std::vector<std::shared_ptr<const std::string>> in_flight_;
  std::size_t batch_bytes_ = 0;  // bytes of the outstanding write, returned to queued_bytes_
  bool writing_ = false;
  bool write_scheduled_ = false;  // a write() is posted to run after the strand's queued handlers

  std::chrono::milliseconds idle_timeout_;
  std::chrono::steady_clock::time_point last_received_;
  std::chrono::steady_clock::time_point last_sent_;
  std::uint64_t next_ping_nonce_ = 1;
  asio::steady_timer idle_timer_;
  // Created on first use: most server connections never heartbeat and rarely close gracefully.
  std::unique_ptr<asio::steady_timer> heartbeat_timer_;
  std::unique_ptr<asio::steady_timer> deadline_timer_;  // handshake or graceful-close deadline

  // The Listener's count of open connections, which this one holds a place in until it closes
  // (or is destroyed unstarted). Null for connections not from a Listener.
  std::shared_ptr<std::atomic<std::size_t>> listener_count_;
};

/// Connects to `host`:`port` (a name or an IP literal) and, when `tls` is set, performs the TLS
/// client handshake. `host` is also the TLS server name: SNI for a name, and the name or address
/// the certificate must carry when `tls` verifies without a pin.
///
/// `done` is called exactly once, on the new connection's strand, never inside this call:
/// with a Connection that is connected, handshaken and not yet started, or with
///  - kUnavailable: the host does not resolve or refuses / cannot be reached;
///  - kTls: the handshake or certificate verification failed (untrusted, wrong name, pin
///    mismatch);
///  - kTimeout: not done within options.handshake_timeout;
///  - kInvalidArgument: an empty host or port 0.
/// The executor must outlive the operation; each connection gets its own strand on it.
///
/// @code
///   async_connect(io.get_executor(), "chat.example.com", 443, tls_ctx, {},
///                 [](Result<std::shared_ptr<Connection>> r) {
///                   if (!r.ok()) return report(r.status());
///                   (*r)->start(handler);
///                 });
/// @endcode
void async_connect(asio::any_io_executor executor, std::string host, std::uint16_t port,
                   std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
                   std::function<void(Result<std::shared_ptr<Connection>>)> done);

}  // namespace wechat::transport

#endif  // WECHAT_TRANSPORT_CONNECTION_H_
