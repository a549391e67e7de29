// SPDX-License-Identifier: MIT
// Names of the public enums (wechat/types.h, wechat/events.h), for logs and bindings.
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

const char* group_role_name(GroupRole role) noexcept {
  switch (role) {
    case GroupRole::kNone:
      return "none";
    case GroupRole::kMember:
      return "member";
    case GroupRole::kAdmin:
      return "admin";
    case GroupRole::kOwner:
      return "owner";
  }
  return "unknown";
}

const char* group_membership_name(GroupMembership membership) noexcept {
  switch (membership) {
    case GroupMembership::kMember:
      return "member";
    case GroupMembership::kLeft:
      return "left";
    case GroupMembership::kRemoved:
      return "removed";
  }
  return "unknown";
}

const char* group_event_kind_name(GroupEventKind kind) noexcept {
  switch (kind) {
    case GroupEventKind::kCreated:
      return "created";
    case GroupEventKind::kMembersAdded:
      return "members_added";
    case GroupEventKind::kMemberLeft:
      return "member_left";
    case GroupEventKind::kMemberRemoved:
      return "member_removed";
    case GroupEventKind::kRenamed:
      return "renamed";
    case GroupEventKind::kRoleChanged:
      return "role_changed";
    case GroupEventKind::kOwnerChanged:
      return "owner_changed";
    case GroupEventKind::kDissolved:
      return "dissolved";
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
