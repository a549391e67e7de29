// SPDX-License-Identifier: MIT
#include "transport/tls_socket.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "transport/tls13_records.h"

namespace wechat::transport::detail {
namespace {

// A record stream's scratch space, one per thread: records are sealed and opened in it, and a
// connection keeps only what a call could not finish (a partial record, unsent bytes).
constexpr std::size_t kRecordsPerSend = 4;
constexpr std::size_t kWriteScratchSize =
    kRecordsPerSend *
    (Tls13Records::sealed_size(Tls13Records::kMaxPlaintext) + Tls13Records::kControlSize);
constexpr std::size_t kReadScratchSize =
    Tls13Records::kHeaderSize + Tls13Records::kMaxCiphertext + (64 << 10);
// Records in a row that may carry no data (empty, KeyUpdate, user_canceled): OpenSSL's limit.
constexpr unsigned kMaxRecordsWithoutData = 32;

std::uint8_t* thread_scratch(std::unique_ptr<std::uint8_t[]>& scratch, std::size_t size) {
  if (!scratch) scratch = std::make_unique<std::uint8_t[]>(size);
  return scratch.get();
}
std::uint8_t* write_scratch() {
  thread_local std::unique_ptr<std::uint8_t[]> scratch;
  return thread_scratch(scratch, kWriteScratchSize);
}
std::uint8_t* read_scratch() {
  thread_local std::unique_ptr<std::uint8_t[]> scratch;
  return thread_scratch(scratch, kReadScratchSize);
}

// send() and recv() on the socket, retried on EINTR: the byte count, or -1 with errno set.
// send() never raises SIGPIPE (the client library cannot assume it is ignored).
ssize_t send_retrying(int fd, const void* data, std::size_t size) {
  ssize_t n = 0;
  do {
    n = ::send(fd, data, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}
ssize_t recv_retrying(int fd, void* data, std::size_t size) {
  ssize_t n = 0;
  do {
    n = ::recv(fd, data, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}
bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// Frees a buffer's memory, not only its contents (clear() keeps the capacity).
void release(std::vector<std::uint8_t>& v) { std::vector<std::uint8_t>().swap(v); }

// Where a server session finds its TlsSocket from OpenSSL's callbacks.
int socket_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

struct TlsSocket::TrafficSecrets {
  // The application traffic secrets, as long as the suite's hash (at most SHA-384's 48).
  std::array<unsigned char, 48> client{};
  std::array<unsigned char, 48> server{};
  std::size_t client_size = 0;
  std::size_t server_size = 0;

  ~TrafficSecrets() {
    OPENSSL_cleanse(client.data(), client.size());
    OPENSSL_cleanse(server.data(), server.size());
  }

  // A key log line is "LABEL <client random, hex> <secret, hex>" (NSS's key log format); only
  // the first application traffic secrets matter here.
  static void capture(const SSL* ssl, const char* line) {
    auto* socket = static_cast<TlsSocket*>(SSL_get_ex_data(ssl, socket_index()));
    if (socket == nullptr || !socket->secrets_) return;
    TrafficSecrets& s = *socket->secrets_;
    const std::string_view text(line);
    const std::size_t label_end = text.find(' ');
    const std::size_t secret_start = text.rfind(' ');
    if (label_end == std::string_view::npos || secret_start == label_end) return;
    const std::string_view label = text.substr(0, label_end);
    const char* secret_hex = line + secret_start + 1;  // the last field: NUL-terminated, no copy
    auto decode = [&](std::array<unsigned char, 48>& out, std::size_t& size) {
      if (OPENSSL_hexstr2buf_ex(out.data(), out.size(), &size, secret_hex, '\0') != 1) {
        size = 0;
        ERR_clear_error();
      }
    };
    if (label == "CLIENT_TRAFFIC_SECRET_0") decode(s.client, s.client_size);
    if (label == "SERVER_TRAFFIC_SECRET_0") decode(s.server, s.server_size);
  }
};

void TlsSocket::hand_over_records(SSL_CTX* ctx) {
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_keylog_callback(ctx, &TrafficSecrets::capture);
}

// A source/sink BIO on the socket's descriptor. Unlike OpenSSL's socket BIO it sends with
// MSG_NOSIGNAL (the client library cannot assume SIGPIPE is ignored), reads the descriptor from
// the asio socket on every call (so a closed socket fails with EBADF instead of reaching a
// descriptor number that may have been reused), and records errno and EOF for
// TlsSocket::failure() rather than leaving them in errno.
struct TlsSocket::Bio {
  static BIO_METHOD* method() {
    static BIO_METHOD* const instance = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wechat socket");
      if (m != nullptr) {
        BIO_meth_set_write_ex(m, &Bio::write);
        BIO_meth_set_read_ex(m, &Bio::read);
        BIO_meth_set_ctrl(m, &Bio::ctrl);
      }
      return m;
    }();
    return instance;
  }

  static int write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
    auto* self = static_cast<TlsSocket*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    *written = 0;
    if (!self->socket_.is_open()) {
      self->last_errno_ = EBADF;
      return 0;
    }
    const ssize_t n = send_retrying(self->socket_.native_handle(), data, size);
    if (n >= 0) {
      *written = static_cast<std::size_t>(n);
      return 1;
    }
    if (would_block(errno)) {
      BIO_set_retry_write(bio);
    } else {
      self->last_errno_ = errno;
    }
    return 0;
  }

  static int read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
    auto* self = static_cast<TlsSocket*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    *read = 0;
    if (!self->socket_.is_open()) {
      self->last_errno_ = EBADF;
      return 0;
    }
    const ssize_t n = recv_retrying(self->socket_.native_handle(), data, size);
    if (n > 0) {
      *read = static_cast<std::size_t>(n);
      return 1;
    }
    if (n == 0) {
      self->eof_ = true;  // BIO_eof() is how OpenSSL tells EOF from failure
    } else if (would_block(errno)) {
      BIO_set_retry_read(bio);
    } else {
      self->last_errno_ = errno;
    }
    return 0;
  }

  static long ctrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {  // NOLINT(google-runtime-int)
    const auto* self = static_cast<const TlsSocket*>(BIO_get_data(bio));
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;  // nothing is buffered here
      case BIO_CTRL_EOF:
        return self != nullptr && self->eof_ ? 1 : 0;
      case BIO_C_GET_FD:
        return -1;  // no descriptor to hand out: everything goes through the asio socket
      default:
        return 0;  // unsupported (kTLS, datagram and buffer controls)
    }
  }
};

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, SSL_CTX* ctx, Side side) : socket_(socket) {
  std::error_code ignored;
  socket_.non_blocking(true, ignored);  // OpenSSL's recv/send must never block the strand
  BIO_METHOD* method = Bio::method();
  ssl_ = method != nullptr ? SSL_new(ctx) : nullptr;
  BIO* bio = ssl_ != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);  // null-safe
    ssl_ = nullptr;
    ERR_clear_error();
    return;
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one reference for both directions, owned by ssl_
  // RELEASE_BUFFERS: the 17 KiB record buffers exist only while a record is in them.
  // PARTIAL_WRITE: SSL_write returns after each record, so a large write never needs one
  // buffer of its size. MOVING_WRITE_BUFFER: a retried write may come from another address.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                         SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (side == Side::kServer) {
    SSL_set_accept_state(ssl_);
    // For take_over_records(): the key log callback finds us through this, and OpenSSL reads
    // no further than the client's Finished (without read ahead it reads record by record),
    // so every later record reaches us.
    if (SSL_set_ex_data(ssl_, socket_index(), this) == 1) {
      secrets_ = std::make_unique<TrafficSecrets>();
    } else {
      ERR_clear_error();
      SSL_set_read_ahead(ssl_, 1);
    }
  } else {
    SSL_set_connect_state(ssl_);
    // One recv fills the record buffer with as many records as are waiting instead of two
    // recv calls (header, body) per record. The price: OpenSSL may hold received bytes the
    // socket no longer shows as readable, hence has_buffered_input().
    SSL_set_read_ahead(ssl_, 1);
  }
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

void TlsSocket::take_over_records() {
  const std::unique_ptr<TrafficSecrets> secrets = std::move(secrets_);
  if (!secrets) return;  // no key log: OpenSSL keeps the records, with read ahead
  std::unique_ptr<Tls13Records> records;
  if (SSL_version(ssl_) == TLS1_3_VERSION && SSL_has_pending(ssl_) == 0) {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    const auto suite = cipher != nullptr
                           ? Tls13Records::suite_from_id(SSL_CIPHER_get_protocol_id(cipher))
                           : std::nullopt;
    if (suite) {
      records =
          Tls13Records::create(*suite, std::span(secrets->client.data(), secrets->client_size),
                               std::span(secrets->server.data(), secrets->server_size));
    }
  }
  if (!records) {
    SSL_set_read_ahead(ssl_, 1);
    return;
  }
  SSL_free(ssl_);
  ssl_ = nullptr;
  records_ = std::move(records);
}

void TlsSocket::begin_call() {
  ERR_clear_error();
  last_errno_ = 0;
}

bool TlsSocket::has_buffered_input() const {
  if (records_) return rx_plain_offset_ < rx_plain_.size() || peer_closed_;
  return ssl_ != nullptr && SSL_has_pending(ssl_);
}

bool TlsSocket::usable(std::error_code& ec) const {
  if (!socket_.is_open()) {
    ec = asio::error::operation_aborted;
    return false;
  }
  if (ssl_ == nullptr && !records_) {
    ec = asio::error::no_memory;
    return false;
  }
  return true;
}

TlsSocket::Want TlsSocket::failure(int ret, std::error_code& ec) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return Want::kRead;
    case SSL_ERROR_WANT_WRITE:
      return Want::kWrite;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;  // close_notify
      break;
    default: {
      // The earliest queued error is the cause (asio::ssl reports the same one).
      const unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int)
      // EOF without close_notify: OpenSSL 3 queues UNEXPECTED_EOF (checked before errno: the
      // alert OpenSSL then tries to send may fail with EPIPE); older versions queue nothing.
      const bool truncated = code != 0
                                 ? ERR_GET_LIB(code) == ERR_LIB_SSL &&
                                       ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING
                                 : last_errno_ == 0 && eof_;
      if (truncated) {
        ec = asio::ssl::error::stream_truncated;
      } else if (code != 0) {
        ec = std::error_code(static_cast<int>(code), asio::error::get_ssl_category());
      } else if (last_errno_ != 0) {
        ec = std::error_code(last_errno_, asio::error::get_system_category());
      } else {
        ec = asio::ssl::error::unspecified_system_error;
      }
      break;
    }
  }
  ERR_clear_error();
  return Want::kNothing;
}

TlsSocket::Want TlsSocket::read_into(char* data, std::size_t size, std::size_t& n,
                                     std::error_code& ec) {
  n = 0;
  if (deferred_read_error_) {
    ec = std::exchange(deferred_read_error_, std::error_code());
    return Want::kNothing;
  }
  if (!usable(ec) || size == 0) return Want::kNothing;
  if (records_) return read_records(data, size, n, ec);
  while (n < size) {
    begin_call();
    std::size_t got = 0;
    const int ret = SSL_read_ex(ssl_, data + n, size - n, &got);
    if (ret == 1) {
      n += got;
      read_wants_ = Want::kNothing;
      // SSL_read returns one record at a time. Go on while OpenSSL holds more; once it holds
      // nothing, another recv would mostly say EAGAIN: let the next readiness wait find out.
      if (!SSL_has_pending(ssl_)) break;
      continue;
    }
    std::error_code error;
    const Want want = failure(ret, error);
    if (want != Want::kNothing) {
      // Wait for that before the next SSL_read (has_buffered_input() may be true for a
      // partial record, which would otherwise spin).
      read_wants_ = want;
      return n == 0 ? want : Want::kNothing;
    }
    if (n == 0) {
      ec = error;
    } else {
      deferred_read_error_ = error;
    }
    break;
  }
  return Want::kNothing;
}

std::size_t TlsSocket::read_some(asio::mutable_buffer buffer, std::error_code& ec) {
  ec.clear();
  std::size_t n = 0;
  if (read_into(static_cast<char*>(buffer.data()), buffer.size(), n, ec) != Want::kNothing) {
    ec = asio::error::would_block;
  }
  return n;
}

TlsSocket::Want TlsSocket::HandshakeStep::operator()(TlsSocket& s, std::error_code& ec) {
  if (!s.usable(ec)) return Want::kNothing;
  s.begin_call();
  const int ret = SSL_do_handshake(s.ssl_);
  if (ret == 1) {
    s.read_wants_ = Want::kNothing;  // read ahead may have taken the peer's first records
    s.take_over_records();
    return Want::kNothing;
  }
  return s.failure(ret, ec);
}

TlsSocket::Want TlsSocket::ReadStep::operator()(TlsSocket& s, std::error_code& ec) {
  return s.read_into(static_cast<char*>(buffer.data()), buffer.size(), bytes, ec);
}

TlsSocket::Want TlsSocket::WriteStep::operator()(TlsSocket& s, std::error_code& ec) {
  if (s.records_) return s.usable(ec) ? s.write_records(buffer, bytes, ec) : Want::kNothing;
  const auto* data = static_cast<const char*>(buffer.data());
  while (bytes < buffer.size()) {
    if (!s.usable(ec)) return Want::kNothing;
    s.begin_call();
    std::size_t n = 0;
    // After a WANT_*, the retry passes the same remaining bytes, as OpenSSL requires.
    const int ret = SSL_write_ex(s.ssl_, data + bytes, buffer.size() - bytes, &n);
    if (ret != 1) return s.failure(ret, ec);
    bytes += n;
  }
  return Want::kNothing;
}

TlsSocket::Want TlsSocket::ShutdownStep::operator()(TlsSocket& s, std::error_code& ec) {
  if (!s.usable(ec)) return Want::kNothing;
  if (s.records_) return s.shutdown_records(ec);
  s.begin_call();
  // 0: our close_notify is out, the peer's not seen yet; 1: both. Either way done: calling
  // SSL_shutdown again would read, and reading is the outstanding read's business.
  const int ret = SSL_shutdown(s.ssl_);
  if (ret >= 0) return Want::kNothing;
  const Want want = s.failure(ret, ec);
  return want == Want::kWrite ? want : Want::kNothing;
}

// ---- Records handed over (a server after its TLS 1.3 handshake). ----

TlsSocket::Want TlsSocket::send_some(const std::uint8_t* data, std::size_t size, std::size_t& sent,
                                     std::error_code& ec) {
  sent = 0;
  while (sent < size) {
    const ssize_t n = send_retrying(socket_.native_handle(), data + sent, size - sent);
    if (n < 0) {
      if (would_block(errno)) return Want::kWrite;
      ec = std::error_code(errno, asio::error::get_system_category());
      return Want::kNothing;
    }
    sent += static_cast<std::size_t>(n);
  }
  return Want::kNothing;
}

TlsSocket::Want TlsSocket::send_pending(std::error_code& ec) {
  if (tx_offset_ == tx_.size()) return Want::kNothing;
  std::size_t sent = 0;
  const Want want = send_some(tx_.data() + tx_offset_, tx_.size() - tx_offset_, sent, ec);
  tx_offset_ += sent;
  if (tx_offset_ == tx_.size() || ec) {
    release(tx_);
    tx_offset_ = 0;
  }
  return want;
}

TlsSocket::Want TlsSocket::write_records(asio::const_buffer buffer, std::size_t& bytes,
                                         std::error_code& ec) {
  const auto* data = static_cast<const std::uint8_t*>(buffer.data());
  for (;;) {
    const Want pending = send_pending(ec);
    if (pending != Want::kNothing || ec || bytes == buffer.size()) return pending;
    // Seal a few records at a time into the thread's scratch, each preceded by the KeyUpdate
    // that may be due, and send them with one call.
    std::uint8_t* out = write_scratch();
    std::size_t used = 0;
    for (std::size_t r = 0; r < kRecordsPerSend && bytes < buffer.size(); ++r) {
      const int control = records_->seal_pending_control(out + used);
      const std::size_t chunk = std::min(Tls13Records::kMaxPlaintext, buffer.size() - bytes);
      if (control < 0 ||
          !records_->seal_data(std::span(data + bytes, chunk), out + used + control)) {
        ec = tls_error(ERR_R_INTERNAL_ERROR);
        return Want::kNothing;
      }
      used += static_cast<std::size_t>(control) + Tls13Records::sealed_size(chunk);
      bytes += chunk;
    }
    std::size_t sent = 0;
    const Want want = send_some(out, used, sent, ec);
    if (ec) return Want::kNothing;
    if (want != Want::kNothing) {  // keep the rest for when the socket is writable
      tx_.assign(out + sent, out + used);
      tx_offset_ = 0;
      return want;
    }
  }
}

TlsSocket::Want TlsSocket::shutdown_records(std::error_code& ec) {
  if (!close_sealed_) {
    std::array<std::uint8_t, Tls13Records::sealed_size(2)> alert{};
    if (!records_->seal_close_notify(alert.data())) {
      ec = tls_error(ERR_R_INTERNAL_ERROR);
      return Want::kNothing;
    }
    close_sealed_ = true;
    tx_.insert(tx_.end(), alert.begin(), alert.end());  // no write is outstanding: tx_ is empty
  }
  return send_pending(ec);
}

TlsSocket::Want TlsSocket::read_records(char* data, std::size_t size, std::size_t& n,
                                        std::error_code& ec) {
  // Opened bytes kept from the last read come first, and alone: the socket waits for its turn.
  if (rx_plain_offset_ < rx_plain_.size()) {
    n = std::min(size, rx_plain_.size() - rx_plain_offset_);
    std::memcpy(data, rx_plain_.data() + rx_plain_offset_, n);
    rx_plain_offset_ += n;
    if (rx_plain_offset_ == rx_plain_.size()) {
      release(rx_plain_);
      rx_plain_offset_ = 0;
    }
    read_wants_ = Want::kNothing;
    return Want::kNothing;
  }
  if (peer_closed_) {
    ec = asio::error::eof;
    return Want::kNothing;
  }
  // The partial record kept from last time, then whatever the socket has.
  std::uint8_t* in = read_scratch();
  std::size_t have = rx_.size();
  if (have > 0) std::memcpy(in, rx_.data(), have);
  release(rx_);
  const ssize_t got = recv_retrying(socket_.native_handle(), in + have, kReadScratchSize - have);
  if (got < 0) {
    if (would_block(errno)) {
      rx_.assign(in, in + have);
      read_wants_ = Want::kRead;
      return Want::kRead;
    }
    ec = std::error_code(errno, asio::error::get_system_category());
    return Want::kNothing;
  }
  if (got == 0) {  // EOF without close_notify: truncation, whatever was half received
    ec = asio::ssl::error::stream_truncated;
    return Want::kNothing;
  }
  have += static_cast<std::size_t>(got);

  std::size_t offset = 0;
  std::error_code error;
  while (!peer_closed_ && !error) {
    const Tls13Records::OpenResult record =
        records_->open(std::span(in + offset, have - offset), error);
    if (record.what == Tls13Records::Opened::kIncomplete) break;
    if (record.what == Tls13Records::Opened::kFailed) break;
    offset += record.consumed;
    if (record.what == Tls13Records::Opened::kClosed) {
      peer_closed_ = true;
    } else if (record.what == Tls13Records::Opened::kData && !record.content.empty()) {
      records_without_data_ = 0;
      const std::size_t fits = std::min(size - n, record.content.size());
      std::memcpy(data + n, record.content.data(), fits);
      n += fits;
      rx_plain_.insert(rx_plain_.end(), record.content.begin() + static_cast<std::ptrdiff_t>(fits),
                       record.content.end());
    } else if (++records_without_data_ > kMaxRecordsWithoutData) {
      // Empty records and KeyUpdates cost us work and the peer nothing (OpenSSL's limit).
      error = tls_error(SSL_R_RECORD_TOO_SMALL);
    }
  }
  if (error) {
    if (n == 0) {
      ec = error;
    } else {
      deferred_read_error_ = error;
    }
    return Want::kNothing;
  }
  if (peer_closed_) {  // what follows close_notify is never read (RFC 8446 §6.1)
    if (n == 0) ec = asio::error::eof;
    return Want::kNothing;
  }
  rx_.assign(in + offset, in + have);
  // With nothing for the caller (a partial record, or records without data) wait for the
  // socket again rather than read on here: a peer that keeps sending cannot hold the strand.
  read_wants_ = n > 0 ? Want::kNothing : Want::kRead;
  return read_wants_;
}

}  // namespace wechat::transport::detail
