// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_MESSAGE_VIEW_H_
#define WECHAT_CLI_TUI_MESSAGE_VIEW_H_

/// @file
/// A conversation's messages as styled screen lines, wrapped to a width. Pure (no ncurses), so
/// it is unit-tested.

#include <string>
#include <vector>

#include "wechat/types.h"

namespace wechat::cli::tui {

/// How a piece of text is drawn; the screen maps styles to colours (or, under NO_COLOR, to
/// bold, dim and reverse only).
enum class Style {
  kNormal,
  kDim,   ///< Times, hints.
  kSelf,  ///< This account's name.
  kPeer,  ///< The other person's name.
  kError,
  kCommand,   ///< Echo of a typed command in the console.
  kMarker,    ///< Queued / sent / delivered marks.
  kRead,      ///< The read mark.
  kStatus,    ///< The status bar.
  kOnline,    ///< Presence dot of an online friend.
  kUnread,    ///< A conversation with unread messages.
  kSelected,  ///< The open conversation in the list.
};

struct Span {
  std::wstring text;
  Style style = Style::kNormal;
};

struct DisplayLine {
  std::vector<Span> spans;
};

/// The mark after an outgoing message: "⌛" queued, "✓" sent, "✓✓" delivered, "✓✓ read"
/// read, "✗ <why>" failed; empty for incoming messages.
Span state_mark(const Message& message);

/// Lines for `messages` (oldest first) in a pane `width` columns wide:
/// "12:34 alice: text ✓✓", continuation lines indented under the text. `at_start` adds a
/// first line saying the conversation starts there. Times are local ("05-01 12:34" when not
/// today, relative to `now_ms`).
std::vector<DisplayLine> render_messages(const std::vector<Message>& messages, int width,
                                         UnixMillis now_ms, bool at_start);

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_MESSAGE_VIEW_H_
