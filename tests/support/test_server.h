// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_SUPPORT_TEST_SERVER_H_
#define WECHAT_TESTS_SUPPORT_TEST_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "support/test_client.h"
#include "wechat/server.h"

namespace wechat::testing {

/// Starts (and at once stops) a wechat::Server with default options, a fresh data directory,
/// port 0 and plaintext, changed by `tweak`: how option checks are tested.
Status try_start_server(const std::function<void(ServerOptions&)>& tweak);

/// A real wechat::Server on 127.0.0.1, port 0, plaintext, in a temporary data directory, with
/// the development mailer and a cheap password hash. Restartable on the same directory.
class TestServer {
 public:
  using Tweak = std::function<void(ServerOptions&)>;

  explicit TestServer(Tweak tweak = {});

  /// Applied to every TestServer's options after its own tweak: how a test binary runs the
  /// same suites on another store (tests/integration/server_pg sets a PostgreSQL store_url).
  static Tweak& default_tweak();
  ~TestServer();

  void start();
  void stop();
  /// Stops and starts again on the same data directory (a new port).
  void restart();

  std::uint16_t port() const { return server_->port(); }
  const TempDir& dir() const { return dir_; }
  std::string mail_dir() const { return dir_.file("mail"); }
  ManualClock& clock() { return *clock_; }

  /// A connected client that has said hello.
  std::unique_ptr<TestClient> connect();

  /// The newest verification code mailed to `email` (empty if none).
  std::string latest_code(const std::string& email) const;

  struct User {
    std::uint64_t id = 0;
    std::string username;
    std::string email;
    std::string password;
    std::string token;
    std::uint64_t device_id = 0;
    std::unique_ptr<TestClient> client;  ///< Logged in.
  };
  /// Registers `username` (email username@example.com, password "password-<username>")
  /// through the real code flow and logs in on a new connection. REQUIREs success.
  User create_user(const std::string& username);
  /// Logs `user` in on another connection with `device` (a second device).
  std::unique_ptr<TestClient> login(const User& user, const std::string& device,
                                    std::string* token = nullptr);
  /// Sends a request from a to b and accepts it; both become friends. Drains both event queues.
  void befriend(User& a, User& b);

  /// Creates `count` users named `<prefix><i>` (i from 0) straight in the database, without
  /// the code flow and without logging them in (`client` is null; use login()), each a friend
  /// of every user in `friends_of`. For tests that need hundreds of accounts quickly; the
  /// server keeps running (its store waits for this transaction like for any other writer).
  std::vector<User> seed_users(const std::string& prefix, int count,
                               const std::vector<std::uint64_t>& friends_of = {});

 private:
  TempDir dir_;
  Tweak tweak_;
  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Server> server_;
};

/// Sends `request` and REQUIREs a response that is not an error; returns it.
v1::Response call_ok(TestClient& client, const v1::Request& request);
/// Sends `request` and REQUIREs a response; returns its error code (kOk for a result).
Error call_error(TestClient& client, const v1::Request& request);

/// Requests built in one line, for readable tests.
namespace req {
v1::Request request_code(const std::string& email, v1::CodePurpose purpose);
v1::Request register_account(const std::string& username, const std::string& email,
                             const std::string& password, const std::string& code);
v1::Request login(const std::string& login, const std::string& password,
                  const std::string& device = "test");
v1::Request resume(const std::string& token);
v1::Request send_text(std::uint64_t to, const std::string& text, const std::string& client_msg_id);
v1::Request sync(std::uint64_t after, std::uint32_t limit = 0);
v1::Request history(std::uint64_t conversation, std::uint64_t before, std::uint32_t limit = 0);
v1::Request mark_read(std::uint64_t conversation, std::uint64_t seq);
v1::Request mark_delivered(std::uint64_t conversation, std::uint64_t seq);
v1::Request set_typing(std::uint64_t conversation, bool typing);
v1::Request list_conversations();
v1::Request read_receipts(std::uint64_t conversation, std::uint64_t seq);
v1::Request send_group_text(std::uint64_t group, const std::string& text,
                            const std::string& client_msg_id);
v1::Request create_group(const std::string& name, const std::vector<std::uint64_t>& members,
                         const std::string& client_group_id = "");
v1::Request invite_to_group(std::uint64_t group, const std::vector<std::uint64_t>& users);
v1::Request leave_group(std::uint64_t group);
v1::Request remove_group_member(std::uint64_t group, std::uint64_t user);
v1::Request rename_group(std::uint64_t group, const std::string& name);
v1::Request set_group_role(std::uint64_t group, std::uint64_t user, v1::GroupRole role);
v1::Request transfer_group_ownership(std::uint64_t group, std::uint64_t new_owner);
v1::Request dissolve_group(std::uint64_t group);
v1::Request get_group(std::uint64_t group);
v1::Request list_groups();
/// A random 16-byte client_msg_id.
std::string new_client_msg_id();
}  // namespace req

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_SUPPORT_TEST_SERVER_H_
