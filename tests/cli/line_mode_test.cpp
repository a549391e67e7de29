// SPDX-License-Identifier: MIT
// wechat-cli in line mode, as a script would drive it: the real binary through pipes, against a
// real server in this process.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "cli_process.h"
#include "cli_steps.h"
#include "support/temp_dir.h"
#include "wechat/testing.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

struct TwoUsers {
  std::unique_ptr<LocalServer> server = LocalServer::start().value();
  TempDir alice_dir;
  TempDir bob_dir;
  std::unique_ptr<CliProcess> alice =
      std::make_unique<CliProcess>(server->port(), alice_dir.path().string());
  std::unique_ptr<CliProcess> bob =
      std::make_unique<CliProcess>(server->port(), bob_dir.path().string());

  TwoUsers() {
    sign_up(*alice, *server, "alice");
    sign_up(*bob, *server, "bob");
    befriend(*alice, "alice", *bob, "bob");
  }
};

}  // namespace

TEST_CASE("cli line mode: two users register, befriend and chat both ways") {
  TwoUsers t;
  CliProcess& alice = *t.alice;
  CliProcess& bob = *t.bob;

  REQUIRE(starts_with(alice.run("/msg bob hello there"), "ok msg bob "));
  CHECK_MESSAGE(bob.expect_prefix("message alice hello there"), bob.transcript());
  CHECK(alice.expect_prefix("sent bob "));
  CHECK_MESSAGE(alice.expect_prefix("delivered bob "), alice.transcript());

  // Bob reads alice's message: she sees the receipt.
  REQUIRE(bob.run("/read alice") == "ok read alice");
  CHECK_MESSAGE(alice.expect_prefix("read bob 1"), alice.transcript());

  // Plain lines go to the open conversation, verbatim (Chinese too).
  REQUIRE(bob.run("/open alice") == "ok open alice");
  REQUIRE(starts_with(bob.run("hi alice, 你好!"), "ok msg alice "));
  CHECK_MESSAGE(
      alice.expect([](const std::string& l) { return l == "message bob hi alice, 你好!"; }),
      alice.transcript());

  REQUIRE(alice.run("/friends") == "ok friends 1");
  CHECK_MESSAGE(alice.expect([](const std::string& l) { return l == "friend bob online 1"; }),
                alice.transcript());
  REQUIRE(starts_with(alice.run("/search bo"), "ok search "));
  CHECK(alice.expect_prefix("user bob "));

  alice.close_input();
  bob.close_input();
  CHECK_MESSAGE(alice.wait_exit() == 0, alice.transcript());
  CHECK_MESSAGE(bob.wait_exit() == 0, bob.transcript());
}

TEST_CASE("cli line mode: an offline user gets messages later and resumes without a password") {
  TwoUsers t;
  // Bob leaves.
  t.bob->close_input();
  REQUIRE_MESSAGE(t.bob->wait_exit() == 0, t.bob->transcript());
  t.bob.reset();

  // Alice writes and leaves at once: the CLI waits for the server's acknowledgements first.
  CliProcess& alice = *t.alice;
  REQUIRE(starts_with(alice.run("/msg bob while you were away"), "ok msg bob "));
  REQUIRE(starts_with(alice.run("/msg bob 今天天气很好"), "ok msg bob "));
  alice.close_input();
  REQUIRE_MESSAGE(alice.wait_exit() == 0, alice.transcript());
  CHECK(alice.expect_prefix("sent bob "));

  // A new bob process on the same data dir: resumed, no password.
  CliProcess bob(t.server->port(), t.bob_dir.path().string());
  REQUIRE_MESSAGE(bob.expect_prefix("ok resume bob "), bob.transcript());
  CHECK_MESSAGE(bob.expect_prefix("message alice while you were away"), bob.transcript());
  CHECK_MESSAGE(bob.expect_prefix("message alice 今天天气很好"), bob.transcript());

  REQUIRE(bob.run("/history alice") == "ok history alice 2");
  auto first = bob.expect_prefix("history alice ");
  auto second = bob.expect_prefix("history alice ");
  REQUIRE(first);
  REQUIRE(second);
  // Oldest first: seq, time, sender, state, text.
  CHECK(first->find(" alice received while you were away") != std::string::npos);
  CHECK(second->find(" alice received 今天天气很好") != std::string::npos);
  REQUIRE(bob.run("/history alice 1") == "ok history alice 1");
  CHECK(bob.expect_prefix("history alice ")->find("今天天气很好") != std::string::npos);

  REQUIRE(bob.run("/find AWAY") == "ok find 1");
  CHECK(bob.expect_prefix("found alice ")->find("while you were away") != std::string::npos);
  REQUIRE(bob.run("/find 天气") == "ok find 1");
  CHECK(bob.expect_prefix("found alice ")->find("今天天气很好") != std::string::npos);
  REQUIRE(bob.run("/find nothing-like-this") == "ok find 0");

  bob.close_input();
  CHECK_MESSAGE(bob.wait_exit() == 0, bob.transcript());
}

TEST_CASE("cli line mode: unknown commands get a suggestion and failures make the exit non-zero") {
  auto server = LocalServer::start().value();
  TempDir dir;
  CliProcess cli(server->port(), dir.path().string());
  cli.send("/foo");
  CHECK(cli.expect(
      [](const std::string& l) { return l == "error unknown command /foo; did you mean /find?"; }));
  cli.send("/frends");
  CHECK(cli.expect([](const std::string& l) {
    return l == "error unknown command /frends; did you mean /friends?";
  }));
  CHECK(starts_with(cli.run("/msg bob"), "error msg invalid_argument: usage: /msg"));
  CHECK(starts_with(cli.run("/friends"), "error friends unauthenticated: "));
  CHECK(starts_with(cli.run("/login nobody wrong-password"), "error login wrong_credentials: "));
  CHECK(cli.run("/help quit") == "ok help");
  cli.close_input();
  CHECK_MESSAGE(cli.wait_exit() == 1, cli.transcript());
}

TEST_CASE("cli line mode: a script whose commands all work exits 0, one that fails does not") {
  auto server = LocalServer::start().value();
  TempDir dir;
  {
    CliProcess cli(server->port(), dir.path().string());
    cli.send("/help");
    cli.send("/code someone@example.com");
    cli.send("/wait 0.1");
    cli.send("/quit");
    cli.send("/this-is-never-read");
    CHECK(cli.expect_prefix("ok quit"));
    CHECK_MESSAGE(cli.wait_exit() == 0, cli.transcript());
  }
  {
    // A message the server refuses for good (not friends) fails the run, after the fact.
    TempDir other;
    CliProcess carol(server->port(), other.path().string());
    sign_up(carol, *server, "carol");
    CliProcess dave(server->port(), dir.path().string());
    sign_up(dave, *server, "dave");
    REQUIRE(starts_with(carol.run("/msg dave are we friends?"), "ok msg dave "));
    CHECK_MESSAGE(carol.expect_prefix("failed dave "), carol.transcript());
    carol.close_input();
    dave.close_input();
    CHECK_MESSAGE(carol.wait_exit() == 1, carol.transcript());
    CHECK_MESSAGE(dave.wait_exit() == 0, dave.transcript());
  }
}
