// SPDX-License-Identifier: MIT
// App: drawing. Everything is redrawn from the model on each change; ncurses sends only what
// differs, so a message arriving never disturbs the input line: it is drawn again, as it was,
// after every change, and the cursor put back in it.
#include <algorithm>
#include <chrono>

#include "format.h"
#include "tui/app.h"
#include "tui/layout.h"
#include "tui/text.h"

namespace wechat::cli::tui {

namespace {

UnixMillis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr wchar_t kOnlineDot = L'\u25CF';   // ●
constexpr wchar_t kOfflineDot = L'\u25CB';  // ○

}  // namespace

void App::draw() {
  dirty_ = false;
  screen_->erase();
  const Layout layout = compute_layout(screen_->rows(), screen_->columns());
  pane_height_ = std::max(layout.pane.height, 1);
  pane_width_ = std::max(layout.pane.width, 1);
  if (layout.list.width > 0) {
    draw_list(layout.list);
    screen_->vertical_rule(layout.divider, layout.list.top, layout.list.height);
  }
  draw_pane(layout.pane);
  draw_status(layout.status);
  draw_input(layout.input);  // last: it places the cursor
  screen_->present();
}

void App::draw_list(const Rect& area) {
  if (area.height <= 0) return;
  int y = area.top;
  const int w = area.width;
  {
    const Style style = view_ ? Style::kDim : Style::kSelected;
    screen_->fill(y, area.left, w, view_ ? Style::kNormal : Style::kSelected);
    screen_->put(y, area.left, L" (console)", w, style);
    ++y;
  }
  // Keep the open conversation visible when the list is longer than the screen.
  std::size_t first = 0;
  const auto rows_shown = static_cast<std::size_t>(std::max(area.height - 1, 0));
  if (view_) {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (viewing(rows_[i]) && i >= rows_shown) first = i + 1 - rows_shown;
    }
  }
  for (std::size_t i = first; i < rows_.size() && y < area.top + area.height; ++i, ++y) {
    const Row& row = rows_[i];
    const bool selected = viewing(row);
    const Style base = selected ? Style::kSelected : Style::kNormal;
    screen_->fill(y, area.left, w, base);
    int x = area.left;
    x += screen_->put(y, x, L" ", 1, base);
    if (row.group != 0) {
      x += screen_->put(y, x, L"#", 1, selected ? base : Style::kDim);  // a group
    } else if (row.is_friend) {
      const wchar_t dot = row.online ? kOnlineDot : kOfflineDot;
      x += screen_->put(y, x, std::wstring(1, dot), 1,
                        selected ? base : (row.online ? Style::kOnline : Style::kDim));
    } else {
      x += screen_->put(y, x, L" ", 1, base);
    }
    x += screen_->put(y, x, L" ", 1, base);
    const std::wstring unread =
        row.unread != 0 ? L" (" + std::to_wstring(row.unread) + L")" : std::wstring();
    const int name_room = area.left + w - x - text_width(unread);
    const Style name_style = selected       ? base
                             : row.unread != 0 ? Style::kUnread
                             : row.inactive  ? Style::kDim  // a group left or dissolved
                                             : base;
    screen_->put(y, x, widen(row.user.username), name_room, name_style);
    if (!unread.empty()) {
      screen_->put(y, area.left + w - text_width(unread), unread, text_width(unread),
                   selected ? base : Style::kUnread);
    }
  }
}

std::vector<DisplayLine> App::pane_lines(int width) const {
  if (view_) return render_messages(messages_, width, now_ms(), at_start_);
  std::vector<DisplayLine> lines;
  for (const auto& entry : console_) {
    for (auto& piece : wrap(entry.text, width)) lines.push_back({{{piece, entry.style}}});
  }
  return lines;
}

void App::draw_pane(const Rect& area) {
  if (area.height <= 0 || area.width <= 0) return;
  const auto lines = pane_lines(area.width);
  const int total = static_cast<int>(lines.size());
  scroll_ = std::clamp(scroll_, 0, std::max(total - area.height, 0));
  // Bottom-anchored: the newest line sits on the pane's last row unless scrolled back.
  const int first = std::max(total - area.height - scroll_, 0);
  const int top_row = area.top + std::max(area.height - (total - first), 0);
  for (int i = first, y = top_row; i < total && y < area.top + area.height; ++i, ++y) {
    int x = area.left;
    for (const auto& span : lines[static_cast<std::size_t>(i)].spans) {
      x += screen_->put(y, x, span.text, area.left + area.width - x, span.style);
    }
  }
}

void App::draw_status(const Rect& area) {
  if (area.height <= 0) return;
  screen_->fill(area.top, area.left, area.width, Style::kStatus);
  std::string text = " ";
  const auto me = client_.current_user();
  text += me ? me->username : "not logged in";
  text += " | ";
  text += connection_state_name(client_.connection_state());
  if (!sync_text_.empty()) text += " " + sync_text_;
  if (view_) {
    const Row* row = view_row();
    const ConversationId here = row != nullptr ? row->conversation : 0;
    auto typing_here = [&](UserId user) {
      auto where = typing_in_.find(user);
      return typing_until_.count(user) != 0 && where != typing_in_.end() && where->second == here;
    };
    if (view_->group != 0) {
      text += " | #" + view_->username;
      if (auto group = client_.group(view_->group); group.ok()) {
        text += " (" + std::to_string(group->member_count) + " members";
        if (group->membership == GroupMembership::kLeft) text += ", left";
        if (group->membership == GroupMembership::kRemoved) text += ", removed";
        if (group->dissolved) text += ", dissolved";
        text += ")";
      }
      std::string typing;
      for (const auto& [user, until] : typing_until_) {
        if (typing_here(user)) typing += (typing.empty() ? "" : ", ") + commands_.username(user);
      }
      if (!typing.empty()) text += " | " + typing + " typing...";
    } else {
      text += " | " + view_->username;
      if (row != nullptr && row->is_friend) {
        text += row->online ? " \u25CF online" : " \u25CB offline";
      }
      if (typing_here(view_->id)) text += " | typing...";
    }
  }
  if (scroll_ > 0) text += " | scrolled back (PageDown)";
  if (busy_ > 0) text += " | working...";
  if (!notice_.empty()) text += " | " + notice_;
  screen_->put(area.top, area.left, widen(text), area.width, Style::kStatus);
}

void App::draw_input(const Rect& area) {
  if (area.height <= 0 || area.width <= 0) return;
  std::wstring prompt = L"> ";
  if (view_) prompt = (view_->group != 0 ? L"#" : L"") + widen(view_->username) + prompt;
  const std::wstring shown = editor_.display();  // the password masked
  const int prompt_width = std::min(text_width(prompt), area.width / 2);
  const int room = std::max(area.width - prompt_width - 1, 1);
  // Scroll the line horizontally so the cursor stays in view.
  std::size_t start = 0;
  const std::size_t cursor = std::min(editor_.cursor(), shown.size());
  while (text_width(std::wstring_view(shown).substr(start, cursor - start)) > room) ++start;
  screen_->put(area.top, area.left, prompt, prompt_width, Style::kDim);
  const std::wstring visible = clip(std::wstring_view(shown).substr(start), room);
  screen_->put(area.top, area.left + prompt_width, visible, room, Style::kNormal);
  const int cursor_x =
      area.left + prompt_width + text_width(std::wstring_view(shown).substr(start, cursor - start));
  screen_->place_cursor(area.top, cursor_x);
}

}  // namespace wechat::cli::tui
