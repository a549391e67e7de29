// SPDX-License-Identifier: MIT
#include "tui/line_editor.h"

#include <algorithm>

#include "command_parser.h"
#include "tui/text.h"

namespace wechat::cli::tui {

namespace {
bool blank(wchar_t c) { return c == L' ' || c == L'\t'; }
}  // namespace

std::wstring LineEditor::display() const {
  // Masking works on UTF-8 with one '*' per character, so lengths (and the cursor) agree.
  return widen(mask_secrets(narrow(text_)));
}

void LineEditor::insert(wchar_t c) {
  text_.insert(text_.begin() + static_cast<std::ptrdiff_t>(cursor_), c);
  ++cursor_;
}

void LineEditor::insert(const std::wstring& s) {
  text_.insert(cursor_, s);
  cursor_ += s.size();
}

void LineEditor::left() {
  if (cursor_ > 0) --cursor_;
}
void LineEditor::right() {
  if (cursor_ < text_.size()) ++cursor_;
}
void LineEditor::home() { cursor_ = 0; }
void LineEditor::end() { cursor_ = text_.size(); }

void LineEditor::backspace() {
  if (cursor_ == 0) return;
  text_.erase(cursor_ - 1, 1);
  --cursor_;
}

void LineEditor::erase_forward() {
  if (cursor_ < text_.size()) text_.erase(cursor_, 1);
}

void LineEditor::delete_word_before() {
  std::size_t start = cursor_;
  while (start > 0 && blank(text_[start - 1])) --start;
  while (start > 0 && !blank(text_[start - 1])) --start;
  text_.erase(start, cursor_ - start);
  cursor_ = start;
}

void LineEditor::kill_to_start() {
  text_.erase(0, cursor_);
  cursor_ = 0;
}

void LineEditor::kill_to_end() { text_.erase(cursor_); }

void LineEditor::history_previous() {
  if (history_pos_ == 0) return;
  if (history_pos_ == history_.size()) draft_ = text_;
  --history_pos_;
  text_ = history_[history_pos_];
  cursor_ = text_.size();
}

void LineEditor::history_next() {
  if (history_pos_ >= history_.size()) return;
  ++history_pos_;
  text_ = history_pos_ == history_.size() ? draft_ : history_[history_pos_];
  cursor_ = text_.size();
}

std::wstring LineEditor::submit() {
  std::wstring line = std::move(text_);
  text_.clear();
  cursor_ = 0;
  draft_.clear();
  const bool is_blank = std::all_of(line.begin(), line.end(), blank);
  // Never keep a password in memory longer than needed: history holds the masked line.
  std::wstring remembered = widen(mask_secrets(narrow(line)));
  if (!is_blank && (history_.empty() || history_.back() != remembered)) {
    history_.push_back(std::move(remembered));
  }
  history_pos_ = history_.size();
  return line;
}

std::size_t LineEditor::word_index() const {
  std::size_t start = cursor_;
  while (start > 0 && !blank(text_[start - 1])) --start;
  std::size_t words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < start; ++i) {
    if (!blank(text_[i]) && !in_word) ++words;
    in_word = !blank(text_[i]);
  }
  return words;
}

std::vector<std::wstring> LineEditor::complete(const std::vector<std::wstring>& commands,
                                               const std::vector<std::wstring>& names) {
  std::size_t start = cursor_;
  while (start > 0 && !blank(text_[start - 1])) --start;
  const std::wstring word = text_.substr(start, cursor_ - start);
  const bool first_word =
      std::all_of(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(start), blank);
  const bool command = first_word && !word.empty() && word[0] == L'/';
  std::vector<std::wstring> matches;
  for (const auto& candidate : command ? commands : names) {
    if (candidate.size() >= word.size() && candidate.compare(0, word.size(), word) == 0) {
      matches.push_back(candidate);
    }
  }
  if (matches.empty()) return matches;
  std::wstring completion = matches[0];
  if (matches.size() == 1) {
    completion += L' ';
  } else {
    for (const auto& m : matches) {
      std::size_t n = 0;
      while (n < completion.size() && n < m.size() && completion[n] == m[n]) ++n;
      completion.resize(n);
    }
  }
  text_.replace(start, word.size(), completion);
  cursor_ = start + completion.size();
  return matches;
}

}  // namespace wechat::cli::tui
