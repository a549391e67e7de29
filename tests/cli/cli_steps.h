// SPDX-License-Identifier: MIT
// Steps shared by the line-mode tests: signing up and befriending, all by CLI commands.
#ifndef WECHAT_TESTS_CLI_CLI_STEPS_H_
#define WECHAT_TESTS_CLI_CLI_STEPS_H_

#include <doctest/doctest.h>

#include <string>

#include "cli_process.h"
#include "wechat/testing.h"

namespace wechat::testing {

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

/// Registers `name` through the mailed-code flow and logs in, all by CLI commands.
inline void sign_up(CliProcess& cli, LocalServer& server, const std::string& name) {
  const std::string email = name + "@example.com";
  REQUIRE_MESSAGE(cli.run("/code " + email) == "ok code " + email, cli.transcript());
  const std::string code = server.latest_code(email);
  REQUIRE(code.size() == 6);
  const auto registered =
      cli.run("/register " + name + " " + email + " password-" + name + " " + code);
  REQUIRE_MESSAGE(starts_with(registered, "ok register " + name + " "), cli.transcript());
  const auto login = cli.run("/login " + name + " password-" + name);
  REQUIRE_MESSAGE(starts_with(login, "ok login " + name + " "), cli.transcript());
}

/// `a` asks `b` to be friends with a note, `b` accepts; both see it.
inline void befriend(CliProcess& a, const std::string& a_name, CliProcess& b,
                     const std::string& b_name) {
  REQUIRE_MESSAGE(starts_with(a.run("/add " + b_name + " hello " + b_name), "ok add " + b_name),
                  a.transcript());
  REQUIRE_MESSAGE(b.expect_prefix("friend-request incoming " + a_name + " pending hello " + b_name),
                  b.transcript());
  REQUIRE_MESSAGE(b.run("/requests") == "ok requests 1", b.transcript());
  CHECK(b.expect_prefix("request incoming " + a_name + " pending hello " + b_name));
  REQUIRE_MESSAGE(b.run("/accept " + a_name) == "ok accept " + a_name, b.transcript());
  REQUIRE_MESSAGE(a.expect_prefix("friend-added " + b_name), a.transcript());
}

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_CLI_CLI_STEPS_H_
