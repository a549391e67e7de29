// SPDX-License-Identifier: MIT
// User search and friends: requests, answers, removal, lists.
#include <algorithm>

#include "server/async_util.h"
#include "server/handlers/handlers.h"
#include "server/validation.h"

namespace wechat::server {

namespace {

constexpr std::size_t kMaxNoteBytes = 256;

/// Appends the same log entry to each user's log and pushes it to them after commit.
Status log_to_each(ServerStore& store, Effects& effects, std::initializer_list<std::uint64_t> users,
                   const v1::LogEntry& entry) {
  for (auto user : users) {
    WECHAT_TRY(append_and_push(store, effects, user, entry));
  }
  return {};
}

/// Presence of each friend in `rows`, online-ness asked of the router (the whole cluster).
asio::awaitable<std::vector<v1::Presence>> presence_of(ServerContext& c,
                                                       const std::vector<FriendRow>& rows) {
  std::vector<std::uint64_t> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row.user.user_id());
  auto ask = [&c, ids = std::move(ids)](std::function<void(std::vector<bool>)> done) mutable {
    c.router.query_online(std::move(ids), std::move(done));
  };
  const auto online = co_await await_callback<std::vector<bool>>(std::move(ask));
  std::vector<v1::Presence> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out[i].set_user_id(rows[i].user.user_id());
    out[i].set_online(i < online.size() && online[i]);
    out[i].set_last_seen_ms(out[i].online() ? 0 : rows[i].last_seen);
  }
  co_return out;
}

}  // namespace

asio::awaitable<Reply> handle_search_users(ServerContext& c, Session& s,
                                           const v1::SearchUsers& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  const std::string& query = req.query();
  if (query.empty() || query.size() > 254) {
    co_return Status(Error::kInvalidArgument, "a search needs 1-254 characters");
  }
  const std::uint32_t limit = req.limit() == 0 ? 20 : std::min<std::uint32_t>(req.limit(), 100);
  const bool by_email = query.find('@') != std::string::npos;
  std::string key = query;
  if (by_email) {
    auto email = normalize_email(query);
    if (!email.ok()) co_return Status(Error::kInvalidArgument, "not a valid email address");
    key = *email;
  } else {
    std::transform(key.begin(), key.end(), key.begin(),
                   [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work1 = [=, me = me.user_id](ServerStore& store, Effects&) -> Result<std::vector<v1::UserInfo>> {
      if (!by_email) return store.search_users_by_prefix(key, limit, me);
      WECHAT_ASSIGN_OR_RETURN(auto user, store.user_by_email(key));
      std::vector<v1::UserInfo> out;
      if (user && user->id != me) {
        out.emplace_back().set_user_id(user->id);
        out.back().set_username(user->username);
      }
      return out;
    };
  auto users = co_await c.store.run<std::vector<v1::UserInfo>>(std::move(work1));
  if (!users.ok()) co_return users.status();
  v1::Response response;
  for (auto& u : *users) *response.mutable_search_users()->add_users() = std::move(u);
  response.mutable_search_users();
  co_return response;
}

asio::awaitable<Reply> handle_send_friend_request(ServerContext& c, Session& s,
                                                  const v1::SendFriendRequest& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.to_user_id() == me.user_id) {
    co_return Status(Error::kSelfRequest, "you cannot befriend yourself");
  }
  if (req.note().size() > kMaxNoteBytes || !is_valid_utf8(req.note())) {
    co_return Status(Error::kInvalidArgument, "a note is at most 256 bytes of UTF-8");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work2 = [=, me = me.user_id, to = req.to_user_id(), note = req.note(), now = c.clock.now_ms()](
        ServerStore& store, Effects& effects) -> Result<v1::FriendRequest> {
      WECHAT_ASSIGN_OR_RETURN(auto target, store.user_by_id(to));
      if (!target) return Status(Error::kNotFound, "no such user");
      WECHAT_ASSIGN_OR_RETURN(bool friends, store.are_friends(me, to));
      if (friends) return Status(Error::kAlreadyFriends, "you are friends already");
      WECHAT_ASSIGN_OR_RETURN(auto mine, store.pending_request(me, to));
      if (mine) return Status(Error::kRequestPending, "your request is waiting for an answer");
      WECHAT_ASSIGN_OR_RETURN(auto theirs, store.pending_request(to, me));
      if (theirs) {
        return Status(Error::kRequestPending,
                      "they already sent you a request; accept it instead");
      }
      WECHAT_ASSIGN_OR_RETURN(auto created, store.create_friend_request(me, to, note, now));
      v1::LogEntry entry;
      entry.set_created_at_ms(now);
      *entry.mutable_friend_request() = created;
      WECHAT_TRY(log_to_each(store, effects, {to, me}, entry));
      return created;
    };
  auto request = co_await c.store.run<v1::FriendRequest>(std::move(work2));
  if (!request.ok()) co_return request.status();
  v1::Response response;
  *response.mutable_send_friend_request()->mutable_request() = std::move(*request);
  co_return response;
}

asio::awaitable<Reply> handle_answer_friend_request(ServerContext& c, Session& s,
                                                    const v1::AnswerFriendRequest& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work3 = [=, me = me.user_id, id = req.request_id(), accept = req.accept(), now = c.clock.now_ms()](
        ServerStore& store, Effects& effects) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(auto request, store.friend_request(id));
      // Someone else's request looks exactly like a missing one.
      if (!request || request->to().user_id() != me) {
        return Status(Error::kNotFound, "no such friend request");
      }
      if (request->state() != v1::FRIEND_REQUEST_STATE_PENDING) {
        return Status(Error::kInvalidArgument, "this request was answered already");
      }
      WECHAT_ASSIGN_OR_RETURN(auto updated, store.answer_friend_request(id, accept, now));
      const auto from = updated.from().user_id();
      if (accept) WECHAT_TRY(store.add_friendship(from, me, now).status());
      v1::LogEntry entry;
      entry.set_created_at_ms(now);
      *entry.mutable_friend_answer() = updated;
      WECHAT_TRY(log_to_each(store, effects, {from, me}, entry));
      return true;
    };
  auto answered = co_await c.store.run<bool>(std::move(work3));
  if (!answered.ok()) co_return answered.status();
  v1::Response response;
  response.mutable_answer_friend_request();
  co_return response;
}

asio::awaitable<Reply> handle_remove_friend(ServerContext& c, Session& s,
                                            const v1::RemoveFriend& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work4 = [=, me = me.user_id, other = req.user_id(), now = c.clock.now_ms()](
        ServerStore& store, Effects& effects) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(bool was, store.remove_friendship(me, other));
      if (!was) return Status(Error::kNotFriends, "you are not friends");
      for (auto [user, peer] : {std::pair{me, other}, std::pair{other, me}}) {
        v1::LogEntry entry;
        entry.set_created_at_ms(now);
        entry.mutable_friend_removed()->set_user_id(peer);
        entry.mutable_friend_removed()->set_by_user_id(me);
        WECHAT_TRY(log_to_each(store, effects, {user}, entry));
      }
      return true;
    };
  auto removed = co_await c.store.run<bool>(std::move(work4));
  if (!removed.ok()) co_return removed.status();
  v1::Response response;
  response.mutable_remove_friend();
  co_return response;
}

asio::awaitable<Reply> handle_list_friends(ServerContext& c, Session& s, const v1::ListFriends&) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work5 = [me = me.user_id](ServerStore& store, Effects&) { return store.friends(me); };
  auto friends = co_await c.store.run<std::vector<FriendRow>>(std::move(work5));
  if (!friends.ok()) co_return friends.status();
  auto presence = co_await presence_of(c, *friends);
  v1::Response response;
  auto* list = response.mutable_list_friends();
  for (std::size_t i = 0; i < friends->size(); ++i) {
    auto& row = (*friends)[i];
    auto* f = list->add_friends();
    *f->mutable_user() = std::move(row.user);
    f->set_since_ms(row.since);
    f->set_conversation_id(row.conversation_id);
    *f->mutable_presence() = std::move(presence[i]);
  }
  co_return response;
}

asio::awaitable<Reply> handle_list_friend_requests(ServerContext& c, Session& s,
                                                   const v1::ListFriendRequests&) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work6 = [me = me.user_id](ServerStore& store, Effects&) -> Result<v1::ListFriendRequestsOk> {
      v1::ListFriendRequestsOk out;
      WECHAT_ASSIGN_OR_RETURN(auto incoming, store.pending_requests(me, true));
      WECHAT_ASSIGN_OR_RETURN(auto outgoing, store.pending_requests(me, false));
      for (auto& r : incoming) *out.add_incoming() = std::move(r);
      for (auto& r : outgoing) *out.add_outgoing() = std::move(r);
      return out;
    };
  auto lists = co_await c.store.run<v1::ListFriendRequestsOk>(std::move(work6));
  if (!lists.ok()) co_return lists.status();
  v1::Response response;
  *response.mutable_list_friend_requests() = std::move(*lists);
  co_return response;
}

/// Presence of every friend, for the sync snapshot.
asio::awaitable<Result<std::vector<v1::Presence>>> friends_presence(ServerContext& c,
                                                                    std::uint64_t user_id) {
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work7 = [user_id](ServerStore& store, Effects&) { return store.friends(user_id); };
  auto friends = co_await c.store.run<std::vector<FriendRow>>(std::move(work7));
  if (!friends.ok()) co_return friends.status();
  co_return co_await presence_of(c, *friends);
}

}  // namespace wechat::server
