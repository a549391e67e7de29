// SPDX-License-Identifier: MIT
// wechat::Client: the public facade (posting onto the event thread), and the Impl's lifetime
// and event delivery.
#include "wechat/client.h"

#include <filesystem>
#include <fstream>

#include "client/client_impl.h"
#include "common/random.h"
#include "common/thread_name.h"
#include "proto/protobuf_logging.h"
#include "transport/tls.h"

namespace wechat {

Client::Impl::Impl(ClientOptions options)
    : options_(std::move(options)), log_(options_.log, "client") {}

Client::Impl::~Impl() = default;

Status Client::Impl::init() {
  if (options_.data_dir.empty()) return Status(Error::kInvalidArgument, "data_dir is required");
  servers_.push_back(ServerAddress{options_.host, options_.port});
  servers_.insert(servers_.end(), options_.more_servers.begin(), options_.more_servers.end());
  for (const auto& server : servers_) {
    if (server.host.empty() || server.port == 0) {
      return Status(Error::kInvalidArgument, "every server address needs a host and a port");
    }
  }
  detail::silence_protobuf_logging();
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return Status(Error::kIo, "cannot create " + options_.data_dir + ": " + ec.message());
  std::filesystem::permissions(options_.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (!options_.plaintext) {
    transport::ClientTlsOptions tls;
    tls.ca_file = options_.ca_file;
    tls.pinned_sha256 = options_.pinned_sha256;
    WECHAT_ASSIGN_OR_RETURN(tls_, transport::make_client_tls_context(tls));
  }
  WECHAT_ASSIGN_OR_RETURN(device_name_, load_device_name());
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] {
    detail::set_thread_name("wechat-client");
    io_.run();
  });
  return {};
}

Result<std::string> Client::Impl::load_device_name() const {
  if (!options_.device_name.empty()) return options_.device_name;
  const auto path = std::filesystem::path(options_.data_dir) / "device_name";
  std::string name;
  std::ifstream(path) >> name;
  if (!name.empty()) return name;
  name = "device-" + detail::Id128::random().to_hex().substr(0, 12);
  std::ofstream out(path, std::ios::trunc);
  out << name << "\n";
  if (!out) return Status(Error::kIo, "cannot write " + path.string());
  return name;
}

void Client::Impl::shutdown() {
  if (shut_down_.exchange(true)) return;
  asio::post(io_, [this, self = shared_from_this()] {
    reconnect_timer_.cancel();
    outbox_retry_timer_.cancel();
    want_online_ = false;
    if (connection_) connection_->abort(Status(Error::kCancelled, "client destroyed"));
    connection_.reset();
    fail_all(Status(Error::kCancelled, "the client was destroyed"), true);
    for (auto& waiter : resume_waiters_) {
      complete(waiter, Result<User>(Error::kCancelled, "the client was destroyed"));
    }
    resume_waiters_.clear();
    cleaned_up_ = true;
    work_.reset();
    io_.stop();
  });
  if (!thread_.joinable()) return;
  if (std::this_thread::get_id() == thread_.get_id()) {
    // Destroyed from its own callback: the event thread cannot join itself. A reaper joins it
    // once the loop stops and lets the last reference go off the event thread.
    std::thread([self = shared_from_this()] {
      self->thread_.join();
      self->drain();
    }).detach();
    return;
  }
  thread_.join();
  drain();
}

void Client::Impl::drain() {
  // Handlers still queued hold references to this Impl; run them out (they do nothing now)
  // so that those references are released, then drop whatever is left without running it.
  for (int i = 0; i < 100; ++i) {
    io_.restart();
    if (io_.poll() == 0) break;
  }
  io_.destroy_pending_handlers();
}

void Client::Impl::set_event_handler(std::function<void(const Event&)> handler) {
  asio::post(io_, [self = shared_from_this(), handler = std::move(handler)]() mutable {
    std::deque<Event> queued;
    {
      std::lock_guard lock(self->events_mutex_);
      self->handler_ = std::move(handler);
      if (self->handler_) queued.swap(self->events_);
    }
    // What queued up before the handler was set reaches it first, in order.
    for (auto& e : queued) self->emit(std::move(e));
  });
}

std::optional<Event> Client::Impl::poll_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(events_mutex_);
  if (!events_ready_.wait_for(lock, timeout, [&] { return !events_.empty(); })) {
    return std::nullopt;
  }
  Event event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void Client::Impl::emit(Event event) {
  std::function<void(const Event&)> handler;
  {
    std::lock_guard lock(events_mutex_);
    if (!handler_) {
      events_.push_back(std::move(event));
      events_ready_.notify_one();
      return;
    }
    handler = handler_;
  }
  try {
    handler(event);
  } catch (const std::exception& e) {
    log_.error("event handler threw: {}", e.what());
  }
}

void Client::Impl::complete(const Done& done, Status status) {
  if (!done) return;
  try {
    done(std::move(status));
  } catch (const std::exception& e) {
    log_.error("callback threw: {}", e.what());
  }
}

std::optional<User> Client::Impl::current_user() const {
  std::lock_guard lock(account_mutex_);
  return me_;
}

Result<std::shared_ptr<client::ClientStore>> Client::Impl::store() const {
  std::lock_guard lock(account_mutex_);
  if (!store_) return Status(Error::kUnauthenticated, "no account is logged in on this client");
  return store_;
}

// --- Public facade ---------------------------------------------------------------------------

Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  auto impl = std::make_shared<Impl>(std::move(options));
  WECHAT_TRY(impl->init());
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { impl_->shutdown(); }

void Client::set_event_handler(std::function<void(const Event&)> handler) {
  impl_->set_event_handler(std::move(handler));
}
std::optional<Event> Client::poll_event(std::chrono::milliseconds timeout) {
  return impl_->poll_event(timeout);
}
std::optional<User> Client::current_user() const { return impl_->current_user(); }
ConnectionState Client::connection_state() const { return impl_->connection_state(); }


void Client::request_code(const std::string& email, CodePurpose purpose, Done done) {
  impl_->post([i = impl_.get(), email, purpose, done] { i->request_code(email, purpose, done); });
}
void Client::register_account(const std::string& username, const std::string& email,
                              const std::string& password, const std::string& code,
                              Callback<User> done) {
  impl_->post([i = impl_.get(), username, email, password, code, done] {
    i->register_account(username, email, password, code, done);
  });
}
void Client::login(const std::string& login, const std::string& password, Callback<User> done) {
  impl_->post([i = impl_.get(), login, password, done] { i->login(login, password, done); });
}
void Client::resume(Callback<User> done) {
  impl_->post([i = impl_.get(), done] { i->resume(done); });
}
void Client::logout(Done done) {
  impl_->post([i = impl_.get(), done] { i->logout(done); });
}
void Client::reset_password(const std::string& email, const std::string& code,
                            const std::string& new_password, Done done) {
  impl_->post([i = impl_.get(), email, code, new_password, done] {
    i->reset_password(email, code, new_password, done);
  });
}
void Client::search_users(const std::string& query, Callback<std::vector<User>> done) {
  impl_->post([i = impl_.get(), query, done] { i->search_users(query, done); });
}
void Client::send_friend_request(UserId to, const std::string& note,
                                 Callback<FriendRequest> done) {
  impl_->post([i = impl_.get(), to, note, done] { i->send_friend_request(to, note, done); });
}
void Client::answer_friend_request(std::uint64_t request_id, bool accept, Done done) {
  impl_->post([i = impl_.get(), request_id, accept, done] {
    i->answer_friend_request(request_id, accept, done);
  });
}
void Client::remove_friend(UserId user, Done done) {
  impl_->post([i = impl_.get(), user, done] { i->remove_friend(user, done); });
}
void Client::refresh_friends(Callback<std::vector<Friend>> done) {
  impl_->post([i = impl_.get(), done] { i->refresh_friends(done); });
}
void Client::refresh_friend_requests(Callback<std::vector<FriendRequest>> done) {
  impl_->post([i = impl_.get(), done] { i->refresh_friend_requests(done); });
}
void Client::send_text(UserId to, const std::string& text, Callback<Message> done) {
  impl_->post([i = impl_.get(), to, text, done] { i->send_text(to, text, done); });
}
void Client::load_history(ConversationId conversation, std::uint64_t before_seq,
                          std::uint32_t limit, Callback<std::vector<Message>> done) {
  impl_->post([i = impl_.get(), conversation, before_seq, limit, done] {
    i->load_history(conversation, before_seq, limit, done);
  });
}
void Client::mark_read(ConversationId conversation, std::uint64_t up_to_seq, Done done) {
  impl_->post([i = impl_.get(), conversation, up_to_seq, done] {
    i->mark_read(conversation, up_to_seq, done);
  });
}
void Client::set_typing(ConversationId conversation, bool typing) {
  impl_->post([i = impl_.get(), conversation, typing] { i->set_typing(conversation, typing); });
}
void Client::get_read_receipts(ConversationId conversation, std::uint64_t seq,
                               Callback<ReadReceipts> done) {
  impl_->post([i = impl_.get(), conversation, seq, done] {
    i->get_read_receipts(conversation, seq, done);
  });
}
void Client::create_group(const std::string& name, const std::vector<UserId>& members,
                          Callback<Group> done) {
  impl_->post([i = impl_.get(), name, members, done] { i->create_group(name, members, done); });
}
void Client::invite_to_group(ConversationId group, const std::vector<UserId>& users, Done done) {
  impl_->post([i = impl_.get(), group, users, done] { i->invite_to_group(group, users, done); });
}
void Client::leave_group(ConversationId group, Done done) {
  impl_->post([i = impl_.get(), group, done] { i->leave_group(group, done); });
}
void Client::remove_group_member(ConversationId group, UserId user, Done done) {
  impl_->post([i = impl_.get(), group, user, done] { i->remove_group_member(group, user, done); });
}
void Client::rename_group(ConversationId group, const std::string& name, Done done) {
  impl_->post([i = impl_.get(), group, name, done] { i->rename_group(group, name, done); });
}
void Client::set_group_role(ConversationId group, UserId user, GroupRole role, Done done) {
  impl_->post(
      [i = impl_.get(), group, user, role, done] { i->set_group_role(group, user, role, done); });
}
void Client::transfer_group_ownership(ConversationId group, UserId new_owner, Done done) {
  impl_->post([i = impl_.get(), group, new_owner, done] {
    i->transfer_group_ownership(group, new_owner, done);
  });
}
void Client::dissolve_group(ConversationId group, Done done) {
  impl_->post([i = impl_.get(), group, done] { i->dissolve_group(group, done); });
}
void Client::get_group(ConversationId group, Callback<Group> done) {
  impl_->post([i = impl_.get(), group, done] { i->get_group(group, done); });
}
void Client::refresh_groups(Callback<std::vector<Group>> done) {
  impl_->post([i = impl_.get(), done] { i->refresh_groups(done); });
}
void Client::send_group_text(ConversationId group, const std::string& text,
                             Callback<Message> done) {
  impl_->post([i = impl_.get(), group, text, done] { i->send_group_text(group, text, done); });
}

Result<std::vector<Conversation>> Client::conversations() const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->conversations();
}
Result<std::vector<Message>> Client::messages(ConversationId conversation,
                                              std::uint64_t before_seq,
                                              std::uint32_t limit) const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->messages(conversation, before_seq, limit);
}
Result<std::vector<Message>> Client::messages_with(UserId peer, std::uint64_t before_seq,
                                                   std::uint32_t limit) const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->messages_with(peer, before_seq, limit);
}
Result<std::vector<Friend>> Client::friends() const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->friends();
}
Result<std::vector<FriendRequest>> Client::friend_requests() const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->friend_requests();
}
Result<std::vector<Message>> Client::search_messages(const std::string& text,
                                                     std::uint32_t limit) const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->search(text, limit);
}
Result<std::vector<Group>> Client::groups() const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  return store->groups();
}
Result<Group> Client::group(ConversationId group) const {
  WECHAT_ASSIGN_OR_RETURN(auto store, impl_->store());
  WECHAT_ASSIGN_OR_RETURN(auto found, store->group(group));
  if (!found) return Status(Error::kNotFound, "no group " + std::to_string(group) + " here");
  return std::move(*found);
}

namespace {
template <typename T>
std::pair<Client::Callback<T>, std::future<Result<T>>> promised() {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  return {[promise](Result<T> r) { promise->set_value(std::move(r)); }, std::move(future)};
}
}  // namespace

std::future<Result<User>> Client::login(const std::string& login, const std::string& password) {
  auto [done, future] = promised<User>();
  this->login(login, password, std::move(done));
  return std::move(future);
}
std::future<Result<User>> Client::resume() {
  auto [done, future] = promised<User>();
  this->resume(std::move(done));
  return std::move(future);
}
std::future<Result<Message>> Client::send_text(UserId to, const std::string& text) {
  auto [done, future] = promised<Message>();
  this->send_text(to, text, std::move(done));
  return std::move(future);
}
std::future<Result<Group>> Client::create_group(const std::string& name,
                                                const std::vector<UserId>& members) {
  auto [done, future] = promised<Group>();
  this->create_group(name, members, std::move(done));
  return std::move(future);
}
std::future<Result<Message>> Client::send_group_text(ConversationId group,
                                                     const std::string& text) {
  auto [done, future] = promised<Message>();
  this->send_group_text(group, text, std::move(done));
  return std::move(future);
}

}  // namespace wechat
