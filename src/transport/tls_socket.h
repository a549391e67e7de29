// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_TLS_SOCKET_H_
#define WECHAT_TRANSPORT_TLS_SOCKET_H_

// A lean TLS stream for Connection: OpenSSL does the handshake (and a client's record I/O)
// straight on the non-blocking socket, and Asio only reports readiness. Unlike asio::ssl::stream
// it keeps no buffers of its own (asio's two 17 KiB stream buffers and its 2 x 17 KiB BIO pair,
// all held for the life of the connection), and with SSL_MODE_RELEASE_BUFFERS OpenSSL frees its
// record buffers whenever they are empty. A server goes further: once a TLS 1.3 handshake is
// done it frees the whole OpenSSL session (~14 KB that OpenSSL keeps for as long as it lives)
// and protects its records itself (Tls13Records), so an idle connection holds its keys only.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "transport/asio.h"

// OpenSSL's own spelling of its opaque types (openssl/types.h), so this header needs no OpenSSL
// header. Redeclaring a typedef to the same type is allowed.
typedef struct ssl_st SSL;          // NOLINT(modernize-use-using)
typedef struct ssl_ctx_st SSL_CTX;  // NOLINT(modernize-use-using)

namespace wechat::transport::detail {

class Tls13Records;

/// TLS over a connected TCP socket that the caller owns. The socket is switched to
/// non-blocking mode; OpenSSL reads and writes it through a minimal BIO (recv/send with
/// MSG_NOSIGNAL, so a vanished peer never raises SIGPIPE), and whenever OpenSSL wants to read
/// or write, the operation waits for that readiness with socket.async_wait(). Either direction
/// may want either: SSL_read may need to write (a TLS 1.3 KeyUpdate answer) and SSL_write may
/// need to read.
///
/// Errors, as asio::ssl::stream reports them (Connection maps them to Status):
///  - asio::error::eof: the peer's close_notify;
///  - asio::ssl::error::stream_truncated: EOF without close_notify;
///  - a system error_code: the socket failed (ECONNRESET, EPIPE, ...);
///  - asio::error::get_ssl_category(): a TLS failure, the OpenSSL error code as the value;
///  - asio::error::operation_aborted: the socket was closed while the operation waited.
/// No operation touches the SSL object or its buffers once the socket is closed, so after
/// socket.close() the buffers passed to pending operations may be freed at once (their
/// handlers still run, with operation_aborted).
///
/// Completion handlers run through the socket's executor and never inside the call that
/// started the operation (asio's rule).
///
/// @par Thread Safety
/// None: everything, including the handlers, runs on one strand (the socket's executor). At
/// most one handshake, one read (async_wait_readable()/read_some() or async_read_some()), one
/// write and one shutdown may be outstanding at a time; a read may overlap a write or a
/// shutdown.
///
/// A server whose context went through hand_over_records() takes its TLS 1.3 sessions' records
/// over after the handshake (with TLS 1.2, or a suite other than the three of RFC 8446 §B.4,
/// OpenSSL keeps them); from then on native_handle() is null and the errors are the same.
///
/// REQUIRES: `socket` outlives this object and is open; `ctx` lives as long as this object.
class TlsSocket {
 public:
  enum class Side { kClient, kServer };

  /// Lets server sessions on `ctx` hand their records over after a TLS 1.3 handshake: OpenSSL
  /// tells TlsSocket the traffic secrets through the context's key log callback (which this
  /// takes). It also turns session tickets off: a ticket would be a record OpenSSL sends after
  /// the handshake, under keys that are ours by then.
  static void hand_over_records(SSL_CTX* ctx);

  /// Prepares an SSL session for `side`. If OpenSSL cannot allocate one, native_handle() is
  /// null and the handshake fails with asio::error::no_memory.
  TlsSocket(asio::ip::tcp::socket& socket, SSL_CTX* ctx, Side side);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  /// The session, e.g. for SNI and verification settings before the handshake, or for
  /// SSL_get_verify_result() after it. May be null (see the constructor), and is null once a
  /// server has taken its records over.
  SSL* native_handle() const noexcept { return ssl_; }

  /// Whether the records are ours (Tls13Records), OpenSSL's session freed.
  bool records_handed_over() const noexcept { return records_ != nullptr; }

  /// Runs the handshake. handler(std::error_code).
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    start(HandshakeStep{}, adapt(std::forward<Handler>(handler)));
  }

  /// Waits until read_some() can make progress: at once if OpenSSL already holds received
  /// bytes, else for the socket readiness the last SSL_read asked for. Holds no buffer while
  /// it waits. handler(std::error_code).
  template <typename Handler>
  void async_wait_readable(Handler&& handler);

  /// Reads what is available without blocking: decrypts records into `buffer` until it is
  /// full or nothing more is buffered. Returns the bytes read (> 0), or 0 with `ec` set:
  /// asio::error::would_block when nothing is available yet (call async_wait_readable()), or
  /// one of the errors in the class comment. An error met after some bytes were read is
  /// reported by the next call.
  std::size_t read_some(asio::mutable_buffer buffer, std::error_code& ec);

  /// Reads at least one byte into `buffer`. handler(std::error_code, std::size_t).
  template <typename Handler>
  void async_read_some(asio::mutable_buffer buffer, Handler&& handler) {
    start(ReadStep{buffer}, std::forward<Handler>(handler));
  }

  /// Writes all of `buffer` (records of up to 16 KiB). `buffer` must stay valid until the
  /// handler runs. handler(std::error_code, std::size_t bytes_written).
  template <typename Handler>
  void async_write(asio::const_buffer buffer, Handler&& handler) {
    start(WriteStep{buffer}, std::forward<Handler>(handler));
  }

  /// Sends close_notify and completes once it is on the wire; it does not wait for the peer's
  /// (the outstanding read sees it, as eof). REQUIRES: handshake done, no write outstanding.
  /// handler(std::error_code).
  template <typename Handler>
  void async_shutdown(Handler&& handler) {
    start(ShutdownStep{}, adapt(std::forward<Handler>(handler)));
  }

 private:
  // What an OpenSSL call needs before it can go on; kNothing: the step is complete.
  enum class Want { kNothing, kRead, kWrite };

  // The steps of the composed operations: each does as much as it can without blocking and
  // says what it waits for. On completion `ec` tells how and `bytes` how much was moved.
  struct HandshakeStep {
    Want operator()(TlsSocket& s, std::error_code& ec);
    std::size_t bytes = 0;
  };
  struct ReadStep {
    Want operator()(TlsSocket& s, std::error_code& ec);
    asio::mutable_buffer buffer;
    std::size_t bytes = 0;
  };
  struct WriteStep {
    Want operator()(TlsSocket& s, std::error_code& ec);
    asio::const_buffer buffer;
    std::size_t bytes = 0;
  };
  struct ShutdownStep {
    Want operator()(TlsSocket& s, std::error_code& ec);
    std::size_t bytes = 0;
  };
  struct Bio;             // the BIO method's callbacks, in tls_socket.cpp
  struct TrafficSecrets;  // what the key log callback captured during a server handshake

  // Runs `step` until it completes, waiting on the socket in between, then calls
  // handler(ec, bytes). Moves itself into each wait's handler, so it costs no allocation of
  // its own.
  template <typename Step, typename Handler>
  class Operation {
   public:
    Operation(TlsSocket& socket, Step step, Handler handler)
        : socket_(&socket), step_(std::move(step)), handler_(std::move(handler)) {}

    // Inside the initiating call: a completion is posted, never invoked here.
    void run(bool initiating) {
      std::error_code ec;
      const Want want = step_(*socket_, ec);
      if (want != Want::kNothing) {
        socket_->wait(want, std::move(*this));
        return;
      }
      if (initiating) {
        asio::post(socket_->socket_.get_executor(),
                   [h = std::move(handler_), ec, n = step_.bytes]() mutable { h(ec, n); });
      } else {
        handler_(ec, step_.bytes);
      }
    }

    // A readiness wait finished.
    void operator()(const std::error_code& ec) {
      if (ec) {
        handler_(ec, step_.bytes);
        return;
      }
      run(false);
    }

   private:
    TlsSocket* socket_;
    Step step_;
    Handler handler_;
  };

  template <typename Step, typename Handler>
  void start(Step step, Handler&& handler) {
    Operation<Step, std::decay_t<Handler>>(*this, std::move(step), std::forward<Handler>(handler))
        .run(true);
  }

  // A handler(ec) as a handler(ec, bytes).
  template <typename Handler>
  static auto adapt(Handler&& handler) {
    return [h = std::forward<Handler>(handler)](const std::error_code& ec,
                                                std::size_t /*bytes*/) mutable { h(ec); };
  }

  template <typename Handler>
  void wait(Want want, Handler&& handler) {
    socket_.async_wait(
        want == Want::kWrite ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read,
        std::forward<Handler>(handler));
  }

  // Non-template halves, in tls_socket.cpp.
  // Before each OpenSSL call: SSL_get_error() needs an empty error queue.
  void begin_call();
  // Whether OpenSSL holds received bytes (decrypted or not) that SSL_read can use at once.
  bool has_buffered_input() const;
  // false (with `ec`) when no OpenSSL call may be made: no session, or the socket is closed
  // (its descriptor number may already belong to another connection).
  bool usable(std::error_code& ec) const;
  // Classifies a failed OpenSSL call: kRead/kWrite to wait, else kNothing with `ec` set.
  Want failure(int ret, std::error_code& ec);
  // SSL_read into `data` until full, or until nothing more is buffered. kNothing with bytes
  // or an error; otherwise no bytes and what to wait for.
  Want read_into(char* data, std::size_t size, std::size_t& n, std::error_code& ec);

  // After a server handshake: frees the OpenSSL session and keeps records_ instead, when the
  // session is TLS 1.3 with a suite Tls13Records knows; else OpenSSL goes on.
  void take_over_records();
  // read_into(), write and shutdown once the records are ours.
  Want read_records(char* data, std::size_t size, std::size_t& n, std::error_code& ec);
  Want write_records(asio::const_buffer buffer, std::size_t& bytes, std::error_code& ec);
  Want shutdown_records(std::error_code& ec);
  // Sends from `data` what the socket takes now (`sent`); kWrite if it would block first.
  Want send_some(const std::uint8_t* data, std::size_t size, std::size_t& sent,
                 std::error_code& ec);
  // Sends what tx_ holds; kWrite until the socket took all of it (then tx_ is released).
  Want send_pending(std::error_code& ec);

  asio::ip::tcp::socket& socket_;
  SSL* ssl_ = nullptr;
  // Set by the BIO: errno of the last failed send/recv, and whether recv saw EOF.
  int last_errno_ = 0;
  bool eof_ = false;
  // What the last SSL_read waited for; kNothing after a successful read or the handshake,
  // when OpenSSL may hold bytes already (read ahead with the handshake, or a full buffer).
  Want read_wants_ = Want::kNothing;
  std::error_code deferred_read_error_;  // met after bytes were returned; the next read's

  // A server's records once OpenSSL's session is gone (ssl_ null), and what they need. Each
  // buffer holds bytes only in between calls that could not finish, and is freed when empty.
  std::unique_ptr<TrafficSecrets> secrets_;  // during a server handshake only
  std::unique_ptr<Tls13Records> records_;
  std::vector<std::uint8_t> rx_;        // the start of a record still being received
  std::vector<std::uint8_t> rx_plain_;  // opened bytes the caller had no room for
  std::size_t rx_plain_offset_ = 0;
  std::vector<std::uint8_t> tx_;  // sealed bytes the socket has not taken yet
  std::size_t tx_offset_ = 0;
  unsigned records_without_data_ = 0;  // in a row, up to kMaxRecordsWithoutData
  bool peer_closed_ = false;           // the peer's close_notify was read: every read is eof now
  bool close_sealed_ = false;          // our close_notify is in tx_ or sent
};

template <typename Handler>
void TlsSocket::async_wait_readable(Handler&& handler) {
  if (deferred_read_error_ || (read_wants_ == Want::kNothing && has_buffered_input())) {
    asio::post(socket_.get_executor(),
               [h = std::forward<Handler>(handler)]() mutable { h(std::error_code()); });
    return;
  }
  wait(read_wants_ == Want::kWrite ? Want::kWrite : Want::kRead, std::forward<Handler>(handler));
}

}  // namespace wechat::transport::detail

#endif  // WECHAT_TRANSPORT_TLS_SOCKET_H_
