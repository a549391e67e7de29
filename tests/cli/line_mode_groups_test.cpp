// SPDX-License-Identifier: MIT
// Groups in wechat-cli's line mode: the real binary through pipes, three users against a real
// server in this process.
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

/// alice is friends with bob and carol.
struct ThreeUsers {
  std::unique_ptr<LocalServer> server = LocalServer::start().value();
  TempDir alice_dir, bob_dir, carol_dir;
  std::unique_ptr<CliProcess> alice =
      std::make_unique<CliProcess>(server->port(), alice_dir.path().string());
  std::unique_ptr<CliProcess> bob =
      std::make_unique<CliProcess>(server->port(), bob_dir.path().string());
  std::unique_ptr<CliProcess> carol =
      std::make_unique<CliProcess>(server->port(), carol_dir.path().string());

  ThreeUsers() {
    sign_up(*alice, *server, "alice");
    sign_up(*bob, *server, "bob");
    sign_up(*carol, *server, "carol");
    befriend(*alice, "alice", *bob, "bob");
    befriend(*alice, "alice", *carol, "carol");
  }
};

/// "#12" from "ok group create #12 hiking".
std::string created_ref(const std::string& line) {
  const auto hash = line.find('#');
  REQUIRE_MESSAGE(hash != std::string::npos, line);
  return line.substr(hash, line.find(' ', hash) - hash);
}

std::size_t count_lines(const std::string& transcript, const std::string& line) {
  std::size_t n = 0;
  for (std::size_t at = transcript.find(line); at != std::string::npos;
       at = transcript.find(line, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("cli line mode: a group is created, chatted in, listed, and a kicked member is out") {
  ThreeUsers t;
  CliProcess& alice = *t.alice;
  CliProcess& bob = *t.bob;
  CliProcess& carol = *t.carol;

  const std::string created = alice.run("/group create hiking bob carol");
  REQUIRE_MESSAGE(starts_with(created, "ok group create #"), alice.transcript());
  CHECK(created.ends_with(" hiking"));
  const std::string g = created_ref(created);
  CHECK_MESSAGE(bob.expect_prefix("group-changed " + g + " created alice bob carol"),
                bob.transcript());
  CHECK(carol.expect_prefix("group-changed " + g + " created alice"));

  // By name; every member's device prints it once, naming the group by its id.
  const std::string sent = alice.run("/g hiking hi all, 你好");
  REQUIRE_MESSAGE(starts_with(sent, "ok g " + g + " "), alice.transcript());
  CHECK_MESSAGE(alice.expect_prefix("sent " + g + " "), alice.transcript());
  CHECK_MESSAGE(bob.expect([&](const std::string& l) {
    return l == "group-message " + g + " alice hi all, 你好";
  }),
                bob.transcript());
  CHECK(carol.expect_prefix("group-message " + g + " alice hi all"));

  // Listed with its unread count; the members with their roles.
  REQUIRE_MESSAGE(bob.run("/groups") == "ok groups 1", bob.transcript());
  CHECK_MESSAGE(
      bob.expect([&](const std::string& l) { return l == "group " + g + " member 3 1 hiking"; }),
      bob.transcript());
  REQUIRE_MESSAGE(bob.run("/group members hiking") == "ok group members " + g + " 3",
                  bob.transcript());
  CHECK(bob.expect([&](const std::string& l) { return l == "member " + g + " alice owner"; }));
  CHECK(bob.expect([&](const std::string& l) { return l == "member " + g + " carol member"; }));

  // Plain lines go to the open group; reading it clears the count.
  REQUIRE_MESSAGE(bob.run("/open hiking") == "ok open " + g, bob.transcript());
  bob.send("on my way");
  CHECK_MESSAGE(bob.expect_prefix("ok g " + g + " "), bob.transcript());
  CHECK_MESSAGE(alice.expect_prefix("group-message " + g + " bob on my way"), alice.transcript());
  REQUIRE_MESSAGE(carol.expect_prefix("group-message " + g + " bob on my way"),
                  carol.transcript());
  REQUIRE(carol.run("/group read " + g) == "ok group read " + g);
  CHECK_MESSAGE(carol.expect_prefix("unread " + g + " 0"), carol.transcript());

  // Kicked: carol is told, keeps the history, and cannot write there any more.
  REQUIRE_MESSAGE(alice.run("/group kick hiking carol") == "ok group kick " + g + " carol",
                  alice.transcript());
  CHECK_MESSAGE(carol.expect_prefix("group-changed " + g + " member-removed alice carol"),
                carol.transcript());
  CHECK(starts_with(carol.run("/g " + g + " still here?"), "error g not_group_member: "));
  REQUIRE(carol.run("/groups") == "ok groups 1");
  CHECK(carol.expect(
      [&](const std::string& l) { return l == "group " + g + " removed 2 0 hiking"; }));
  CHECK(bob.expect_prefix("group-changed " + g + " member-removed alice carol"));

  // Two groups of one name: by name is refused (saying which ids), by id works; a name that
  // only one group is still active under goes to that one.
  const std::string second = alice.run("/group create hiking bob");
  REQUIRE(starts_with(second, "ok group create #"));
  const std::string g2 = created_ref(second);
  const bool in_order = std::stoull(g.substr(1)) < std::stoull(g2.substr(1));
  CHECK(alice.run("/g hiking which one?") ==
        "error g invalid_argument: 2 groups are named hiking (" + (in_order ? g : g2) + ", " +
            (in_order ? g2 : g) + "): name one by its id");
  CHECK(starts_with(alice.run("/g " + g2 + " this one"), "ok g " + g2 + " "));
  CHECK(bob.expect_prefix("group-message " + g2 + " alice this one"));
  REQUIRE(bob.run("/group leave " + g2) == "ok group leave " + g2);
  CHECK(bob.expect_prefix("group-changed " + g2 + " member-left bob bob"));
  CHECK(starts_with(bob.run("/g hiking back to the first"), "ok g " + g + " "));
  REQUIRE(alice.run("/group invite " + g2 + " carol") == "ok group invite " + g2 + " carol");
  CHECK(carol.expect_prefix("group-changed " + g2 + " members-added alice carol"));
  CHECK(starts_with(alice.run("/group members nosuch"), "error group not_found: "));

  alice.close_input();
  bob.close_input();
  carol.close_input();
  CHECK_MESSAGE(alice.wait_exit() == 1, alice.transcript());  // the ambiguous /g failed
  CHECK_MESSAGE(bob.wait_exit() == 0, bob.transcript());
  CHECK_MESSAGE(carol.wait_exit() == 1, carol.transcript());  // the refused /g
}

TEST_CASE("cli line mode: a member offline during a burst gets each group message once") {
  ThreeUsers t;
  const std::string created = t.alice->run("/group create team bob carol");
  REQUIRE_MESSAGE(starts_with(created, "ok group create #"), t.alice->transcript());
  const std::string g = created_ref(created);
  REQUIRE(t.bob->expect_prefix("group-changed " + g + " created"));

  t.bob->close_input();
  REQUIRE_MESSAGE(t.bob->wait_exit() == 0, t.bob->transcript());
  t.bob.reset();
  for (int i = 1; i <= 8; ++i) {
    REQUIRE(starts_with(t.alice->run("/g " + g + " burst " + std::to_string(i)), "ok g " + g));
  }
  REQUIRE(t.carol->expect_prefix("group-message " + g + " alice burst 8"));

  CliProcess bob(t.server->port(), t.bob_dir.path().string());
  REQUIRE_MESSAGE(bob.expect_prefix("ok resume bob "), bob.transcript());
  CHECK_MESSAGE(bob.expect_prefix("group-message " + g + " alice burst 8"), bob.transcript());
  REQUIRE(bob.run("/wait 1") == "ok wait 1");
  const std::string seen = bob.transcript();
  for (int i = 1; i <= 8; ++i) {
    CHECK_MESSAGE(
        count_lines(seen, "group-message " + g + " alice burst " + std::to_string(i) + "\n") == 1,
        seen);
  }
  REQUIRE(bob.run("/groups") == "ok groups 1");
  CHECK_MESSAGE(
      bob.expect([&](const std::string& l) { return l == "group " + g + " member 3 8 team"; }),
      bob.transcript());
  bob.close_input();
  CHECK_MESSAGE(bob.wait_exit() == 0, bob.transcript());
}
