// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_HANDLERS_HANDLERS_H_
#define WECHAT_SERVER_HANDLERS_HANDLERS_H_

#include <asio/awaitable.hpp>

#include "server/server_context.h"
#include "server/session.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::server {

/// A handler's answer: a Response with its result set, or the error to send instead.
using Reply = Result<v1::Response>;

/// Runs one request from an authenticated-or-not session. Authorisation happens inside each
/// handler: the acting user always comes from `session.identity()`, never from the request.
asio::awaitable<Reply> dispatch_request(ServerContext& context, Session& session,
                                        const v1::Request& request);

// accounts.cpp
asio::awaitable<Reply> handle_request_code(ServerContext&, Session&, const v1::RequestCode&);
asio::awaitable<Reply> handle_register(ServerContext&, Session&, const v1::RegisterAccount&);
asio::awaitable<Reply> handle_login(ServerContext&, Session&, const v1::Login&);
asio::awaitable<Reply> handle_resume(ServerContext&, Session&, const v1::Resume&);
asio::awaitable<Reply> handle_logout(ServerContext&, Session&, const v1::Logout&);
asio::awaitable<Reply> handle_reset_password(ServerContext&, Session&, const v1::ResetPassword&);

// social.cpp
asio::awaitable<Reply> handle_search_users(ServerContext&, Session&, const v1::SearchUsers&);
asio::awaitable<Reply> handle_send_friend_request(ServerContext&, Session&,
                                                  const v1::SendFriendRequest&);
asio::awaitable<Reply> handle_answer_friend_request(ServerContext&, Session&,
                                                    const v1::AnswerFriendRequest&);
asio::awaitable<Reply> handle_remove_friend(ServerContext&, Session&, const v1::RemoveFriend&);
asio::awaitable<Reply> handle_list_friends(ServerContext&, Session&, const v1::ListFriends&);
asio::awaitable<Reply> handle_list_friend_requests(ServerContext&, Session&,
                                                   const v1::ListFriendRequests&);

// chat.cpp
asio::awaitable<Reply> handle_send_message(ServerContext&, Session&, const v1::SendMessage&);
asio::awaitable<Reply> handle_sync(ServerContext&, Session&, const v1::Sync&);
asio::awaitable<Reply> handle_history(ServerContext&, Session&, const v1::History&);
asio::awaitable<Reply> handle_mark_read(ServerContext&, Session&, const v1::MarkRead&);
asio::awaitable<Reply> handle_mark_delivered(ServerContext&, Session&, const v1::MarkDelivered&);
asio::awaitable<Reply> handle_set_typing(ServerContext&, Session&, const v1::SetTyping&);
asio::awaitable<Reply> handle_list_conversations(ServerContext&, Session&,
                                                 const v1::ListConversations&);

asio::awaitable<Reply> handle_get_read_receipts(ServerContext&, Session&,
                                                const v1::GetReadReceipts&);

// groups.cpp
asio::awaitable<Reply> handle_create_group(ServerContext&, Session&, const v1::CreateGroup&);
asio::awaitable<Reply> handle_invite_to_group(ServerContext&, Session&, const v1::InviteToGroup&);
asio::awaitable<Reply> handle_leave_group(ServerContext&, Session&, const v1::LeaveGroup&);
asio::awaitable<Reply> handle_remove_group_member(ServerContext&, Session&,
                                                  const v1::RemoveGroupMember&);
asio::awaitable<Reply> handle_rename_group(ServerContext&, Session&, const v1::RenameGroup&);
asio::awaitable<Reply> handle_set_group_role(ServerContext&, Session&, const v1::SetGroupRole&);
asio::awaitable<Reply> handle_transfer_group_ownership(ServerContext&, Session&,
                                                       const v1::TransferGroupOwnership&);
asio::awaitable<Reply> handle_dissolve_group(ServerContext&, Session&, const v1::DissolveGroup&);
asio::awaitable<Reply> handle_get_group(ServerContext&, Session&, const v1::GetGroup&);
asio::awaitable<Reply> handle_list_groups(ServerContext&, Session&, const v1::ListGroups&);
/// SendMessage with a group_id: the group half of handle_send_message, which routes here so
/// that the direct path stays as it is. REQUIRES: client_msg_id and text already validated
/// there.
asio::awaitable<Reply> handle_send_group_message(ServerContext&, Session&,
                                                 const v1::SendMessage&);

/// Appends `entry` to `user`'s log and queues its push to the user's devices (after the commit;
/// chat.cpp, for every handler that writes a log entry).
Status append_and_push(ServerStore& store, Effects& effects, std::uint64_t user,
                       const v1::LogEntry& entry);

/// The answer to a SendMessage for the stored `m` (chat.cpp; direct and group sends).
v1::SendMessageOk ack_of(const v1::Message& m, bool duplicate);

/// A message `sender` is about to store, before the store assigns its id and seq (chat.cpp).
v1::Message outgoing_message(const Session::Identity& sender, std::uint64_t conversation_id,
                             v1::ConversationKind kind, const std::string& client_msg_id,
                             const std::string& text, UnixMillis now);

/// Appends `entry` to the log of every current member of the conversation (set-based) and
/// queues one push per member, each framed once with that member's user_seq (groups.cpp).
/// Runs on the store thread.
Status log_to_members(ServerStore& store, Effects& effects, std::uint64_t conversation_id,
                      const v1::LogEntry& entry);

/// The caller's membership of a conversation, for History, markers, typing and receipts
/// (groups.cpp). Errors: kNotGroupMember for a former member of a group; kPermissionDenied for
/// anyone else who is not a member (or a conversation that does not exist).
/// `other_members` as ServerStore::membership fills it.
Result<Membership> require_member(ServerStore& store, std::uint64_t conversation_id,
                                  std::uint64_t user_id, bool with_group_members = false);

/// Presence of every friend of `user_id` (social.cpp), for the sync snapshot.
asio::awaitable<Result<std::vector<v1::Presence>>> friends_presence(ServerContext& context,
                                                                    std::uint64_t user_id);

/// Error for requests that need a login. Handlers call `require_login(session)` first.
Result<Session::Identity> require_login(const Session& session);

}  // namespace wechat::server

/// WECHAT_TRY and WECHAT_ASSIGN_OR_RETURN for coroutines (co_return instead of return).
#define WECHAT_CO_TRY(expr)                                                    \
  do {                                                                         \
    auto&& wechat_try_value_ = (expr);                                         \
    if (!wechat_try_value_.ok()) co_return ::wechat::status_of(wechat_try_value_); \
  } while (0)
#define WECHAT_CO_ASSIGN_OR_RETURN(lhs, rexpr) \
  WECHAT_CO_ASSIGN_OR_RETURN_IMPL_(WECHAT_CONCAT_(wechat_result_, __LINE__), lhs, rexpr)
#define WECHAT_CO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                     \
  if (!tmp.ok()) co_return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // WECHAT_SERVER_HANDLERS_HANDLERS_H_
