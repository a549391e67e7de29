// SPDX-License-Identifier: MIT
// Client::Impl: sending requests (waiting for a connection or a login when needed, with
// deadlines) and the one-request operations behind Client's methods.
#include <algorithm>

#include "client/client_impl.h"
#include "client/convert.h"
#include "common/random.h"

namespace wechat {

bool Client::Impl::ready(Needs needs) const {
  return needs == Needs::kConnection ? hello_done_ : authenticated_;
}

void Client::Impl::call(v1::Request request, Needs needs, ResponseHandler handler) {
  if (shut_down_) {
    handler(Status(Error::kCancelled, "the client was destroyed"));
    return;
  }
  if (needs == Needs::kLogin && !want_online_) {
    handler(Status(Error::kUnauthenticated, "log in first"));
    return;
  }
  if (ready(needs)) {
    send_now(std::move(request), std::move(handler));
    return;
  }
  // Not connected (yet): wait for the connection, up to the request timeout.
  auto deadline = std::make_shared<asio::steady_timer>(io_, options_.request_timeout);
  waiting_.push_back(Waiting{std::move(request), needs, std::move(handler), deadline});
  deadline->async_wait([this, self = shared_from_this(), raw = deadline.get()](std::error_code ec) {
    if (ec) return;
    auto it = std::find_if(waiting_.begin(), waiting_.end(),
                           [&](const Waiting& w) { return w.deadline.get() == raw; });
    if (it == waiting_.end()) return;
    auto expired = std::move(it->handler);
    waiting_.erase(it);
    expired(Status(Error::kUnavailable, "not connected to the server"));
  });
  ensure_connected();
}

void Client::Impl::send_now(v1::Request request, ResponseHandler handler) {
  const std::uint64_t id = next_request_id_++;
  v1::Frame frame;
  frame.set_request_id(id);
  *frame.mutable_request() = std::move(request);
  auto deadline = std::make_shared<asio::steady_timer>(io_, options_.request_timeout);
  pending_.emplace(id, Pending{std::move(handler), deadline});
  deadline->async_wait([this, self = shared_from_this(), id](std::error_code ec) {
    if (ec) return;
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    auto expired = std::move(it->second.handler);
    pending_.erase(it);
    expired(Status(Error::kTimeout, "the server did not answer in time"));
  });
  connection_->send(frame);
}

void Client::Impl::flush_waiting() {
  std::deque<Waiting> still;
  while (!waiting_.empty()) {
    Waiting w = std::move(waiting_.front());
    waiting_.pop_front();
    if (ready(w.needs)) {
      w.deadline->cancel();
      send_now(std::move(w.request), std::move(w.handler));
    } else {
      still.push_back(std::move(w));
    }
  }
  waiting_.swap(still);
}

void Client::Impl::fail_all(const Status& status, bool include_waiting) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, p] : pending) {
    p.deadline->cancel();
    p.handler(status);
  }
  if (!include_waiting) return;
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) {
    w.deadline->cancel();
    w.handler(status);
  }
}

template <typename T, typename Extract>
Client::Impl::ResponseHandler Client::Impl::reply(Callback<T> done, Extract extract) {
  return [this, done = std::move(done), extract = std::move(extract)](
             Result<v1::Response> response) {
    if (!response.ok()) return complete(done, Result<T>(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) {
      return complete(done, Result<T>(std::move(error)));
    }
    complete(done, Result<T>(extract(*response)));
  };
}

// --- Accounts --------------------------------------------------------------------------------

void Client::Impl::request_code(const std::string& email, CodePurpose purpose, Done done) {
  v1::Request r;
  r.mutable_request_code()->set_email(email);
  r.mutable_request_code()->set_purpose(purpose == CodePurpose::kRegister
                                            ? v1::CODE_PURPOSE_REGISTER
                                            : v1::CODE_PURPOSE_RESET);
  call(std::move(r), Needs::kConnection, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

void Client::Impl::register_account(const std::string& username, const std::string& email,
                                    const std::string& password, const std::string& code,
                                    Callback<User> done) {
  v1::Request r;
  auto* m = r.mutable_register_account();
  m->set_username(username);
  m->set_email(email);
  m->set_password(password);
  m->set_code(code);
  call(std::move(r), Needs::kConnection,
       reply<User>(std::move(done), [](const v1::Response& response) {
         return client::to_user(response.register_account().user());
       }));
}

void Client::Impl::reset_password(const std::string& email, const std::string& code,
                                  const std::string& new_password, Done done) {
  v1::Request r;
  r.mutable_reset_password()->set_email(email);
  r.mutable_reset_password()->set_code(code);
  r.mutable_reset_password()->set_new_password(new_password);
  call(std::move(r), Needs::kConnection, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

// --- Friends ---------------------------------------------------------------------------------

void Client::Impl::search_users(const std::string& query, Callback<std::vector<User>> done) {
  v1::Request r;
  r.mutable_search_users()->set_query(query);
  call(std::move(r), Needs::kLogin,
       reply<std::vector<User>>(std::move(done), [](const v1::Response& response) {
         std::vector<User> users;
         for (const auto& u : response.search_users().users()) users.push_back(client::to_user(u));
         return users;
       }));
}

void Client::Impl::send_friend_request(UserId to, const std::string& note,
                                       Callback<FriendRequest> done) {
  v1::Request r;
  r.mutable_send_friend_request()->set_to_user_id(to);
  r.mutable_send_friend_request()->set_note(note);
  call(std::move(r), Needs::kLogin,
       reply<FriendRequest>(std::move(done), [](const v1::Response& response) {
         return client::to_friend_request(response.send_friend_request().request());
       }));
}

void Client::Impl::answer_friend_request(std::uint64_t request_id, bool accept, Done done) {
  v1::Request r;
  r.mutable_answer_friend_request()->set_request_id(request_id);
  r.mutable_answer_friend_request()->set_accept(accept);
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

void Client::Impl::remove_friend(UserId user, Done done) {
  v1::Request r;
  r.mutable_remove_friend()->set_user_id(user);
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

void Client::Impl::refresh_friends(Callback<std::vector<Friend>> done) {
  v1::Request r;
  r.mutable_list_friends();
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    if (!response.ok()) return complete(done, Result<std::vector<Friend>>(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) {
      return complete(done, Result<std::vector<Friend>>(error));
    }
    std::vector<Friend> friends;
    for (const auto& f : response->list_friends().friends()) friends.push_back(client::to_friend(f));
    if (auto s = store(); s.ok()) {
      if (auto cached = (*s)->replace_friends(friends); !cached.ok()) {
        return complete(done, Result<std::vector<Friend>>(cached));
      }
    }
    complete(done, Result<std::vector<Friend>>(std::move(friends)));
  });
}

void Client::Impl::refresh_friend_requests(Callback<std::vector<FriendRequest>> done) {
  v1::Request r;
  r.mutable_list_friend_requests();
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    using R = Result<std::vector<FriendRequest>>;
    if (!response.ok()) return complete(done, R(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) return complete(done, R(error));
    std::vector<FriendRequest> requests;
    for (const auto& q : response->list_friend_requests().incoming()) {
      requests.push_back(client::to_friend_request(q));
    }
    for (const auto& q : response->list_friend_requests().outgoing()) {
      requests.push_back(client::to_friend_request(q));
    }
    if (auto s = store(); s.ok()) {
      if (auto cached = (*s)->replace_friend_requests(requests); !cached.ok()) {
        return complete(done, R(cached));
      }
    }
    complete(done, R(std::move(requests)));
  });
}

// --- Messages --------------------------------------------------------------------------------

void Client::Impl::load_history(ConversationId conversation, std::uint64_t before_seq,
                                std::uint32_t limit, Callback<std::vector<Message>> done) {
  v1::Request r;
  r.mutable_history()->set_conversation_id(conversation);
  r.mutable_history()->set_before_seq(before_seq);
  r.mutable_history()->set_limit(limit);
  call(std::move(r), Needs::kLogin,
       [this, done, conversation, before_seq, limit](Result<v1::Response> response) {
         using R = Result<std::vector<Message>>;
         if (!response.ok()) return complete(done, R(response.status()));
         if (auto error = client::status_of(*response); !error.ok()) return complete(done, R(error));
         auto s = store();
         auto me = current_user();
         if (!s.ok() || !me) return complete(done, R(Error::kUnauthenticated, "logged out"));
         const auto& page = response->history().messages();
         if (auto cached = (*s)->store_history(me->id, {page.begin(), page.end()}); !cached.ok()) {
           return complete(done, R(cached));
         }
         complete(done, (*s)->messages(conversation, before_seq, limit == 0 ? 50 : limit));
       });
}

void Client::Impl::mark_read(ConversationId conversation, std::uint64_t up_to_seq, Done done) {
  if (up_to_seq == 0) {
    // "Everything": the newest message this device knows of.
    if (auto s = store(); s.ok()) {
      if (auto list = (*s)->conversations(); list.ok()) {
        for (const auto& c : *list) {
          if (c.id == conversation) up_to_seq = c.last_seq;
        }
      }
    }
    if (up_to_seq == 0) return complete(done, Status());  // nothing to read
  }
  v1::Request r;
  r.mutable_mark_read()->set_conversation_id(conversation);
  r.mutable_mark_read()->set_up_to_seq(up_to_seq);
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

void Client::Impl::get_read_receipts(ConversationId conversation, std::uint64_t seq,
                                     Callback<ReadReceipts> done) {
  v1::Request r;
  r.mutable_get_read_receipts()->set_conversation_id(conversation);
  r.mutable_get_read_receipts()->set_seq(seq);
  call(std::move(r), Needs::kLogin,
       reply<ReadReceipts>(std::move(done), [conversation, seq](const v1::Response& response) {
         return client::to_read_receipts(conversation, seq, response.get_read_receipts());
       }));
}

void Client::Impl::set_typing(ConversationId conversation, bool typing) {
  if (!authenticated_) return;  // ephemeral: never queued
  v1::Request r;
  r.mutable_set_typing()->set_conversation_id(conversation);
  r.mutable_set_typing()->set_typing(typing);
  send_now(std::move(r), [](Result<v1::Response>) {});
}

// --- Groups ----------------------------------------------------------------------------------

void Client::Impl::call_done(v1::Request request, Done done) {
  call(std::move(request), Needs::kLogin, [this, done](Result<v1::Response> response) {
    complete(done, response.ok() ? client::status_of(*response) : response.status());
  });
}

Result<Group> Client::Impl::cache_group(const v1::GroupInfo& info) {
  auto s = store();
  auto me = current_user();
  if (!s.ok() || !me) return Status(Error::kUnauthenticated, "logged out");
  WECHAT_TRY((*s)->store_group(me->id, info));
  WECHAT_ASSIGN_OR_RETURN(auto stored, (*s)->group(info.group_id()));
  if (!stored) return Status(Error::kInternal, "the group was not stored");
  // The answer is the truth about the members, even when the cache has no whole list.
  Group g = std::move(*stored);
  g.members = client::to_group(info, me->id).members;
  return g;
}

void Client::Impl::create_group(const std::string& name, const std::vector<UserId>& members,
                                Callback<Group> done) {
  v1::Request r;
  auto* m = r.mutable_create_group();
  m->set_name(name);
  for (UserId id : members) m->add_member_ids(id);
  // One id per call: the server answers a repeat of it with the same group, not a second one.
  m->set_client_group_id(std::string(detail::Id128::random().as_bytes()));
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    if (!response.ok()) return complete(done, Result<Group>(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) {
      return complete(done, Result<Group>(std::move(error)));
    }
    if (!response->has_create_group()) {
      return complete(done, Result<Group>(Error::kProtocol, "no create_group answer"));
    }
    complete(done, cache_group(response->create_group().group()));
  });
}

void Client::Impl::invite_to_group(ConversationId group, const std::vector<UserId>& users,
                                   Done done) {
  v1::Request r;
  r.mutable_invite_to_group()->set_group_id(group);
  for (UserId id : users) r.mutable_invite_to_group()->add_user_ids(id);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::leave_group(ConversationId group, Done done) {
  v1::Request r;
  r.mutable_leave_group()->set_group_id(group);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::remove_group_member(ConversationId group, UserId user, Done done) {
  v1::Request r;
  r.mutable_remove_group_member()->set_group_id(group);
  r.mutable_remove_group_member()->set_user_id(user);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::rename_group(ConversationId group, const std::string& name, Done done) {
  v1::Request r;
  r.mutable_rename_group()->set_group_id(group);
  r.mutable_rename_group()->set_name(name);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::set_group_role(ConversationId group, UserId user, GroupRole role, Done done) {
  if (role != GroupRole::kAdmin && role != GroupRole::kMember) {
    return complete(done, Status(Error::kInvalidArgument, "a role is admin or member"));
  }
  v1::Request r;
  r.mutable_set_group_role()->set_group_id(group);
  r.mutable_set_group_role()->set_user_id(user);
  r.mutable_set_group_role()->set_role(client::to_wire(role));
  call_done(std::move(r), std::move(done));
}

void Client::Impl::transfer_group_ownership(ConversationId group, UserId new_owner, Done done) {
  v1::Request r;
  r.mutable_transfer_group_ownership()->set_group_id(group);
  r.mutable_transfer_group_ownership()->set_new_owner_id(new_owner);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::dissolve_group(ConversationId group, Done done) {
  v1::Request r;
  r.mutable_dissolve_group()->set_group_id(group);
  call_done(std::move(r), std::move(done));
}

void Client::Impl::get_group(ConversationId group, Callback<Group> done) {
  v1::Request r;
  r.mutable_get_group()->set_group_id(group);
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    if (!response.ok()) return complete(done, Result<Group>(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) {
      return complete(done, Result<Group>(std::move(error)));
    }
    if (!response->has_get_group()) {
      return complete(done, Result<Group>(Error::kProtocol, "no get_group answer"));
    }
    complete(done, cache_group(response->get_group().group()));
  });
}

void Client::Impl::refresh_groups(Callback<std::vector<Group>> done) {
  v1::Request r;
  r.mutable_list_groups();
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    using R = Result<std::vector<Group>>;
    if (!response.ok()) return complete(done, R(response.status()));
    if (auto error = client::status_of(*response); !error.ok()) return complete(done, R(error));
    const auto& list = response->list_groups().groups();
    auto s = store();
    auto me = current_user();
    if (!s.ok() || !me) return complete(done, R(Error::kUnauthenticated, "logged out"));
    if (auto cached = (*s)->store_groups(me->id, {list.begin(), list.end()}); !cached.ok()) {
      return complete(done, R(cached));
    }
    std::vector<Group> groups;
    for (const auto& info : list) {
      auto stored = (*s)->group(info.group_id());
      if (!stored.ok()) return complete(done, R(stored.status()));
      Group g = *stored ? std::move(**stored) : client::to_group(info, me->id);
      g.members.clear();
      groups.push_back(std::move(g));
    }
    complete(done, R(std::move(groups)));
  });
}

}  // namespace wechat
