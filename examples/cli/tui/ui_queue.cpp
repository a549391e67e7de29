// SPDX-License-Identifier: MIT
#include "tui/ui_queue.h"

#include <fcntl.h>
#include <unistd.h>

namespace wechat::cli::tui {

UiQueue::UiQueue() {
  if (::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) pipe_[0] = pipe_[1] = -1;
}

UiQueue::~UiQueue() {
  for (int fd : pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void UiQueue::push(UiItem item) {
  {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
  }
  // One byte wakes the UI thread. A full pipe means it is awake already: take() empties both.
  const char wake = 1;
  if (pipe_[1] >= 0) (void)!::write(pipe_[1], &wake, 1);
}

std::vector<UiItem> UiQueue::take() {
  char buffer[256];
  if (pipe_[0] >= 0) {
    while (::read(pipe_[0], buffer, sizeof buffer) > 0) {
    }
  }
  std::lock_guard lock(mutex_);
  std::vector<UiItem> items(std::make_move_iterator(items_.begin()),
                            std::make_move_iterator(items_.end()));
  items_.clear();
  return items;
}

}  // namespace wechat::cli::tui
