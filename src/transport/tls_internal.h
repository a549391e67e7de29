// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_TLS_INTERNAL_H_
#define WECHAT_TRANSPORT_TLS_INTERNAL_H_

// Per-connection TLS helpers shared by connection.cpp and connect.cpp; not for other layers.

#include <openssl/ssl.h>

#include <string>
#include <system_error>

#include "wechat/status.h"

namespace wechat::transport::detail {

/// Prepares a client session before its handshake: SNI for a host name (never for an IP
/// address, RFC 6066), and, when the context verifies peers, the name or address the
/// certificate must carry. (A pinned context replaces chain verification, so the name is not
/// consulted there.)
Status configure_client_session(SSL* ssl, const std::string& host);

/// kTls status for a failed handshake, naming the certificate problem when there was one.
Status tls_handshake_failure(SSL* ssl, const std::error_code& ec);

}  // namespace wechat::transport::detail

#endif  // WECHAT_TRANSPORT_TLS_INTERNAL_H_
