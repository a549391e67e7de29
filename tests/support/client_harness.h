// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_SUPPORT_CLIENT_HARNESS_H_
#define WECHAT_TESTS_SUPPORT_CLIENT_HARNESS_H_

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "wechat/client.h"
#include "wechat/testing.h"

namespace wechat::testing {

using namespace std::chrono_literals;

/// Waits for an asynchronous call's callback: `auto r = await<User>([&](auto cb) { c.login(.., cb); })`.
template <typename T, typename Start>
Result<T> await(Start start, std::chrono::milliseconds timeout = 20s) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  start([promise](Result<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Status(Error::kTimeout, "callback never came");
  }
  return future.get();
}

template <typename Start>
Status await_done(Start start, std::chrono::milliseconds timeout = 20s) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  start([promise](Status s) { promise->set_value(std::move(s)); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Status(Error::kTimeout, "callback never came");
  }
  return future.get();
}

/// A Client over its own temporary data directory, recording every event it gets.
class ClientHarness {
 public:
  ClientHarness(const LocalServer& server, std::string data_dir = {});
  ~ClientHarness();

  Client& operator*() { return *client_; }
  Client* operator->() { return client_.get(); }
  const std::string& data_dir() const { return data_dir_; }
  /// Destroys the Client (like an app being killed after its last write) and creates a new one
  /// on the same data directory.
  void restart_app(const LocalServer& server);
  void destroy();

  /// Registers through the mailed-code flow and logs in. REQUIREs success.
  User sign_up(LocalServer& server, const std::string& username);
  /// Logs in an account sign_up made (another device of it) and waits until online.
  User log_in(const std::string& username);

  /// Waits until an event satisfies `pred`; returns it (or nullopt after `timeout`).
  std::optional<Event> wait_for(const std::function<bool(const Event&)>& pred,
                                std::chrono::milliseconds timeout = 10s);
  /// Waits for the connection state to reach `state`.
  bool wait_state(ConnectionState state, std::chrono::milliseconds timeout = 10s);
  /// Waits until `pred` holds over the events seen so far (polled as events arrive).
  bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s);
  std::vector<Event> events();
  /// How many of the events seen so far satisfy `pred`.
  std::size_t count(const std::function<bool(const Event&)>& pred);

 private:
  void attach();

  std::unique_ptr<TempDir> owned_dir_;
  std::string data_dir_;
  std::unique_ptr<Client> client_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

/// Makes a and b friends (a asks, b accepts) and waits until a sees it.
void befriend(ClientHarness& a, const User& a_user, ClientHarness& b, const User& b_user);

/// `owner` creates a group with `members` (friends of the owner). REQUIREs success.
Group create_group(ClientHarness& owner, const std::string& name,
                   const std::vector<UserId>& members);

/// Waits for a GroupChanged of `kind` about `group`; returns it.
std::optional<GroupChanged> wait_group_change(ClientHarness& app, GroupEventKind kind,
                                              ConversationId group,
                                              std::chrono::milliseconds timeout = 10s);

/// Waits for a MessageReceived with this text; returns its message.
std::optional<Message> wait_message(ClientHarness& app, const std::string& text,
                                    std::chrono::milliseconds timeout = 10s);

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_SUPPORT_CLIENT_HARNESS_H_
