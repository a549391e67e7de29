// SPDX-License-Identifier: MIT
// The full-screen UI of wechat-cli, driven like a person would: the real binary in a detached
// tmux session (120x40), keys typed with send-keys, the screen read with capture-pane.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// A tmux server of our own (its own socket), killed on destruction whatever happened.
class Tmux {
 public:
  Tmux() {
    std::random_device random;
    socket_ = "wechat-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  }
  ~Tmux() {
    (void)run("kill-server");
    // The server may have exited on its own (last session closed) and left its socket.
    const char* dir = std::getenv("TMUX_TMPDIR");
    std::error_code ec;
    std::filesystem::remove(std::filesystem::path(dir != nullptr && dir[0] != '\0' ? dir : "/tmp") /
                                ("tmux-" + std::to_string(::getuid())) / socket_,
                            ec);
  }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  /// Runs `tmux <args>` on our socket; its exit status.
  int run(const std::string& args) const {
    return std::system((prefix() + args + " >/dev/null 2>&1").c_str());
  }
  /// The visible screen of the session, one string per row.
  std::vector<std::string> capture() const {
    std::vector<std::string> rows;
    FILE* pipe = ::popen((prefix() + "capture-pane -p -t cli 2>/dev/null").c_str(), "r");
    if (pipe == nullptr) return rows;
    std::string all;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
      all.append(buffer, n);
    ::pclose(pipe);
    std::istringstream lines(all);
    for (std::string row; std::getline(lines, row);) rows.push_back(row);
    return rows;
  }
  /// Types `text` literally.
  void type(const std::string& text) const {
    REQUIRE(run("send-keys -t cli -l " + quote(text)) == 0);
  }
  /// Presses a named key ("Enter", "C-u", "PPage").
  void press(const std::string& key) const { REQUIRE(run("send-keys -t cli " + key) == 0); }

  static std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

 private:
  std::string prefix() const {
    // A UTF-8 locale so tmux keeps wide characters; no user configuration.
    return "LC_ALL=C.UTF-8 TERM=xterm-256color tmux -f /dev/null -L " + socket_ + " ";
  }
  std::string socket_;
};

std::string joined(const std::vector<std::string>& rows) {
  std::string all;
  for (const auto& r : rows) all += r + "\n";
  return all;
}

/// Polls the screen until `pred` holds (true) or `timeout` passes (false).
bool wait_screen(const Tmux& tmux, const std::function<bool(const std::vector<std::string>&)>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(tmux.capture())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred(tmux.capture());
}

bool contains(const std::vector<std::string>& rows, const std::string& text) {
  for (const auto& r : rows) {
    if (r.find(text) != std::string::npos) return true;
  }
  return false;
}

/// The conversation list row of `name` shows an unread count of `count`.
bool list_shows_unread(const std::vector<std::string>& rows, const std::string& name,
                       const std::string& count) {
  for (const auto& r : rows) {
    const auto at = r.find(" " + name + " ");
    const auto unread = r.find("(" + count + ")");
    // The list is the left column: both within its first ~30 columns (bytes: the dot is 3).
    if (at != std::string::npos && unread != std::string::npos && at < 12 && unread < 40) {
      return true;
    }
  }
  return false;
}

bool list_shows_any_unread(const std::vector<std::string>& rows, const std::string& name) {
  for (const auto& r : rows) {
    const auto at = r.find(" " + name + " ");
    const auto unread = r.find(" (");
    if (at != std::string::npos && at < 12 && unread != std::string::npos && unread < 40) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("cli full screen: a half-typed line survives incoming messages and unread counts clear") {
  REQUIRE_MESSAGE(std::system("command -v tmux >/dev/null 2>&1") == 0,
                  "tmux is not installed: scripts/install-deps.sh installs it");
  auto server = LocalServer::start().value();
  ClientHarness alice_setup(*server);
  ClientHarness bob_app(*server);
  const User alice = alice_setup.sign_up(*server, "alice");
  const User bob = bob_app.sign_up(*server, "bob");
  befriend(alice_setup, alice, bob_app, bob);
  alice_setup.destroy();

  TempDir cli_dir;
  Tmux tmux;
  // Under the sanitizers, reports go to files we check at the end (the pane's stderr is lost).
  TempDir reports;
  const std::string log_path = reports.file("sanitizer");
  const std::string command = "env ASAN_OPTIONS=log_path=" + log_path +
                              " UBSAN_OPTIONS=log_path=" + log_path + " " + WECHAT_CLI_BINARY +
                              " --plaintext --server 127.0.0.1:" + std::to_string(server->port()) +
                              " --data-dir " + cli_dir.path().string();
  REQUIRE(tmux.run("new-session -d -s cli -x 120 -y 40 " + Tmux::quote(command)) == 0);
  REQUIRE_MESSAGE(
      wait_screen(tmux, [](const auto& rows) { return contains(rows, "not logged in"); }),
      joined(tmux.capture()));

  // The password never shows: masked while typed, masked in the console echo.
  tmux.type("/login alice password-alice");
  REQUIRE_MESSAGE(wait_screen(tmux,
                              [](const auto& rows) {
                                return !rows.empty() &&
                                       rows.back().find("/login alice **************") !=
                                           std::string::npos;
                              }),
                  joined(tmux.capture()));
  tmux.press("Enter");
  REQUIRE_MESSAGE(
      wait_screen(tmux, [](const auto& rows) { return contains(rows, "alice | online"); }),
      joined(tmux.capture()));
  CHECK_FALSE(contains(tmux.capture(), "password-alice"));
  // The friend is listed with presence.
  CHECK(wait_screen(tmux, [](const auto& rows) { return contains(rows, "\u25CF bob"); }));

  // A half-typed line, then messages arrive: the line stays as it was, the count goes up.
  tmux.type("half typed");
  REQUIRE(wait_screen(tmux, [](const auto& rows) {
    return !rows.empty() && rows.back().rfind("> half typed", 0) == 0;
  }));
  REQUIRE(bob_app->send_text(alice.id, "ping from bob").get().ok());
  REQUIRE_MESSAGE(
      wait_screen(tmux, [](const auto& rows) { return list_shows_unread(rows, "bob", "1"); }),
      joined(tmux.capture()));
  REQUIRE(bob_app->send_text(alice.id, "second ping").get().ok());
  REQUIRE_MESSAGE(
      wait_screen(tmux, [](const auto& rows) { return list_shows_unread(rows, "bob", "2"); }),
      joined(tmux.capture()));
  {
    const auto rows = tmux.capture();
    REQUIRE(!rows.empty());
    CHECK_MESSAGE(rows.back().rfind("> half typed", 0) == 0, joined(rows));
    CHECK(rows.back().find("ping") == std::string::npos);
  }
  // Typing goes on where it was.
  tmux.type(" still");
  CHECK(wait_screen(tmux, [](const auto& rows) {
    return !rows.empty() && rows.back().rfind("> half typed still", 0) == 0;
  }));

  // Opening the conversation shows the messages and clears the count; bob sees "read".
  tmux.press("C-u");
  tmux.type("/open bob");
  tmux.press("Enter");
  REQUIRE_MESSAGE(wait_screen(tmux,
                              [](const auto& rows) {
                                return contains(rows, "bob: ping from bob") &&
                                       contains(rows, "bob: second ping") &&
                                       !list_shows_any_unread(rows, "bob");
                              }),
                  joined(tmux.capture()));
  CHECK(bob_app.wait_for([](const Event& e) {
    auto* r = std::get_if<ReceiptUpdated>(&e);
    return r && r->state == MessageState::kRead;
  }));

  // A plain line goes to the open conversation and shows its delivery state.
  tmux.type("hello from the terminal");
  tmux.press("Enter");
  CHECK(bob_app.wait_for([](const Event& e) {
    auto* m = std::get_if<MessageReceived>(&e);
    return m && m->message.text == "hello from the terminal";
  }));
  CHECK_MESSAGE(wait_screen(tmux,
                            [](const auto& rows) {
                              for (const auto& r : rows) {
                                if (r.find("alice: hello from the terminal") != std::string::npos &&
                                    r.find("\u2713\u2713") != std::string::npos) {
                                  return true;
                                }
                              }
                              return false;
                            }),
                joined(tmux.capture()));

  // A resize redraws cleanly: the input line stays at the bottom.
  REQUIRE(tmux.run("resize-window -t cli -x 90 -y 30") == 0);
  CHECK_MESSAGE(wait_screen(tmux,
                            [](const auto& rows) {
                              return rows.size() == 30 && rows.back().rfind("bob>", 0) == 0;
                            }),
                joined(tmux.capture()));

  tmux.type("/quit");
  tmux.press("Enter");
  CHECK(wait_screen(tmux, [&](const auto&) { return tmux.run("has-session -t cli") != 0; }));

  // The process ended cleanly: no sanitizer report (leaks included).
  for (const auto& entry : std::filesystem::directory_iterator(reports.path())) {
    std::ifstream report(entry.path());
    std::stringstream text;
    text << report.rdbuf();
    FAIL_CHECK("sanitizer report " << entry.path().string() << ":\n" << text.str());
  }
}

TEST_CASE("cli full screen: a group is listed with its unread count, opened, and written to") {
  REQUIRE_MESSAGE(std::system("command -v tmux >/dev/null 2>&1") == 0,
                  "tmux is not installed: scripts/install-deps.sh installs it");
  auto server = LocalServer::start().value();
  ClientHarness alice_setup(*server);
  ClientHarness bob_app(*server);
  const User alice = alice_setup.sign_up(*server, "alice");
  const User bob = bob_app.sign_up(*server, "bob");
  befriend(bob_app, bob, alice_setup, alice);
  alice_setup.destroy();

  TempDir cli_dir;
  Tmux tmux;
  const std::string command = std::string(WECHAT_CLI_BINARY) + " --plaintext --server 127.0.0.1:" +
                              std::to_string(server->port()) + " --data-dir " +
                              cli_dir.path().string();
  REQUIRE(tmux.run("new-session -d -s cli -x 120 -y 40 " + Tmux::quote(command)) == 0);
  REQUIRE(wait_screen(tmux, [](const auto& rows) { return contains(rows, "not logged in"); }));
  tmux.type("/login alice password-alice");
  tmux.press("Enter");
  REQUIRE_MESSAGE(
      wait_screen(tmux, [](const auto& rows) { return contains(rows, "alice | online"); }),
      joined(tmux.capture()));

  // bob makes a group with alice and writes twice: the console tells, the list counts.
  auto group = await<Group>([&](auto cb) { bob_app->create_group("team", {alice.id}, cb); });
  REQUIRE(group.ok());
  REQUIRE(bob_app->send_group_text(group->id, "hello team").get().ok());
  REQUIRE(bob_app->send_group_text(group->id, "anyone?").get().ok());
  REQUIRE_MESSAGE(wait_screen(tmux,
                              [](const auto& rows) {
                                return contains(rows, "bob created the group team with alice.") &&
                                       list_shows_unread(rows, "team", "2") &&
                                       contains(rows, " # team");
                              }),
                  joined(tmux.capture()));

  // Tab completes the subcommand and the group's name.
  tmux.type("/group mem");
  tmux.press("Tab");
  tmux.type("te");
  tmux.press("Tab");
  CHECK_MESSAGE(wait_screen(tmux,
                            [](const auto& rows) {
                              return !rows.empty() &&
                                     rows.back().rfind("> /group members team", 0) == 0;
                            }),
                joined(tmux.capture()));
  tmux.press("C-u");

  // Opening it shows the messages and clears the count; plain lines go to the group.
  tmux.type("/open team");
  tmux.press("Enter");
  REQUIRE_MESSAGE(wait_screen(tmux,
                              [](const auto& rows) {
                                return contains(rows, "bob: hello team") &&
                                       contains(rows, "bob: anyone?") &&
                                       contains(rows, "#team (2 members)") &&
                                       !list_shows_any_unread(rows, "team");
                              }),
                  joined(tmux.capture()));
  tmux.type("here I am");
  tmux.press("Enter");
  CHECK(bob_app.wait_for([](const Event& e) {
    auto* m = std::get_if<MessageReceived>(&e);
    return m && m->message.text == "here I am" && m->message.kind == ConversationKind::kGroup;
  }));
  CHECK(wait_screen(tmux, [](const auto& rows) { return contains(rows, "alice: here I am"); }));

  // Removed: told so, the history stays on screen.
  REQUIRE(await_done([&](auto cb) { bob_app->remove_group_member(group->id, alice.id, cb); }).ok());
  CHECK_MESSAGE(wait_screen(tmux,
                            [](const auto& rows) {
                              return contains(rows, "removed you from team") &&
                                     contains(rows, "bob: hello team");
                            }),
                joined(tmux.capture()));

  tmux.type("/quit");
  tmux.press("Enter");
  CHECK(wait_screen(tmux, [&](const auto&) { return tmux.run("has-session -t cli") != 0; }));
}
