// SPDX-License-Identifier: MIT
#include "support/test_server.h"

#include <cstdlib>
#include <regex>
#include <string_view>

#include "common/random.h"
#include "server/mail/mailer.h"
#include "server/password.h"
#include "server/store/sqlite_server_store.h"

namespace wechat::testing {

TestServer::TestServer(Tweak tweak)
    : tweak_(std::move(tweak)), clock_(std::make_shared<ManualClock>()) {
  start();
}

TestServer::~TestServer() { stop(); }

Status try_start_server(const std::function<void(ServerOptions&)>& tweak) {
  TempDir dir;
  ServerOptions options;
  options.data_dir = dir.path().string();
  options.listen_port = 0;
  options.plaintext = true;
  tweak(options);
  auto server = Server::start(options);
  return server.ok() ? Status() : server.status();
}

TestServer::Tweak& TestServer::default_tweak() {
  static Tweak tweak;
  return tweak;
}

void TestServer::start() {
  ServerOptions options;
  options.listen_port = 0;
  options.data_dir = dir_.path().string();
  options.plaintext = true;
  options.scrypt_log2_n = 4;  // fast hashing: tests are not about brute-force cost
  options.clock = clock_;
  // Every test user registers from 127.0.0.1; per-address limits get their own tests.
  options.rate_limits.codes_per_address_per_hour = 100000;
  options.rate_limits.login_failures_per_address = 100000;
  options.rate_limits.requests_per_connection_per_second = 1e9;
  options.rate_limits.request_burst_per_connection = 1e9;
  options.rate_limits.requests_per_user_per_second = 1e9;
  options.rate_limits.request_burst_per_user = 1e9;
  // ctest runs server_tests a second time with the store on the I/O thread (the mode a server
  // allowed one CPU picks by itself), set here so the suites need not know.
  if (const char* mode = std::getenv("WECHAT_TEST_STORE_THREAD");
      mode != nullptr && std::string_view(mode) == "io") {
    options.store_thread = ServerOptions::StoreThread::kIoThread;
  }
  if (tweak_) tweak_(options);
  if (default_tweak()) default_tweak()(options);
  auto server = Server::start(options);
  REQUIRE_MESSAGE(server.ok(), server.status().to_string());
  server_ = std::move(*server);
}

void TestServer::stop() {
  if (server_) server_->stop();
  server_.reset();
}

void TestServer::restart() {
  stop();
  start();
}

std::unique_ptr<TestClient> TestServer::connect() {
  auto client = TestClient::connect(port());
  REQUIRE_MESSAGE(client.ok(), client.status().to_string());
  return std::move(*client);
}

std::string TestServer::latest_code(const std::string& email) const {
  auto mail = server::latest_mail_to(mail_dir(), email);
  if (!mail.ok()) return {};
  std::smatch match;
  static const std::regex kCode(R"(\b(\d{6})\b)");
  return std::regex_search(*mail, match, kCode) ? match[1].str() : std::string();
}

TestServer::User TestServer::create_user(const std::string& username) {
  User user;
  user.username = username;
  user.email = username + "@example.com";
  user.password = "password-" + username;
  auto client = connect();
  auto coded = client->call(req::request_code(user.email, v1::CODE_PURPOSE_REGISTER));
  REQUIRE(coded.ok());
  REQUIRE_MESSAGE(error_of(*coded) == Error::kOk, coded->error().message());
  const std::string code = latest_code(user.email);
  REQUIRE(code.size() == 6);
  auto registered =
      client->call(req::register_account(username, user.email, user.password, code));
  REQUIRE(registered.ok());
  REQUIRE_MESSAGE(error_of(*registered) == Error::kOk, registered->error().message());
  user.id = registered->register_account().user().user_id();
  auto logged_in = client->call(req::login(username, user.password));
  REQUIRE(logged_in.ok());
  REQUIRE_MESSAGE(error_of(*logged_in) == Error::kOk, logged_in->error().message());
  user.token = logged_in->login().token();
  user.device_id = logged_in->login().device_id();
  user.client = std::move(client);
  return user;
}

std::unique_ptr<TestClient> TestServer::login(const User& user, const std::string& device,
                                              std::string* token) {
  auto client = connect();
  auto logged_in = client->call(req::login(user.username, user.password, device));
  REQUIRE(logged_in.ok());
  REQUIRE_MESSAGE(error_of(*logged_in) == Error::kOk, logged_in->error().message());
  if (token) *token = logged_in->login().token();
  return client;
}

void TestServer::befriend(User& a, User& b) {
  v1::Request ask;
  ask.mutable_send_friend_request()->set_to_user_id(b.id);
  ask.mutable_send_friend_request()->set_note("hi");
  auto asked = a.client->call(ask);
  REQUIRE(asked.ok());
  REQUIRE_MESSAGE(error_of(*asked) == Error::kOk, asked->error().message());
  v1::Request answer;
  answer.mutable_answer_friend_request()->set_request_id(
      asked->send_friend_request().request().request_id());
  answer.mutable_answer_friend_request()->set_accept(true);
  auto answered = b.client->call(answer);
  REQUIRE(answered.ok());
  REQUIRE_MESSAGE(error_of(*answered) == Error::kOk, answered->error().message());
  a.client->drain(100ms);
  b.client->drain(100ms);
}

std::vector<TestServer::User> TestServer::seed_users(const std::string& prefix, int count,
                                                     const std::vector<std::uint64_t>& friends_of) {
  server::SqliteServerStore::Options options;
  options.path = dir_.file("server.db");
  auto store = server::SqliteServerStore::open(options);
  REQUIRE_MESSAGE(store.ok(), store.status().to_string());
  REQUIRE((*store)->begin_batch().ok());
  std::vector<User> users;
  for (int i = 0; i < count; ++i) {
    User user;
    user.username = prefix + std::to_string(i);
    user.email = user.username + "@example.com";
    user.password = "password-" + user.username;
    auto hash = server::hash_password(user.password, 4);
    REQUIRE(hash.ok());
    server::UserRow row;
    row.username = user.username;
    row.email = user.email;
    row.password_hash = *hash;
    row.created_at = clock_->now_ms();
    auto id = (*store)->create_user(row);
    REQUIRE_MESSAGE(id.ok(), id.status().to_string());
    user.id = *id;
    for (auto friend_id : friends_of) {
      REQUIRE((*store)->add_friendship(user.id, friend_id, row.created_at).ok());
    }
    users.push_back(std::move(user));
  }
  REQUIRE((*store)->commit_batch().ok());
  return users;
}

v1::Response call_ok(TestClient& client, const v1::Request& request) {
  auto response = client.call(request);
  REQUIRE_MESSAGE(response.ok(), response.status().to_string());
  REQUIRE_MESSAGE(error_of(*response) == Error::kOk, response->error().message());
  return *response;
}

Error call_error(TestClient& client, const v1::Request& request) {
  auto response = client.call(request);
  REQUIRE_MESSAGE(response.ok(), response.status().to_string());
  return error_of(*response);
}

namespace req {

v1::Request request_code(const std::string& email, v1::CodePurpose purpose) {
  v1::Request r;
  r.mutable_request_code()->set_email(email);
  r.mutable_request_code()->set_purpose(purpose);
  return r;
}

v1::Request register_account(const std::string& username, const std::string& email,
                             const std::string& password, const std::string& code) {
  v1::Request r;
  auto* m = r.mutable_register_account();
  m->set_username(username);
  m->set_email(email);
  m->set_password(password);
  m->set_code(code);
  return r;
}

v1::Request login(const std::string& login, const std::string& password,
                  const std::string& device) {
  v1::Request r;
  r.mutable_login()->set_login(login);
  r.mutable_login()->set_password(password);
  r.mutable_login()->set_device_name(device);
  return r;
}

v1::Request resume(const std::string& token) {
  v1::Request r;
  r.mutable_resume()->set_token(token);
  return r;
}

v1::Request send_text(std::uint64_t to, const std::string& text,
                      const std::string& client_msg_id) {
  v1::Request r;
  r.mutable_send_message()->set_to_user_id(to);
  r.mutable_send_message()->set_text(text);
  r.mutable_send_message()->set_client_msg_id(client_msg_id);
  return r;
}

v1::Request sync(std::uint64_t after, std::uint32_t limit) {
  v1::Request r;
  r.mutable_sync()->set_after_user_seq(after);
  r.mutable_sync()->set_limit(limit);
  return r;
}

v1::Request history(std::uint64_t conversation, std::uint64_t before, std::uint32_t limit) {
  v1::Request r;
  r.mutable_history()->set_conversation_id(conversation);
  r.mutable_history()->set_before_seq(before);
  r.mutable_history()->set_limit(limit);
  return r;
}

v1::Request mark_read(std::uint64_t conversation, std::uint64_t seq) {
  v1::Request r;
  r.mutable_mark_read()->set_conversation_id(conversation);
  r.mutable_mark_read()->set_up_to_seq(seq);
  return r;
}

v1::Request mark_delivered(std::uint64_t conversation, std::uint64_t seq) {
  v1::Request r;
  r.mutable_mark_delivered()->set_conversation_id(conversation);
  r.mutable_mark_delivered()->set_up_to_seq(seq);
  return r;
}

v1::Request set_typing(std::uint64_t conversation, bool typing) {
  v1::Request r;
  r.mutable_set_typing()->set_conversation_id(conversation);
  r.mutable_set_typing()->set_typing(typing);
  return r;
}

v1::Request list_conversations() {
  v1::Request r;
  r.mutable_list_conversations();
  return r;
}

v1::Request read_receipts(std::uint64_t conversation, std::uint64_t seq) {
  v1::Request r;
  r.mutable_get_read_receipts()->set_conversation_id(conversation);
  r.mutable_get_read_receipts()->set_seq(seq);
  return r;
}

v1::Request send_group_text(std::uint64_t group, const std::string& text,
                            const std::string& client_msg_id) {
  v1::Request r;
  r.mutable_send_message()->set_group_id(group);
  r.mutable_send_message()->set_text(text);
  r.mutable_send_message()->set_client_msg_id(client_msg_id);
  return r;
}

v1::Request create_group(const std::string& name, const std::vector<std::uint64_t>& members,
                         const std::string& client_group_id) {
  v1::Request r;
  auto* m = r.mutable_create_group();
  m->set_name(name);
  for (auto id : members) m->add_member_ids(id);
  m->set_client_group_id(client_group_id);
  return r;
}

v1::Request invite_to_group(std::uint64_t group, const std::vector<std::uint64_t>& users) {
  v1::Request r;
  r.mutable_invite_to_group()->set_group_id(group);
  for (auto id : users) r.mutable_invite_to_group()->add_user_ids(id);
  return r;
}

v1::Request leave_group(std::uint64_t group) {
  v1::Request r;
  r.mutable_leave_group()->set_group_id(group);
  return r;
}

v1::Request remove_group_member(std::uint64_t group, std::uint64_t user) {
  v1::Request r;
  r.mutable_remove_group_member()->set_group_id(group);
  r.mutable_remove_group_member()->set_user_id(user);
  return r;
}

v1::Request rename_group(std::uint64_t group, const std::string& name) {
  v1::Request r;
  r.mutable_rename_group()->set_group_id(group);
  r.mutable_rename_group()->set_name(name);
  return r;
}

v1::Request set_group_role(std::uint64_t group, std::uint64_t user, v1::GroupRole role) {
  v1::Request r;
  r.mutable_set_group_role()->set_group_id(group);
  r.mutable_set_group_role()->set_user_id(user);
  r.mutable_set_group_role()->set_role(role);
  return r;
}

v1::Request transfer_group_ownership(std::uint64_t group, std::uint64_t new_owner) {
  v1::Request r;
  r.mutable_transfer_group_ownership()->set_group_id(group);
  r.mutable_transfer_group_ownership()->set_new_owner_id(new_owner);
  return r;
}

v1::Request dissolve_group(std::uint64_t group) {
  v1::Request r;
  r.mutable_dissolve_group()->set_group_id(group);
  return r;
}

v1::Request get_group(std::uint64_t group) {
  v1::Request r;
  r.mutable_get_group()->set_group_id(group);
  return r;
}

v1::Request list_groups() {
  v1::Request r;
  r.mutable_list_groups();
  return r;
}

std::string new_client_msg_id() {
  return std::string(detail::Id128::random().as_bytes());
}

}  // namespace req
}  // namespace wechat::testing
