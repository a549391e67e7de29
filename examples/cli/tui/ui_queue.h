// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_UI_QUEUE_H_
#define WECHAT_CLI_TUI_UI_QUEUE_H_

/// @file
/// Hands work from other threads (the client's event thread, the command worker) to the UI
/// thread, which alone calls ncurses. A queue plus a self-pipe: the UI thread polls the pipe's
/// read end together with the terminal.

#include <deque>
#include <mutex>
#include <variant>
#include <vector>

#include "commands.h"
#include "wechat/events.h"

namespace wechat::cli::tui {

/// A command the worker finished.
struct CommandDone {
  CommandResult result;
};

/// An older page of a conversation arrived from the server (or failed to).
struct HistoryLoaded {
  ConversationId conversation = 0;
  Status status;
  std::size_t count = 0;  ///< Messages in the page.
  std::uint32_t asked = 0;
};

using UiItem = std::variant<Event, CommandDone, HistoryLoaded>;

/// @par Thread Safety
/// push() from any thread; take() and fd() from the UI thread.
class UiQueue {
 public:
  UiQueue();
  ~UiQueue();
  UiQueue(const UiQueue&) = delete;
  UiQueue& operator=(const UiQueue&) = delete;

  void push(UiItem item);
  /// Everything queued so far, oldest first; empties the pipe too.
  std::vector<UiItem> take();
  /// Readable when something was pushed since the last take().
  int fd() const { return pipe_[0]; }

 private:
  std::mutex mutex_;
  std::deque<UiItem> items_;
  int pipe_[2] = {-1, -1};
};

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_UI_QUEUE_H_
