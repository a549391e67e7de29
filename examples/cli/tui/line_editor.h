// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_LINE_EDITOR_H_
#define WECHAT_CLI_TUI_LINE_EDITOR_H_

/// @file
/// The input line: editing, history and tab completion, without any drawing. Pure.

#include <cstddef>
#include <string>
#include <vector>

namespace wechat::cli::tui {

/// @par Thread Safety
/// A value type; use from one thread.
class LineEditor {
 public:
  const std::wstring& text() const { return text_; }
  /// Cursor position, in characters from the start (0..text().size()).
  std::size_t cursor() const { return cursor_; }
  /// The text as it may be shown: a password argument masked with '*' (same length).
  std::wstring display() const;

  void insert(wchar_t c);
  void insert(const std::wstring& s);
  void left();
  void right();
  void home();
  void end();
  void backspace();
  void erase_forward();       ///< Delete.
  void delete_word_before();  ///< Ctrl-W: the word before the cursor, and blanks after it.
  void kill_to_start();       ///< Ctrl-U.
  void kill_to_end();         ///< Ctrl-K.

  void history_previous();  ///< Up: older entries; the line being typed is kept for Down.
  void history_next();      ///< Down.

  /// Enter: returns the line, clears it, and records it in history (masked). Blank lines and
  /// repeats of the newest entry are not recorded.
  std::wstring submit();

  /// Tab: completes the word before the cursor. The first word of a line starting with '/'
  /// completes from `commands` (names with the slash); any other word from `names`. A single
  /// match is completed and followed by a space; several are completed to their common
  /// prefix. Returns the candidates that matched (for showing when there are several).
  std::vector<std::wstring> complete(const std::vector<std::wstring>& commands,
                                     const std::vector<std::wstring>& names);

  /// Which word (0: the first) the cursor is in or right after: the word Tab completes.
  std::size_t word_index() const;

  const std::vector<std::wstring>& history() const { return history_; }

 private:
  std::wstring text_;
  std::size_t cursor_ = 0;
  std::vector<std::wstring> history_;
  std::size_t history_pos_ = 0;  // == history_.size(): the line being typed
  std::wstring draft_;           // the line being typed, while browsing history
};

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_LINE_EDITOR_H_
