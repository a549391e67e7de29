// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_TLS_H_
#define WECHAT_TRANSPORT_TLS_H_

/// @file
/// TLS contexts for connections (OpenSSL through asio::ssl) and a self-signed certificate
/// generator for development servers and tests.
///
/// Every context allows TLS 1.2 and 1.3 only, with compression and renegotiation disabled.

#include <memory>
#include <string>

#include "wechat/status.h"

namespace asio::ssl {
class context;
}  // namespace asio::ssl

namespace wechat::transport {

/// A server context presenting the certificate chain in `cert_pem_path` (leaf first) with the
/// private key in `key_pem_path`.
///
/// Errors: kIo if a file cannot be read; kTls if the contents are not a certificate chain and a
/// matching private key.
/// The context is immutable once returned and may be shared by any number of connections
/// (each keeps it alive).
[[nodiscard]] Result<std::shared_ptr<asio::ssl::context>> make_server_tls_context(
    const std::string& cert_pem_path, const std::string& key_pem_path);

/// How a client checks the server's certificate.
struct ClientTlsOptions {
  /// PEM file of trusted CA certificates (a self-signed server certificate may be listed here
  /// directly). Default: empty, the system's default trust store.
  std::string ca_file;
  /// SHA-256 of the server's leaf certificate (DER), 64 hex digits, case-insensitive, colons
  /// allowed (as `openssl x509 -fingerprint -sha256` prints it). When set, exactly that
  /// certificate is accepted and nothing else: the CA file, the trust store, the host name and
  /// the validity dates are not consulted, and `verify` is ignored (a pin is a request for
  /// verification). Default: empty, no pin.
  std::string pinned_sha256;
  /// Default: true. false accepts any certificate (tests against throwaway servers only).
  bool verify = true;
};

/// A client context. With verification on, connections made by async_connect() also check that
/// the certificate names the host they connect to (DNS name or IP address).
///
/// Errors: kInvalidArgument for a malformed pin; kIo if `ca_file` cannot be read; kTls if it
/// holds no usable certificate or the system trust store cannot be loaded.
[[nodiscard]] Result<std::shared_ptr<asio::ssl::context>> make_client_tls_context(
    const ClientTlsOptions& options);

/// Writes a new self-signed certificate and its private key as PEM files: an EC P-256 key,
/// SHA-256 signature, valid from one minute ago for `days` days, subject CN=`common_name` and
/// subjectAltName DNS:`common_name` (or IP: if it is an address), DNS:localhost and
/// IP:127.0.0.1. The key file is created with mode 0600 (and chmod-ed to it if it existed).
///
/// Errors: kInvalidArgument for an empty common name or days <= 0; kIo if a file cannot be
/// written; kTls if OpenSSL fails.
/// Blocking (file I/O, key generation): do not call it on an I/O thread.
[[nodiscard]] Status generate_self_signed_certificate(const std::string& cert_path,
                                                      const std::string& key_path,
                                                      const std::string& common_name,
                                                      int days = 3650);

/// SHA-256 of the DER encoding of the first certificate in `cert_pem_path`, 64 lowercase hex
/// digits (the value ClientTlsOptions::pinned_sha256 expects).
/// Errors: kIo if the file cannot be read; kTls if it holds no PEM certificate.
[[nodiscard]] Result<std::string> certificate_sha256_fingerprint(const std::string& cert_pem_path);

}  // namespace wechat::transport

#endif  // WECHAT_TRANSPORT_TLS_H_
