// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "client/convert.h"
#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// What the SDK makes of a response: its Status, retry_after_ms included.
Status client_status(const Result<v1::Response>& response) {
  REQUIRE(response.ok());
  return client::status_of(*response);
}

std::string request_code(TestServer& server, TestClient& client, const std::string& email,
                         v1::CodePurpose purpose = v1::CODE_PURPOSE_REGISTER) {
  REQUIRE(call_error(client, req::request_code(email, purpose)) == Error::kOk);
  return server.latest_code(email);
}

}  // namespace

TEST_CASE("accounts: register with a mailed code, then log in by username and by email") {
  TestServer server;
  auto client = server.connect();
  const auto code = request_code(server, *client, "Alice@Example.com");
  REQUIRE(code.size() == 6);
  CHECK(call_error(*client, req::register_account("alice", "alice@example.com", "secret-pw",
                                                   code)) == Error::kOk);
  auto by_name = client->call(req::login("alice", "secret-pw"));
  REQUIRE(by_name.ok());
  REQUIRE(error_of(*by_name) == Error::kOk);
  CHECK(by_name->login().user().username() == "alice");
  CHECK(by_name->login().token().size() == 32);

  auto other = server.connect();
  auto by_email = other->call(req::login("ALICE@example.com", "secret-pw", "laptop"));
  REQUIRE(by_email.ok());
  CHECK(error_of(*by_email) == Error::kOk);
  CHECK(by_email->login().device_id() != by_name->login().device_id());
}

TEST_CASE("accounts: a wrong code is refused and counted, five wrong codes exhaust it") {
  TestServer server;
  auto client = server.connect();
  const auto code = request_code(server, *client, "bob@example.com");
  const std::string wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) {
    CHECK(call_error(*client, req::register_account("bob", "bob@example.com", "secret-pw",
                                                     wrong)) == Error::kWrongCode);
  }
  // Even the right code is no good now: guessing is bounded.
  CHECK(call_error(*client, req::register_account("bob", "bob@example.com", "secret-pw", code)) ==
        Error::kCodeAttemptsExhausted);
}

TEST_CASE("accounts: an expired code is refused and a code works only once") {
  TestServer server;
  auto client = server.connect();
  auto code = request_code(server, *client, "carol@example.com");
  server.clock().advance_ms(10 * 60 * 1000 + 1);
  CHECK(call_error(*client, req::register_account("carol", "carol@example.com", "secret-pw",
                                                   code)) == Error::kCodeExpired);
  code = request_code(server, *client, "carol@example.com");
  CHECK(call_error(*client, req::register_account("carol", "carol@example.com", "secret-pw",
                                                   code)) == Error::kOk);
  CHECK(call_error(*client, req::register_account("carol2", "carol@example.com", "secret-pw",
                                                   code)) == Error::kEmailTaken);
}

TEST_CASE("accounts: code requests are rate-limited per email") {
  TestServer server;
  auto client = server.connect();
  request_code(server, *client, "dave@example.com");
  auto again = client->call(req::request_code("dave@example.com", v1::CODE_PURPOSE_REGISTER));
  REQUIRE(again.ok());
  CHECK(error_of(*again) == Error::kRateLimited);
  server.clock().advance_ms(31'000);
  CHECK(call_error(*client, req::request_code("dave@example.com", v1::CODE_PURPOSE_REGISTER)) ==
        Error::kOk);
}

TEST_CASE("accounts: code requests are rate-limited per client address") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.codes_per_address_per_hour = 3;
  });
  auto client = server.connect();
  for (int i = 0; i < 3; ++i) {
    CHECK(call_error(*client, req::request_code("user" + std::to_string(i) + "@example.com",
                                                v1::CODE_PURPOSE_REGISTER)) == Error::kOk);
  }
  CHECK(call_error(*client, req::request_code("user9@example.com", v1::CODE_PURPOSE_REGISTER)) ==
        Error::kRateLimited);
}

TEST_CASE("accounts: a refused code request says in retry_after_ms when the next is allowed") {
  TestServer server([](ServerOptions& o) { o.rate_limits.codes_per_address_per_hour = 3; });
  auto client = server.connect();
  const auto again = [&](const std::string& email) {
    return client_status(client->call(req::request_code(email, v1::CODE_PURPOSE_REGISTER)));
  };
  request_code(server, *client, "dave@example.com");
  server.clock().advance_ms(10'000);
  // Per email: one code per 30 s, 10 s of which have passed.
  const Status refused = again("dave@example.com");
  CHECK(refused.code() == Error::kRateLimited);
  CHECK(refused.retry_after_ms() == 20'000);
  server.clock().advance_ms(refused.retry_after_ms() - 1);
  CHECK(again("dave@example.com").retry_after_ms() == 1);
  server.clock().advance_ms(1);
  CHECK(again("dave@example.com").ok());  // waiting exactly as long as told is enough

  // Per client address: three codes an hour, the first of them 30 s ago.
  request_code(server, *client, "erin@example.com");
  const Status per_address = again("frank@example.com");
  CHECK(per_address.code() == Error::kRateLimited);
  CHECK(per_address.retry_after_ms() == 60 * 60 * 1000 - 30'000);
}

TEST_CASE("accounts: a login locked out after failures says in retry_after_ms when it opens") {
  TestServer server([](ServerOptions& o) {
    o.rate_limits.login_failures_per_account = 2;
    o.rate_limits.login_failures_per_address = 3;
  });
  constexpr std::int64_t kWindow = 15 * 60 * 1000;
  auto alice = server.create_user("alice");
  auto client = server.connect();
  for (int i = 0; i < 2; ++i) {
    CHECK(call_error(*client, req::login("alice", "wrong-password")) == Error::kWrongCredentials);
  }
  server.clock().advance_ms(60'000);
  // Per account: the lockout runs for the window from the failure that filled it.
  const Status locked = client_status(client->call(req::login("alice", alice.password)));
  CHECK(locked.code() == Error::kRateLimited);
  CHECK(locked.retry_after_ms() == kWindow - 60'000);

  // Per address: the third failure (a minute after the first two) fills it, and the window
  // must pass the oldest of the three. Login and resume share the limit.
  CHECK(call_error(*client, req::login("nobody", "whatever-pw")) == Error::kWrongCredentials);
  server.clock().advance_ms(1'000);
  const Status by_login = client_status(client->call(req::login("bob", "whatever-pw")));
  CHECK(by_login.code() == Error::kRateLimited);
  CHECK(by_login.retry_after_ms() == kWindow - 61'000);
  const Status by_resume = client_status(client->call(req::resume(std::string(32, 'x'))));
  CHECK(by_resume.code() == Error::kRateLimited);
  CHECK(by_resume.retry_after_ms() == kWindow - 61'000);

  // Once the window has passed, a failure is an ordinary one again, with no wait.
  server.clock().advance_ms(kWindow);
  const Status not_limited = client_status(client->call(req::login("nobody", "whatever-pw")));
  CHECK(not_limited.code() == Error::kWrongCredentials);
  CHECK(not_limited.retry_after_ms() == 0);
}

TEST_CASE("accounts: duplicate usernames and emails get distinct errors") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto client = server.connect();
  auto code = request_code(server, *client, "other@example.com");
  CHECK(call_error(*client, req::register_account("alice", "other@example.com", "secret-pw",
                                                   code)) == Error::kUsernameTaken);
  server.clock().advance_ms(31'000);  // past the per-email code interval
  CHECK(call_error(*client, req::request_code("ALICE@example.com", v1::CODE_PURPOSE_REGISTER)) ==
        Error::kEmailTaken);
}

TEST_CASE("accounts: malformed usernames, emails and passwords are refused with their own codes") {
  TestServer server;
  auto client = server.connect();
  CHECK(call_error(*client, req::request_code("not-an-email", v1::CODE_PURPOSE_REGISTER)) ==
        Error::kInvalidEmail);
  CHECK(call_error(*client, req::request_code("a@b.c", v1::CODE_PURPOSE_UNSPECIFIED)) ==
        Error::kInvalidArgument);
  const auto code = request_code(server, *client, "erin@example.com");
  CHECK(call_error(*client, req::register_account("Erin!", "erin@example.com", "secret-pw",
                                                   code)) == Error::kInvalidUsername);
  CHECK(call_error(*client, req::register_account("er", "erin@example.com", "secret-pw", code)) ==
        Error::kInvalidUsername);
  CHECK(call_error(*client, req::register_account(std::string(33, 'e'), "erin@example.com",
                                                   "secret-pw", code)) == Error::kInvalidUsername);
  CHECK(call_error(*client, req::register_account("erin", "erin@example.com", "short", code)) ==
        Error::kWeakPassword);
  CHECK(call_error(*client, req::register_account("erin", "erin@example.com", "secret-pw",
                                                   "12ab56")) == Error::kWrongCode);
  // None of that used up the code.
  CHECK(call_error(*client, req::register_account("erin", "erin@example.com", "secret-pw",
                                                   code)) == Error::kOk);
}

TEST_CASE("accounts: a wrong password and an unknown user look the same, and failures are limited") {
  TestServer server([](ServerOptions& o) { o.rate_limits.login_failures_per_account = 3; });
  auto alice = server.create_user("alice");
  auto client = server.connect();
  CHECK(call_error(*client, req::login("nobody", "whatever-pw")) == Error::kWrongCredentials);
  for (int i = 0; i < 3; ++i) {
    CHECK(call_error(*client, req::login("alice", "wrong-password")) == Error::kWrongCredentials);
  }
  // Locked out for a while, even with the right password...
  CHECK(call_error(*client, req::login("alice", alice.password)) == Error::kRateLimited);
  // ...and let in again after the window.
  server.clock().advance_ms(15 * 60 * 1000 + 1);
  CHECK(call_error(*client, req::login("alice", alice.password)) == Error::kOk);
}

TEST_CASE("accounts: a token resumes the session on a new connection without the password") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto fresh = server.connect();
  auto resumed = fresh->call(req::resume(alice.token));
  REQUIRE(resumed.ok());
  REQUIRE(error_of(*resumed) == Error::kOk);
  CHECK(resumed->resume().user().user_id() == alice.id);
  CHECK(resumed->resume().token().empty());  // the token is never sent back

  auto bogus = server.connect();
  CHECK(call_error(*bogus, req::resume(std::string(32, 'x'))) == Error::kSessionExpired);
  CHECK(call_error(*bogus, req::resume("short")) == Error::kSessionExpired);
}

TEST_CASE("accounts: a token stops working after it expires") {
  TestServer server([](ServerOptions& o) { o.session_ttl = std::chrono::hours(1); });
  auto alice = server.create_user("alice");
  server.clock().advance_ms(3600 * 1000 + 1);
  auto fresh = server.connect();
  CHECK(call_error(*fresh, req::resume(alice.token)) == Error::kSessionExpired);
}

TEST_CASE("accounts: logout revokes the token of that device only") {
  TestServer server;
  auto alice = server.create_user("alice");
  std::string phone_token;
  auto phone = server.login(alice, "phone", &phone_token);
  v1::Request logout;
  logout.mutable_logout();
  CHECK(call_error(*alice.client, logout) == Error::kOk);
  // Logged out: requests need a login again.
  CHECK(call_error(*alice.client, req::sync(0)) == Error::kUnauthenticated);
  CHECK(call_error(*server.connect(), req::resume(alice.token)) == Error::kSessionExpired);
  CHECK(call_error(*server.connect(), req::resume(phone_token)) == Error::kOk);
}

TEST_CASE("accounts: a password reset needs the mailed code and revokes every session") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto client = server.connect();
  const auto code = request_code(server, *client, "alice@example.com", v1::CODE_PURPOSE_RESET);
  REQUIRE(code.size() == 6);
  v1::Request reset;
  reset.mutable_reset_password()->set_email("alice@example.com");
  reset.mutable_reset_password()->set_code(code);
  reset.mutable_reset_password()->set_new_password("brand-new-password");
  CHECK(call_error(*client, reset) == Error::kOk);

  // The logged-in connection is told and closed.
  bool told = false;
  while (auto event = alice.client->next_event(2s)) {
    if (event->has_session_ended()) {
      told = event->session_ended().reason() == v1::SESSION_EXPIRED;
      break;
    }
  }
  CHECK(told);
  CHECK(alice.client->wait_closed().has_value());
  CHECK(call_error(*server.connect(), req::resume(alice.token)) == Error::kSessionExpired);
  CHECK(call_error(*client, req::login("alice", alice.password)) == Error::kWrongCredentials);
  CHECK(call_error(*client, req::login("alice", "brand-new-password")) == Error::kOk);
}

TEST_CASE("accounts: a reset code for an unknown email is answered the same but never mailed") {
  TestServer server;
  auto client = server.connect();
  CHECK(call_error(*client, req::request_code("ghost@example.com", v1::CODE_PURPOSE_RESET)) ==
        Error::kOk);
  CHECK(server.latest_code("ghost@example.com").empty());
}

TEST_CASE("accounts: logging in twice on one connection is refused") {
  TestServer server;
  auto alice = server.create_user("alice");
  CHECK(call_error(*alice.client, req::login("alice", alice.password)) == Error::kInvalidArgument);
}
