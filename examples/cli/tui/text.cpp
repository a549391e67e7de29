// SPDX-License-Identifier: MIT
#include "tui/text.h"

#include <wchar.h>

namespace wechat::cli::tui {

std::wstring widen(std::string_view s) {
  std::wstring out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      extra = 1;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3;
      cp = b & 0x07;
    } else {
      out += L'\uFFFD';
      ++i;
      continue;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) {  // cut short at the end
      out += L'\uFFFD';
      ++i;
      continue;
    }
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (!ok || cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      out += L'\uFFFD';
      ++i;
      continue;
    }
    out += static_cast<wchar_t>(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string narrow(std::wstring_view text) {
  std::string out;
  out.reserve(text.size());
  for (wchar_t wc : text) {
    auto cp = static_cast<char32_t>(wc);
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

int char_width(wchar_t c) {
  const int w = ::wcwidth(c);
  if (w >= 0) return w;
  return 1;
}

int text_width(std::wstring_view text) {
  int width = 0;
  for (wchar_t c : text) width += char_width(c);
  return width;
}

std::wstring clip(std::wstring_view text, int columns) {
  int used = 0;
  std::size_t n = 0;
  for (; n < text.size(); ++n) {
    const int w = char_width(text[n]);
    if (used + w > columns) break;
    used += w;
  }
  return std::wstring(text.substr(0, n));
}

std::vector<std::wstring> wrap(std::wstring_view text, int columns) {
  std::vector<std::wstring> lines;
  if (columns < 1) columns = 1;
  while (true) {
    // The longest piece that fits, then back up to the last blank if the cut is mid-word.
    int used = 0;
    std::size_t n = 0;
    std::size_t last_blank = std::wstring_view::npos;
    for (; n < text.size(); ++n) {
      const int w = char_width(text[n]);
      if (used + w > columns) break;
      used += w;
      if (text[n] == L' ') last_blank = n;
    }
    if (n >= text.size()) {
      lines.emplace_back(text);
      return lines;
    }
    if (n == 0) n = 1;  // a character wider than the line: show it anyway
    std::size_t cut = n;
    std::size_t next = n;
    if (text[n] == L' ') {
      next = n + 1;  // the break falls on a blank: drop it
    } else if (last_blank != std::wstring_view::npos && last_blank > 0) {
      cut = last_blank;
      next = last_blank + 1;
    }
    lines.emplace_back(text.substr(0, cut));
    text.remove_prefix(next);
  }
}

}  // namespace wechat::cli::tui
