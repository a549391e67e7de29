// SPDX-License-Identifier: MIT
#include "command_parser.h"

#include <array>
#include <charconv>
#include <cmath>

#include "suggest.h"

namespace wechat::cli {

namespace {

using K = CommandKind;

// The grammar of every command. Keep in step with docs/cli.md.
constexpr std::array<CommandSpec, 22> kSpecs = {{
    {K::kCode, "code", "/code <email> [register|reset]",
     "mail a verification code (for registering, or resetting a password)", 1, 2, false, -1},
    {K::kRegister, "register", "/register <username> <email> <password> <code>",
     "create an account with the mailed code (then /login)", 4, 4, false, 2},
    {K::kLogin, "login", "/login <username-or-email> <password>",
     "log in; later runs resume the session without the password", 2, 2, false, 1},
    {K::kLogout, "logout", "/logout", "end the session (local messages stay)", 0, 0, false, -1},
    {K::kReset, "reset", "/reset <email> <code> <new-password>",
     "set a new password with a code from /code <email> reset", 3, 3, false, 2},
    {K::kSearch, "search", "/search <query>", "find users by name", 1, 1, true, -1},
    {K::kAdd, "add", "/add <username> [note]", "ask someone to be your friend", 1, 2, true, -1},
    {K::kAccept, "accept", "/accept <username>", "accept a friend request", 1, 1, false, -1},
    {K::kReject, "reject", "/reject <username>", "decline a friend request", 1, 1, false, -1},
    {K::kFriends, "friends", "/friends", "list friends, online or not, with unread counts", 0, 0,
     false, -1},
    {K::kRequests, "requests", "/requests", "list pending friend requests", 0, 0, false, -1},
    {K::kMsg, "msg", "/msg <username> <text>", "send a message (queued while offline)", 2, 2, true,
     -1},
    {K::kGroupSend, "g", "/g <group> <text>", "send a message to a group (queued while offline)",
     2, 2, true, -1},
    {K::kGroups, "groups", "/groups", "list your groups with unread counts", 0, 0, false, -1},
    {K::kGroup, "group", "/group create|invite|leave|kick|members|read ...",
     "manage groups (/help group explains each)", 1, 64, false, -1},
    {K::kOpen, "open", "/open [username|group]",
     "open a conversation: plain lines then go to that friend or group (no name: close it)", 0,
     1, false, -1},
    {K::kHistory, "history", "/history <username> [count]",
     "show the last messages with someone (older ones come from the server)", 1, 2, false, -1},
    {K::kFind, "find", "/find <text>", "search your messages (words, or any Chinese text)", 1, 1,
     true, -1},
    {K::kRead, "read", "/read <username>", "mark a conversation read", 1, 1, false, -1},
    {K::kWait, "wait", "/wait <seconds>", "keep receiving events for a while (for scripts)", 1, 1,
     false, -1},
    {K::kQuit, "quit", "/quit", "leave (queued messages are sent first, or next time)", 0, 0, false,
     -1},
    {K::kHelp, "help", "/help [command]", "list the commands, or explain one", 0, 1, false, -1},
}};

// /group's subcommands: min_args and max_args count what follows the subcommand. Groups are
// named by name (one word) or by id ("#12"); see docs/cli.md.
constexpr std::array<CommandSpec, 6> kGroupSpecs = {{
    {K::kGroup, "create", "/group create <name> <user>...",
     "create a group with friends of yours (you own it)", 2, 63, false, -1},
    {K::kGroup, "invite", "/group invite <group> <user>...",
     "add friends to a group (owner or admin)", 2, 63, false, -1},
    {K::kGroup, "leave", "/group leave <group>", "leave a group (its messages stay here)", 1, 1,
     false, -1},
    {K::kGroup, "kick", "/group kick <group> <user>", "remove someone (owner or admin)", 2, 2,
     false, -1},
    {K::kGroup, "members", "/group members <group>", "list a group's members and their roles",
     1, 1, false, -1},
    {K::kGroup, "read", "/group read <group>", "mark a group read", 1, 1, false, -1},
}};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Splits off the next blank-separated word of `rest`.
std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

ParseError usage_error(const CommandSpec& spec, std::string_view why = {}) {
  std::string message = why.empty() ? std::string() : std::string(why) + "; ";
  message += "usage: ";
  message += spec.usage;
  return ParseError{std::string(spec.name), false, std::move(message)};
}

ParseError unknown_command(std::string_view word) {
  std::vector<std::string_view> names;
  for (const auto& spec : kSpecs) names.push_back(spec.name);
  std::string message = "unknown command /" + std::string(word);
  if (auto suggestion = closest(word, names)) {
    message += "; did you mean /" + *suggestion + "?";
  } else {
    message += "; try /help";
  }
  return ParseError{"", true, std::move(message)};
}

bool parse_count(std::string_view text, std::uint32_t& out) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 1000) {
    return false;
  }
  out = value;
  return true;
}

bool parse_seconds(std::string_view text, double& out) {
  // from_chars for double is in GCC 11+; accept plain decimals only ("2", "0.5").
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 ||
      value > 86400) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

std::span<const CommandSpec> command_specs() { return kSpecs; }
std::span<const CommandSpec> group_specs() { return kGroupSpecs; }

const CommandSpec* find_group_spec(std::string_view name) {
  for (const auto& spec : kGroupSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const CommandSpec* find_spec(std::string_view name) {
  for (const auto& spec : kSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

ParseResult parse_command(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (trim(line).empty()) return Command{};
  if (line.starts_with("//")) {
    Command text;
    text.kind = CommandKind::kText;
    text.args.emplace_back(line.substr(1));
    return text;
  }
  const std::string_view trimmed = trim(line);
  if (!trimmed.starts_with('/')) {
    Command text;
    text.kind = CommandKind::kText;
    text.args.emplace_back(line);
    return text;
  }
  std::string_view rest = trimmed.substr(1);
  const std::string_view word = next_word(rest);
  // Command names are matched case-insensitively: "/MSG" is "/msg".
  std::string name(word);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const CommandSpec* spec = find_spec(name);
  if (spec == nullptr) return unknown_command(word.empty() ? std::string_view("") : word);

  Command command;
  command.kind = spec->kind;
  command.name = spec->name;
  while (true) {
    if (spec->rest_is_text && static_cast<int>(command.args.size()) == spec->max_args - 1) {
      const std::string_view text = trim(rest);
      if (!text.empty()) command.args.emplace_back(text);
      break;
    }
    const std::string_view arg = next_word(rest);
    if (arg.empty()) break;
    if (static_cast<int>(command.args.size()) == spec->max_args) {
      return usage_error(*spec, "too many arguments");
    }
    command.args.emplace_back(arg);
  }
  if (static_cast<int>(command.args.size()) < spec->min_args) return usage_error(*spec);

  switch (spec->kind) {
    case K::kCode:
      if (command.args.size() == 2 && command.args[1] != "register" && command.args[1] != "reset") {
        return usage_error(*spec, "the purpose is register or reset");
      }
      break;
    case K::kHistory:
      if (command.args.size() == 2 && !parse_count(command.args[1], command.count)) {
        return usage_error(*spec, "count is a number from 1 to 1000");
      }
      break;
    case K::kWait:
      if (!parse_seconds(command.args[0], command.seconds)) {
        return usage_error(*spec, "seconds is a number from 0 to 86400");
      }
      break;
    case K::kGroup: {
      std::string sub = command.args[0];
      for (char& c : sub) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      const CommandSpec* group = find_group_spec(sub);
      if (group == nullptr) {
        std::vector<std::string_view> names;
        for (const auto& g : kGroupSpecs) names.push_back(g.name);
        std::string why = "unknown /group command '" + command.args[0] + "'";
        if (auto suggestion = closest(sub, names)) why += "; did you mean " + *suggestion + "?";
        return usage_error(*spec, why);
      }
      command.args[0] = sub;
      const int n = static_cast<int>(command.args.size()) - 1;
      if (n < group->min_args || n > group->max_args) {
        ParseError error = usage_error(*group, n > group->max_args ? "too many arguments" : "");
        error.command = "group";
        return error;
      }
      break;
    }
    case K::kHelp:
      if (command.args.size() == 1) {
        std::string_view topic = command.args[0];
        if (topic.starts_with('/')) topic.remove_prefix(1);
        if (find_spec(topic) == nullptr) return unknown_command(topic);
        command.args[0] = std::string(topic);
      }
      break;
    default:
      break;
  }
  return command;
}

std::string mask_secrets(std::string_view line) {
  std::string_view rest = trim(line);
  if (!rest.starts_with('/') || rest.starts_with("//")) return std::string(line);
  rest.remove_prefix(1);
  std::string name(next_word(rest));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const CommandSpec* spec = find_spec(name);
  if (spec == nullptr || spec->secret_arg < 0) return std::string(line);
  for (int i = 0; i < spec->secret_arg; ++i) next_word(rest);
  while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  // Offsets into `line`: `rest` is a view into it.
  const std::size_t begin = static_cast<std::size_t>(rest.data() - line.data());
  std::string masked(line.substr(0, begin));
  for (std::size_t i = 0; i < end; ++i) {
    // One star per character: UTF-8 continuation bytes add none.
    if ((static_cast<unsigned char>(rest[i]) & 0xC0) != 0x80) masked += '*';
  }
  masked += line.substr(begin + end);
  return masked;
}

}  // namespace wechat::cli
