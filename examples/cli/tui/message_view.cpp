// SPDX-License-Identifier: MIT
#include "tui/message_view.h"

#include "format.h"
#include "tui/text.h"

namespace wechat::cli::tui {

Span state_mark(const Message& m) {
  switch (m.state) {
    case MessageState::kQueued:
      return {L"\u231B", Style::kMarker};
    case MessageState::kSent:
      return {L"\u2713", Style::kMarker};
    case MessageState::kDelivered:
      return {L"\u2713\u2713", Style::kMarker};
    case MessageState::kRead:
      return {L"\u2713\u2713 read", Style::kRead};
    case MessageState::kFailed:
      return {L"\u2717 " + widen(one_line(m.failure.message())), Style::kError};
    case MessageState::kReceived:
      break;
  }
  return {L"", Style::kNormal};
}

std::vector<DisplayLine> render_messages(const std::vector<Message>& messages, int width,
                                         UnixMillis now_ms, bool at_start) {
  std::vector<DisplayLine> lines;
  if (width < 1) return lines;
  if (at_start) {
    lines.push_back(
        {{{clip(L"\u2500\u2500 start of the conversation \u2500\u2500", width), Style::kDim}}});
  }
  for (const auto& m : messages) {
    const std::wstring time = widen(short_local_time(m.time_ms, now_ms)) + L" ";
    const std::wstring sender = widen(one_line(m.sender_username)) + L": ";
    const int prefix = text_width(time) + text_width(sender);
    // Continuation lines start under the text, unless the prefix eats most of a narrow pane.
    const int indent = prefix <= width / 2 ? prefix : 2;
    std::wstring text = widen(one_line(m.text));
    const Span mark = state_mark(m);
    if (!mark.text.empty()) text += L" ";

    const int first_width = std::max(width - prefix, 1);
    std::vector<std::wstring> pieces = wrap(text, first_width);
    if (pieces.size() > 1) {
      // Re-wrap what follows the first line to the continuation width.
      std::wstring rest = text.substr(pieces[0].size());
      while (!rest.empty() && rest.front() == L' ') rest.erase(0, 1);
      auto more = wrap(rest, std::max(width - indent, 1));
      pieces.resize(1);
      pieces.insert(pieces.end(), more.begin(), more.end());
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      DisplayLine line;
      if (i == 0) {
        line.spans.push_back({time, Style::kDim});
        line.spans.push_back({sender, m.outgoing ? Style::kSelf : Style::kPeer});
      } else {
        line.spans.push_back(
            {std::wstring(static_cast<std::size_t>(indent), L' '), Style::kNormal});
      }
      line.spans.push_back({pieces[i], Style::kNormal});
      lines.push_back(std::move(line));
    }
    if (!mark.text.empty()) {
      // On the last line if it fits, else on a line of its own.
      int used = 0;
      for (const auto& s : lines.back().spans) used += text_width(s.text);
      if (used + text_width(mark.text) <= width) {
        lines.back().spans.push_back(mark);
      } else {
        lines.push_back({{{std::wstring(static_cast<std::size_t>(indent), L' '), Style::kNormal},
                          {clip(mark.text, width - indent), mark.style}}});
      }
    }
  }
  return lines;
}

}  // namespace wechat::cli::tui
