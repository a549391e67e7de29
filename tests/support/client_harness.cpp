// SPDX-License-Identifier: MIT
#include "support/client_harness.h"

#include <algorithm>

namespace wechat::testing {

ClientHarness::ClientHarness(const LocalServer& server, std::string data_dir) {
  if (data_dir.empty()) {
    owned_dir_ = std::make_unique<TempDir>();
    data_dir = owned_dir_->path().string();
  }
  data_dir_ = std::move(data_dir);
  restart_app(server);
}

ClientHarness::~ClientHarness() { destroy(); }

void ClientHarness::destroy() { client_.reset(); }

void ClientHarness::restart_app(const LocalServer& server) {
  client_.reset();
  auto created = Client::create(server.client_options(data_dir_));
  REQUIRE_MESSAGE(created.ok(), created.status().to_string());
  client_ = std::move(*created);
  attach();
}

void ClientHarness::attach() {
  client_->set_event_handler([this](const Event& e) {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
    changed_.notify_all();
  });
}

User ClientHarness::sign_up(LocalServer& server, const std::string& username) {
  const std::string email = username + "@example.com";
  const std::string password = "password-" + username;
  REQUIRE(await_done([&](auto cb) { client_->request_code(email, CodePurpose::kRegister, cb); })
              .ok());
  const std::string code = server.latest_code(email);
  REQUIRE(code.size() == 6);
  auto registered = await<User>(
      [&](auto cb) { client_->register_account(username, email, password, code, cb); });
  REQUIRE_MESSAGE(registered.ok(), registered.status().to_string());
  auto me = await<User>([&](auto cb) { client_->login(username, password, cb); });
  REQUIRE_MESSAGE(me.ok(), me.status().to_string());
  REQUIRE(wait_state(ConnectionState::kOnline));
  return *me;
}

User ClientHarness::log_in(const std::string& username) {
  auto me = await<User>([&](auto cb) { client_->login(username, "password-" + username, cb); });
  REQUIRE_MESSAGE(me.ok(), me.status().to_string());
  REQUIRE(wait_state(ConnectionState::kOnline));
  return *me;
}

std::size_t ClientHarness::count(const std::function<bool(const Event&)>& pred) {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(), pred));
}

std::optional<Event> ClientHarness::wait_for(const std::function<bool(const Event&)>& pred,
                                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t seen = 0;
  std::optional<Event> found;
  changed_.wait_for(lock, timeout, [&] {
    for (; seen < events_.size(); ++seen) {
      if (pred(events_[seen])) {
        found = events_[seen];
        return true;
      }
    }
    return false;
  });
  return found;
}

bool ClientHarness::wait_state(ConnectionState state, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] { return client_->connection_state() == state; });
}

bool ClientHarness::wait_until(const std::function<bool()>& pred,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 50ms);
  }
  return pred();
}

std::vector<Event> ClientHarness::events() {
  std::lock_guard lock(mutex_);
  return events_;
}

void befriend(ClientHarness& a, const User& a_user, ClientHarness& b, const User& b_user) {
  auto request = await<FriendRequest>([&](auto cb) { a->send_friend_request(b_user.id, "hi", cb); });
  REQUIRE_MESSAGE(request.ok(), request.status().to_string());
  REQUIRE(b.wait_for([&](const Event& e) {
    auto* r = std::get_if<FriendRequestUpdated>(&e);
    return r && r->request.id == request->id;
  }));
  REQUIRE(await_done([&](auto cb) { b->answer_friend_request(request->id, true, cb); }).ok());
  REQUIRE(a.wait_for([&](const Event& e) {
    auto* f = std::get_if<FriendAdded>(&e);
    return f && f->added.user.id == b_user.id;
  }));
  (void)a_user;
}

Group create_group(ClientHarness& owner, const std::string& name,
                   const std::vector<UserId>& members) {
  auto group = await<Group>([&](auto cb) { owner->create_group(name, members, cb); });
  REQUIRE_MESSAGE(group.ok(), group.status().to_string());
  return *group;
}

std::optional<GroupChanged> wait_group_change(ClientHarness& app, GroupEventKind kind,
                                              ConversationId group,
                                              std::chrono::milliseconds timeout) {
  auto found = app.wait_for(
      [&](const Event& e) {
        auto* g = std::get_if<GroupChanged>(&e);
        return g && g->kind == kind && g->group.id == group;
      },
      timeout);
  if (!found) return std::nullopt;
  return std::get<GroupChanged>(*found);
}

std::optional<Message> wait_message(ClientHarness& app, const std::string& text,
                                    std::chrono::milliseconds timeout) {
  auto found = app.wait_for(
      [&](const Event& e) {
        auto* m = std::get_if<MessageReceived>(&e);
        return m && m->message.text == text;
      },
      timeout);
  if (!found) return std::nullopt;
  return std::get<MessageReceived>(*found).message;
}

}  // namespace wechat::testing
