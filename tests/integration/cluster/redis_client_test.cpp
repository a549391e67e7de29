// SPDX-License-Identifier: MIT
// RedisClient against a real redis-server. Most cases share the fixture's server (unique keys
// and channels per case); the ones that restart, stall or replace Redis run a private server.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "server/cluster/redis_client.h"
#include "support/free_port.h"

namespace wechat::server::cluster {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using wechat::testing::free_port;

constexpr std::uint16_t kSharedPort = WECHAT_REDIS_TEST_PORT;

std::string unique(std::string_view what) {
  return fmt::format("test:{}:{}", what, detail::Id128::random().to_hex().substr(0, 12));
}

// A redis-server of this case's own, for what would disturb the other cases.
class PrivateRedis {
 public:
  explicit PrivateRedis(std::uint16_t port = free_port())
      : port_(port), dir_(fmt::format("/tmp/wechat-redis-test-{}", port)) {
    REQUIRE(script("start") == 0);
  }
  ~PrivateRedis() { (void)script("stop"); }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  std::uint16_t port() const { return port_; }
  int script(const char* action) const {
    return std::system(
        fmt::format("{} {} {} {} >/dev/null", WECHAT_REDIS_TEST_SCRIPT, action, dir_, port_)
            .c_str());
  }
  // Stops the server abruptly, keeping its folder for a later script("start").
  void shutdown() const {
    (void)std::system(
        fmt::format("redis-cli -h 127.0.0.1 -p {} shutdown nosave >/dev/null 2>&1", port_).c_str());
  }

 private:
  std::uint16_t port_;
  std::string dir_;
};

class LogCapture {
 public:
  detail::Logger logger() {
    LogOptions options;
    options.min_level = LogLevel::kInfo;
    options.sink = [this](LogLevel level, std::string_view, std::string_view message) {
      std::lock_guard lock(mutex_);
      lines_.push_back(fmt::format("{}: {}", log_level_name(level), message));
    };
    return detail::Logger(options, "redis");
  }
  int count(std::string_view needle) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& line : lines_) n += line.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

RedisClient::Options options_for(std::uint16_t port) {
  RedisClient::Options o;
  o.endpoint.port = port;
  o.connect_timeout = 1000ms;
  o.command_timeout = 2000ms;
  o.reconnect_initial = 50ms;
  o.reconnect_max = 300ms;
  return o;
}

// One io_context run on the test's thread: callbacks run only inside until(), so the test's
// state needs no locks.
class Harness {
 public:
  LogCapture logs;

  std::shared_ptr<RedisClient> client(RedisClient::Options options) {
    return RedisClient::create(io_.get_executor(), std::move(options), logs.logger());
  }
  std::shared_ptr<RedisClient> connected_client(RedisClient::Options options) {
    auto c = client(std::move(options));
    c->start();
    REQUIRE(until([&] { return c->connected(); }));
    return c;
  }

  template <typename Pred>
  bool until(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (!pred()) {
      if (Clock::now() >= deadline) return false;
      io_.run_one_for(5ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = Clock::now() + d;
    while (Clock::now() < deadline) io_.run_one_for(5ms);
  }

  Result<RedisReply> call(RedisClient& c, std::vector<std::string> args) {
    std::optional<Result<RedisReply>> out;
    c.command(std::move(args), [&](Result<RedisReply> r) { out.emplace(std::move(r)); });
    REQUIRE(until([&] { return out.has_value(); }));
    return std::move(*out);
  }
  RedisReply ok(RedisClient& c, std::vector<std::string> args) {
    auto r = call(c, std::move(args));
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return std::move(r).value();
  }

  // Stops `c` and waits for its last callback.
  void stop(const std::shared_ptr<RedisClient>& c) {
    bool stopped = false;
    c->stop([&] { stopped = true; });
    REQUIRE(until([&] { return stopped; }));
  }

  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
};

// ---------------------------------------------------------------------------------------------
// URLs

TEST_CASE("redis url: full, minimal and IPv6 forms parse") {
  auto full = parse_redis_url("redis://app:s%40cret@cache.internal:6380/3");
  REQUIRE_MESSAGE(full.ok(), full.status().to_string());
  CHECK(full->username == "app");
  CHECK(full->password == "s@cret");
  CHECK(full->host == "cache.internal");
  CHECK(full->port == 6380);
  CHECK(full->db == 3);
  CHECK(full->to_string() == "cache.internal:6380/3");

  auto minimal = parse_redis_url("redis://localhost");
  REQUIRE(minimal.ok());
  CHECK(minimal->host == "localhost");
  CHECK(minimal->port == 6379);
  CHECK(minimal->db == 0);
  CHECK(minimal->password.empty());

  auto password_only = parse_redis_url("redis://:pw@10.0.0.1/");
  REQUIRE(password_only.ok());
  CHECK(password_only->username.empty());
  CHECK(password_only->password == "pw");
  CHECK(password_only->db == 0);

  auto cli_style = parse_redis_url("redis://pw@10.0.0.1:7000");  // as redis-cli reads it
  REQUIRE(cli_style.ok());
  CHECK(cli_style->password == "pw");
  CHECK(cli_style->port == 7000);

  auto v6 = parse_redis_url("redis://[::1]:6390/1");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 6390);
  CHECK(v6->to_string() == "[::1]:6390/1");
}

TEST_CASE("redis url: malformed ones are rejected with a reason") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"redis://localhost:0", "port"},
      {"redis://localhost:65536", "port"},
      {"redis://localhost:http", "port"},
      {"redis://localhost:", "port"},
      {"redis://", "missing host"},
      {"redis://:6379", "missing host"},
      {"redis://pw@", "missing host"},
      {"http://localhost", "redis://"},
      {"localhost:6379", "redis://"},
      {"rediss://localhost", "TLS"},
      {"redis://localhost/zero", "database"},
      {"redis://localhost/-1", "database"},
      {"redis://localhost/1/2", "database"},
      {"redis://localhost?db=1", "query"},
      {"redis://[::1", "IPv6"},
      {"redis://u:%zz@localhost", "escape"},
  };
  for (const auto& [url, why] : bad) {
    CAPTURE(url);
    auto r = parse_redis_url(url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Error::kInvalidArgument);
    CHECK_MESSAGE(r.status().message().find(why) != std::string::npos, r.status().message());
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

TEST_CASE("redis client: SET, GET, INCR and binary values round-trip") {
  Harness h;
  auto c = h.connected_client(options_for(kSharedPort));
  const auto key = unique("kv");
  CHECK(h.ok(*c, {"SET", key, "hello"}).is_status("OK"));
  auto got = h.ok(*c, {"GET", key});
  CHECK(got.is_string());
  CHECK(got.str == "hello");

  CHECK(h.ok(*c, {"INCR", key + ":n"}).integer == 1);
  CHECK(h.ok(*c, {"INCRBY", key + ":n", "41"}).integer == 42);

  const std::string binary("a\0b\r\n\xff\0", 7);
  CHECK(h.ok(*c, {"SET", key + ":bin", binary}).is_status("OK"));
  auto bin = h.ok(*c, {"GET", key + ":bin"});
  CHECK(bin.str.size() == 7);
  CHECK(bin.str == binary);

  auto list = h.ok(*c, {"RPUSH", key + ":list", "x", std::string("\0", 1), ""});
  CHECK(list.integer == 3);
  auto range = h.ok(*c, {"LRANGE", key + ":list", "0", "-1"});
  REQUIRE(range.is_array());
  REQUIRE(range.elements.size() == 3);
  CHECK(range.elements[1].str == std::string("\0", 1));
  CHECK(range.elements[2].str.empty());

  h.ok(*c, {"DEL", key, key + ":n", key + ":bin", key + ":list"});
  h.stop(c);
}

TEST_CASE("redis client: an error reply fails the command with Redis's message, and a missing key is nil") {
  Harness h;
  auto c = h.connected_client(options_for(kSharedPort));
  const auto key = unique("err");
  h.ok(*c, {"SET", key, "not a number"});
  auto incr = h.call(*c, {"INCR", key});
  REQUIRE_FALSE(incr.ok());
  CHECK(incr.code() == Error::kStorage);
  CHECK(incr.status().message() == "ERR value is not an integer or out of range");

  auto unknown = h.call(*c, {"NO-SUCH-COMMAND"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message().find("unknown command") != std::string::npos);

  auto nil = h.ok(*c, {"GET", key + ":missing"});
  CHECK(nil.is_nil());

  // Errors inside a transaction's reply are elements, not a failed command.
  h.ok(*c, {"MULTI"});
  h.ok(*c, {"INCR", key});
  h.ok(*c, {"SET", key + ":2", "v"});
  auto exec = h.ok(*c, {"EXEC"});
  REQUIRE(exec.is_array());
  REQUIRE(exec.elements.size() == 2);
  CHECK(exec.elements[0].type == RedisReply::Type::kError);
  CHECK(exec.elements[1].is_status("OK"));

  // Still usable after errors.
  CHECK(h.ok(*c, {"PING"}).is_status("PONG"));
  h.ok(*c, {"DEL", key, key + ":2"});
  h.stop(c);
}

TEST_CASE("redis client: 10,000 pipelined commands from another thread complete in call order") {
  Harness h;
  auto c = h.connected_client(options_for(kSharedPort));
  const auto key = unique("pipeline");
  constexpr int kCount = 10000;
  std::vector<long long> replies;
  int failures = 0;
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) {
      c->command({"INCR", key}, [&](Result<RedisReply> r) {
        if (r.ok()) {
          replies.push_back(r->integer);
        } else {
          ++failures;
        }
      });
    }
  });
  REQUIRE(h.until([&] { return static_cast<int>(replies.size()) + failures == kCount; }, 60s));
  producer.join();
  CHECK(failures == 0);
  bool in_order = true;
  for (int i = 0; i < kCount; ++i) in_order = in_order && replies[i] == i + 1;
  CHECK(in_order);
  h.ok(*c, {"DEL", key});
  h.stop(c);
}

TEST_CASE("redis client: async_command works from a coroutine") {
  Harness h;
  auto c = h.connected_client(options_for(kSharedPort));
  const auto key = unique("coro");
  bool finished = false;
  std::string got;
  Error error = Error::kOk;
  // Arguments are named first: GCC 12 miscompiles braced temporaries inside co_await.
  auto body = [&]() -> asio::awaitable<void> {
    std::vector<std::string> set_args{"SET", key, "from a coroutine"};
    auto set = co_await c->async_command(std::move(set_args));
    if (!set.ok()) co_return;
    std::vector<std::string> get_args{"GET", key};
    auto get = co_await c->async_command(std::move(get_args));
    if (get.ok()) got = get->str;
    std::vector<std::string> incr_args{"INCR", key};
    auto bad = co_await c->async_command(std::move(incr_args));
    error = bad.code();
    std::vector<std::string> del_args{"DEL", key};
    auto del = co_await c->async_command(std::move(del_args));
    finished = del.ok();
  };
  asio::co_spawn(h.io(), body(), asio::detached);
  REQUIRE(h.until([&] { return finished; }));
  CHECK(got == "from a coroutine");
  CHECK(error == Error::kStorage);
  h.stop(c);
}

TEST_CASE("redis client: AUTH as an ACL user and SELECT a database") {
  Harness h;
  auto admin = h.connected_client(options_for(kSharedPort));
  const auto user = unique("user");
  h.ok(*admin, {"ACL", "SETUSER", user, "on", ">right-password", "~*", "&*", "+@all"});

  auto options = options_for(kSharedPort);
  options.endpoint.username = user;
  options.endpoint.password = "right-password";
  options.endpoint.db = 5;
  auto c = h.connected_client(options);
  CHECK(h.ok(*c, {"ACL", "WHOAMI"}).str == user);
  const auto key = unique("db5");
  h.ok(*c, {"SET", key, "in five"});
  CHECK(h.ok(*c, {"GET", key}).str == "in five");
  CHECK(h.ok(*admin, {"GET", key}).is_nil());  // db 0

  h.ok(*c, {"DEL", key});
  h.ok(*admin, {"ACL", "DELUSER", user});
  h.stop(c);
  h.stop(admin);
}

TEST_CASE("redis client: a wrong password is logged clearly and commands fail unauthenticated") {
  Harness h;
  auto admin = h.connected_client(options_for(kSharedPort));
  const auto user = unique("user");
  h.ok(*admin, {"ACL", "SETUSER", user, "on", ">right-password", "~*", "&*", "+@all"});

  auto options = options_for(kSharedPort);
  options.endpoint.username = user;
  options.endpoint.password = "wrong-password";
  auto c = h.client(options);
  c->start();
  REQUIRE(h.until([&] { return h.logs.count("rejected the credentials") > 0; }));
  h.run_for(500ms);  // several retries
  CHECK_FALSE(c->connected());
  CHECK(h.logs.count("error: cannot open the redis command connection") == 1);
  CHECK(h.logs.count("WRONGPASS") == 1);
  auto r = h.call(*c, {"PING"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Error::kUnauthenticated);
  CHECK(r.status().message().find("WRONGPASS") != std::string::npos);
  CHECK(r.status().message().find("wrong-password") == std::string::npos);
  h.stop(c);

  h.ok(*admin, {"ACL", "DELUSER", user});
  h.stop(admin);
}

// ---------------------------------------------------------------------------------------------
// Pub/sub

TEST_CASE("redis pubsub: a published message arrives and on_subscribed runs") {
  Harness h;
  auto c = h.client(options_for(kSharedPort));
  const auto channel = unique("chan");
  std::vector<std::string> messages;
  int subscribed = 0;
  c->subscribe(channel, [&](std::string_view m) { messages.emplace_back(m); },
               [&] { ++subscribed; });
  c->start();
  REQUIRE(h.until([&] { return c->connected() && subscribed == 1; }));

  const std::string binary("pay\0load", 8);
  CHECK(h.ok(*c, {"PUBLISH", channel, "first"}).integer == 1);
  CHECK(h.ok(*c, {"PUBLISH", channel, binary}).integer == 1);
  REQUIRE(h.until([&] { return messages.size() == 2; }));
  CHECK(messages[0] == "first");
  CHECK(messages[1] == binary);

  // A second channel on the live subscriber connection.
  const auto other = unique("chan2");
  std::vector<std::string> other_messages;
  int other_subscribed = 0;
  c->subscribe(other, [&](std::string_view m) { other_messages.emplace_back(m); },
               [&] { ++other_subscribed; });
  REQUIRE(h.until([&] { return other_subscribed == 1; }));
  CHECK(h.ok(*c, {"PUBLISH", other, "second"}).integer == 1);
  REQUIRE(h.until([&] { return other_messages.size() == 1; }));
  CHECK(other_messages[0] == "second");
  CHECK(messages.size() == 2);
  CHECK(subscribed == 1);
  h.stop(c);
}

// ---------------------------------------------------------------------------------------------
// Failures

TEST_CASE("redis client: through a Redis restart commands fail fast, then client and subscriptions recover") {
  PrivateRedis redis;
  Harness h;
  auto options = options_for(redis.port());
  std::vector<bool> changes;
  options.on_connection_change = [&](bool up) { changes.push_back(up); };
  auto c = h.client(options);
  std::vector<std::string> messages;
  int subscribed = 0;
  c->subscribe("pushes", [&](std::string_view m) { messages.emplace_back(m); },
               [&] { ++subscribed; });
  c->start();
  REQUIRE(h.until([&] { return c->connected() && subscribed == 1; }));
  h.ok(*c, {"PUBLISH", "pushes", "before"});
  REQUIRE(h.until([&] { return messages.size() == 1; }));

  redis.shutdown();
  REQUIRE(h.until([&] { return !c->connected(); }, 5s));
  for (int i = 0; i < 3; ++i) {
    const auto sent = Clock::now();
    auto r = h.call(*c, {"GET", "anything"});
    CHECK(Clock::now() - sent < 200ms);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Error::kUnavailable);
    h.run_for(100ms);
  }

  REQUIRE(redis.script("start") == 0);
  REQUIRE(h.until([&] { return c->connected() && subscribed == 2; }, 15s));
  CHECK(h.ok(*c, {"PUBLISH", "pushes", "after"}).integer == 1);
  REQUIRE(h.until([&] { return messages.size() == 2; }));
  CHECK(messages[1] == "after");
  CHECK(changes == std::vector<bool>{true, false, true});
  // One line for the loss and one for the recovery, whatever the number of retries.
  CHECK(h.logs.count("lost the redis command connection") == 1);
  CHECK(h.logs.count("redis command connection to 127.0.0.1") == 3);  // up, lost, back
  CHECK(h.logs.count("lost the redis subscriber connection") == 1);
  CHECK(h.logs.count("cannot open the redis command connection") == 0);

  // The script's restart too.
  REQUIRE(redis.script("restart") == 0);
  REQUIRE(h.until([&] { return !c->connected() || subscribed == 3; }, 5s));
  REQUIRE(h.until([&] { return c->connected() && subscribed == 3; }, 15s));
  CHECK(h.ok(*c, {"PUBLISH", "pushes", "again"}).integer == 1);
  REQUIRE(h.until([&] { return messages.size() == 3; }));
  h.stop(c);
}

TEST_CASE("redis client: with nothing listening commands fail at once, and it connects once a server appears") {
  const auto port = free_port();
  Harness h;
  auto c = h.client(options_for(port));
  c->start();
  REQUIRE(h.until([&] { return h.logs.count("cannot open the redis command connection") > 0; }));
  const auto sent = Clock::now();
  auto r = h.call(*c, {"PING"});
  CHECK(Clock::now() - sent < 200ms);
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Error::kUnavailable);
  CHECK_MESSAGE(r.status().message().find("refused") != std::string::npos, r.status().message());
  h.run_for(1s);  // several retries, logged once
  CHECK(h.logs.count("cannot open the redis command connection") == 1);

  PrivateRedis redis(port);
  REQUIRE(h.until([&] { return c->connected(); }));
  CHECK(h.ok(*c, {"PING"}).is_status("PONG"));
  CHECK(h.logs.count("is back") == 1);
  h.stop(c);
}

TEST_CASE("redis client: a command without an answer times out, and later commands work") {
  PrivateRedis redis;
  Harness h;
  auto options = options_for(redis.port());
  options.command_timeout = 500ms;
  options.connect_timeout = 500ms;
  auto c = h.connected_client(options);

  std::optional<Result<RedisReply>> sleep;
  std::optional<Result<RedisReply>> behind;
  const auto sent = Clock::now();
  c->command({"DEBUG", "SLEEP", "2"}, [&](Result<RedisReply> r) { sleep.emplace(std::move(r)); });
  h.run_for(200ms);  // its own deadline is later
  c->command({"PING"}, [&](Result<RedisReply> r) { behind.emplace(std::move(r)); });
  REQUIRE(h.until([&] { return sleep.has_value() && behind.has_value(); }, 5s));
  const auto waited = Clock::now() - sent;
  CHECK(waited >= 450ms);
  CHECK(waited < 1500ms);
  CHECK(sleep->code() == Error::kTimeout);
  // Queued behind it on the same connection, which had to go.
  CHECK(behind->code() == Error::kUnavailable);

  REQUIRE(h.until([&] { return c->connected(); }, 10s));
  CHECK(h.ok(*c, {"PING"}).is_status("PONG"));
  h.stop(c);
}

// ---------------------------------------------------------------------------------------------
// Shutdown

TEST_CASE("redis client: stop() cancels every command in flight exactly once") {
  Harness h;
  auto options = options_for(kSharedPort);
  options.command_timeout = 10s;
  auto c = h.connected_client(options);
  int subscribed = 0;
  int messages = 0;
  const auto channel = unique("stop-chan");
  c->subscribe(channel, [&](std::string_view) { ++messages; }, [&] { ++subscribed; });
  REQUIRE(h.until([&] { return subscribed == 1; }));

  // BLPOP holds the connection, so everything behind it stays unanswered.
  constexpr int kCount = 200;
  std::vector<int> calls(kCount + 1, 0);
  std::vector<Error> codes(kCount + 1, Error::kOk);
  const auto key = unique("never");
  c->command({"BLPOP", key, "5"}, [&](Result<RedisReply> r) {
    ++calls[0];
    codes[0] = r.code();
  });
  for (int i = 1; i <= kCount; ++i) {
    c->command({"GET", key}, [&, i](Result<RedisReply> r) {
      ++calls[i];
      codes[i] = r.code();
    });
  }
  h.run_for(100ms);  // sent
  bool stopped = false;
  c->stop([&] { stopped = true; });
  CHECK(calls[0] == 0);  // never inside stop()
  std::optional<Result<RedisReply>> late;
  c->command({"PING"}, [&](Result<RedisReply> r) { late.emplace(std::move(r)); });
  REQUIRE(h.until([&] { return stopped && late.has_value(); }));
  h.run_for(200ms);
  for (int i = 0; i <= kCount; ++i) {
    CAPTURE(i);
    CHECK(calls[i] == 1);
    CHECK(codes[i] == Error::kCancelled);
  }
  CHECK(late->code() == Error::kCancelled);
  CHECK_FALSE(c->connected());
  c->stop();  // idempotent
  c->subscribe(unique("after-stop"), [&](std::string_view) { ++messages; }, [&] { ++subscribed; });
  h.run_for(100ms);
  CHECK(subscribed == 1);
  CHECK(messages == 0);
}

TEST_CASE("redis client: stop() from another thread, and dropping a client, cancel what is in flight") {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  LogCapture logs;

  auto c = RedisClient::create(io.get_executor(), options_for(kSharedPort), logs.logger());
  c->start();
  const auto deadline = Clock::now() + 10s;
  while (!c->connected() && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  REQUIRE(c->connected());

  constexpr int kCount = 1000;
  std::atomic<int> calls{0};
  std::atomic<int> ok{0};
  std::atomic<int> cancelled{0};
  for (int i = 0; i < kCount; ++i) {
    c->command({"PING"}, [&](Result<RedisReply> r) {
      ++calls;
      if (r.ok()) ++ok;
      if (r.code() == Error::kCancelled) ++cancelled;
    });
  }
  std::promise<void> stopped;
  c->stop([&] { stopped.set_value(); });
  REQUIRE(stopped.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(calls == kCount);
  CHECK(ok + cancelled == kCount);
  c.reset();

  // Dropped without stop(): the destructor closes the connection and cancels.
  auto d = RedisClient::create(io.get_executor(), options_for(kSharedPort), logs.logger());
  d->start();
  while (!d->connected() && Clock::now() < deadline + 10s) std::this_thread::sleep_for(5ms);
  REQUIRE(d->connected());
  std::atomic<int> d_calls{0};
  std::atomic<int> d_cancelled{0};
  const auto key = unique("never");
  std::promise<void> queued;
  d->command({"BLPOP", key, "5"}, [&](Result<RedisReply> r) {
    ++d_calls;
    if (r.code() == Error::kCancelled) ++d_cancelled;
  });
  for (int i = 0; i < 10; ++i) {
    d->command({"GET", key}, [&](Result<RedisReply> r) {
      ++d_calls;
      if (r.code() == Error::kCancelled) ++d_cancelled;
    });
  }
  // Let the strand run the posted commands, so the io thread holds no reference.
  asio::post(io, [&] { queued.set_value(); });
  queued.get_future().wait();
  std::this_thread::sleep_for(100ms);
  d.reset();
  const auto until = Clock::now() + 5s;
  while (d_calls < 11 && Clock::now() < until) std::this_thread::sleep_for(5ms);
  CHECK(d_calls == 11);
  CHECK(d_cancelled == 11);

  work.reset();
  io.stop();
  runner.join();
}

}  // namespace
}  // namespace wechat::server::cluster
