// SPDX-License-Identifier: MIT
#include "tui/layout.h"

#include <algorithm>

namespace wechat::cli::tui {

namespace {
/// Below this many columns the list is hidden: the messages need the room more.
constexpr int kMinColumnsForList = 50;
}  // namespace

Layout compute_layout(int rows, int columns) {
  rows = std::max(rows, 0);
  columns = std::max(columns, 0);
  Layout l;
  const int body = std::max(rows - 2, 0);
  l.input = Rect{std::max(rows - 1, 0), 0, rows >= 1 ? 1 : 0, columns};
  l.status = Rect{std::max(rows - 2, 0), 0, rows >= 2 ? 1 : 0, columns};
  if (columns >= kMinColumnsForList) {
    // A fifth of the width, between 16 and 28 columns.
    const int list_width = std::clamp(columns / 5, 16, 28);
    l.list = Rect{0, 0, body, list_width};
    l.divider = list_width;
    l.pane = Rect{0, list_width + 1, body, columns - list_width - 1};
  } else {
    l.list = Rect{0, 0, body, 0};
    l.pane = Rect{0, 0, body, columns};
  }
  return l;
}

}  // namespace wechat::cli::tui
