// SPDX-License-Identifier: MIT
#include "commands.h"

#include <algorithm>
#include <future>
#include <thread>

namespace wechat::cli {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// Longest wait for one callback. The client answers every call within its request timeout
/// (15 s by default) after the request goes out, and a request waits for a connection at most
/// as long again; this only guards against a bug hanging the CLI for ever.
constexpr auto kCallBound = 40s;
/// How long login and resume wait for the first sync, so the next command sees friends and
/// conversations (a bounded wait: it goes on in the background).
constexpr auto kOnlineWait = 15s;

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

CommandResult failed(std::string command, Status status) {
  CommandResult r;
  r.command = std::move(command);
  r.status = std::move(status);
  return r;
}

CommandResult succeeded(std::string command, std::vector<std::string> details = {}) {
  CommandResult r;
  r.command = std::move(command);
  r.details = std::move(details);
  return r;
}

std::string group_ref(ConversationId id) { return "#" + std::to_string(id); }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<ConversationId> parse_id(std::string_view s) {
  if (!all_digits(s) || s.size() > 19) return std::nullopt;
  ConversationId id = 0;
  for (char c : s) id = id * 10 + static_cast<ConversationId>(c - '0');
  if (id == 0) return std::nullopt;
  return id;
}

std::string format_seconds(double seconds) {
  std::string text = std::to_string(seconds);  // "2.500000"
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

CommandResult parse_error_result(const ParseError& error) {
  return failed(error.unknown ? std::string() : error.command,
                Status(Error::kInvalidArgument, error.message));
}

Commands::Commands(std::unique_ptr<Client> client)
    : owner_(std::move(client)), client_(owner_.get()) {}

Commands::~Commands() {
  cancel();
  // Joins the event thread. Events emitted meanwhile still reach observe(), whose members are
  // all alive until this body returns.
  owner_.reset();
}

void Commands::cancel() {
  cancelled_ = true;
  wake();
}

void Commands::wake() {
  // Taking the mutex orders this after a waiter's predicate check: no wakeup is lost between
  // its check and its sleep.
  { std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

// --- Waiting for callbacks --------------------------------------------------------------------

template <typename T, typename Start>
Result<T> Commands::await(Start start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  start([promise](Result<T> r) { promise->set_value(std::move(r)); });
  const auto deadline = Clock::now() + kCallBound;
  while (future.wait_for(50ms) != std::future_status::ready) {
    if (cancelled_) return Status(Error::kCancelled, "cancelled");
    if (Clock::now() > deadline) return Status(Error::kTimeout, "no answer from the client");
  }
  return future.get();
}

template <typename Start>
Status Commands::await_done(Start start) {
  struct Empty {};
  auto r = await<Empty>([&](auto cb) {
    start([cb](Status s) { s.ok() ? cb(Empty{}) : cb(Result<Empty>(std::move(s))); });
  });
  return r.status();
}

bool Commands::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, duration, [&] { return cancelled_.load(); });
}

bool Commands::wait_online(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return cancelled_ || client_->connection_state() == ConnectionState::kOnline;
  }) && !cancelled_;
}

// --- Names --------------------------------------------------------------------------------------

void Commands::remember(const User& user) {
  if (user.id == 0 || user.username.empty()) return;
  std::lock_guard lock(mutex_);
  names_[user.id] = user.username;
}

void Commands::refresh_names() {
  // Local reads only: safe on the event thread too.
  std::vector<User> users;
  std::vector<std::pair<ConversationId, UserId>> peers;
  if (auto me = client_->current_user()) users.push_back(*me);
  if (auto list = client_->friends(); list.ok()) {
    for (const auto& f : *list) {
      users.push_back(f.user);
      if (f.conversation_id != 0) peers.emplace_back(f.conversation_id, f.user.id);
    }
  }
  std::vector<std::pair<ConversationId, std::string>> groups;
  if (auto list = client_->conversations(); list.ok()) {
    for (const auto& c : *list) {
      if (c.kind == ConversationKind::kGroup) continue;
      users.push_back(c.peer);
      peers.emplace_back(c.id, c.peer.id);
    }
  }
  if (auto list = client_->groups(); list.ok()) {
    for (const auto& g : *list) groups.emplace_back(g.id, g.name);
  }
  if (auto list = client_->friend_requests(); list.ok()) {
    for (const auto& q : *list) {
      users.push_back(q.from);
      users.push_back(q.to);
    }
  }
  std::lock_guard lock(mutex_);
  for (const auto& u : users) {
    if (u.id != 0 && !u.username.empty()) names_[u.id] = u.username;
  }
  for (const auto& [conversation, peer] : peers) peers_[conversation] = peer;
  for (const auto& [id, name] : groups) group_names_[id] = name;
}

std::string Commands::username(UserId id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = names_.find(id); it != names_.end()) return it->second;
    }
    if (attempt == 0) refresh_names();
  }
  return "#" + std::to_string(id);
}

std::string Commands::conversation_peer(ConversationId id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    UserId peer = 0;
    {
      std::lock_guard lock(mutex_);
      if (auto it = peers_.find(id); it != peers_.end()) peer = it->second;
    }
    if (peer != 0) return username(peer);
    if (attempt == 0) refresh_names();
  }
  return "#c" + std::to_string(id);
}

std::optional<std::string> Commands::group_name(ConversationId id) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = group_names_.find(id); it != group_names_.end()) return it->second;
    }
    if (attempt == 0) refresh_names();
  }
  return std::nullopt;
}

std::optional<bool> Commands::online(UserId user) const {
  std::lock_guard lock(mutex_);
  if (auto it = presence_.find(user); it != presence_.end()) return it->second;
  return std::nullopt;
}

std::optional<User> Commands::open_peer() const {
  std::lock_guard lock(mutex_);
  return open_peer_;
}

void Commands::set_open_peer(std::optional<User> peer) {
  std::lock_guard lock(mutex_);
  open_peer_ = std::move(peer);
  if (open_peer_) open_group_.reset();
}

std::optional<ConversationId> Commands::open_group() const {
  std::lock_guard lock(mutex_);
  return open_group_;
}

void Commands::set_open_group(std::optional<ConversationId> group) {
  std::lock_guard lock(mutex_);
  open_group_ = group;
  if (open_group_) open_peer_.reset();
}

void Commands::refresh_friends_quietly() {
  client_->refresh_friends([](Result<std::vector<Friend>>) {});
}

bool Commands::observe(const Event& event) {
  bool news = true;
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, MessageReceived>) {
          remember(User{e.message.sender_id, e.message.sender_username});
          std::lock_guard lock(mutex_);
          if (e.message.conversation_id != 0 && e.message.kind == ConversationKind::kDirect) {
            peers_[e.message.conversation_id] = e.message.peer_id;
          }
        } else if constexpr (std::is_same_v<E, MessageStateChanged>) {
          if (e.message.state == MessageState::kFailed) send_failed_ = true;
          std::lock_guard lock(mutex_);
          if (states_.size() > 10000) states_.clear();  // bounded; a repeat then shows again
          auto [it, inserted] = states_.try_emplace(e.message.client_msg_id, e.message.state);
          if (!inserted && it->second == e.message.state) news = false;
          it->second = e.message.state;
          if (e.message.conversation_id != 0 && e.message.kind == ConversationKind::kDirect) {
            peers_[e.message.conversation_id] = e.message.peer_id;
          }
        } else if constexpr (std::is_same_v<E, FriendRequestUpdated>) {
          remember(e.request.from);
          remember(e.request.to);
        } else if constexpr (std::is_same_v<E, FriendAdded>) {
          // Its presence is not live (the log entry carries none): the refresh brings it.
          remember(e.added.user);
          refresh_friends_quietly();
        } else if constexpr (std::is_same_v<E, PresenceChanged>) {
          std::lock_guard lock(mutex_);
          presence_[e.presence.user_id] = e.presence.online;
        } else if constexpr (std::is_same_v<E, GroupChanged>) {
          remember(e.actor);
          for (const auto& u : e.subjects) remember(u);
          std::lock_guard lock(mutex_);
          group_names_[e.group.id] = e.group.name;
        }
      },
      event);
  wake();
  return news;
}

// --- Resolution -------------------------------------------------------------------------------

Result<User> Commands::resolve(const std::string& name, bool friends_only_first) {
  const std::string wanted = lower(name);
  if (friends_only_first) {
    if (auto list = client_->friends(); list.ok()) {
      for (const auto& f : *list) {
        if (f.user.username == wanted) return f.user;
      }
    }
    std::lock_guard lock(mutex_);
    for (const auto& [id, username] : names_) {
      if (username == wanted) return User{id, username};
    }
  }
  auto found =
      await<std::vector<User>>([&](auto cb) { client_->search_users(wanted, std::move(cb)); });
  if (!found.ok()) return found.status();
  for (const auto& u : *found) {
    remember(u);
    if (u.username == wanted) return u;
  }
  return Status(Error::kNotFound, "no user named " + wanted);
}

std::optional<ConversationId> Commands::conversation_with(UserId peer) {
  if (auto list = client_->conversations(); list.ok()) {
    for (const auto& c : *list) {
      if (c.peer.id == peer) return c.id;
    }
  }
  if (auto list = client_->friends(); list.ok()) {
    for (const auto& f : *list) {
      if (f.user.id == peer && f.conversation_id != 0) return f.conversation_id;
    }
  }
  return std::nullopt;
}

// --- Outbox -------------------------------------------------------------------------------------

std::size_t Commands::queued_messages() {
  if (!client_->current_user()) return 0;
  auto count_queued = [](const std::vector<Message>& page) {
    return static_cast<std::size_t>(std::count_if(page.begin(), page.end(), [](const Message& m) {
      return m.state == MessageState::kQueued;
    }));
  };
  std::size_t in_groups = 0;
  if (auto list = client_->groups(); list.ok()) {
    for (const auto& g : *list) {
      // As for peers: the first page lists every unsent message to the group.
      if (auto page = client_->messages(g.id, 0, 1); page.ok()) in_groups += count_queued(*page);
    }
  }
  std::set<UserId> peers;
  {
    std::lock_guard lock(mutex_);
    peers = sent_to_;
  }
  if (auto list = client_->conversations(); list.ok()) {
    for (const auto& c : *list) peers.insert(c.peer.id);
  }
  if (auto list = client_->friends(); list.ok()) {
    for (const auto& f : *list) peers.insert(f.user.id);
  }
  std::size_t queued = in_groups;
  for (UserId peer : peers) {
    // The first page lists every unsent message to the peer, whatever the limit.
    auto page = client_->messages_with(peer, 0, 1);
    if (!page.ok()) continue;
    queued +=
        static_cast<std::size_t>(std::count_if(page->begin(), page->end(), [](const Message& m) {
          return m.state == MessageState::kQueued;
        }));
  }
  return queued;
}

bool Commands::wait_outbox_empty(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (queued_messages() != 0) {
    if (Clock::now() >= deadline || !sleep_for(100ms)) return false;
  }
  return true;
}

// --- Commands -----------------------------------------------------------------------------------

std::optional<CommandResult> Commands::resume(std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<Result<User>>>();
  auto future = promise->get_future();
  client_->resume([promise](Result<User> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(wait) != std::future_status::ready) {
    // Saved session, server not reachable yet: carry on offline; it keeps trying.
    auto me = client_->current_user();
    if (!me) return failed("resume", Status(Error::kUnavailable, "cannot reach the server"));
    remember(*me);
    refresh_names();
    return succeeded("resume", {me->username, std::to_string(me->id), "offline"});
  }
  auto me = future.get();
  // With no saved session the client never took on an account: nothing to report.
  if (!me.ok() && !client_->current_user()) return std::nullopt;
  if (!me.ok()) return failed("resume", me.status());
  remember(*me);
  wait_online(kOnlineWait);
  (void)await<std::vector<Friend>>([&](auto cb) { client_->refresh_friends(std::move(cb)); });
  refresh_names();
  return succeeded("resume", {me->username, std::to_string(me->id)});
}

CommandResult Commands::execute(const Command& command) {
  if (cancelled_) return failed(command.name, Status(Error::kCancelled, "quitting"));
  return run(command);
}

CommandResult Commands::run(const Command& c) {
  const auto& a = c.args;
  switch (c.kind) {
    case CommandKind::kEmpty:
      return succeeded("");
    case CommandKind::kCode: {
      const auto purpose =
          a.size() == 2 && a[1] == "reset" ? CodePurpose::kReset : CodePurpose::kRegister;
      auto s = await_done([&](auto cb) { client_->request_code(a[0], purpose, std::move(cb)); });
      return s.ok() ? succeeded(c.name, {a[0]}) : failed(c.name, s);
    }
    case CommandKind::kRegister: {
      auto user = await<User>([&](auto cb) {
        client_->register_account(lower(a[0]), a[1], a[2], a[3], std::move(cb));
      });
      if (!user.ok()) return failed(c.name, user.status());
      remember(*user);
      return succeeded(c.name, {user->username, std::to_string(user->id)});
    }
    case CommandKind::kLogin:
      return login(c);
    case CommandKind::kLogout: {
      auto s = await_done([&](auto cb) { client_->logout(std::move(cb)); });
      if (!s.ok()) return failed(c.name, s);
      std::lock_guard lock(mutex_);
      open_peer_.reset();
      presence_.clear();
      return succeeded(c.name);
    }
    case CommandKind::kReset: {
      auto s =
          await_done([&](auto cb) { client_->reset_password(a[0], a[1], a[2], std::move(cb)); });
      return s.ok() ? succeeded(c.name, {a[0]}) : failed(c.name, s);
    }
    case CommandKind::kSearch: {
      auto users =
          await<std::vector<User>>([&](auto cb) { client_->search_users(a[0], std::move(cb)); });
      if (!users.ok()) return failed(c.name, users.status());
      for (const auto& u : *users) remember(u);
      auto r = succeeded(c.name, {std::to_string(users->size())});
      r.users = std::move(*users);
      return r;
    }
    case CommandKind::kAdd: {
      auto user = resolve(a[0], false);
      if (!user.ok()) return failed(c.name, user.status());
      const std::string note = a.size() > 1 ? a[1] : std::string();
      auto request = await<FriendRequest>(
          [&](auto cb) { client_->send_friend_request(user->id, note, std::move(cb)); });
      if (!request.ok()) return failed(c.name, request.status());
      return succeeded(c.name, {user->username, std::to_string(request->id)});
    }
    case CommandKind::kAccept:
      return answer(c, true);
    case CommandKind::kReject:
      return answer(c, false);
    case CommandKind::kFriends:
      return friends();
    case CommandKind::kRequests:
      return requests();
    case CommandKind::kMsg:
      return send(c.name, a[0], a[1]);
    case CommandKind::kText: {
      if (auto group = open_group()) return send_group("g", group_ref(*group), a[0]);
      auto peer = open_peer();
      if (!peer) {
        return failed("msg", Status(Error::kInvalidArgument,
                                    "no conversation is open: /open <username> first, or "
                                    "/msg <username> <text>"));
      }
      return send("msg", peer->username, a[0]);
    }
    case CommandKind::kOpen:
      return open(c);
    case CommandKind::kGroup:
      return group(c);
    case CommandKind::kGroupSend:
      return send_group(c.name, a[0], a[1]);
    case CommandKind::kGroups:
      return groups();
    case CommandKind::kHistory:
      return history(c);
    case CommandKind::kFind: {
      auto found = client_->search_messages(a[0], 50);
      if (!found.ok()) return failed(c.name, found.status());
      auto r = succeeded(c.name, {std::to_string(found->size())});
      r.messages = std::move(*found);
      return r;
    }
    case CommandKind::kRead:
      return read(c);
    case CommandKind::kWait: {
      const auto duration = std::chrono::milliseconds(static_cast<std::int64_t>(c.seconds * 1000));
      if (!sleep_for(duration)) return failed(c.name, Status(Error::kCancelled, "quitting"));
      return succeeded(c.name, {format_seconds(c.seconds)});
    }
    case CommandKind::kQuit: {
      auto r = succeeded(c.name);
      r.quit = true;
      return r;
    }
    case CommandKind::kHelp: {
      auto r = succeeded(c.name);
      if (a.empty()) {
        for (const auto& spec : command_specs()) r.help.push_back(&spec);
      } else {
        r.help.push_back(find_spec(a[0]));
        if (a[0] == "group") {
          for (const auto& spec : group_specs()) r.help.push_back(&spec);
        }
      }
      return r;
    }
  }
  return failed(c.name, Status(Error::kInternal, "unhandled command"));
}

CommandResult Commands::login(const Command& c) {
  auto user = await<User>([&](auto cb) { client_->login(c.args[0], c.args[1], std::move(cb)); });
  if (!user.ok()) return failed(c.name, user.status());
  remember(*user);
  wait_online(kOnlineWait);
  (void)await<std::vector<Friend>>([&](auto cb) { client_->refresh_friends(std::move(cb)); });
  refresh_names();
  return succeeded(c.name, {user->username, std::to_string(user->id)});
}

CommandResult Commands::answer(const Command& c, bool accept) {
  const std::string from = lower(c.args[0]);
  auto me = client_->current_user();
  if (!me) return failed(c.name, Status(Error::kUnauthenticated, "log in first"));
  auto fresh = await<std::vector<FriendRequest>>(
      [&](auto cb) { client_->refresh_friend_requests(std::move(cb)); });
  std::vector<FriendRequest> list;
  if (fresh.ok()) {
    list = std::move(*fresh);
  } else if (auto cached = client_->friend_requests(); cached.ok()) {
    list = std::move(*cached);
  } else {
    return failed(c.name, fresh.status());
  }
  const auto it = std::find_if(list.begin(), list.end(), [&](const FriendRequest& q) {
    return q.state == FriendRequestState::kPending && q.to.id == me->id && q.from.username == from;
  });
  if (it == list.end()) {
    return failed(c.name, Status(Error::kNotFound, "no pending friend request from " + from));
  }
  auto s =
      await_done([&](auto cb) { client_->answer_friend_request(it->id, accept, std::move(cb)); });
  if (!s.ok()) return failed(c.name, s);
  if (accept) {
    // So that /msg right after finds the new friend in the cache.
    (void)await<std::vector<Friend>>([&](auto cb) { client_->refresh_friends(std::move(cb)); });
    refresh_names();
  }
  return succeeded(c.name, {from});
}

CommandResult Commands::friends() {
  if (!client_->current_user()) {
    return failed("friends", Status(Error::kUnauthenticated, "log in first"));
  }
  Result<std::vector<Friend>> list = Status(Error::kUnavailable, "offline");
  if (client_->connection_state() == ConnectionState::kOnline) {
    list = await<std::vector<Friend>>([&](auto cb) { client_->refresh_friends(std::move(cb)); });
  }
  if (!list.ok()) list = client_->friends();  // offline: the cached list
  if (!list.ok()) return failed("friends", list.status());
  std::unordered_map<UserId, std::uint64_t> unread;
  if (auto conversations = client_->conversations(); conversations.ok()) {
    for (const auto& c : *conversations) unread[c.peer.id] = c.unread;
  }
  auto r = succeeded("friends", {std::to_string(list->size())});
  for (auto& f : *list) {
    remember(f.user);
    // Live presence events are newer than the list's snapshot.
    if (auto live = online(f.user.id)) f.presence.online = *live;
    r.friends.push_back(FriendLine{f, unread[f.user.id]});
  }
  return r;
}

CommandResult Commands::requests() {
  auto me = client_->current_user();
  if (!me) return failed("requests", Status(Error::kUnauthenticated, "log in first"));
  auto list = await<std::vector<FriendRequest>>(
      [&](auto cb) { client_->refresh_friend_requests(std::move(cb)); });
  if (!list.ok()) list = client_->friend_requests();
  if (!list.ok()) return failed("requests", list.status());
  CommandResult r = succeeded("requests");
  for (const auto& q : *list) {
    if (q.state != FriendRequestState::kPending) continue;
    remember(q.from);
    remember(q.to);
    r.requests.push_back(RequestLine{q, q.to.id == me->id});
  }
  r.details.push_back(std::to_string(r.requests.size()));
  return r;
}

CommandResult Commands::send(const std::string& command_name, const std::string& username,
                             const std::string& text) {
  auto user = resolve(username);
  if (!user.ok()) return failed(command_name, user.status());
  auto message =
      await<Message>([&](auto cb) { client_->send_text(user->id, text, std::move(cb)); });
  if (!message.ok()) return failed(command_name, message.status());
  {
    std::lock_guard lock(mutex_);
    sent_to_.insert(user->id);
  }
  return succeeded(command_name, {user->username, message->client_msg_id});
}

CommandResult Commands::history(const Command& c) {
  auto user = resolve(c.args[0]);
  if (!user.ok()) return failed(c.name, user.status());
  auto local = client_->messages_with(user->id, 0, c.count);
  if (!local.ok()) return failed(c.name, local.status());
  auto stored = [](const std::vector<Message>& list) {
    return static_cast<std::uint32_t>(
        std::count_if(list.begin(), list.end(), [](const Message& m) { return m.seq != 0; }));
  };
  std::uint64_t oldest = 0;
  for (const auto& m : *local) {
    if (m.seq != 0 && (oldest == 0 || m.seq < oldest)) oldest = m.seq;
  }
  // Fewer than asked and not back at the start: fetch the older page from the server.
  const auto conversation = conversation_with(user->id);
  if (stored(*local) < c.count && conversation && oldest != 1 &&
      client_->connection_state() == ConnectionState::kOnline) {
    auto page = await<std::vector<Message>>([&](auto cb) {
      client_->load_history(*conversation, oldest, c.count - stored(*local), std::move(cb));
    });
    if (page.ok()) {
      auto again = client_->messages_with(user->id, 0, c.count);
      if (again.ok()) local = std::move(again);
    }
  }
  auto r = succeeded(c.name, {user->username});
  r.messages = std::move(*local);
  // Oldest first, like a chat: stored messages by seq, then the unsent ones by time.
  std::stable_sort(r.messages.begin(), r.messages.end(), [](const Message& x, const Message& y) {
    if ((x.seq == 0) != (y.seq == 0)) return y.seq == 0;
    if (x.seq != 0) return x.seq < y.seq;
    return x.time_ms < y.time_ms;
  });
  r.details.push_back(std::to_string(r.messages.size()));
  return r;
}

CommandResult Commands::read(const Command& c) {
  auto user = resolve(c.args[0]);
  if (!user.ok()) return failed(c.name, user.status());
  if (auto conversation = conversation_with(user->id)) {
    auto s = await_done([&](auto cb) { client_->mark_read(*conversation, 0, std::move(cb)); });
    if (!s.ok()) return failed(c.name, s);
  }
  return succeeded(c.name, {user->username});
}

// --- Groups -------------------------------------------------------------------------------------

Result<Group> Commands::find_group(const std::string& name) {
  auto list = client_->groups();
  if (!list.ok()) return list.status();
  auto by_id = [&](ConversationId id) -> Result<Group> {
    for (const auto& g : *list) {
      if (g.id == id) return g;
    }
    return Status(Error::kNotFound, "no group " + group_ref(id) + " here");
  };
  if (name.starts_with('#')) {
    auto id = parse_id(std::string_view(name).substr(1));
    if (!id) return Status(Error::kInvalidArgument, "a group id is # and digits, not " + name);
    return by_id(*id);
  }
  std::vector<const Group*> named;
  for (const auto& g : *list) {
    if (g.name == name) named.push_back(&g);
  }
  if (named.size() > 1) {
    // Several of that name: the one this account can still write in, if there is only one.
    std::vector<const Group*> active;
    for (const Group* g : named) {
      if (g->membership == GroupMembership::kMember && !g->dissolved) active.push_back(g);
    }
    if (active.size() == 1) return *active.front();
    std::string ids;
    for (const Group* g : named) ids += (ids.empty() ? "" : ", ") + group_ref(g->id);
    return Status(Error::kInvalidArgument, std::to_string(named.size()) + " groups are named " +
                                               name + " (" + ids + "): name one by its id");
  }
  if (named.size() == 1) return *named.front();
  if (auto id = parse_id(name)) return by_id(*id);
  return Status(Error::kNotFound, "no group named " + name);
}

Result<Group> Commands::resolve_group(const std::string& name) {
  auto found = find_group(name);
  if (found.ok() || found.code() != Error::kNotFound || !client_->current_user()) return found;
  // Not here (yet): the server's list, then (for an id) the group itself.
  (void)await<std::vector<Group>>([&](auto cb) { client_->refresh_groups(std::move(cb)); });
  auto again = find_group(name);
  if (again.ok() || again.code() != Error::kNotFound) return again;
  const std::string_view digits =
      name.starts_with('#') ? std::string_view(name).substr(1) : std::string_view(name);
  if (auto id = parse_id(digits)) {
    auto fetched = await<Group>([&](auto cb) { client_->get_group(*id, std::move(cb)); });
    if (fetched.ok()) return fetched;
  }
  return again;
}

CommandResult Commands::group(const Command& c) {
  const std::string name = "group";
  const std::string& sub = c.args[0];
  if (!client_->current_user()) {
    return failed(name, Status(Error::kUnauthenticated, "log in first"));
  }
  auto users_from = [&](std::size_t first) -> Result<std::vector<User>> {
    std::vector<User> users;
    for (std::size_t i = first; i < c.args.size(); ++i) {
      auto user = resolve(c.args[i]);
      if (!user.ok()) return user.status();
      users.push_back(*user);
    }
    return users;
  };
  if (sub == "create") {
    auto users = users_from(2);
    if (!users.ok()) return failed(name, users.status());
    std::vector<UserId> ids;
    for (const auto& u : *users) ids.push_back(u.id);
    auto created =
        await<Group>([&](auto cb) { client_->create_group(c.args[1], ids, std::move(cb)); });
    if (!created.ok()) return failed(name, created.status());
    {
      std::lock_guard lock(mutex_);
      group_names_[created->id] = created->name;
    }
    auto r = succeeded(name, {sub, group_ref(created->id), created->name});
    r.group = created->id;
    return r;
  }
  auto group = resolve_group(c.args[1]);
  if (!group.ok()) return failed(name, group.status());
  const std::string ref = group_ref(group->id);
  CommandResult r = succeeded(name, {sub, ref});
  r.group = group->id;
  Status status;
  if (sub == "invite") {
    auto users = users_from(2);
    if (!users.ok()) return failed(name, users.status());
    std::vector<UserId> ids;
    for (const auto& u : *users) {
      ids.push_back(u.id);
      r.details.push_back(u.username);
    }
    status =
        await_done([&](auto cb) { client_->invite_to_group(group->id, ids, std::move(cb)); });
  } else if (sub == "leave") {
    status = await_done([&](auto cb) { client_->leave_group(group->id, std::move(cb)); });
  } else if (sub == "kick") {
    auto user = resolve(c.args[2]);
    if (!user.ok()) return failed(name, user.status());
    r.details.push_back(user->username);
    status = await_done(
        [&](auto cb) { client_->remove_group_member(group->id, user->id, std::move(cb)); });
  } else if (sub == "members") {
    Result<Group> full = Status(Error::kUnavailable, "offline");
    if (client_->connection_state() == ConnectionState::kOnline) {
      full = await<Group>([&](auto cb) { client_->get_group(group->id, std::move(cb)); });
    }
    if (!full.ok() && full.code() == Error::kUnavailable) full = client_->group(group->id);
    if (!full.ok()) return failed(name, full.status());
    if (full->members.empty() && full->membership == GroupMembership::kMember) {
      return failed(name, Status(Error::kUnavailable, "the member list needs the server"));
    }
    for (const auto& m : full->members) remember(m.user);
    r.members = full->members;
    r.details.push_back(std::to_string(r.members.size()));
  } else if (sub == "read") {
    status = await_done([&](auto cb) { client_->mark_read(group->id, 0, std::move(cb)); });
  } else {
    status = Status(Error::kInternal, "unhandled /group command " + sub);
  }
  if (!status.ok()) return failed(name, status);
  return r;
}

CommandResult Commands::groups() {
  if (!client_->current_user()) {
    return failed("groups", Status(Error::kUnauthenticated, "log in first"));
  }
  if (client_->connection_state() == ConnectionState::kOnline) {
    (void)await<std::vector<Group>>([&](auto cb) { client_->refresh_groups(std::move(cb)); });
  }
  auto list = client_->groups();
  if (!list.ok()) return failed("groups", list.status());
  std::unordered_map<ConversationId, std::uint64_t> unread;
  if (auto conversations = client_->conversations(); conversations.ok()) {
    for (const auto& c : *conversations) unread[c.id] = c.unread;
  }
  auto r = succeeded("groups", {std::to_string(list->size())});
  std::lock_guard lock(mutex_);
  for (auto& g : *list) {
    group_names_[g.id] = g.name;
    r.groups.push_back(GroupLine{g, unread[g.id]});
  }
  return r;
}

CommandResult Commands::send_group(const std::string& command_name, const std::string& name,
                                   const std::string& text) {
  auto group = resolve_group(name);
  if (!group.ok()) return failed(command_name, group.status());
  auto message =
      await<Message>([&](auto cb) { client_->send_group_text(group->id, text, std::move(cb)); });
  if (!message.ok()) return failed(command_name, message.status());
  auto r = succeeded(command_name, {group_ref(group->id), message->client_msg_id});
  r.group = group->id;
  return r;
}

CommandResult Commands::open(const Command& c) {
  const auto& a = c.args;
  if (a.empty()) {
    set_open_peer(std::nullopt);
    set_open_group(std::nullopt);
    auto r = succeeded(c.name);
    r.closed = true;
    return r;
  }
  auto open_group_named = [&](const Group& g) {
    set_open_group(g.id);
    auto r = succeeded(c.name, {group_ref(g.id)});
    r.opened_group = g;
    r.group = g.id;
    return r;
  };
  // "#12" is a group; otherwise a friend or known user of that name, then a group of that
  // name, then a user the server finds.
  if (a[0].starts_with('#')) {
    auto g = resolve_group(a[0]);
    if (!g.ok()) return failed(c.name, g.status());
    return open_group_named(*g);
  }
  const std::string wanted = lower(a[0]);
  std::optional<User> local;
  if (auto list = client_->friends(); list.ok()) {
    for (const auto& f : *list) {
      if (f.user.username == wanted) local = f.user;
    }
  }
  if (!local) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, username] : names_) {
      if (username == wanted) local = User{id, username};
    }
  }
  if (!local) {
    auto g = find_group(a[0]);
    if (g.ok()) return open_group_named(*g);
    if (g.code() != Error::kNotFound) return failed(c.name, g.status());
  }
  auto user = local ? Result<User>(*local) : resolve(a[0]);
  if (!user.ok()) return failed(c.name, user.status());
  set_open_peer(*user);
  auto r = succeeded(c.name, {user->username});
  r.opened = *user;
  return r;
}

}  // namespace wechat::cli
