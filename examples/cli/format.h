// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_FORMAT_H_
#define WECHAT_CLI_FORMAT_H_

/// @file
/// Events and command results as text: the line-mode format (one line each, the first word
/// naming it; see docs/cli.md) and the wording the full-screen UI shows people.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "wechat/events.h"

namespace wechat::cli {

/// `text` made safe for one output line: a newline becomes "␤", other control characters
/// (escape sequences included) become U+FFFD; everything else is kept byte for byte.
std::string one_line(std::string_view text);

/// "2024-05-01T12:34:56Z".
std::string utc_time(UnixMillis ms);
/// "12:34" today, else "05-01 12:34", in local time.
std::string short_local_time(UnixMillis ms, UnixMillis now_ms);

/// Line mode: the lines of a command's outcome, the last one `ok ...` or `error ...`.
std::vector<std::string> format_result(const CommandResult& result, Names& names);
/// Line mode: the line of one event.
std::string format_event(const Event& event, Names& names);

/// For people: the lines a command's outcome shows (not /history, which the UI draws itself).
std::vector<std::string> describe_result(const CommandResult& result, Names& names);
/// For people: one line about an event for the console, or nothing for events the UI shows
/// elsewhere (messages, receipts, typing, sync progress).
std::optional<std::string> describe_event(const Event& event, Names& names);

}  // namespace wechat::cli

#endif  // WECHAT_CLI_FORMAT_H_
