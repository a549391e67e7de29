// SPDX-License-Identifier: MIT
#include "tui/app.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "format.h"
#include "tui/text.h"
#include "wechat/version.h"

namespace wechat::cli::tui {

namespace {

using namespace std::chrono_literals;

/// Messages per page of the pane (and per history request to the server).
constexpr std::uint32_t kPage = 100;
/// Console lines kept.
constexpr std::size_t kConsoleLines = 2000;
/// A peer's "typing" shows this long unless they stop (or send) sooner.
constexpr auto kTypingShown = 6s;
/// We tell the peer we are typing at most this often.
constexpr auto kTypingRepeat = 3s;
constexpr auto kNoticeShown = 8s;

constexpr wchar_t kCtrlA = 1, kCtrlB = 2, kCtrlC = 3, kCtrlD = 4, kCtrlE = 5, kCtrlF = 6,
                  kCtrlK = 11, kCtrlL = 12, kCtrlN = 14, kCtrlP = 16, kCtrlU = 21, kCtrlW = 23;

}  // namespace

App::App(Commands& commands, AppOptions options)
    : commands_(commands),
      client_(commands.client()),
      options_(std::move(options)),
      queue_(std::make_shared<UiQueue>()) {}

App::~App() { stop_worker(); }

int App::run() {
  // Events are handed over, never handled here: ncurses belongs to this thread alone. The
  // handler keeps the queue alive by itself, so late events after run() returns are harmless.
  client_.set_event_handler([queue = queue_, &commands = commands_](const Event& event) {
    if (commands.observe(event)) queue->push(event);
  });
  screen_ = std::make_unique<Screen>(options_.colour);
  console("wechat-cli " + std::string(wechat::version()) + " - server " + options_.server_label +
              ". /help lists the commands.",
          Style::kDim);
  start_worker();

  while (!quit_) {
    if (rows_stale_) refresh_rows();
    if (messages_stale_) reload_messages();
    if (dirty_) draw();

    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {queue_->fd(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, 250);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLHUP | POLLERR)) break;  // the terminal went away

    // Keys first (a resize arrives as a key after EINTR), then whatever other threads sent.
    for (Key key = screen_->read_key(); key.kind != Key::kNone; key = screen_->read_key()) {
      handle_key(key);
      if (quit_) break;
    }
    for (auto& item : queue_->take()) handle(item);

    const auto now = SteadyClock::now();
    for (auto it = typing_until_.begin(); it != typing_until_.end();) {
      if (it->second <= now) {
        it = typing_until_.erase(it);
        dirty_ = true;
      } else {
        ++it;
      }
    }
    if (!notice_.empty() && notice_until_ <= now) {
      notice_.clear();
      dirty_ = true;
    }
  }

  stop_typing();
  screen_.reset();  // back to the normal terminal
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.clear();
  }
  // Give queued messages a moment to reach the server; whatever is left goes next time.
  if (client_.current_user() && commands_.queued_messages() != 0) {
    std::fprintf(stderr, "wechat-cli: sending queued messages...\n");
    if (!commands_.wait_outbox_empty(5s)) {
      std::fprintf(stderr, "wechat-cli: %zu message(s) stay queued; they go out next time.\n",
                   commands_.queued_messages());
    }
  }
  stop_worker();
  return 0;
}

// --- Worker -------------------------------------------------------------------------------------

void App::start_worker() {
  ++busy_;  // the resume below
  worker_ = std::thread([this] { worker_loop(); });
}

void App::stop_worker() {
  {
    std::lock_guard lock(jobs_mutex_);
    stopping_ = true;
  }
  jobs_changed_.notify_all();
  commands_.cancel();  // a command blocked on the network gives up now
  if (worker_.joinable()) worker_.join();
}

void App::worker_loop() {
  auto resumed = commands_.resume();
  // An empty result just says "done"; the UI then offers /login.
  queue_->push(CommandDone{resumed ? std::move(*resumed) : CommandResult{}});
  while (true) {
    Command command;
    {
      std::unique_lock lock(jobs_mutex_);
      jobs_changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      command = std::move(jobs_.front());
      jobs_.pop_front();
    }
    queue_->push(CommandDone{commands_.execute(command)});
  }
}

void App::submit(Command command) {
  ++busy_;
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.push_back(std::move(command));
  }
  jobs_changed_.notify_all();
  dirty_ = true;
}

// --- Input --------------------------------------------------------------------------------------

void App::handle_key(const Key& key) {
  dirty_ = true;
  switch (key.kind) {
    case Key::kNone:
    case Key::kOther:
      return;
    case Key::kEnter:
      return on_enter();
    case Key::kTab: {
      std::vector<std::wstring> commands;
      for (const auto& spec : command_specs()) commands.push_back(L"/" + widen(spec.name));
      const auto matches = editor_.complete(commands, completion_names());
      if (matches.size() > 1) {
        std::string list;
        for (const auto& m : matches) list += (list.empty() ? "" : " ") + narrow(m);
        notice(list);
      }
      return;
    }
    case Key::kBackspace:
      return editor_.backspace();
    case Key::kDelete:
      return editor_.erase_forward();
    case Key::kLeft:
      return editor_.left();
    case Key::kRight:
      return editor_.right();
    case Key::kUp:
      return editor_.history_previous();
    case Key::kDown:
      return editor_.history_next();
    case Key::kHome:
      return editor_.home();
    case Key::kEnd:
      return editor_.end();
    case Key::kPageUp:
      return page(+1);
    case Key::kPageDown:
      return page(-1);
    case Key::kResize:
      return;  // ncurses knows the new size already; the redraw lays everything out again
    case Key::kChar:
      break;
  }
  switch (key.ch) {
    case kCtrlC:
      quit_ = true;
      return;
    case kCtrlD:
      if (editor_.text().empty()) {
        quit_ = true;
      } else {
        editor_.erase_forward();
      }
      return;
    case kCtrlA:
      return editor_.home();
    case kCtrlE:
      return editor_.end();
    case kCtrlB:
      return editor_.left();
    case kCtrlF:
      return editor_.right();
    case kCtrlW:
      return editor_.delete_word_before();
    case kCtrlU:
      return editor_.kill_to_start();
    case kCtrlK:
      return editor_.kill_to_end();
    case kCtrlL:
      return screen_->repaint_all();
    case kCtrlN:
      return switch_view(+1);
    case kCtrlP:
      return switch_view(-1);
    default:
      break;
  }
  if (key.ch < 0x20 || key.ch == 0x7F) return;  // Escape and other controls
  editor_.insert(key.ch);
  maybe_send_typing();
}

void App::on_enter() {
  const std::string line = narrow(editor_.submit());
  stop_typing();
  scroll_ = 0;
  auto parsed = parse_command(line);
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    console("> " + mask_secrets(line), Style::kCommand);
    for (const auto& text : describe_result(parse_error_result(*error), commands_)) {
      console(text, Style::kError);
      notice(text);
    }
    return;
  }
  Command& command = std::get<Command>(parsed);
  switch (command.kind) {
    case CommandKind::kEmpty:
      return;
    case CommandKind::kText:
      if (!view_) {
        const std::string why =
            "No conversation is open: /open <username>, or Ctrl-N. /help lists the commands.";
        console(why, Style::kError);
        notice(why);
        return;
      }
      return submit(std::move(command));
    case CommandKind::kQuit:
      quit_ = true;
      return;
    case CommandKind::kOpen: {
      if (command.args.empty()) return open_view(std::nullopt);
      // As the command does: "#<id>" is a group; a person before a group of the same name.
      const std::string& name = command.args[0];
      for (const auto& row : rows_) {
        if (row.group == 0 && row.user.username == name) return open_view(view_of(row));
      }
      const Row* group = nullptr;
      int named = 0;
      for (const auto& row : rows_) {
        if (row.group == 0) continue;
        if (name == "#" + std::to_string(row.group)) return open_view(view_of(row));
        if (row.user.username == name) {
          group = &row;
          ++named;
        }
      }
      if (named == 1) return open_view(view_of(*group));
      break;  // not in the list (or several groups of that name): the worker decides
    }
    default:
      break;
  }
  console("> " + mask_secrets(line), Style::kCommand);
  submit(std::move(command));
}

void App::maybe_send_typing() {
  if (!view_ || editor_.text().empty() || editor_.text()[0] == L'/') return;
  const Row* row = view_row();
  if (row == nullptr || row->conversation == 0) return;
  const auto now = SteadyClock::now();
  if (typing_sent_ && now - typing_sent_at_ < kTypingRepeat) return;
  client_.set_typing(row->conversation, true);
  typing_sent_ = true;
  typing_sent_at_ = now;
}

void App::stop_typing() {
  if (!typing_sent_) return;
  typing_sent_ = false;
  if (!view_) return;
  if (const Row* row = view_row(); row != nullptr && row->conversation != 0) {
    client_.set_typing(row->conversation, false);
  }
}

void App::switch_view(int delta) {
  // Positions: 0 is the console, 1.. are the rows.
  int position = 0;
  if (view_) {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (viewing(rows_[i])) position = static_cast<int>(i) + 1;
    }
  }
  const int count = static_cast<int>(rows_.size()) + 1;
  position = ((position + delta) % count + count) % count;
  open_view(position == 0
                ? std::nullopt
                : std::optional<View>(view_of(rows_[static_cast<std::size_t>(position - 1)])));
}

std::vector<std::wstring> App::completion_names() const {
  // The second word of "/group ..." is a subcommand.
  if (editor_.text().starts_with(L"/group ") && editor_.word_index() == 1) {
    std::vector<std::wstring> subcommands;
    for (const auto& spec : group_specs()) subcommands.push_back(widen(spec.name));
    return subcommands;
  }
  std::vector<std::wstring> names;
  for (const auto& row : rows_) {
    // Group names with blanks cannot be typed as one word: those complete to their id.
    const bool one_word = row.user.username.find_first_of(" \t") == std::string::npos;
    names.push_back(row.group != 0 && !one_word ? L"#" + std::to_wstring(row.group)
                                                 : widen(row.user.username));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// --- Results and events ---------------------------------------------------------------------

void App::handle(UiItem& item) {
  dirty_ = true;
  if (auto* event = std::get_if<Event>(&item)) return on_event(*event);
  if (auto* done = std::get_if<CommandDone>(&item)) return on_command_done(done->result);
  on_history_loaded(std::get<HistoryLoaded>(item));
}

void App::on_event(const Event& event) {
  if (auto text = describe_event(event, commands_)) {
    const bool bad = std::holds_alternative<SessionEnded>(event) ||
                     std::holds_alternative<MessageStateChanged>(event);
    console(*text, bad ? Style::kError : Style::kNormal);
    if (view_) notice(*text);
  }
  // A message concerns the pane if it is of the conversation or group shown.
  auto concerns_view = [&](UserId peer) { return view_ && view_->group == 0 && view_->id == peer; };
  auto concerns = [&](const Message& m) {
    return m.kind == ConversationKind::kGroup ? viewing_group(m.conversation_id)
                                              : concerns_view(m.peer_id);
  };
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, MessageReceived>) {
          typing_until_.erase(e.message.sender_id);
          if (concerns(e.message)) messages_stale_ = true;
          rows_stale_ = true;
        } else if constexpr (std::is_same_v<E, MessageStateChanged>) {
          if (concerns(e.message)) messages_stale_ = true;
          rows_stale_ = true;
        } else if constexpr (std::is_same_v<E, ReceiptUpdated>) {
          if (concerns_view(e.peer_id) || viewing_group(e.conversation_id)) messages_stale_ = true;
        } else if constexpr (std::is_same_v<E, TypingChanged>) {
          // Who is typing where: a peer in its conversation, or a member in a group.
          if (e.typing) {
            typing_until_[e.user_id] = SteadyClock::now() + kTypingShown;
            typing_in_[e.user_id] = e.conversation_id;
          } else {
            typing_until_.erase(e.user_id);
          }
        } else if constexpr (std::is_same_v<E, GroupChanged>) {
          rows_stale_ = true;
          if (viewing_group(e.group.id)) {
            view_->username = e.group.name;  // a rename shows at once
            messages_stale_ = true;
          }
        } else if constexpr (std::is_same_v<E, SyncProgress>) {
          sync_text_ = e.applied < e.head ? std::to_string(e.applied) + "/" + std::to_string(e.head)
                                          : std::string();
        } else if constexpr (std::is_same_v<E, ConnectionStateChanged>) {
          if (e.state == ConnectionState::kOnline) {
            sync_text_.clear();
            rows_stale_ = true;
            if (view_) messages_stale_ = true;
          }
        } else {
          // Friends, requests, presence, read markers, session end: the list changes.
          rows_stale_ = true;
        }
      },
      event);
}

void App::on_command_done(const CommandResult& r) {
  busy_ = std::max(busy_ - 1, 0);
  if (!r.status.ok()) {
    for (const auto& text : describe_result(r, commands_)) {
      console(text, Style::kError);
      if (view_) notice(text);
    }
    return;
  }
  if (r.command.empty()) {  // the startup resume found no saved session
    if (!client_.current_user()) {
      console(
          "Not logged in. /login <username> <password>; new here? /code <email>, then "
          "/register.");
    }
    return;
  }
  if (r.opened) return open_view(view_of(*r.opened));
  if (r.opened_group) return open_view(View{0, r.opened_group->name, r.opened_group->id});
  if (r.closed) return open_view(std::nullopt);
  if (r.command == "history") {
    if (r.messages.empty()) {
      console("No messages with " + r.details[0] + " yet.");
      return;
    }
    limit_ = std::max<std::uint32_t>(kPage, static_cast<std::uint32_t>(r.messages.size()));
    return open_view(View{r.messages.front().peer_id, r.details[0], 0});
  }
  if (r.command == "g") {
    if (!viewing_group(r.group)) {
      const std::string name = commands_.group_name(r.group).value_or(r.details[0]);
      const std::string text = "Message to " + name + " queued (/open " + r.details[0] +
                               " to follow the group).";
      console(text);
      if (view_) notice(text);
    }
    messages_stale_ = view_.has_value();
    rows_stale_ = true;
    return;
  }
  if (r.command == "msg") {
    if (!view_ || view_->group != 0 || view_->username != r.details[0]) {
      const std::string text = "Message to " + r.details[0] + " queued (/open " + r.details[0] +
                               " to follow the conversation).";
      console(text);
      if (view_) notice(text);
    }
    messages_stale_ = view_.has_value();
    rows_stale_ = true;
    return;
  }
  if (r.command == "logout") {
    open_view(std::nullopt);
    rows_.clear();
  }
  rows_stale_ = true;
  const auto lines = describe_result(r, commands_);
  for (const auto& text : lines) console(text);
  const bool listing = r.command == "help" || r.command == "friends" || r.command == "requests" ||
                       r.command == "search" || r.command == "find" || r.command == "groups" ||
                       (r.command == "group" && !r.members.empty());
  if (listing && view_) {
    open_view(std::nullopt);  // lists show in the console
  } else if (view_ && !lines.empty()) {
    notice(lines.front());
  }
}

void App::on_history_loaded(const HistoryLoaded& loaded) {
  loading_history_ = false;
  const Row* row = view_row();
  if (row == nullptr || row->conversation != loaded.conversation) return;
  if (!loaded.status.ok()) {
    notice("Older messages are not available now: " + loaded.status.message());
    return;
  }
  if (loaded.count < loaded.asked) at_start_ = true;
  reload_messages();
}

// --- Model --------------------------------------------------------------------------------------

void App::refresh_rows() {
  rows_stale_ = false;
  dirty_ = true;
  std::vector<Row> rows;
  if (!client_.current_user()) {
    rows_.clear();
    return;
  }
  if (auto list = client_.conversations(); list.ok()) {
    for (const auto& c : *list) {
      if (c.kind == ConversationKind::kGroup && c.group) {
        const bool inactive = c.group->membership != GroupMembership::kMember || c.group->dissolved;
        rows.push_back(Row{User{0, c.group->name}, c.id, c.unread, false, false, c.id, inactive});
      } else {
        rows.push_back(Row{c.peer, c.id, c.unread, false, false});
      }
    }
  }
  std::vector<Row> others;
  if (auto list = client_.friends(); list.ok()) {
    for (const auto& f : *list) {
      auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) {
        return r.group == 0 && r.user.id == f.user.id;
      });
      Row* row = nullptr;
      if (it != rows.end()) {
        row = &*it;
      } else {
        others.push_back(Row{f.user, f.conversation_id, 0, false, false});
        row = &others.back();
      }
      row->is_friend = true;
      row->online = commands_.online(f.user.id).value_or(f.presence.online);
    }
  }
  rows.insert(rows.end(), others.begin(), others.end());  // friends ordered by name
  rows_ = std::move(rows);
}

const App::Row* App::row_of(UserId user) const {
  for (const auto& row : rows_) {
    if (row.group == 0 && row.user.id == user) return &row;
  }
  return nullptr;
}

const App::Row* App::view_row() const {
  if (!view_) return nullptr;
  for (const auto& row : rows_) {
    if (viewing(row)) return &row;
  }
  return nullptr;
}

App::View App::view_of(const Row& row) {
  return row.group != 0 ? View{0, row.user.username, row.group} : view_of(row.user);
}

bool App::viewing(const Row& row) const {
  if (!view_) return false;
  return row.group != 0 ? view_->group == row.group : view_->group == 0 && view_->id == row.user.id;
}

void App::open_view(std::optional<View> view) {
  stop_typing();
  dirty_ = true;
  scroll_ = 0;
  const bool same =
      view && view_ && view_->id == view->id && view_->group == view->group;
  view_ = view;
  if (view && view->group != 0) {
    commands_.set_open_group(view->group);
  } else {
    commands_.set_open_group(std::nullopt);
    commands_.set_open_peer(view ? std::optional<User>(User{view->id, view->username})
                                 : std::nullopt);
  }
  if (!view) {
    messages_.clear();
    return;
  }
  if (!same) {
    limit_ = std::max(limit_, kPage);
    at_start_ = false;
  }
  reload_messages();
  mark_read_if_visible();
  // A fresh device may hold only the newest messages: fetch one older page now.
  const auto stored = std::count_if(messages_.begin(), messages_.end(),
                                    [](const Message& m) { return m.seq != 0; });
  if (!at_start_ && static_cast<std::uint32_t>(stored) < limit_) load_older();
}

void App::reload_messages() {
  messages_stale_ = false;
  dirty_ = true;
  if (!view_) return;
  auto list = view_->group != 0 ? client_.messages(view_->group, 0, limit_)
                                : client_.messages_with(view_->id, 0, limit_);
  if (!list.ok()) {
    messages_.clear();
    return;
  }
  messages_.assign(list->rbegin(), list->rend());  // oldest first
  // Stored messages by seq, then this device's unsent ones (the store lists those first).
  std::stable_sort(messages_.begin(), messages_.end(), [](const Message& x, const Message& y) {
    if ((x.seq == 0) != (y.seq == 0)) return y.seq == 0;
    if (x.seq != 0) return x.seq < y.seq;
    return x.time_ms < y.time_ms;
  });
  bool any_stored = false;
  for (const auto& m : messages_) {
    if (m.seq == 1) at_start_ = true;
    if (m.seq != 0) any_stored = true;
  }
  const Row* row = view_row();
  if (!any_stored && (row == nullptr || row->conversation == 0)) at_start_ = true;
  mark_read_if_visible();
}

void App::mark_read_if_visible() {
  if (!view_ || scroll_ != 0) return;
  const Row* row = view_row();
  if (row == nullptr || row->conversation == 0) return;
  if (row->unread == 0) return;
  // Once per newest message: the list still shows it unread until the marker comes back.
  const std::uint64_t newest = messages_.empty() ? 0 : messages_.back().seq;
  if (marked_conversation_ == row->conversation && marked_seq_ == newest) return;
  marked_conversation_ = row->conversation;
  marked_seq_ = newest;
  client_.mark_read(row->conversation, 0, [](Status) {});
}

void App::load_older() {
  if (!view_ || at_start_ || loading_history_) return;
  if (client_.connection_state() != ConnectionState::kOnline) return;
  const Row* row = view_row();
  if (row == nullptr || row->conversation == 0) return;
  std::uint64_t oldest = 0;
  for (const auto& m : messages_) {
    if (m.seq != 0 && (oldest == 0 || m.seq < oldest)) oldest = m.seq;
  }
  loading_history_ = true;
  const ConversationId conversation = row->conversation;
  client_.load_history(row->conversation, oldest, kPage,
                       [queue = queue_, conversation](Result<std::vector<Message>> page) {
                         HistoryLoaded loaded{conversation, page.status(), 0, kPage};
                         if (page.ok()) loaded.count = page->size();
                         queue->push(std::move(loaded));
                       });
}

void App::page(int direction) {
  const int step = std::max(pane_height_ - 2, 1);
  scroll_ = std::max(scroll_ + direction * step, 0);
  if (direction > 0 && view_) {
    // Near the top of what is loaded: load the next page, from the store or the server.
    const int total = static_cast<int>(pane_lines(pane_width_).size());
    if (scroll_ + pane_height_ >= total) {
      const auto stored = std::count_if(messages_.begin(), messages_.end(),
                                        [](const Message& m) { return m.seq != 0; });
      if (static_cast<std::uint32_t>(stored) >= limit_) {
        limit_ += kPage;
        reload_messages();
      } else {
        load_older();
      }
    }
  }
  if (scroll_ == 0) mark_read_if_visible();
}

void App::console(const std::string& text, Style style) {
  console_.push_back(ConsoleLine{widen(one_line(text)), style});
  while (console_.size() > kConsoleLines) console_.pop_front();
  dirty_ = true;
}

void App::notice(const std::string& text) {
  notice_ = one_line(text);
  notice_until_ = SteadyClock::now() + kNoticeShown;
  dirty_ = true;
}

int run_full_screen(Commands& commands, const AppOptions& options) {
  App app(commands, options);
  return app.run();
}

}  // namespace wechat::cli::tui
