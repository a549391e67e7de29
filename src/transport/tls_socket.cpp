// SPDX-License-Identifier: MIT
#include "transport/tls_socket.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <asio/ssl/error.hpp>
#include <cerrno>

namespace wechat::transport::detail {

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
    for (;;) {
      const ssize_t n = ::send(self->socket_.native_handle(), data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        *written = static_cast<std::size_t>(n);
        return 1;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_write(bio);
      } else {
        self->last_errno_ = errno;
      }
      return 0;
    }
  }

  static int read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
    auto* self = static_cast<TlsSocket*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    *read = 0;
    if (!self->socket_.is_open()) {
      self->last_errno_ = EBADF;
      return 0;
    }
    for (;;) {
      const ssize_t n = ::recv(self->socket_.native_handle(), data, size, 0);
      if (n > 0) {
        *read = static_cast<std::size_t>(n);
        return 1;
      }
      if (n == 0) {
        self->eof_ = true;  // BIO_eof() is how OpenSSL tells EOF from failure
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_read(bio);
      } else {
        self->last_errno_ = errno;
      }
      return 0;
    }
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
  // One recv fills the record buffer with as many records as are waiting instead of two
  // recv calls (header, body) per record. The price: OpenSSL may hold received bytes the
  // socket no longer shows as readable, hence has_buffered_input().
  SSL_set_read_ahead(ssl_, 1);
  if (side == Side::kServer) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

void TlsSocket::begin_call() {
  ERR_clear_error();
  last_errno_ = 0;
}

bool TlsSocket::has_buffered_input() const { return ssl_ != nullptr && SSL_has_pending(ssl_); }

bool TlsSocket::usable(std::error_code& ec) const {
  if (!socket_.is_open()) {
    ec = asio::error::operation_aborted;
    return false;
  }
  if (ssl_ == nullptr) {
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
    return Want::kNothing;
  }
  return s.failure(ret, ec);
}

TlsSocket::Want TlsSocket::ReadStep::operator()(TlsSocket& s, std::error_code& ec) {
  return s.read_into(static_cast<char*>(buffer.data()), buffer.size(), bytes, ec);
}

TlsSocket::Want TlsSocket::WriteStep::operator()(TlsSocket& s, std::error_code& ec) {
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
  s.begin_call();
  // 0: our close_notify is out, the peer's not seen yet; 1: both. Either way done: calling
  // SSL_shutdown again would read, and reading is the outstanding read's business.
  const int ret = SSL_shutdown(s.ssl_);
  if (ret >= 0) return Want::kNothing;
  const Want want = s.failure(ret, ec);
  return want == Want::kWrite ? want : Want::kNothing;
}

}  // namespace wechat::transport::detail
