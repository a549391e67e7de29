// SPDX-License-Identifier: MIT
#ifndef WECHAT_EVENTS_H_
#define WECHAT_EVENTS_H_

/// @file
/// Everything a Client tells the application, as one variant. Events are delivered in order,
/// on the client's event thread (see docs/threading.md), or pulled with Client::poll_event.

#include <cstdint>
#include <string>
#include <variant>

#include "wechat/export.h"
#include "wechat/types.h"

namespace wechat {

enum class ConnectionState {
  kDisconnected = 0,    ///< Not connected; will retry unless stopped or logged out.
  kConnecting = 1,      ///< TCP/TLS handshake and hello.
  kAuthenticating = 2,  ///< Login or token resume.
  kSyncing = 3,         ///< Catching up on everything since the last sync position.
  kOnline = 4,          ///< Caught up; pushes arrive live.
};

/// "disconnected", "connecting", "authenticating", "syncing" or "online".
WECHAT_API const char* connection_state_name(ConnectionState state) noexcept;

/// A new message in a conversation: from a peer, or sent by this account from another device.
struct MessageReceived {
  Message message;
};

/// An outgoing message of this device changed state: queued -> sent, or failed.
struct MessageStateChanged {
  Message message;  ///< The message as it is now.
};

/// Every outgoing message in `conversation_id` with seq <= up_to_seq is now at least `state`
/// (kDelivered or kRead): receipts come as one marker, not one event per message.
struct ReceiptUpdated {
  ConversationId conversation_id = 0;
  UserId peer_id = 0;
  std::uint64_t up_to_seq = 0;
  MessageState state = MessageState::kDelivered;
};

/// This account's read marker moved (here or on another device): unread counts changed.
struct ConversationRead {
  ConversationId conversation_id = 0;
  std::uint64_t read_seq = 0;
  std::uint64_t unread = 0;
};

/// A friend request to or from this account was created or answered.
struct FriendRequestUpdated {
  FriendRequest request;
  bool incoming = false;  ///< Addressed to this account.
};

struct FriendAdded {
  Friend added;
};

struct FriendRemoved {
  UserId user_id = 0;
};

struct PresenceChanged {
  Presence presence;
};

struct TypingChanged {
  ConversationId conversation_id = 0;
  UserId user_id = 0;
  bool typing = false;
};

struct ConnectionStateChanged {
  ConnectionState state = ConnectionState::kDisconnected;
  Status reason;  ///< Why the connection was lost, for kDisconnected.
};

/// Catch-up progress: `applied` of `head` log entries are stored locally.
struct SyncProgress {
  std::uint64_t applied = 0;
  std::uint64_t head = 0;
};

/// The server ended this account's session (password reset, token revoked). The client stops
/// reconnecting; log in again.
struct SessionEnded {
  Status reason;
};

using Event = std::variant<MessageReceived, MessageStateChanged, ReceiptUpdated, ConversationRead,
                           FriendRequestUpdated, FriendAdded, FriendRemoved, PresenceChanged,
                           TypingChanged, ConnectionStateChanged, SyncProgress, SessionEnded>;

}  // namespace wechat

#endif  // WECHAT_EVENTS_H_
