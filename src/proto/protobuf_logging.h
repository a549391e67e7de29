// SPDX-License-Identifier: MIT
#ifndef WECHAT_PROTO_PROTOBUF_LOGGING_H_
#define WECHAT_PROTO_PROTOBUF_LOGGING_H_

namespace wechat::detail {

/// Stops libprotobuf from printing to stderr (it reports, for example, invalid UTF-8 in a peer's
/// frame): the library never prints, and such frames already surface as protocol errors.
/// Process-wide (protobuf has one log handler); idempotent and thread-safe.
void silence_protobuf_logging();

}  // namespace wechat::detail

#endif  // WECHAT_PROTO_PROTOBUF_LOGGING_H_
