// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_REDIS_CLIENT_H_
#define WECHAT_SERVER_CLUSTER_REDIS_CLIENT_H_

/// @file
/// An asynchronous Redis client over hiredis 0.14, driven from Asio: one connection for
/// commands, a second one (opened on the first `subscribe`) for pub/sub. Both reconnect by
/// themselves, forever, until `stop()`. hiredis's types stay in the .cpp files.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/logger.h"
#include "wechat/status.h"

// hiredis's types, declared here so that its header stays in the .cpp files.
struct redisAsyncContext;
struct redisReply;

namespace wechat::server::cluster {

/// Where a Redis server is and how to log in to it.
struct RedisEndpoint {
  std::string host = "127.0.0.1";  ///< A name or an IPv4/IPv6 address. Default: 127.0.0.1.
  std::uint16_t port = 6379;       ///< Default: 6379.
  std::string username;  ///< Redis 6 ACL user; empty: `AUTH <password>`. Default: empty.
  std::string password;  ///< Empty: no AUTH at all. Default: empty.
  int db = 0;            ///< SELECTed on the command connection. Default: 0.

  /// "host:port/db" for logs and messages; never the credentials.
  std::string to_string() const;
};

/// Parses `redis://[[user]:password@]host[:port][/db]`. As with redis-cli, userinfo without a
/// colon is a password; user and password may be percent-encoded; an IPv6 host is written in
/// brackets. Returns kInvalidArgument, saying what is wrong, for anything else (other schemes,
/// including `rediss://`: hiredis 0.14 has no TLS).
[[nodiscard]] Result<RedisEndpoint> parse_redis_url(std::string_view url);

/// One decoded Redis reply (RESP2). A top-level error reply never becomes a RedisReply: the
/// command fails with a Status instead (see RedisClient::command). Errors nested in an array
/// (as in an EXEC reply) are elements of type kError.
struct RedisReply {
  enum class Type { kNil, kInteger, kStatus, kString, kArray, kError };

  Type type = Type::kNil;
  long long integer = 0;             ///< kInteger.
  std::string str;                   ///< kString (binary-safe), kStatus and kError.
  std::vector<RedisReply> elements;  ///< kArray.

  bool is_nil() const { return type == Type::kNil; }
  bool is_string() const { return type == Type::kString; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_array() const { return type == Type::kArray; }
  /// A status reply equal to `text`, e.g. is_status("OK").
  bool is_status(std::string_view text) const { return type == Type::kStatus && str == text; }
};

/// A Redis client for one server: commands on one connection, subscriptions on another.
///
/// Replies and messages are handed to callbacks on the client's strand (over the executor given
/// to `create`), one at a time and in order; never inside the call that started them.
///
/// Errors a command completes with:
/// - the Redis error reply's own text, as kStorage; kUnavailable for LOADING, BUSY,
///   MASTERDOWN, TRYAGAIN and READONLY (the server cannot serve right now); kUnauthenticated for
///   NOAUTH and WRONGPASS; kPermissionDenied for NOPERM;
/// - kUnavailable at once while the command connection is down (kUnauthenticated instead if
///   the last attempt failed because Redis rejected the credentials);
/// - kUnavailable if the connection is lost before the reply (the command may have run);
/// - kTimeout when no reply came within `command_timeout`. Redis answers in order, so a late
///   reply stalls every later one: the connection is then closed (the other pending commands
///   fail with kUnavailable) and reopened. This is also how a silently dead link is noticed;
/// - kCancelled after `stop()`.
///
/// @par Thread Safety
/// Every public method is safe from any thread, including from inside the client's callbacks.
///
/// @par Lifetime
/// Create with `create()`. Pending callbacks keep the client alive; I/O waits and timers do not,
/// so dropping the last reference closes both connections (pending commands then complete with
/// kCancelled). Stop or drop the client before its execution context is destroyed.
///
/// @code
///   auto redis = RedisClient::create(io.get_executor(), {.endpoint = *parse_redis_url(url)}, log);
///   redis->start();
///   redis->command({"SET", "k", "v"}, [](Result<RedisReply> r) { ... });
///   redis->subscribe("node:7", on_push, [] { /* resync: messages may have been missed */ });
///   ...
///   redis->stop([] { /* every callback has run */ });
/// @endcode
class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  using Done = std::function<void(Result<RedisReply>)>;

  struct Options {
    RedisEndpoint endpoint;
    /// TCP connect plus the AUTH/SELECT/PING (and SUBSCRIBE) handshake. Default: 2 s.
    std::chrono::milliseconds connect_timeout{2000};
    /// From sending a command to its reply. Default: 2 s.
    std::chrono::milliseconds command_timeout{2000};
    /// First delay before reconnecting; doubles per failed attempt up to reconnect_max, each
    /// delay drawn uniformly from [delay/2, delay]. Defaults: 100 ms and 2 s.
    std::chrono::milliseconds reconnect_initial{100};
    std::chrono::milliseconds reconnect_max{2000};
    /// Runs on the strand whenever the command connection becomes usable (true) or stops being
    /// usable (false). Callers re-register state here after an outage. Default: none.
    std::function<void(bool connected)> on_connection_change;
  };

  /// A client that does nothing until `start()`. `executor` runs everything (a strand is made
  /// over it, so a multi-threaded io_context is fine).
  static std::shared_ptr<RedisClient> create(asio::any_io_executor executor, Options options,
                                             detail::Logger log);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Starts connecting (and keeps reconnecting with backoff after any loss, until `stop()`).
  /// Commands fail with kUnavailable until the connection is up: wait for `connected()` or
  /// `on_connection_change(true)`. A second call does nothing.
  void start();

  /// Runs one command; `args` are binary-safe (e.g. {"SET", key, bytes}). `done` runs exactly
  /// once, on the strand, with the reply or an error (see the class comment). Commands issued
  /// from one thread (or from the strand) are sent, and answered, in call order.
  void command(std::vector<std::string> args, Done done);

  /// `command` for coroutines; resumes on the awaiting coroutine's executor.
  asio::awaitable<Result<RedisReply>> async_command(std::vector<std::string> args);

  /// Subscribes to `channel` on the subscriber connection (opened on first use). For every
  /// message, `on_message(payload)` runs on the strand (the view lives for that call only).
  /// Each time the subscription is confirmed (the first time and after every reconnect of the
  /// subscriber connection), `on_subscribed()` runs: messages published while it was down are
  /// lost, so callers resync from their durable state then. Subscribing to a channel again
  /// replaces its callbacks. Either callback may be empty.
  void subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                 std::function<void()> on_subscribed);

  /// Whether the command connection is up (handshake done). A hint: it may change at once.
  bool connected() const { return connected_.load(std::memory_order_acquire); }

  /// Closes both connections and stops reconnecting; idempotent; never blocks.
  ///
  /// - Once it returns, no `on_message`, `on_subscribed` or `on_connection_change` starts.
  /// - Every command not yet answered completes with kCancelled, and so does every command
  ///   issued afterwards: on the strand, after `stop()` returns (even when called on it).
  /// - `on_stopped` (if given) runs on the strand after both connections are closed and after
  ///   the `done` of every command issued before `stop()` (from the same thread) has run.
  ///   Free what the callbacks refer to only then (or keep it alive by capture).
  /// - Completions still queued when the executor's context is stopped for good are destroyed
  ///   without being run, as with any Asio handler.
  void stop(std::function<void()> on_stopped = {});

 private:
  struct Link;
  struct Request;
  struct Channel;
  enum class Role { kCommand, kSubscriber };

  RedisClient(asio::any_io_executor executor, Options options, detail::Logger log);

  // hiredis callbacks (C function pointers).
  static void on_reply(::redisAsyncContext* ac, void* reply, void* privdata);
  static void on_subscription_reply(::redisAsyncContext* ac, void* reply, void* privdata);
  static void on_connect(const ::redisAsyncContext* ac, int status);

  // Everything below runs on strand_.
  template <typename Fn>
  void run_on_strand(Fn fn);
  void do_start();
  void do_command(std::vector<std::string> args, Done done);
  void do_subscribe(std::string channel, std::shared_ptr<Channel> handlers);
  void do_stop();
  void post_done(Done done, Result<RedisReply> result);

  void connect(Link& link);
  void connect_to(Link& link, const std::string& address);
  void send_handshake(Link& link);
  void handshake_failed(Link& link, std::uint64_t generation, Status why);
  void handshake_done(Link& link);
  void send_subscribe(Link& link, const std::vector<std::string>& channels);
  void link_ready(Link& link);
  bool send(Link& link, const std::vector<std::string>& args,
            void (*fn)(::redisAsyncContext*, void*, void*), void* privdata);
  void on_context_gone(Link& link, std::string error);
  void close_link(Link& link, Error code, std::string reason);
  void handle_down(Link& link, Status why);
  void schedule_retry(Link& link);
  void arm_command_timer(Link& link);
  void on_command_timer(Link& link);
  void complete(Link& link, Request* request, ::redisReply* reply, redisAsyncContext* ac);
  void notify_connection_change(bool up);
  Status not_connected_status() const;

  asio::strand<asio::any_io_executor> strand_;
  Options options_;
  detail::Logger log_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> connected_{false};
  bool started_ = false;
  bool destroying_ = false;
  std::unique_ptr<Link> cmd_;
  std::unique_ptr<Link> sub_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
  std::minstd_rand rng_;
};

}  // namespace wechat::server::cluster

#endif  // WECHAT_SERVER_CLUSTER_REDIS_CLIENT_H_
