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
