// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLIENT_CLIENT_IMPL_H_
#define WECHAT_CLIENT_CLIENT_IMPL_H_

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "client/store/client_store.h"
#include "common/logger.h"
#include "transport/connection.h"
#include "wechat/client.h"

namespace wechat {

namespace detail {
/// An io_context whose queued handlers can be destroyed without running them. The Impl owns
/// its io_context, and queued handlers hold references to the Impl: destroying them at shutdown
/// is what breaks that cycle.
class OwnedIoContext : public asio::io_context {
 public:
  void destroy_pending_handlers() { shutdown(); }
};
}  // namespace detail

/// The session engine behind wechat::Client. Everything below "event thread only" runs on the
/// one thread that runs `io_`; public entry points post onto it. See docs/threading.md.
///
/// States: disconnected -> connecting (TCP/TLS + hello) -> authenticating (login or resume)
/// -> syncing (pages of the log until caught up) -> online (pushes applied live, outbox
/// drained). Any connection loss goes back to disconnected and, while logged in, reconnects with
/// exponential backoff and jitter, resumes with the saved token and syncs from its position.
// Hidden: a nested class would otherwise inherit Client's WECHAT_API and export its internals.
class [[gnu::visibility("hidden")]] Client::Impl
    : public std::enable_shared_from_this<Client::Impl> {
 public:
  explicit Impl(ClientOptions options);
  ~Impl();

  Status init();
  /// options_.device_name, or a name generated on first use and kept in data_dir.
  Result<std::string> load_device_name() const;
  /// Cancels everything and stops the event thread. Safe from any thread.
  void shutdown();
  /// After the event thread has stopped: releases every handler still queued.
  void drain();

  /// Runs `fn` on the event thread. What was posted before shutdown() still runs (and its
  /// callback gets an answer, kCancelled at worst); what is posted after it never runs.
  template <typename Fn>
  void post(Fn fn) {
    asio::post(io_, [self = shared_from_this(), fn = std::move(fn)]() mutable {
      if (!self->cleaned_up_) fn();
    });
  }

  // --- Any thread ---
  void set_event_handler(std::function<void(const Event&)> handler);
  std::optional<Event> poll_event(std::chrono::milliseconds timeout);
  std::optional<User> current_user() const;
  ConnectionState connection_state() const { return public_state_.load(); }
  /// The open account's store, or kUnauthenticated.
  Result<std::shared_ptr<client::ClientStore>> store() const;

  // --- Event thread only: the operations behind Client's methods ---
  void request_code(const std::string& email, CodePurpose purpose, Done done);
  void register_account(const std::string& username, const std::string& email,
                        const std::string& password, const std::string& code,
                        Callback<User> done);
  void login(const std::string& login, const std::string& password, Callback<User> done);
  void resume(Callback<User> done);
  void logout(Done done);
  void reset_password(const std::string& email, const std::string& code,
                      const std::string& new_password, Done done);
  void search_users(const std::string& query, Callback<std::vector<User>> done);
  void send_friend_request(UserId to, const std::string& note, Callback<FriendRequest> done);
  void answer_friend_request(std::uint64_t request_id, bool accept, Done done);
  void remove_friend(UserId user, Done done);
  void refresh_friends(Callback<std::vector<Friend>> done);
  void refresh_friend_requests(Callback<std::vector<FriendRequest>> done);
  void send_text(UserId to, const std::string& text, Callback<Message> done);
  void load_history(ConversationId conversation, std::uint64_t before_seq, std::uint32_t limit,
                    Callback<std::vector<Message>> done);
  void mark_read(ConversationId conversation, std::uint64_t up_to_seq, Done done);
  void set_typing(ConversationId conversation, bool typing);
  void get_read_receipts(ConversationId conversation, std::uint64_t seq,
                         Callback<ReadReceipts> done);
  void create_group(const std::string& name, const std::vector<UserId>& members,
                    Callback<Group> done);
  void invite_to_group(ConversationId group, const std::vector<UserId>& users, Done done);
  void leave_group(ConversationId group, Done done);
  void remove_group_member(ConversationId group, UserId user, Done done);
  void rename_group(ConversationId group, const std::string& name, Done done);
  void set_group_role(ConversationId group, UserId user, GroupRole role, Done done);
  void transfer_group_ownership(ConversationId group, UserId new_owner, Done done);
  void dissolve_group(ConversationId group, Done done);
  void get_group(ConversationId group, Callback<Group> done);
  void refresh_groups(Callback<std::vector<Group>> done);
  void send_group_text(ConversationId group, const std::string& text, Callback<Message> done);

 private:
  using ResponseHandler = std::function<void(Result<v1::Response>)>;
  /// What a request needs before it can go out.
  enum class Needs { kConnection, kLogin };
  struct Waiting {
    v1::Request request;
    Needs needs;
    ResponseHandler handler;
    std::shared_ptr<asio::steady_timer> deadline;
  };
  struct Pending {
    ResponseHandler handler;
    std::shared_ptr<asio::steady_timer> deadline;
  };

  // Requests (client_requests.cpp).
  void call(v1::Request request, Needs needs, ResponseHandler handler);
  void send_now(v1::Request request, ResponseHandler handler);
  bool ready(Needs needs) const;
  void flush_waiting();
  void fail_all(const Status& status, bool include_waiting);
  /// Calls `handler` with the response's result or its error, for one-line operations.
  template <typename T, typename Extract>
  ResponseHandler reply(Callback<T> done, Extract extract);
  /// Sends a request whose answer is Empty (or an error) and completes `done` with its status.
  void call_done(v1::Request request, Done done);
  /// The answer to CreateGroup or GetGroup: cached, then as the store now has it.
  Result<Group> cache_group(const v1::GroupInfo& info);

  // Connection lifecycle (client_connection.cpp).
  void ensure_connected();
  void on_connected(Result<std::shared_ptr<transport::Connection>> connection);
  void on_frame(std::uint64_t generation, v1::Frame&& frame);
  void on_closed(std::uint64_t generation, const Status& status);
  void drop_connection(const Status& reason);
  /// Forgets the current connection: fails what was in flight, reconnects if logged in.
  void disconnected(const Status& status);
  /// Reconnects after the backoff, and not before `at_least` (a refusal's retry_after_ms).
  void schedule_reconnect(std::chrono::milliseconds at_least);
  void set_state(ConnectionState state, Status reason = {});
  void authenticate();
  /// A gate answered login or resume with the chat node that serves the session: go there.
  void follow_to_chat_node(const v1::Endpoint& node);
  void on_authenticated();
  void end_session(const Status& reason);
  Status open_account(const User& user);

  // Sync, pushes and outbox (client_sync.cpp).
  void start_sync();
  void sync_page(bool first);
  void apply_entries(const std::vector<v1::LogEntry>& entries);
  /// Adds newly stored messages to the search index, a chunk per handler so that other work
  /// runs in between (ClientStore::index_for_search); once a sync is done, or after a push.
  void index_for_search_soon();
  void on_event(v1::Event&& event);
  /// Sends what the outbox holds, unless a retry_outbox() wait is still running.
  void flush_outbox();
  void send_outboxed(const client::OutboxItem& item);
  /// Flushes the outbox again once a send refused (or unanswered) for `why` may go: after
  /// why.retry_after_ms(), else after a second.
  void retry_outbox(const Status& why);
  /// Queues a message (direct: `to`; group: `group`) and starts sending it.
  void enqueue(UserId to, ConversationId group, const std::string& text, Callback<Message> done);

  void emit(Event event);
  /// Runs an application callback, containing any exception it throws.
  template <typename T>
  void complete(const Callback<T>& done, Result<T> result) {
    if (!done) return;
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      log_.error("callback threw: {}", e.what());
    }
  }
  void complete(const Done& done, Status status);

  const ClientOptions options_;
  detail::Logger log_;
  detail::OwnedIoContext io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<bool> shut_down_{false};
  bool cleaned_up_ = false;  ///< Event thread: shutdown's cleanup ran; later posts are dropped.
  std::shared_ptr<asio::ssl::context> tls_;

  // Event delivery (any thread).
  mutable std::mutex events_mutex_;
  std::condition_variable events_ready_;
  std::deque<Event> events_;
  std::function<void(const Event&)> handler_;
  std::atomic<ConnectionState> public_state_{ConnectionState::kDisconnected};

  // The open account (any thread reads).
  mutable std::mutex account_mutex_;
  std::shared_ptr<client::ClientStore> store_;
  std::optional<User> me_;

  // --- Event thread only ---
  std::shared_ptr<transport::Connection> connection_;
  std::uint64_t generation_ = 0;  ///< Tells callbacks of an old connection from the current one.
  bool connecting_ = false;
  bool hello_done_ = false;
  bool authenticated_ = false;
  bool authenticating_ = false;
  bool want_online_ = false;  ///< Logged in: keep (re)connecting until logout or session end.
  std::string token_;
  std::string device_name_;  ///< options_.device_name, or this install's generated name.
  ConnectionState state_ = ConnectionState::kDisconnected;
  std::uint64_t next_request_id_ = 1;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::deque<Waiting> waiting_;
  std::vector<Callback<User>> resume_waiters_;
  unsigned reconnect_attempts_ = 0;
  // Where the next connection goes: the chat node a gate sent us to, else servers_[server_].
  std::vector<ServerAddress> servers_;  ///< host:port, then more_servers
  std::size_t server_ = 0;
  std::optional<ServerAddress> chat_node_;
  bool on_chat_node_ = false;   ///< The current connection (or attempt) is to chat_node_.
  bool redirecting_ = false;    ///< Dropping a gate connection to follow it to a chat node.
  asio::steady_timer reconnect_timer_{io_};
  asio::steady_timer outbox_retry_timer_{io_};
  std::chrono::milliseconds heartbeat_interval_{10000};
  bool syncing_ = false;
  bool sync_again_ = false;  ///< SyncNeeded arrived during a sync: run one more after it
  bool indexing_ = false;    ///< An index_for_search_soon() chunk is queued
  std::uint64_t head_user_seq_ = 0;
  std::unordered_set<std::string> sending_;  ///< client_msg_ids on the wire now.
  /// Outbox messages on the wire at once. Well under the server's per-connection in-flight
  /// bound, so sends are never refused for being too many, and they keep their order.
  static constexpr std::size_t kMaxSendsInFlight = 64;
  /// How many of them may be on the wire now: one after a refusal, one more with each send the
  /// server takes. Resending every refused message at once would cost a refusal for each but
  /// the one the server has room for, round after round.
  std::size_t send_window_ = kMaxSendsInFlight;
};

}  // namespace wechat

#endif  // WECHAT_CLIENT_CLIENT_IMPL_H_
