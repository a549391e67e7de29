// SPDX-License-Identifier: MIT
#include "server/handlers/handlers.h"

namespace wechat::server {

Result<Session::Identity> require_login(const Session& session) {
  if (!session.identity()) return Status(Error::kUnauthenticated, "log in first");
  return *session.identity();
}

asio::awaitable<Reply> dispatch_request(ServerContext& c, Session& s, const v1::Request& r) {
  using K = v1::Request::KindCase;
  switch (r.kind_case()) {
    case K::kRequestCode: co_return co_await handle_request_code(c, s, r.request_code());
    case K::kRegisterAccount: co_return co_await handle_register(c, s, r.register_account());
    case K::kLogin: co_return co_await handle_login(c, s, r.login());
    case K::kResume: co_return co_await handle_resume(c, s, r.resume());
    case K::kLogout: co_return co_await handle_logout(c, s, r.logout());
    case K::kResetPassword: co_return co_await handle_reset_password(c, s, r.reset_password());
    case K::kSearchUsers: co_return co_await handle_search_users(c, s, r.search_users());
    case K::kSendFriendRequest:
      co_return co_await handle_send_friend_request(c, s, r.send_friend_request());
    case K::kAnswerFriendRequest:
      co_return co_await handle_answer_friend_request(c, s, r.answer_friend_request());
    case K::kRemoveFriend: co_return co_await handle_remove_friend(c, s, r.remove_friend());
    case K::kListFriends: co_return co_await handle_list_friends(c, s, r.list_friends());
    case K::kListFriendRequests:
      co_return co_await handle_list_friend_requests(c, s, r.list_friend_requests());
    case K::kSendMessage: co_return co_await handle_send_message(c, s, r.send_message());
    case K::kSync: co_return co_await handle_sync(c, s, r.sync());
    case K::kHistory: co_return co_await handle_history(c, s, r.history());
    case K::kMarkRead: co_return co_await handle_mark_read(c, s, r.mark_read());
    case K::kMarkDelivered: co_return co_await handle_mark_delivered(c, s, r.mark_delivered());
    case K::kSetTyping: co_return co_await handle_set_typing(c, s, r.set_typing());
    case K::kListConversations:
      co_return co_await handle_list_conversations(c, s, r.list_conversations());
    case K::kGetReadReceipts:
      co_return co_await handle_get_read_receipts(c, s, r.get_read_receipts());
    case K::kCreateGroup: co_return co_await handle_create_group(c, s, r.create_group());
    case K::kInviteToGroup: co_return co_await handle_invite_to_group(c, s, r.invite_to_group());
    case K::kLeaveGroup: co_return co_await handle_leave_group(c, s, r.leave_group());
    case K::kRemoveGroupMember:
      co_return co_await handle_remove_group_member(c, s, r.remove_group_member());
    case K::kRenameGroup: co_return co_await handle_rename_group(c, s, r.rename_group());
    case K::kSetGroupRole: co_return co_await handle_set_group_role(c, s, r.set_group_role());
    case K::kTransferGroupOwnership:
      co_return co_await handle_transfer_group_ownership(c, s, r.transfer_group_ownership());
    case K::kDissolveGroup: co_return co_await handle_dissolve_group(c, s, r.dissolve_group());
    case K::kGetGroup: co_return co_await handle_get_group(c, s, r.get_group());
    case K::kListGroups: co_return co_await handle_list_groups(c, s, r.list_groups());
    case K::kHello:  // handled by the session before dispatch
    case K::KIND_NOT_SET:
      break;
  }
  // A newer client's request type parses as "no kind": answer it, keep the connection.
  co_return Status(Error::kInvalidArgument, "unknown request type");
}

}  // namespace wechat::server
