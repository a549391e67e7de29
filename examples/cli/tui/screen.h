// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_SCREEN_H_
#define WECHAT_CLI_TUI_SCREEN_H_

/// @file
/// The terminal, through ncurses (wide-character build): the only file that includes curses.h.
/// Draws styled text by columns and reads keys without blocking.

#include <memory>
#include <string_view>

#include "tui/message_view.h"

namespace wechat::cli::tui {

struct Key {
  enum Kind {
    kNone,  ///< Nothing to read.
    kChar,  ///< A character (`ch`), control characters included.
    kEnter,
    kTab,
    kBackspace,
    kDelete,
    kLeft,
    kRight,
    kUp,
    kDown,
    kHome,
    kEnd,
    kPageUp,
    kPageDown,
    kResize,
    kOther,  ///< A key this UI does not use.
  };
  Kind kind = kNone;
  wchar_t ch = 0;
};

/// The full-screen terminal session: ncurses from construction to destruction.
///
/// @par Thread Safety
/// Not thread-safe: create, use and destroy on the UI thread only (ncurses is not
/// thread-safe).
class Screen {
 public:
  /// Enters full-screen mode (raw input, no echo, keypad). Colours only when the terminal has
  /// them and `colour` (false under NO_COLOR).
  explicit Screen(bool colour);
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  int rows() const;
  int columns() const;

  void erase();
  /// Draws `text` at (y, x), clipped to `max_columns`; returns the columns used.
  int put(int y, int x, std::wstring_view text, int max_columns, Style style);
  /// Fills `columns` cells from (y, x) with blanks of `style`.
  void fill(int y, int x, int columns, Style style);
  /// A vertical rule at column x.
  void vertical_rule(int x, int top, int height);
  void place_cursor(int y, int x);
  /// Sends what changed to the terminal.
  void present();
  /// The next present() repaints everything (Ctrl-L).
  void repaint_all();

  /// The next key, or kNone at once if there is none.
  Key read_key();

 private:
  bool colour_ = false;
};

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_SCREEN_H_
