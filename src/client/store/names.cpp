// SPDX-License-Identifier: MIT
// Names of the public state enums (wechat/types.h, wechat/events.h), for logs and bindings.
#include "wechat/events.h"
#include "wechat/types.h"

namespace wechat {

const char* message_state_name(MessageState state) noexcept {
  switch (state) {
    case MessageState::kQueued:
      return "queued";
    case MessageState::kSent:
      return "sent";
    case MessageState::kDelivered:
      return "delivered";
    case MessageState::kRead:
      return "read";
    case MessageState::kFailed:
      return "failed";
    case MessageState::kReceived:
      return "received";
  }
  return "unknown";
}

const char* connection_state_name(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::kDisconnected:
      return "disconnected";
    case ConnectionState::kConnecting:
      return "connecting";
    case ConnectionState::kAuthenticating:
      return "authenticating";
    case ConnectionState::kSyncing:
      return "syncing";
    case ConnectionState::kOnline:
      return "online";
  }
  return "unknown";
}

}  // namespace wechat
