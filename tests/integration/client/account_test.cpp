// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("client account: a restarted app resumes with its saved token, without the password") {
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  auto alice = app.sign_up(*server, "alice");
  app.restart_app(*server);
  auto resumed = await<User>([&](auto cb) { app->resume(cb); });
  REQUIRE(resumed.ok());
  CHECK(resumed->id == alice.id);
  CHECK(app.wait_state(ConnectionState::kOnline));
  REQUIRE(app->current_user().has_value());
}

TEST_CASE("client account: after logout there is nothing to resume") {
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  app.sign_up(*server, "alice");
  REQUIRE(await_done([&](auto cb) { app->logout(cb); }).ok());
  CHECK_FALSE(app->current_user().has_value());
  CHECK(app->conversations().code() == Error::kUnauthenticated);
  app.restart_app(*server);
  CHECK(await<User>([&](auto cb) { app->resume(cb); }).code() == Error::kSessionExpired);
}

TEST_CASE("client account: a password reset ends the other sessions and they stop retrying") {
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  app.sign_up(*server, "alice");
  ClientHarness other(*server);
  REQUIRE(await_done([&](auto cb) { other->request_code("alice@example.com", CodePurpose::kReset, cb); }).ok());
  const auto code = server->latest_code("alice@example.com");
  REQUIRE(await_done([&](auto cb) { other->reset_password("alice@example.com", code, "a-new-password", cb); }).ok());
  CHECK(app.wait_for([](const Event& e) { return std::holds_alternative<SessionEnded>(e); }));
  CHECK(await<User>([&](auto cb) { app->login("alice", "password-alice", cb); }).code() ==
        Error::kWrongCredentials);
  CHECK(await<User>([&](auto cb) { app->login("alice", "a-new-password", cb); }).ok());
}

TEST_CASE("client account: errors from the server arrive as typed codes") {
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  CHECK(await<User>([&](auto cb) { app->login("nobody", "whatever-pw", cb); }).code() ==
        Error::kWrongCredentials);
  CHECK(await_done([&](auto cb) { app->request_code("bad", CodePurpose::kRegister, cb); }).code() ==
        Error::kInvalidEmail);
  CHECK(app->send_text(1, "x").get().code() == Error::kUnauthenticated);
  auto users = await<std::vector<User>>([&](auto cb) { app->search_users("a", cb); });
  CHECK(users.code() == Error::kUnauthenticated);
}

TEST_CASE("client account: a rate-limited call says how long to wait in retry_after_ms") {
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  const auto request = [&] {
    return await_done(
        [&](auto cb) { app->request_code("a@example.com", CodePurpose::kRegister, cb); });
  };
  const Status first = request();
  REQUIRE(first.ok());
  CHECK(first.retry_after_ms() == 0);
  const Status again = request();  // one code per email per 30 s (the default)
  CHECK(again.code() == Error::kRateLimited);
  CHECK(again.retry_after_ms() > 0);
  CHECK(again.retry_after_ms() <= 30'000);
}

TEST_CASE("client account: an unreachable server fails calls with unavailable, not a hang") {
  auto server = LocalServer::start().value();
  auto options = server->client_options(TempDir().path().string());
  server->stop();
  options.request_timeout = 500ms;
  TempDir dir;
  options.data_dir = dir.path().string();
  auto client = Client::create(options).value();
  CHECK(await_done([&](auto cb) { client->request_code("a@example.com", CodePurpose::kRegister, cb); })
            .code() == Error::kUnavailable);
}

TEST_CASE("client account: with more servers, a client whose first one is down uses the next") {
  auto down = LocalServer::start().value();
  const std::uint16_t dead_port = down->port();
  down->stop();
  auto server = LocalServer::start().value();
  ClientHarness app(*server);
  const auto alice = app.sign_up(*server, "alice");

  TempDir dir;
  auto options = server->client_options(dir.path().string());
  const ServerAddress live{options.host, options.port};
  options.port = dead_port;  // first: nothing listens there
  options.more_servers = {live};
  options.reconnect_initial = 50ms;
  auto client = Client::create(options).value();
  // The first attempt fails; the retry goes to the next server in the list.
  Result<User> me(Error::kUnavailable, "not tried");
  for (int i = 0; i < 5 && !me.ok(); ++i) {
    me = await<User>([&](auto cb) { client->login("alice", "password-alice", cb); });
  }
  REQUIRE_MESSAGE(me.ok(), me.status().to_string());
  CHECK(me->id == alice.id);
}

TEST_CASE("client account: TLS with a pinned certificate works, and a wrong pin is refused") {
  LocalServer::Options tls;
  tls.tls = true;
  auto server = LocalServer::start(tls).value();
  ClientHarness app(*server);
  app.sign_up(*server, "alice");

  TempDir dir;
  auto options = server->client_options(dir.path().string());
  options.pinned_sha256 = std::string(64, 'a');
  options.request_timeout = 2s;
  auto client = Client::create(options).value();
  CHECK(await<User>([&](auto cb) { client->login("alice", "password-alice", cb); }).code() ==
        Error::kUnavailable);
}
