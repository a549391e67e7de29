// SPDX-License-Identifier: MIT
#ifndef WECHAT_TYPES_H_
#define WECHAT_TYPES_H_

/// @file
/// Plain value types of the client API: users, messages, conversations, friends, groups.
/// Nothing here refers to the wire format or the database.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

/// A conversation between two users, or a group. A group *is* a conversation: its id is the
/// group's id, and history, read markers and typing work on it as on a direct conversation.
enum class ConversationKind {
  kDirect = 1,
  kGroup = 2,
};

/// A member's rights in a group. Admins may invite, remove plain members and rename; the one
/// owner may also set roles, transfer ownership and dissolve the group.
enum class GroupRole {
  kNone = 0,  ///< Not a member (this account's role after leaving or being removed).
  kMember = 1,
  kAdmin = 2,
  kOwner = 3,
};

/// "none", "member", "admin" or "owner".
WECHAT_API const char* group_role_name(GroupRole role) noexcept;

/// Whether this account is in a group, as far as this device knows.
enum class GroupMembership {
  kMember = 0,   ///< In the group (also when it was dissolved: see Group::dissolved).
  kLeft = 1,     ///< Left it. The local history stays; nothing can be sent.
  kRemoved = 2,  ///< Removed by an admin or the owner. The local history stays.
};

/// "member", "left" or "removed".
WECHAT_API const char* group_membership_name(GroupMembership membership) noexcept;

struct Message {
  std::string client_msg_id;  ///< 32 hex digits, chosen by the sending client.
  std::uint64_t message_id = 0;  ///< Server-wide id; 0 while queued.
  ConversationId conversation_id = 0;  ///< 0 while queued for a peer never talked to before.
  std::uint64_t seq = 0;      ///< Position in the conversation; 0 while queued.
  UserId sender_id = 0;
  std::string sender_username;
  UserId peer_id = 0;         ///< The other user of a direct conversation; 0 in a group.
  std::string text;
  UnixMillis time_ms = 0;     ///< Server time once sent; local time while queued.
  bool outgoing = false;
  /// For outgoing messages. In a group, kRead means "by at least one other member" (one wrote
  /// after it); Client::get_read_receipts tells who exactly ("read by N of M") and who has it.
  MessageState state = MessageState::kQueued;
  Status failure;             ///< Why, when state is kFailed.
  /// kGroup: a message to the group `conversation_id` (== the group's id), peer_id is 0.
  ConversationKind kind = ConversationKind::kDirect;
};

struct GroupMember {
  User user;
  GroupRole role = GroupRole::kMember;
  UnixMillis joined_ms = 0;
  std::uint64_t read_seq = 0;       ///< This member's read marker (as of the fetch).
  std::uint64_t delivered_seq = 0;  ///< This member's delivery marker (as of the fetch).
};

/// A group, as this device knows it.
struct Group {
  ConversationId id = 0;  ///< The group's id, which is also its conversation's id.
  std::string name;       ///< 1-64 bytes of UTF-8; several groups may have the same name.
  UserId owner_id = 0;
  std::uint32_t member_count = 0;
  UnixMillis created_ms = 0;
  bool dissolved = false;  ///< Dissolved groups keep their history but accept nothing new.
  /// This account's role (kNone once it is no longer a member).
  GroupRole my_role = GroupRole::kNone;
  GroupMembership membership = GroupMembership::kMember;
  /// Only from Client::get_group (fetched), or Client::group (the cached copy, when this
  /// device knows the whole list); empty otherwise.
  std::vector<GroupMember> members;
};

/// "Read by N of M" for one message: N = read_by.size(), M = member_count.
struct ReadReceipts {
  ConversationId conversation_id = 0;
  std::uint64_t seq = 0;
  std::vector<User> read_by;       ///< Members (other than the sender) who read it.
  std::vector<User> delivered_to;  ///< Members whose device stored it, not (yet) read it.
  std::uint32_t member_count = 0;  ///< Current members other than the message's sender.
};

struct Conversation {
  ConversationId id = 0;
  User peer;                        ///< Direct conversations; empty (id 0) for groups.
  std::uint64_t last_seq = 0;
  std::uint64_t read_seq = 0;       ///< This account's read marker.
  /// The peer's read marker; in a group, the furthest any other member has read.
  std::uint64_t peer_read_seq = 0;
  std::uint64_t unread = 0;         ///< Messages from others after read_seq.
  std::optional<Message> last_message;
  ConversationKind kind = ConversationKind::kDirect;
  std::optional<Group> group;  ///< For kGroup: the group (without members).
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
