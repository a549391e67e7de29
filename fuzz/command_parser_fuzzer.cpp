// SPDX-License-Identifier: MIT
// Fuzzes the CLI's command parser (examples/cli/command_parser.h) with arbitrary bytes as one
// typed line. Besides not crashing, the parse must be well-formed (argument counts within the
// spec, values in range, errors that say something), must round-trip (a printed Command parses
// back to the same Command), and mask_secrets() must hide exactly the password's characters and
// touch nothing else. Any violation traps, which libFuzzer reports as a crash.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "command_parser.h"

namespace {

using wechat::cli::Command;
using wechat::cli::CommandKind;
using wechat::cli::CommandSpec;
using wechat::cli::ParseError;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// A line that should parse back to `c`. The parser has no printer of its own; this is the
/// obvious one: "/name arg arg ...", and text escaped with "//" when it starts with a slash.
/// The parser drops one trailing '\r' of every line, so a text ending in '\r' gets another.
std::string print(const Command& c) {
  std::string line;
  if (c.kind == CommandKind::kText) {
    line = c.args.at(0).starts_with('/') ? "/" + c.args[0] : c.args[0];
  } else if (c.kind != CommandKind::kEmpty) {
    line = "/" + c.name;
    for (const auto& arg : c.args) line += " " + arg;
  }
  if (!line.empty() && line.back() == '\r') line += '\r';
  return line;
}

bool same(const Command& a, const Command& b) {
  return a.kind == b.kind && a.name == b.name && a.args == b.args && a.count == b.count &&
         a.seconds == b.seconds;
}

void check_command(const Command& c) {
  switch (c.kind) {
    case CommandKind::kEmpty:
      check(c.name.empty() && c.args.empty());
      return;
    case CommandKind::kText:
      check(c.name.empty() && c.args.size() == 1 && !c.args[0].empty());
      return;
    default:
      break;
  }
  const CommandSpec* spec = wechat::cli::find_spec(c.name);
  check(spec != nullptr && spec->kind == c.kind);
  const int n = static_cast<int>(c.args.size());
  check(n >= spec->min_args && n <= spec->max_args);
  for (int i = 0; i < n; ++i) {
    const std::string& arg = c.args[static_cast<std::size_t>(i)];
    check(!arg.empty());
    // Words hold no blanks; a rest-of-line argument is trimmed.
    const bool rest = spec->rest_is_text && i == spec->max_args - 1;
    if (rest) {
      check(!is_blank(arg.front()) && !is_blank(arg.back()) && arg.front() != '\r' &&
            arg.back() != '\r');
    } else {
      check(std::none_of(arg.begin(), arg.end(), is_blank));
    }
  }
  check(c.count >= 1 && c.count <= 1000);
  check(std::isfinite(c.seconds) && c.seconds >= 0 && c.seconds <= 86400);
  if (c.kind == CommandKind::kHelp && n == 1) check(wechat::cli::find_spec(c.args[0]) != nullptr);
}

std::size_t characters(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto result = wechat::cli::parse_command(line);
  const std::string masked = wechat::cli::mask_secrets(line);
  check(masked.size() <= line.size());

  if (const auto* error = std::get_if<ParseError>(&result)) {
    check(!error->message.empty());
    if (error->unknown) check(error->command.empty());
    if (!error->command.empty()) check(wechat::cli::find_spec(error->command) != nullptr);
    return 0;
  }
  const Command& command = std::get<Command>(result);
  check_command(command);

  // Round trip through the printer.
  const auto again = wechat::cli::parse_command(print(command));
  check(std::holds_alternative<Command>(again) && same(std::get<Command>(again), command));

  // The masked line parses to the same command with only the secret replaced by one '*' per
  // character; a line without a secret is left exactly as it was.
  const CommandSpec* spec = wechat::cli::find_spec(command.name);
  const bool has_secret = spec != nullptr && spec->secret_arg >= 0 &&
                          static_cast<int>(command.args.size()) > spec->secret_arg;
  if (!has_secret) {
    check(masked == line);
    return 0;
  }
  const std::string& secret = command.args[static_cast<std::size_t>(spec->secret_arg)];
  const std::size_t stars = characters(secret);
  check(masked.size() == line.size() - secret.size() + stars);
  // A "password" of UTF-8 continuation bytes only is masked to nothing, so the masked line has
  // one argument less; it is for display only, and the password is gone all the same.
  if (stars == 0) return 0;
  const auto masked_result = wechat::cli::parse_command(masked);
  check(std::holds_alternative<Command>(masked_result));
  Command expected = command;
  expected.args[static_cast<std::size_t>(spec->secret_arg)] = std::string(stars, '*');
  check(same(std::get<Command>(masked_result), expected));
  return 0;
}
