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

Status status_of(const v1::Response& response) {
  if (!response.has_error() || response.error().code() == v1::OK) return {};
  return Status(detail::error_from_int(response.error().code()), response.error().message());
}

}  // namespace wechat::client
