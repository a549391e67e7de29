// SPDX-License-Identifier: MIT
#ifndef WECHAT_TYPES_H_
#define WECHAT_TYPES_H_

/// @file
/// Plain value types of the client API: users, messages, conversations, friends. Nothing here
/// refers to the wire format or the database.

#include <cstdint>
#include <optional>
#include <string>

#include "wechat/clock.h"
#include "wechat/export.h"
#include "wechat/status.h"

namespace wechat {

using UserId = std::uint64_t;
using ConversationId = std::uint64_t;

struct User {
  UserId id = 0;
  std::string username;
};

/// Where an outgoing message is on its way. Incoming messages are always kReceived.
enum class MessageState {
  kQueued = 0,     ///< Stored locally, not yet acknowledged by the server (maybe offline).
  kSent = 1,       ///< Acknowledged: stored durably on the server.
  kDelivered = 2,  ///< Stored on one of the recipient's devices.
  kRead = 3,       ///< The recipient has read it.
  kFailed = 4,     ///< The server refused it for good (see Message::failure).
  kReceived = 5,   ///< An incoming message.
};

/// "queued", "sent", "delivered", "read", "failed" or "received".
WECHAT_API const char* message_state_name(MessageState state) noexcept;

struct Message {
  std::string client_msg_id;  ///< 32 hex digits, chosen by the sending client.
  std::uint64_t message_id = 0;  ///< Server-wide id; 0 while queued.
  ConversationId conversation_id = 0;  ///< 0 while queued for a peer never talked to before.
  std::uint64_t seq = 0;      ///< Position in the conversation; 0 while queued.
  UserId sender_id = 0;
  std::string sender_username;
  UserId peer_id = 0;         ///< The other user of a direct conversation.
  std::string text;
  UnixMillis time_ms = 0;     ///< Server time once sent; local time while queued.
  bool outgoing = false;
  MessageState state = MessageState::kQueued;
  Status failure;             ///< Why, when state is kFailed.
};

struct Conversation {
  ConversationId id = 0;
  User peer;
  std::uint64_t last_seq = 0;
  std::uint64_t read_seq = 0;       ///< This account's read marker.
  std::uint64_t peer_read_seq = 0;  ///< The peer's read marker (read receipts).
  std::uint64_t unread = 0;         ///< Messages from the peer after read_seq.
  std::optional<Message> last_message;
};

struct Presence {
  UserId user_id = 0;
  bool online = false;
  UnixMillis last_seen_ms = 0;  ///< When offline: the end of the last session (0: unknown).
};

struct Friend {
  User user;
  UnixMillis since_ms = 0;
  ConversationId conversation_id = 0;
  Presence presence;
};

enum class FriendRequestState { kPending = 1, kAccepted = 2, kRejected = 3 };

struct FriendRequest {
  std::uint64_t id = 0;
  User from;
  User to;
  std::string note;
  FriendRequestState state = FriendRequestState::kPending;
  UnixMillis created_ms = 0;
  UnixMillis answered_ms = 0;
};

}  // namespace wechat

#endif  // WECHAT_TYPES_H_
