// SPDX-License-Identifier: MIT
#include "transport/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <asio/ssl/context.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "common/random.h"
#include "transport/tls_internal.h"
#include "transport/tls_socket.h"

namespace wechat::transport {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

constexpr std::size_t kSha256Bytes = 32;

// Drains OpenSSL's thread-local error queue into one line (the queue must not leak into the
// next, unrelated OpenSSL call on this thread).
std::string openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

Status tls_error(std::string_view what) {
  return Status(Error::kTls, fmt::format("{}: {}", what, openssl_errors()));
}

Status io_error(std::string_view what, const std::string& path, int err) {
  return Status(Error::kIo, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

Result<FilePtr> open_for_reading(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return io_error("cannot read", path, errno);
  return f;
}

bool is_ip_address(const std::string& host) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, host.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf.data()) == 1;
}

// Conservative: only names that cannot break an OpenSSL extension string go into the SAN.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '.' && c != '*') return false;
  }
  return true;
}

std::optional<std::array<unsigned char, kSha256Bytes>> parse_pin(std::string_view text) {
  std::array<unsigned char, kSha256Bytes> out{};
  std::size_t nibbles = 0;
  for (char c : text) {
    if (c == ':') continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0 || nibbles >= 2 * kSha256Bytes) return std::nullopt;
    out[nibbles / 2] = static_cast<unsigned char>((out[nibbles / 2] << 4) | v);
    ++nibbles;
  }
  if (nibbles != 2 * kSha256Bytes) return std::nullopt;
  return out;
}

// TLS 1.2 and 1.3 only; no compression (CRIME) and no renegotiation (a DoS lever and a source
// of past bugs).
void harden(asio::ssl::context& ctx) {
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, 0);  // the highest this OpenSSL knows (1.3)
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
}

// The client context plus the pin its verification callback reads; returned through an
// aliasing shared_ptr so the pin lives exactly as long as the context.
struct ClientContext {
  explicit ClientContext(asio::ssl::context::method method) : ctx(method) {}
  asio::ssl::context ctx;
  std::array<unsigned char, kSha256Bytes> pin{};
};

// Replaces OpenSSL's chain verification for a pinned context: the leaf's SHA-256 either is the
// pin or the handshake fails. Chain, names and dates are deliberately not consulted: the pin is
// the whole trust decision.
int verify_pinned_leaf(X509_STORE_CTX* store, void* arg) {
  const auto* pin = static_cast<const unsigned char*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (leaf != nullptr && X509_digest(leaf, EVP_sha256(), md.data(), &len) == 1 &&
      len == kSha256Bytes && CRYPTO_memcmp(md.data(), pin, kSha256Bytes) == 0) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

Status add_extension(X509* cert, X509V3_CTX* v3, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, v3, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return tls_error(fmt::format("cannot add extension {}", OBJ_nid2sn(nid)));
  }
  return Status();
}

// Creates (or truncates) `path` with `mode` and writes it through `write`.
template <typename WriteFn>
Status write_pem_file(const std::string& path, mode_t mode, WriteFn&& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot write", path, errno);
  // A pre-existing file keeps its old mode through open(): fix it before any byte goes in.
  if (::fchmod(fd, mode) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error("cannot chmod", path, err);
  }
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    return io_error("cannot write", path, err);
  }
  const bool written = write(f);
  const int flush_failed = std::fflush(f);
  const int err = errno;
  const int close_failed = std::fclose(f);
  if (!written) return tls_error(fmt::format("cannot encode PEM for {}", path));
  if (flush_failed != 0 || close_failed != 0) return io_error("cannot write", path, err);
  return Status();
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(
    const std::string& cert_pem_path, const std::string& key_pem_path) {
  // Tell "cannot read" apart from "not a certificate/key" before OpenSSL blurs the two.
  WECHAT_TRY(open_for_reading(cert_pem_path));
  WECHAT_TRY(open_for_reading(key_pem_path));
  try {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    harden(*ctx);
    SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Our clients resume at the protocol level (a session token), never at the TLS level:
    // tickets and a session cache would only cost every handshake their encryption and writes.
    SSL_CTX_set_num_tickets(ctx->native_handle(), 0);
    SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
    // Established TLS 1.3 sessions drop OpenSSL's per-session state (tls_socket.h).
    detail::TlsSocket::hand_over_records(ctx->native_handle());
    std::error_code ec;
    ctx->use_certificate_chain_file(cert_pem_path, ec);
    if (ec) {
      ERR_clear_error();
      return Status(Error::kTls, fmt::format("cannot load certificate chain {}: {}", cert_pem_path,
                                             ec.message()));
    }
    ctx->use_private_key_file(key_pem_path, asio::ssl::context::pem, ec);
    if (ec) {
      ERR_clear_error();
      return Status(Error::kTls,
                    fmt::format("cannot load private key {}: {}", key_pem_path, ec.message()));
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return tls_error(
          fmt::format("private key {} does not match certificate {}", key_pem_path, cert_pem_path));
    }
    return ctx;
  } catch (const std::exception& e) {  // SSL_CTX_new failed (out of memory)
    ERR_clear_error();
    return Status(Error::kTls, fmt::format("cannot create a TLS context: {}", e.what()));
  }
}

Result<std::shared_ptr<asio::ssl::context>> make_client_tls_context(
    const ClientTlsOptions& options) {
  std::optional<std::array<unsigned char, kSha256Bytes>> pin;
  if (!options.pinned_sha256.empty()) {
    pin = parse_pin(options.pinned_sha256);
    if (!pin) {
      return Status(Error::kInvalidArgument,
                    "pinned_sha256 must be 64 hex digits (colons allowed)");
    }
  }
  if (!pin && options.verify && !options.ca_file.empty()) {
    WECHAT_TRY(open_for_reading(options.ca_file));
  }
  try {
    auto holder = std::make_shared<ClientContext>(asio::ssl::context::tls_client);
    harden(holder->ctx);
    SSL_CTX* native = holder->ctx.native_handle();
    if (pin) {
      holder->pin = *pin;
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_cert_verify_callback(native, &verify_pinned_leaf, holder->pin.data());
    } else if (options.verify) {
      std::error_code ec;
      if (!options.ca_file.empty()) {
        holder->ctx.load_verify_file(options.ca_file, ec);
        if (ec) {
          ERR_clear_error();
          return Status(Error::kTls,
                        fmt::format("cannot load CA file {}: {}", options.ca_file, ec.message()));
        }
      } else {
        holder->ctx.set_default_verify_paths(ec);
        if (ec) {
          ERR_clear_error();
          return Status(Error::kTls,
                        fmt::format("cannot load the system trust store: {}", ec.message()));
        }
      }
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    } else {
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    }
    return std::shared_ptr<asio::ssl::context>(holder, &holder->ctx);
  } catch (const std::exception& e) {
    ERR_clear_error();
    return Status(Error::kTls, fmt::format("cannot create a TLS context: {}", e.what()));
  }
}

Status generate_self_signed_certificate(const std::string& cert_path, const std::string& key_path,
                                        const std::string& common_name, int days) {
  if (common_name.empty()) return Status(Error::kInvalidArgument, "empty common name");
  if (days <= 0) return Status(Error::kInvalidArgument, "days must be positive");

  PkeyCtxPtr kctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(kctx.get(), "P-256") != 1 ||
      EVP_PKEY_generate(kctx.get(), &raw_key) != 1) {
    return tls_error("cannot generate a P-256 key");
  }
  PkeyPtr key(raw_key);

  X509Ptr cert(X509_new());
  if (!cert) return tls_error("cannot allocate a certificate");
  X509* x = cert.get();

  // 127-bit random serial: positive, unique enough, within RFC 5280's 20 octets.
  std::array<std::uint8_t, 16> serial_bytes{};
  wechat::detail::random_bytes(serial_bytes);
  serial_bytes[0] &= 0x7f;
  BignumPtr serial(BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  if (!serial || X509_set_version(x, X509_VERSION_3) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(x), -60) == nullptr ||  // tolerate small clock skew
      X509_time_adj_ex(X509_getm_notAfter(x), days, 0, nullptr) == nullptr ||
      X509_set_pubkey(x, key.get()) != 1) {
    return tls_error("cannot fill in the certificate");
  }
  X509_NAME* name = X509_get_subject_name(x);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(x, name) != 1) {
    return tls_error("cannot set the certificate's name");
  }

  std::string san;
  if (is_ip_address(common_name)) {
    if (common_name != "127.0.0.1") san = "IP:" + common_name + ",";
  } else if (is_dns_name(common_name) && common_name != "localhost") {
    san = "DNS:" + common_name + ",";
  }
  san += "DNS:localhost,IP:127.0.0.1";

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  WECHAT_TRY(add_extension(x, &v3, NID_basic_constraints, "critical,CA:FALSE"));
  WECHAT_TRY(add_extension(x, &v3, NID_key_usage, "critical,digitalSignature"));
  WECHAT_TRY(add_extension(x, &v3, NID_ext_key_usage, "serverAuth"));
  WECHAT_TRY(add_extension(x, &v3, NID_subject_key_identifier, "hash"));
  WECHAT_TRY(add_extension(x, &v3, NID_subject_alt_name, san));
  if (X509_sign(x, key.get(), EVP_sha256()) <= 0) return tls_error("cannot sign the certificate");

  // The key first: a certificate without its key is useless, the reverse merely incomplete.
  WECHAT_TRY(write_pem_file(key_path, 0600, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  }));
  WECHAT_TRY(
      write_pem_file(cert_path, 0644, [&](std::FILE* f) { return PEM_write_X509(f, x) == 1; }));
  return Status();
}

Result<std::string> certificate_sha256_fingerprint(const std::string& cert_pem_path) {
  WECHAT_ASSIGN_OR_RETURN(FilePtr f, open_for_reading(cert_pem_path));
  X509Ptr cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return Status(Error::kTls, fmt::format("no PEM certificate in {}", cert_pem_path));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md.data(), &len) != 1) {
    return tls_error("cannot hash the certificate");
  }
  return wechat::detail::to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

namespace detail {

Status configure_client_session(SSL* ssl, const std::string& host) {
  const bool ip = is_ip_address(host);
  // SSL_set_tlsext_host_name() spelled out: the macro hides a C-style cast.
  if (!ip && !host.empty() &&
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return tls_error("cannot set the TLS server name");
  }
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1) return tls_error(fmt::format("cannot verify against host {}", host));
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  return Status();
}

Status tls_handshake_failure(SSL* ssl, const std::error_code& ec) {
  const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  ERR_clear_error();
  if (verify == X509_V_ERR_APPLICATION_VERIFICATION) {
    return Status(Error::kTls,
                  "TLS handshake failed: the certificate does not match the pinned fingerprint");
  }
  if (verify != X509_V_OK) {
    return Status(Error::kTls,
                  fmt::format("TLS handshake failed: certificate verification failed ({})",
                              X509_verify_cert_error_string(verify)));
  }
  return Status(Error::kTls, fmt::format("TLS handshake failed: {}", ec.message()));
}

}  // namespace detail
}  // namespace wechat::transport
