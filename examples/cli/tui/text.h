// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_TEXT_H_
#define WECHAT_CLI_TUI_TEXT_H_

/// @file
/// Text for a character-cell screen: UTF-8 to wide strings and back, display widths (a Chinese
/// character takes two columns), wrapping and clipping by columns. Pure; widths follow
/// wcwidth(3), so the process needs a UTF-8 LC_CTYPE (setlocale) for them to be right.

#include <string>
#include <string_view>
#include <vector>

namespace wechat::cli::tui {

/// Decodes UTF-8; an invalid byte becomes U+FFFD.
std::wstring widen(std::string_view utf8);
/// Encodes as UTF-8.
std::string narrow(std::wstring_view text);

/// Columns `c` takes: 0 for combining marks, 2 for wide characters, 1 otherwise (also for
/// characters wcwidth does not know, which are drawn as one cell).
int char_width(wchar_t c);
int text_width(std::wstring_view text);

/// The longest prefix of `text` that fits in `columns`.
std::wstring clip(std::wstring_view text, int columns);
/// Splits `text` into lines of at most `columns` columns, breaking after blanks when it can
/// and inside words (or between Chinese characters) when it must. Never returns no lines.
std::vector<std::wstring> wrap(std::wstring_view text, int columns);

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_TEXT_H_
