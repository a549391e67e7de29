// SPDX-License-Identifier: MIT
// Client::Impl: the connection lifecycle (connect, hello, login or resume, reconnect with
// backoff) and the account operations that change it.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>

#include "client/client_impl.h"
#include "client/convert.h"
#include "common/random.h"
#include "wechat/version.h"

namespace wechat {

namespace fs = std::filesystem;

namespace {
/// The account resumed by resume(): its user id, in `<data_dir>/last_account`.
std::string last_account_file(const ClientOptions& o) {
  return (fs::path(o.data_dir) / "last_account").string();
}
}  // namespace

void Client::Impl::set_state(ConnectionState state, Status reason) {
  if (state == state_ && reason.ok()) return;
  state_ = state;
  public_state_.store(state);
  emit(ConnectionStateChanged{state, std::move(reason)});
}

void Client::Impl::ensure_connected() {
  if (connection_ || connecting_ || shut_down_) return;
  reconnect_timer_.cancel();
  connecting_ = true;
  set_state(ConnectionState::kConnecting);
  transport::ConnectionOptions options;
  options.heartbeat_interval = heartbeat_interval_;
  // Pongs answer our pings, so silence for three intervals means the server is gone.
  options.idle_timeout = heartbeat_interval_ * 3;
  on_chat_node_ = chat_node_.has_value();
  const ServerAddress& target = on_chat_node_ ? *chat_node_ : servers_[server_];
  transport::async_connect(io_.get_executor(), target.host, target.port, tls_, options,
                           [this, self = shared_from_this()](
                               Result<std::shared_ptr<transport::Connection>> connection) {
                             asio::post(io_, [this, self, c = std::move(connection)]() mutable {
                               on_connected(std::move(c));
                             });
                           });
}

void Client::Impl::on_connected(Result<std::shared_ptr<transport::Connection>> connection) {
  connecting_ = false;
  if (shut_down_) {
    if (connection.ok()) (*connection)->abort(Status(Error::kCancelled, "client destroyed"));
    return;
  }
  if (!connection.ok()) {
    const ServerAddress& target = on_chat_node_ ? *chat_node_ : servers_[server_];
    log_.info("cannot connect to {}:{}: {}", target.host, target.port,
              connection.status().to_string());
    // Next time: back through a gate if a chat node failed, else the next gate in the list.
    if (!on_chat_node_) server_ = (server_ + 1) % servers_.size();
    disconnected(connection.status());
    return;
  }
  connection_ = std::move(*connection);
  const std::uint64_t generation = ++generation_;
  transport::ConnectionHandler handler;
  auto weak = weak_from_this();
  handler.on_frame = [weak, generation](v1::Frame&& frame) {
    if (auto self = weak.lock()) {
      asio::post(self->io_, [self, generation, f = std::move(frame)]() mutable {
        self->on_frame(generation, std::move(f));
      });
    }
  };
  handler.on_close = [weak, generation](const Status& status) {
    if (auto self = weak.lock()) {
      asio::post(self->io_, [self, generation, status] { self->on_closed(generation, status); });
    }
  };
  connection_->start(std::move(handler));

  v1::Request hello;
  hello.mutable_hello()->set_protocol_version(WECHAT_PROTOCOL_VERSION);
  hello.mutable_hello()->set_client_name("libwechat");
  hello.mutable_hello()->set_client_version(WECHAT_VERSION_STRING);
  send_now(std::move(hello), [this](Result<v1::Response> response) {
    Status status = response.ok() ? client::status_of(*response) : response.status();
    if (status.ok() && !response->has_hello()) status = Status(Error::kProtocol, "no hello answer");
    if (!status.ok()) {
      log_.warn("hello refused: {}", status.to_string());
      drop_connection(status);
      return;
    }
    hello_done_ = true;
    if (want_online_ && !authenticated_) {
      authenticate();
    } else if (!want_online_) {
      set_state(ConnectionState::kDisconnected);  // connected for account requests only
    }
    flush_waiting();
  });
}

void Client::Impl::on_frame(std::uint64_t generation, v1::Frame&& frame) {
  if (generation != generation_) return;
  if (frame.has_response()) {
    auto it = pending_.find(frame.request_id());
    if (it == pending_.end()) return;  // timed out already
    auto handler = std::move(it->second.handler);
    it->second.deadline->cancel();
    pending_.erase(it);
    handler(std::move(*frame.mutable_response()));
  } else if (frame.has_event()) {
    on_event(std::move(*frame.mutable_event()));
  }
}

void Client::Impl::on_closed(std::uint64_t generation, const Status& status) {
  if (generation != generation_) return;
  disconnected(status);
}

void Client::Impl::drop_connection(const Status& reason) {
  if (!connection_) return;
  connection_->abort(reason);
  // Handled now, not when the close callback comes: requests made from here on must wait for
  // a new connection instead of going out on the dying one.
  disconnected(reason);
}

void Client::Impl::disconnected(const Status& status) {
  ++generation_;  // late callbacks of the old connection are ignored from now on
  connection_.reset();
  // A chat node lost (or refusing) is left for whichever node a gate chooses next.
  if (on_chat_node_) chat_node_.reset();
  on_chat_node_ = false;
  const bool redirecting = std::exchange(redirecting_, false);
  hello_done_ = false;
  authenticated_ = false;
  authenticating_ = false;
  syncing_ = false;
  sending_.clear();  // whatever was in flight stays in the outbox and goes again
  fail_all(Status(Error::kUnavailable,
                  "connection lost" + (status.ok() ? std::string() : ": " + status.message())),
           false);
  if (shut_down_) return;
  if (redirecting) {
    ensure_connected();  // straight on to the chat node; the app sees only kConnecting again
    return;
  }
  set_state(ConnectionState::kDisconnected, status.ok() ? Status(Error::kUnavailable, "closed")
                                                        : status);
  if (want_online_ || !waiting_.empty()) {
    schedule_reconnect(std::chrono::milliseconds(status.retry_after_ms()));
  }
}

void Client::Impl::follow_to_chat_node(const v1::Endpoint& node) {
  if (on_chat_node_ || node.host().empty() || node.port() == 0 || node.port() > 65535) {
    // A chat node never redirects, and a gate must name a usable address.
    log_.warn("ignoring a redirect to '{}:{}'", node.host(), node.port());
    drop_connection(Status(Error::kProtocol, "the server sent an unusable redirect"));
    return;
  }
  log_.debug("the gate sent this session to {}:{}", node.host(), node.port());
  chat_node_ = ServerAddress{node.host(), static_cast<std::uint16_t>(node.port())};
  redirecting_ = true;
  drop_connection(Status(Error::kUnavailable, "moving to the chat node"));
}

void Client::Impl::schedule_reconnect(std::chrono::milliseconds at_least) {
  // Exponential backoff with full jitter: many clients of a restarted server spread out.
  const auto cap = options_.reconnect_max.count();
  const auto base = options_.reconnect_initial.count();
  const auto exp = std::min<std::int64_t>(cap, base << std::min(reconnect_attempts_, 16u));
  const auto jittered =
      exp / 2 +
      static_cast<std::int64_t>(detail::random_below(static_cast<std::uint64_t>(exp / 2) + 1));
  // Past reconnect_max too: an attempt before the server's retry_after is refused again (a
  // locked-out address stays locked however often it asks).
  const auto delay = std::max<std::int64_t>(jittered, at_least.count());
  ++reconnect_attempts_;
  reconnect_timer_.expires_after(std::chrono::milliseconds(delay));
  reconnect_timer_.async_wait([this, self = shared_from_this()](std::error_code ec) {
    if (!ec) ensure_connected();
  });
}

Status Client::Impl::open_account(const User& user) {
  const auto dir = fs::path(options_.data_dir) / std::to_string(user.id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(Error::kIo, "cannot create " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  {
    std::lock_guard lock(account_mutex_);
    if (me_ && me_->id == user.id && store_) {
      me_ = user;
      return {};
    }
  }
  WECHAT_ASSIGN_OR_RETURN(auto opened, client::ClientStore::open((dir / "client.db").string()));
  std::lock_guard lock(account_mutex_);
  store_ = std::move(opened);
  me_ = user;
  return {};
}

void Client::Impl::login(const std::string& login, const std::string& password,
                         Callback<User> done) {
  if (want_online_) {
    return complete(done, Result<User>(Error::kInvalidArgument, "already logged in; log out first"));
  }
  v1::Request r;
  r.mutable_login()->set_login(login);
  r.mutable_login()->set_password(password);
  r.mutable_login()->set_device_name(device_name_);
  call(std::move(r), Needs::kConnection, [this, done](Result<v1::Response> response) {
    Status status = response.ok() ? client::status_of(*response) : response.status();
    if (!status.ok()) return complete(done, Result<User>(status));
    const auto& ok = response->login();
    const User user = client::to_user(ok.user());
    if (auto opened = open_account(user); !opened.ok()) return complete(done, Result<User>(opened));
    auto s = store();
    client::SavedSession saved{user.id, user.username, ok.token(), ok.device_id()};
    if (auto saved_ok = (*s)->save_session(saved); !saved_ok.ok()) {
      return complete(done, Result<User>(saved_ok));
    }
    std::ofstream(last_account_file(options_), std::ios::trunc) << user.id << "\n";
    token_ = ok.token();
    want_online_ = true;
    head_user_seq_ = ok.head_user_seq();
    if (ok.has_chat_node()) {
      // Logged in at a gate: the session is served by the chat node, which the saved token
      // opens. Requests made from now on wait for it.
      complete(done, Result<User>(user));
      follow_to_chat_node(ok.chat_node());
      return;
    }
    on_authenticated();
    complete(done, Result<User>(user));
  });
}

void Client::Impl::resume(Callback<User> done) {
  if (authenticated_) {
    auto me = current_user();
    return complete(done, me ? Result<User>(*me) : Result<User>(Error::kInternal, "no user"));
  }
  if (!want_online_) {
    std::uint64_t user_id = 0;
    std::ifstream(last_account_file(options_)) >> user_id;
    if (user_id == 0) {
      return complete(done, Result<User>(Error::kSessionExpired, "no saved session; log in"));
    }
    if (auto opened = open_account(User{user_id, ""}); !opened.ok()) {
      return complete(done, Result<User>(opened));
    }
    auto saved = (*store())->saved_session();
    if (!saved.ok()) return complete(done, Result<User>(saved.status()));
    if (!*saved) return complete(done, Result<User>(Error::kSessionExpired, "no saved session; log in"));
    {
      std::lock_guard lock(account_mutex_);
      me_ = User{(*saved)->user_id, (*saved)->username};
    }
    token_ = (*saved)->token;
    want_online_ = true;
  }
  resume_waiters_.push_back(std::move(done));
  if (hello_done_ && !authenticating_) {
    authenticate();
  } else {
    ensure_connected();
  }
}

void Client::Impl::authenticate() {
  authenticating_ = true;
  set_state(ConnectionState::kAuthenticating);
  v1::Request r;
  r.mutable_resume()->set_token(token_);
  send_now(std::move(r), [this](Result<v1::Response> response) {
    authenticating_ = false;
    if (!response.ok()) {
      // Dropped already (reconnecting tries again), or no answer in time from a server that
      // may be stuck: leave it, and the next attempt (through a gate) may find another.
      drop_connection(response.status());
      return;
    }
    if (auto status = client::status_of(*response); !status.ok()) {
      if (status.code() == Error::kSessionExpired || status.code() == Error::kUnauthenticated) {
        end_session(status);
      } else {
        log_.warn("resume failed: {}", status.to_string());
        drop_connection(status);
      }
      return;
    }
    if (response->resume().has_chat_node()) return follow_to_chat_node(response->resume().chat_node());
    const User user = client::to_user(response->resume().user());
    {
      std::lock_guard lock(account_mutex_);
      me_ = user;
    }
    head_user_seq_ = response->resume().head_user_seq();
    on_authenticated();
    auto waiters = std::move(resume_waiters_);
    resume_waiters_.clear();
    for (auto& w : waiters) complete(w, Result<User>(user));
  });
}

void Client::Impl::on_authenticated() {
  authenticated_ = true;
  reconnect_attempts_ = 0;
  set_state(ConnectionState::kSyncing);
  flush_waiting();
  start_sync();
}

void Client::Impl::end_session(const Status& reason) {
  want_online_ = false;
  authenticated_ = false;
  token_.clear();
  if (auto s = store(); s.ok()) (void)(*s)->clear_session();
  auto waiters = std::move(resume_waiters_);
  resume_waiters_.clear();
  for (auto& w : waiters) complete(w, Result<User>(reason));
  fail_all(reason, true);
  emit(SessionEnded{reason});
  drop_connection(reason);
}

void Client::Impl::logout(Done done) {
  if (!want_online_) return complete(done, Status(Error::kUnauthenticated, "not logged in"));
  v1::Request r;
  r.mutable_logout();
  call(std::move(r), Needs::kLogin, [this, done](Result<v1::Response> response) {
    Status status = response.ok() ? client::status_of(*response) : response.status();
    // Forget the session locally whatever the server said: the user asked to be logged out.
    want_online_ = false;
    authenticated_ = false;
    token_.clear();
    if (auto s = store(); s.ok()) (void)(*s)->clear_session();
    std::error_code ec;
    fs::remove(last_account_file(options_), ec);
    {
      std::lock_guard lock(account_mutex_);
      me_.reset();
      store_.reset();
    }
    drop_connection(Status(Error::kCancelled, "logged out"));
    complete(done, status);
  });
}

}  // namespace wechat
