// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_LAYOUT_H_
#define WECHAT_CLI_TUI_LAYOUT_H_

/// @file
/// Where each part of the full-screen UI goes for a terminal size. Pure.
///
///   +-------------+|+----------------------------------+
///   | list        ||| messages                          |
///   |             |||                                   |
///   +-------------+|+----------------------------------+
///   | status line                                       |
///   | input line                                        |
///   +---------------------------------------------------+

namespace wechat::cli::tui {

struct Rect {
  int top = 0;
  int left = 0;
  int height = 0;
  int width = 0;
};

struct Layout {
  Rect list;         ///< Conversations; width 0 when the terminal is too narrow for it.
  int divider = -1;  ///< Column of the vertical rule between list and pane, or -1.
  Rect pane;         ///< Messages or the console.
  Rect status;
  Rect input;
};

/// The layout for `rows` x `columns` (any size, even 0 x 0: parts then get no room).
Layout compute_layout(int rows, int columns);

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_LAYOUT_H_
