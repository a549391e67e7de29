// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_COMMAND_PARSER_H_
#define WECHAT_CLI_COMMAND_PARSER_H_

/// @file
/// What the user typed, as a Command. Pure: no I/O, no client, safe on any input (fuzzable).
///
/// Syntax: a line starting with `/` is a command, its words separated by blanks; the last
/// argument of `/msg`, `/g`, `/add`, `/find` and `/search` is the rest of the line, verbatim. A
/// line starting with `//` is text that starts with one `/`. Any other line is text for the
/// open conversation. An empty (or blank) line is nothing. `/group` takes a subcommand
/// (`/group create <name> <user>...`, ...), each with a grammar of its own.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wechat::cli {

enum class CommandKind {
  kCode,
  kRegister,
  kLogin,
  kLogout,
  kReset,
  kSearch,
  kAdd,
  kAccept,
  kReject,
  kFriends,
  kRequests,
  kMsg,
  kOpen,
  kHistory,
  kFind,
  kRead,
  kWait,
  kQuit,
  kHelp,
  kGroup,      ///< /group <subcommand> ...: args[0] is the subcommand (lower case).
  kGroupSend,  ///< /g <group> <text>
  kGroups,     ///< /groups
  kText,   ///< A plain line: text for the open conversation (args[0]).
  kEmpty,  ///< A blank line: nothing to do.
};

/// One command's grammar and help.
struct CommandSpec {
  CommandKind kind;
  std::string_view name;     ///< Without the slash: "msg".
  std::string_view usage;    ///< "/msg <username> <text>".
  std::string_view summary;  ///< One line for /help.
  int min_args;
  int max_args;  ///< When `rest_is_text`, the last argument takes the rest of the line.
  bool rest_is_text;
  int secret_arg;  ///< Index of an argument never to show (a password), or -1.
};

/// Every command, in the order /help lists them.
std::span<const CommandSpec> command_specs();
/// The spec named `name` (without the slash), or nullptr.
const CommandSpec* find_spec(std::string_view name);
/// The subcommands of /group, in the order `/help group` lists them. Their `name` is the
/// subcommand ("create"); min_args and max_args count the arguments after it.
std::span<const CommandSpec> group_specs();
/// The /group subcommand named `name`, or nullptr.
const CommandSpec* find_group_spec(std::string_view name);

struct Command {
  CommandKind kind = CommandKind::kEmpty;
  std::string name;               ///< The spec's name; "" for kText and kEmpty.
  std::vector<std::string> args;  ///< As typed; kText holds the text in args[0].
  std::uint32_t count = 20;       ///< /history: how many messages (default 20).
  double seconds = 0;             ///< /wait.
};

/// Why a line is not a command.
struct ParseError {
  std::string command;   ///< The command's name if it is known, else "".
  bool unknown = false;  ///< The word after `/` names no command.
  /// For people: "usage: /msg <username> <text>", or
  /// "unknown command /foo; did you mean /find?".
  std::string message;
};

using ParseResult = std::variant<Command, ParseError>;

/// Parses one line (without its newline; a trailing '\r' is ignored).
ParseResult parse_command(std::string_view line);

/// `line` with the secret argument (the password of /login, /register and /reset) replaced by
/// as many `*` as it has bytes; other lines unchanged. For echoing and history.
std::string mask_secrets(std::string_view line);

}  // namespace wechat::cli

#endif  // WECHAT_CLI_COMMAND_PARSER_H_
