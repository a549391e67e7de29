// SPDX-License-Identifier: MIT
#include "tui/screen.h"

#include <curses.h>

#include <string>

#include "tui/text.h"

namespace wechat::cli::tui {

namespace {

// Colour pairs, one per coloured style.
enum Pair : short {
  kPairDim = 1,
  kPairSelf,
  kPairPeer,
  kPairError,
  kPairCommand,
  kPairMarker,
  kPairRead,
  kPairStatus,
  kPairOnline,
  kPairUnread,
};

attr_t attributes(Style style, bool colour) {
  auto pair = [&](short p, attr_t fallback) -> attr_t {
    return colour ? static_cast<attr_t>(COLOR_PAIR(p)) : fallback;
  };
  switch (style) {
    case Style::kNormal:
      return A_NORMAL;
    case Style::kDim:
      return colour ? pair(kPairDim, A_NORMAL) : A_DIM;
    case Style::kSelf:
      return pair(kPairSelf, A_NORMAL) | A_BOLD;
    case Style::kPeer:
      return pair(kPairPeer, A_NORMAL) | A_BOLD;
    case Style::kError:
      return pair(kPairError, A_BOLD);
    case Style::kCommand:
      return pair(kPairCommand, A_DIM);
    case Style::kMarker:
      return pair(kPairMarker, A_NORMAL);
    case Style::kRead:
      return pair(kPairRead, A_BOLD);
    case Style::kStatus:
      return pair(kPairStatus, A_REVERSE);
    case Style::kOnline:
      return pair(kPairOnline, A_BOLD);
    case Style::kUnread:
      return pair(kPairUnread, A_NORMAL) | A_BOLD;
    case Style::kSelected:
      return A_REVERSE;
  }
  return A_NORMAL;
}

}  // namespace

Screen::Screen(bool colour) {
  initscr();
  raw();  // Ctrl-C and Ctrl-Z reach the UI as keys: it quits cleanly instead of being killed
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  colour_ = colour && has_colors();
  if (colour_) {
    start_color();
    use_default_colors();
    init_pair(kPairDim, COLOR_BLUE, -1);
    init_pair(kPairSelf, COLOR_CYAN, -1);
    init_pair(kPairPeer, COLOR_YELLOW, -1);
    init_pair(kPairError, COLOR_RED, -1);
    init_pair(kPairCommand, COLOR_MAGENTA, -1);
    init_pair(kPairMarker, COLOR_GREEN, -1);
    init_pair(kPairRead, COLOR_CYAN, -1);
    init_pair(kPairStatus, COLOR_WHITE, COLOR_BLUE);
    init_pair(kPairOnline, COLOR_GREEN, -1);
    init_pair(kPairUnread, COLOR_YELLOW, -1);
  }
}

Screen::~Screen() { endwin(); }

int Screen::rows() const { return getmaxy(stdscr); }
int Screen::columns() const { return getmaxx(stdscr); }

void Screen::erase() { werase(stdscr); }

int Screen::put(int y, int x, std::wstring_view text, int max_columns, Style style) {
  if (max_columns <= 0 || y < 0 || x < 0 || y >= rows() || x >= columns()) return 0;
  const std::wstring clipped = clip(text, std::min(max_columns, columns() - x));
  const attr_t attr = attributes(style, colour_);
  wattr_on(stdscr, attr, nullptr);
  mvwaddnwstr(stdscr, y, x, clipped.c_str(), static_cast<int>(clipped.size()));
  wattr_off(stdscr, attr, nullptr);
  return text_width(clipped);
}

void Screen::fill(int y, int x, int n, Style style) {
  if (n <= 0) return;
  put(y, x, std::wstring(static_cast<std::size_t>(n), L' '), n, style);
}

void Screen::vertical_rule(int x, int top, int height) {
  if (height > 0 && x >= 0 && x < columns()) mvwvline(stdscr, top, x, ACS_VLINE, height);
}

void Screen::place_cursor(int y, int x) {
  if (y >= 0 && y < rows() && x >= 0 && x < columns()) wmove(stdscr, y, x);
}

void Screen::present() { wrefresh(stdscr); }

void Screen::repaint_all() { clearok(stdscr, TRUE); }

Key Screen::read_key() {
  wint_t ch = 0;
  const int rc = wget_wch(stdscr, &ch);
  if (rc == ERR) return {Key::kNone, 0};
  if (rc == KEY_CODE_YES) {
    switch (ch) {
      case KEY_ENTER:
        return {Key::kEnter, 0};
      case KEY_BACKSPACE:
        return {Key::kBackspace, 0};
      case KEY_DC:
        return {Key::kDelete, 0};
      case KEY_LEFT:
        return {Key::kLeft, 0};
      case KEY_RIGHT:
        return {Key::kRight, 0};
      case KEY_UP:
        return {Key::kUp, 0};
      case KEY_DOWN:
        return {Key::kDown, 0};
      case KEY_HOME:
        return {Key::kHome, 0};
      case KEY_END:
        return {Key::kEnd, 0};
      case KEY_PPAGE:
        return {Key::kPageUp, 0};
      case KEY_NPAGE:
        return {Key::kPageDown, 0};
      case KEY_RESIZE:
        return {Key::kResize, 0};
      default:
        return {Key::kOther, 0};
    }
  }
  switch (ch) {
    case L'\r':
    case L'\n':
      return {Key::kEnter, 0};
    case L'\t':
      return {Key::kTab, 0};
    case 127:
    case 8:
      return {Key::kBackspace, 0};
    default:
      return {Key::kChar, static_cast<wchar_t>(ch)};
  }
}

}  // namespace wechat::cli::tui
