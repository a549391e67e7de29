// SPDX-License-Identifier: MIT
#include "command_parser.h"

#include <doctest/doctest.h>

#include "suggest.h"

using namespace wechat::cli;

namespace {

Command parsed(std::string_view line) {
  auto result = parse_command(line);
  REQUIRE_MESSAGE(std::holds_alternative<Command>(result), line);
  return std::get<Command>(result);
}

ParseError failed(std::string_view line) {
  auto result = parse_command(line);
  REQUIRE_MESSAGE(std::holds_alternative<ParseError>(result), line);
  return std::get<ParseError>(result);
}

}  // namespace

TEST_CASE("parser: commands split into words, and text commands keep the rest verbatim") {
  auto msg = parsed("/msg bob  hello   there, 你好 ");
  CHECK(msg.kind == CommandKind::kMsg);
  CHECK(msg.name == "msg");
  REQUIRE(msg.args.size() == 2);
  CHECK(msg.args[0] == "bob");
  CHECK(msg.args[1] == "hello   there, 你好");

  auto reg = parsed("/register alice a@example.com secret 123456");
  CHECK(reg.kind == CommandKind::kRegister);
  CHECK(reg.args == std::vector<std::string>{"alice", "a@example.com", "secret", "123456"});

  auto add = parsed("/add bob");
  CHECK(add.args == std::vector<std::string>{"bob"});
  auto add_note = parsed("/add bob let us talk");
  CHECK(add_note.args == std::vector<std::string>{"bob", "let us talk"});

  CHECK(parsed("/FRIENDS").kind == CommandKind::kFriends);
  CHECK(parsed("  /quit  ").kind == CommandKind::kQuit);
  CHECK(parsed("/find 天气").args == std::vector<std::string>{"天气"});
}

TEST_CASE("parser: plain lines are text, // escapes a slash, blank lines are nothing") {
  auto text = parsed("  hello /there\r");
  CHECK(text.kind == CommandKind::kText);
  CHECK(text.args == std::vector<std::string>{"  hello /there"});
  auto slash = parsed("//usr/bin is a folder");
  CHECK(slash.kind == CommandKind::kText);
  CHECK(slash.args == std::vector<std::string>{"/usr/bin is a folder"});
  CHECK(parsed("").kind == CommandKind::kEmpty);
  CHECK(parsed(" \t ").kind == CommandKind::kEmpty);
}

TEST_CASE("parser: wrong argument counts and values give the usage") {
  auto missing = failed("/msg bob");
  CHECK_FALSE(missing.unknown);
  CHECK(missing.command == "msg");
  CHECK(missing.message == "usage: /msg <username> <text>");
  CHECK(failed("/login alice").message == "usage: /login <username-or-email> <password>");
  CHECK(failed("/logout now").message.find("too many arguments") != std::string::npos);
  CHECK(failed("/code a@example.com later").message.find("register or reset") != std::string::npos);
  CHECK(failed("/history bob 0").command == "history");
  CHECK(failed("/history bob many").command == "history");
  CHECK(failed("/wait soon").command == "wait");
  CHECK(failed("/wait -1").command == "wait");

  CHECK(parsed("/history bob").count == 20);
  CHECK(parsed("/history bob 5").count == 5);
  CHECK(parsed("/wait 2.5").seconds == doctest::Approx(2.5));
  CHECK(parsed("/code a@example.com reset").args[1] == "reset");
  CHECK(parsed("/open").args.empty());
  CHECK(parsed("/help /msg").args == std::vector<std::string>{"msg"});
}

TEST_CASE("parser: an unknown command suggests the closest one") {
  auto foo = failed("/foo");
  CHECK(foo.unknown);
  CHECK(foo.message == "unknown command /foo; did you mean /find?");
  CHECK(failed("/frends").message == "unknown command /frends; did you mean /friends?");
  CHECK(failed("/quti").message == "unknown command /quti; did you mean /quit?");
  CHECK(failed("/hist bob").message == "unknown command /hist; did you mean /history?");
  CHECK(failed("/xyzzyplugh").message == "unknown command /xyzzyplugh; try /help");
  CHECK(failed("/").unknown);
  CHECK(failed("/help nosuch").unknown);
}

TEST_CASE("parser: passwords are masked for echo and history, nothing else is") {
  CHECK(mask_secrets("/login alice s3cret") == "/login alice ******");
  CHECK(mask_secrets("/register al a@b.c pässwörd 123456") == "/register al a@b.c ******** 123456");
  CHECK(mask_secrets("/reset a@b.c 123456 newpass") == "/reset a@b.c 123456 *******");
  CHECK(mask_secrets("/login alice") == "/login alice");
  CHECK(mask_secrets("/msg bob my password is x") == "/msg bob my password is x");
  CHECK(mask_secrets("hello") == "hello");
}

TEST_CASE("parser: arbitrary bytes never crash it") {
  const std::string inputs[] = {std::string("/\0\xff\xfe", 4),
                                "/msg \xff\xff",
                                "////",
                                "/ / /",
                                "/history a 99999999999999999999",
                                "/wait 1e309",
                                std::string(10000, '/'),
                                "/login \t \t"};
  for (const auto& input : inputs) {
    (void)parse_command(input);
    (void)mask_secrets(input);
  }
  // And a deterministic spray of lines built from the characters that matter to the grammar.
  const std::string alphabet = "/ \t\r-.0123456789abclmorsw\xe4\xbd\xa0\xff";
  std::uint32_t state = 12345;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int length = static_cast<int>(state % 24);
    for (int k = 0; k < length; ++k) {
      state = state * 1664525u + 1013904223u;
      line += alphabet[(state >> 16) % alphabet.size()];
    }
    state = state * 1664525u + 1013904223u;
    auto result = parse_command(line);
    if (auto* command = std::get_if<Command>(&result)) {
      if (const CommandSpec* spec = find_spec(command->name)) {
        CHECK(static_cast<int>(command->args.size()) >= spec->min_args);
        CHECK(static_cast<int>(command->args.size()) <= spec->max_args);
      }
    }
    // Masking never changes anything but the secret's characters.
    CHECK(mask_secrets(line).size() <= line.size());
  }
}

TEST_CASE("parser: /group takes a subcommand with its own grammar, /g sends the rest verbatim") {
  auto create = parsed("/group create hiking bob carol");
  CHECK(create.kind == CommandKind::kGroup);
  CHECK(create.name == "group");
  CHECK(create.args == std::vector<std::string>{"create", "hiking", "bob", "carol"});
  CHECK(parsed("/GROUP Invite #12 dave").args == std::vector<std::string>{"invite", "#12", "dave"});
  CHECK(parsed("/group leave hiking").args.size() == 2);
  CHECK(parsed("/group kick hiking bob").args[2] == "bob");
  CHECK(parsed("/group members #7").args[1] == "#7");
  CHECK(parsed("/group read hiking").args[0] == "read");

  auto send = parsed("/g hiking  see you   at 8, 你好 ");
  CHECK(send.kind == CommandKind::kGroupSend);
  CHECK(send.name == "g");
  CHECK(send.args == std::vector<std::string>{"hiking", "see you   at 8, 你好"});
  CHECK(parsed("/groups").kind == CommandKind::kGroups);

  // Errors name the command "group", with the subcommand's usage.
  auto none = failed("/group");
  CHECK(none.command == "group");
  CHECK(none.message.find("usage: /group create|invite|leave|kick|members|read") !=
        std::string::npos);
  auto unknown = failed("/group creat hiking bob");
  CHECK(unknown.command == "group");
  CHECK_FALSE(unknown.unknown);
  CHECK(unknown.message.find("unknown /group command 'creat'; did you mean create?") == 0);
  auto lonely = failed("/group create hiking");
  CHECK(lonely.command == "group");
  CHECK(lonely.message == "usage: /group create <name> <user>...");
  CHECK(failed("/group kick hiking bob carol").message ==
        "too many arguments; usage: /group kick <group> <user>");
  CHECK(failed("/group members").message == "usage: /group members <group>");
  CHECK(failed("/g hiking").message == "usage: /g <group> <text>");
  CHECK(failed("/groups all").command == "groups");

  // /help knows them; the subcommands have specs of their own.
  CHECK(parsed("/help group").args == std::vector<std::string>{"group"});
  CHECK(parsed("/help /g").args == std::vector<std::string>{"g"});
  CHECK(find_group_spec("kick") != nullptr);
  CHECK(find_group_spec("nosuch") == nullptr);
  CHECK(group_specs().size() == 6);
  CHECK(mask_secrets("/group create secret bob") == "/group create secret bob");
}

TEST_CASE("suggest: edit distance counts edits and neighbour swaps") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("friends", "frends") == 1);
  CHECK(edit_distance("quit", "quti") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  const std::string_view words[] = {"open", "read", "reject"};
  CHECK(closest("opne", words) == "open");
  CHECK(closest("rea", words) == "read");
  CHECK_FALSE(closest("zzzzzzzz", words).has_value());
  CHECK_FALSE(closest("", words).has_value());
}
