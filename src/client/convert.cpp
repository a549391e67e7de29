// SPDX-License-Identifier: MIT
#include "client/convert.h"

#include "common/error_codes.h"

namespace wechat::client {

User to_user(const v1::UserInfo& info) { return User{info.user_id(), info.username()}; }

Presence to_presence(const v1::Presence& p) {
  return Presence{p.user_id(), p.online(), p.last_seen_ms()};
}

Friend to_friend(const v1::Friend& f) {
  Friend out;
  out.user = to_user(f.user());
  out.since_ms = f.since_ms();
  out.conversation_id = f.conversation_id();
  out.presence = to_presence(f.presence());
  out.presence.user_id = out.user.id;
  return out;
}

FriendRequest to_friend_request(const v1::FriendRequest& r) {
  FriendRequest out;
  out.id = r.request_id();
  out.from = to_user(r.from());
  out.to = to_user(r.to());
  out.note = r.note();
  switch (r.state()) {
    case v1::FRIEND_REQUEST_STATE_ACCEPTED: out.state = FriendRequestState::kAccepted; break;
    case v1::FRIEND_REQUEST_STATE_REJECTED: out.state = FriendRequestState::kRejected; break;
    default: out.state = FriendRequestState::kPending; break;
  }
  out.created_ms = r.created_at_ms();
  out.answered_ms = r.answered_at_ms();
  return out;
}

namespace {
GroupRole from_wire(v1::GroupRole role) {
  switch (role) {
    case v1::GROUP_ROLE_MEMBER:
      return GroupRole::kMember;
    case v1::GROUP_ROLE_ADMIN:
      return GroupRole::kAdmin;
    case v1::GROUP_ROLE_OWNER:
      return GroupRole::kOwner;
    default:
      return GroupRole::kNone;
  }
}
}  // namespace

v1::GroupRole to_wire(GroupRole role) {
  switch (role) {
    case GroupRole::kMember:
      return v1::GROUP_ROLE_MEMBER;
    case GroupRole::kAdmin:
      return v1::GROUP_ROLE_ADMIN;
    case GroupRole::kOwner:
      return v1::GROUP_ROLE_OWNER;
    case GroupRole::kNone:
      break;
  }
  return v1::GROUP_ROLE_UNSPECIFIED;
}

Group to_group(const v1::GroupInfo& info, UserId me) {
  Group g;
  g.id = info.group_id();
  g.name = info.name();
  g.owner_id = info.owner_id();
  g.member_count = info.member_count();
  g.created_ms = info.created_at_ms();
  g.dissolved = info.dissolved();
  g.my_role = info.owner_id() == me ? GroupRole::kOwner : GroupRole::kMember;
  for (const auto& m : info.members()) {
    GroupMember member;
    member.user = to_user(m.user());
    member.role = from_wire(m.role());
    member.joined_ms = m.joined_at_ms();
    member.read_seq = m.read_seq();
    member.delivered_seq = m.delivered_seq();
    if (member.user.id == me) g.my_role = member.role;
    g.members.push_back(std::move(member));
  }
  return g;
}

ReadReceipts to_read_receipts(ConversationId conversation, std::uint64_t seq,
                              const v1::GetReadReceiptsOk& ok) {
  ReadReceipts r;
  r.conversation_id = conversation;
  r.seq = seq;
  for (const auto& u : ok.read_by()) r.read_by.push_back(to_user(u));
  for (const auto& u : ok.delivered_to()) r.delivered_to.push_back(to_user(u));
  r.member_count = ok.member_count();
  return r;
}

Status status_of(const v1::Response& response) {
  if (!response.has_error() || response.error().code() == v1::OK) return {};
  return Status(detail::error_from_int(response.error().code()), response.error().message())
      .with_retry_after_ms(response.error().retry_after_ms());
}

}  // namespace wechat::client
