// SPDX-License-Identifier: MIT
#ifndef WECHAT_EVENTS_H_
#define WECHAT_EVENTS_H_

/// @file
/// Everything a Client tells the application, as one variant. Events are delivered in order,
/// on the client's event thread (see docs/threading.md), or pulled with Client::poll_event.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

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
/// (kDelivered or kRead): receipts come as one marker, not one event per message. In a group
/// the server keeps members' markers to itself (Client::get_read_receipts asks for them), so
/// this comes when another member's message shows they read up to it (peer_id: that member):
/// a cue to refresh "read by N of M".
struct ReceiptUpdated {
  ConversationId conversation_id = 0;
  UserId peer_id = 0;  ///< The peer; in a group, the member who read.
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

/// Someone started or stopped typing in a conversation (direct or group) of this account.
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

enum class GroupEventKind {
  kCreated = 1,        ///< subjects: the initial members (without the owner, who is the actor).
  kMembersAdded = 2,   ///< subjects: the new members.
  kMemberLeft = 3,     ///< subjects: the member who left (== actor).
  kMemberRemoved = 4,  ///< subjects: the removed member.
  kRenamed = 5,        ///< group.name: the new name.
  kRoleChanged = 6,    ///< subjects: the member; role: the new role.
  kOwnerChanged = 7,   ///< subjects: the new owner (the old one is now an admin).
  kDissolved = 8,
};

/// "created", "members_added", "member_left", "member_removed", "renamed", "role_changed",
/// "owner_changed" or "dissolved".
WECHAT_API const char* group_event_kind_name(GroupEventKind kind) noexcept;

/// A group of this account changed (on any device of any member, this one included). Comes
/// from the log, so every device of every member sees each change once, in order; a member
/// who is removed (or leaves) gets this one last event about the group.
struct GroupChanged {
  GroupEventKind kind = GroupEventKind::kCreated;
  Group group;  ///< After the change, as now stored here (without members).
  User actor;   ///< Who made the change.
  std::vector<User> subjects;
  GroupRole role = GroupRole::kNone;  ///< kRoleChanged: the new role.
};

using Event = std::variant<MessageReceived, MessageStateChanged, ReceiptUpdated, ConversationRead,
                           FriendRequestUpdated, FriendAdded, FriendRemoved, PresenceChanged,
                           TypingChanged, ConnectionStateChanged, SyncProgress, SessionEnded,
                           GroupChanged>;

}  // namespace wechat

#endif  // WECHAT_EVENTS_H_
