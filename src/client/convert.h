// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLIENT_CONVERT_H_
#define WECHAT_CLIENT_CONVERT_H_

#include "wechat/status.h"
#include "wechat/types.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::client {

/// Wire types to the public plain types.
User to_user(const v1::UserInfo& info);
Presence to_presence(const v1::Presence& presence);
Friend to_friend(const v1::Friend& f);
FriendRequest to_friend_request(const v1::FriendRequest& request);
/// A group as the server describes it, seen by `me` (a member: the role from the member list,
/// or kOwner/kMember by owner_id when the info has none).
Group to_group(const v1::GroupInfo& info, UserId me);
ReadReceipts to_read_receipts(ConversationId conversation, std::uint64_t seq,
                              const v1::GetReadReceiptsOk& ok);
v1::GroupRole to_wire(GroupRole role);

/// A response's error as a Status (ok if it carries a result).
Status status_of(const v1::Response& response);

}  // namespace wechat::client

#endif  // WECHAT_CLIENT_CONVERT_H_
