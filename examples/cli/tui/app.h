// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_TUI_APP_H_
#define WECHAT_CLI_TUI_APP_H_

/// @file
/// The full-screen chat UI: conversation list, message pane, status line and input line.
///
/// Threads: the UI thread (the caller of run()) owns ncurses and every member below. The
/// client's event thread only hands events over through the UiQueue; commands run one at a time
/// on a worker thread (they block on the network) and hand their results back the same way.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "tui/layout.h"
#include "tui/line_editor.h"
#include "tui/message_view.h"
#include "tui/screen.h"
#include "tui/ui_queue.h"

namespace wechat::cli::tui {

struct AppOptions {
  bool colour = true;        ///< False under NO_COLOR.
  std::string server_label;  ///< "host:port", for the banner.
};

class App {
 public:
  App(Commands& commands, AppOptions options);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Runs until /quit, Ctrl-C, or Ctrl-D on an empty line. Returns the exit status.
  int run();

 private:
  using SteadyClock = std::chrono::steady_clock;

  /// A friend, a conversation partner or a group in the list.
  struct Row {
    User user;  ///< For a group: id 0 and the group's name.
    ConversationId conversation = 0;
    std::uint64_t unread = 0;
    bool is_friend = false;
    bool online = false;
    ConversationId group = 0;  ///< A group's id (== conversation); 0 for people.
    bool inactive = false;     ///< A group this account left, was removed from, or dissolved.
  };
  /// What the pane shows: a conversation with `id`, or the group `group` (id 0 then).
  struct View {
    UserId id = 0;
    std::string username;  ///< The peer's name, or the group's.
    ConversationId group = 0;
  };
  struct ConsoleLine {
    std::wstring text;
    Style style = Style::kNormal;
  };

  // Worker (app.cpp).
  void start_worker();
  void stop_worker();
  void worker_loop();
  void submit(Command command);

  // Input (app.cpp).
  void handle_key(const Key& key);
  void on_enter();
  void maybe_send_typing();
  void stop_typing();
  void switch_view(int delta);
  std::vector<std::wstring> completion_names() const;

  // Results and events (app.cpp).
  void handle(UiItem& item);
  void on_event(const Event& event);
  void on_command_done(const CommandResult& result);
  void on_history_loaded(const HistoryLoaded& loaded);

  // Model (app.cpp).
  void refresh_rows();
  void open_view(std::optional<View> view);
  static View view_of(const Row& row);
  static View view_of(const User& user) { return View{user.id, user.username, 0}; }
  bool viewing(const Row& row) const;
  bool viewing_group(ConversationId group) const {
    return view_ && group != 0 && view_->group == group;
  }
  void reload_messages();
  void mark_read_if_visible();
  void load_older();
  void page(int direction);
  void console(const std::string& text, Style style = Style::kNormal);
  void notice(const std::string& text);
  const Row* row_of(UserId user) const;
  /// The row of what the pane shows, if it is in the list.
  const Row* view_row() const;

  // Drawing (draw.cpp).
  void draw();
  void draw_list(const Rect& area);
  void draw_pane(const Rect& area);
  void draw_status(const Rect& area);
  void draw_input(const Rect& area);
  std::vector<DisplayLine> pane_lines(int width) const;

  Commands& commands_;
  Client& client_;
  AppOptions options_;
  std::shared_ptr<UiQueue> queue_;
  std::unique_ptr<Screen> screen_;
  LineEditor editor_;

  std::thread worker_;
  std::mutex jobs_mutex_;
  std::condition_variable jobs_changed_;
  std::deque<Command> jobs_;
  bool stopping_ = false;  // guarded by jobs_mutex_
  int busy_ = 0;           // commands submitted and not done (UI thread)

  std::deque<ConsoleLine> console_;
  std::vector<Row> rows_;
  bool rows_stale_ = true;
  std::optional<View> view_;       // nullopt: the console
  std::vector<Message> messages_;  // of view_, oldest first
  bool messages_stale_ = false;
  std::uint32_t limit_ = 0;
  bool at_start_ = false;
  bool loading_history_ = false;
  int scroll_ = 0;       // lines up from the bottom of the pane
  int pane_height_ = 1;  // of the last draw
  int pane_width_ = 1;
  ConversationId marked_conversation_ = 0;  // the last mark_read sent, to send it once
  std::uint64_t marked_seq_ = 0;
  std::map<UserId, SteadyClock::time_point> typing_until_;
  std::map<UserId, ConversationId> typing_in_;  // where each of typing_until_ types
  std::string notice_;
  SteadyClock::time_point notice_until_;
  std::string sync_text_;
  bool typing_sent_ = false;
  SteadyClock::time_point typing_sent_at_;
  bool quit_ = false;
  bool dirty_ = true;
};

/// Runs the full-screen UI over `commands` (see App). Returns the exit status.
int run_full_screen(Commands& commands, const AppOptions& options);

}  // namespace wechat::cli::tui

#endif  // WECHAT_CLI_TUI_APP_H_
