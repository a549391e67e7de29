// SPDX-License-Identifier: MIT
// The client's state machine. Each connection ("link") cycles through
//   idle -> connecting (resolve, TCP, AUTH, SELECT, PING) [-> subscribing] -> ready -> idle ...
// and every step runs on the strand. hiredis calls back from inside redisAsyncHandleRead/Write
// and redisAsyncFree; those callbacks never free a context and never run user code: they
// record, post, or (during the handshake) queue more commands, which hiredis allows.
//
// A context ends in exactly one of two ways: we free it (close_link: a timeout, a failed
// handshake, stop, the destructor), or hiredis frees it after a read/write error. Either way
// hiredis first fails every pending callback with a null reply, then calls the adapter's
// cleanup hook (on_context_gone), then frees.
#include "server/cluster/redis_client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <list>
#include <utility>

#include "server/cluster/redis_asio_adapter.h"

namespace wechat::server::cluster {
namespace {

using Clock = std::chrono::steady_clock;

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return out;
}

// Redis prefixes each error with a code word; a few mean "not now" or "not you" rather than
// "this command is wrong".
Error error_code_for(std::string_view message) {
  const std::string_view word = message.substr(0, message.find(' '));
  if (word == "NOAUTH" || word == "WRONGPASS") return Error::kUnauthenticated;
  if (word == "NOPERM") return Error::kPermissionDenied;
  if (word == "LOADING" || word == "BUSY" || word == "MASTERDOWN" || word == "TRYAGAIN" ||
      word == "READONLY") {
    return Error::kUnavailable;
  }
  return Error::kStorage;
}

std::string_view text_of(const redisReply* r) { return {r->str, r->len}; }

}  // namespace

struct RedisClient::Request {
  Done done;  // a caller's command: posted to the strand
  // A handshake step: runs inside the hiredis callback. A null reply means the context is
  // going away, which the link's own teardown handles.
  std::function<void(const redisReply*)> step;
  Clock::time_point deadline{};
  bool timed_out = false;
  bool tracked = false;  // in link.inflight
  std::list<Request*>::iterator pos;
};

struct RedisClient::Channel {
  struct Handlers {
    std::function<void(std::string_view)> on_message;
    std::function<void()> on_subscribed;
  };
  // Shared so that a running callback survives being replaced by a new subscribe().
  std::shared_ptr<const Handlers> handlers;
  std::uint64_t sent_generation = 0;       // subscriber link generation of the last SUBSCRIBE
  std::uint64_t confirmed_generation = 0;  // ... and of the last confirmation
};

struct RedisClient::Link {
  enum class State { kIdle, kConnecting, kSubscribing, kReady };

  Link(RedisClient* c, Role r, const char* n, const asio::strand<asio::any_io_executor>& strand)
      : client(c),
        role(r),
        name(n),
        resolver(strand),
        connect_timer(strand),
        retry_timer(strand),
        command_timer(strand) {}

  RedisClient* client;  // hiredis callbacks find the link through ac->data, the client here
  Role role;
  const char* name;
  State state = State::kIdle;
  redisAsyncContext* ac = nullptr;
  // Bumped when an attempt starts and when it ends: handlers from an older one do nothing.
  std::uint64_t generation = 0;
  bool active = false;     // connecting or retrying; the subscriber link only once needed
  bool was_ready = false;  // the current context finished its handshake
  // A step of the current handshake failed. Later steps may still succeed (after a rejected
  // AUTH, Redis 7 answers PING as the default user), but the connection is not used.
  Status handshake_error;
  bool freeing = false;    // inside our own redisAsyncFree: pending commands get free_code
  Error free_code = Error::kUnavailable;
  std::string free_reason;
  bool in_outage = false;  // the outage has been logged; its end will be too
  int failed_attempts = 0;
  std::chrono::milliseconds backoff{0};
  Status last_error;
  asio::ip::tcp::resolver resolver;
  asio::steady_timer connect_timer;
  asio::steady_timer retry_timer;
  asio::steady_timer command_timer;
  bool command_timer_armed = false;
  // Commands sent and not answered, oldest first. Replies come back in this order, so the
  // front always has the earliest deadline and one timer serves them all.
  std::list<Request*> inflight;
};

std::shared_ptr<RedisClient> RedisClient::create(asio::any_io_executor executor, Options options,
                                                 detail::Logger log) {
  return std::shared_ptr<RedisClient>(
      new RedisClient(std::move(executor), std::move(options), std::move(log)));
}

RedisClient::RedisClient(asio::any_io_executor executor, Options options, detail::Logger log)
    : strand_(asio::make_strand(std::move(executor))),
      options_(std::move(options)),
      log_(std::move(log)),
      rng_(std::random_device{}()) {
  using std::chrono::milliseconds;
  options_.reconnect_initial = std::max(options_.reconnect_initial, milliseconds(1));
  options_.reconnect_max = std::max(options_.reconnect_max, options_.reconnect_initial);
  cmd_ = std::make_unique<Link>(this, Role::kCommand, "command", strand_);
  sub_ = std::make_unique<Link>(this, Role::kSubscriber, "subscriber", strand_);
  for (Link* link : {cmd_.get(), sub_.get()}) link->backoff = options_.reconnect_initial;
}

RedisClient::~RedisClient() {
  // No handler of ours is running (each holds a reference while it runs), and every pending
  // one finds its weak reference expired. Pending commands still get kCancelled: their
  // completions need the strand, not the client.
  destroying_ = true;
  for (Link* link : {cmd_.get(), sub_.get()}) {
    if (link != nullptr) close_link(*link, Error::kCancelled, "the redis client was destroyed");
  }
}

template <typename Fn>
void RedisClient::run_on_strand(Fn fn) {
  if (strand_.running_in_this_thread()) {
    fn();
  } else {
    asio::post(strand_, std::move(fn));
  }
}

void RedisClient::start() {
  run_on_strand([self = shared_from_this()] { self->do_start(); });
}

void RedisClient::command(std::vector<std::string> args, Done done) {
  run_on_strand([self = shared_from_this(), args = std::move(args),
                 done = std::move(done)]() mutable {
    self->do_command(std::move(args), std::move(done));
  });
}

asio::awaitable<Result<RedisReply>> RedisClient::async_command(std::vector<std::string> args) {
  auto initiate = [self = shared_from_this()](auto completion, std::vector<std::string> a) {
    // The awaitable handler is move-only; a shared_ptr lets it ride in a std::function.
    auto h = std::make_shared<decltype(completion)>(std::move(completion));
    self->command(std::move(a), [h](Result<RedisReply> result) {
      auto home = asio::get_associated_executor(*h);
      asio::post(home, [h, result = std::move(result)]() mutable {
        // Moved out first: the handler owns the coroutine's frames.
        auto handler = std::move(*h);
        h.reset();
        std::move(handler)(std::move(result));
      });
    });
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<RedisReply>)>(
      std::move(initiate), asio::use_awaitable, std::move(args));
}

void RedisClient::subscribe(std::string channel, std::function<void(std::string_view)> on_message,
                            std::function<void()> on_subscribed) {
  auto ch = std::make_shared<Channel>();
  ch->handlers = std::make_shared<const Channel::Handlers>(
      Channel::Handlers{std::move(on_message), std::move(on_subscribed)});
  run_on_strand([self = shared_from_this(), channel = std::move(channel),
                 ch = std::move(ch)]() mutable {
    self->do_subscribe(std::move(channel), std::move(ch));
  });
}

void RedisClient::stop(std::function<void()> on_stopped) {
  stopped_.store(true, std::memory_order_release);
  run_on_strand([self = shared_from_this(), on_stopped = std::move(on_stopped)]() mutable {
    self->do_stop();
    if (on_stopped) asio::post(self->strand_, std::move(on_stopped));
  });
}

void RedisClient::do_start() {
  if (started_ || stopped_) return;
  started_ = true;
  cmd_->active = true;
  connect(*cmd_);
  if (!channels_.empty()) {
    sub_->active = true;
    connect(*sub_);
  }
}

void RedisClient::do_command(std::vector<std::string> args, Done done) {
  if (stopped_) return post_done(std::move(done), Status(Error::kCancelled, "the redis client was stopped"));
  if (args.empty()) return post_done(std::move(done), Status(Error::kInvalidArgument, "empty redis command"));
  Link& link = *cmd_;
  if (link.state != Link::State::kReady || link.ac == nullptr) {
    return post_done(std::move(done), not_connected_status());
  }
  auto request = std::make_unique<Request>();
  request->done = std::move(done);
  request->deadline = Clock::now() + options_.command_timeout;
  if (!send(link, args, &RedisClient::on_reply, request.get())) {
    return post_done(std::move(request->done), not_connected_status());
  }
  // hiredis now owns the request until its callback (never from inside the send).
  link.inflight.push_back(request.get());
  request->pos = std::prev(link.inflight.end());
  request->tracked = true;
  request.release();
  arm_command_timer(link);
}

void RedisClient::do_subscribe(std::string channel, std::shared_ptr<Channel> ch) {
  if (stopped_) return;
  auto& slot = channels_[channel];
  if (slot) {
    slot->handlers = ch->handlers;
  } else {
    slot = std::move(ch);
  }
  if (!started_) return;
  Link& link = *sub_;
  if (!link.active) {
    link.active = true;
    connect(link);
    return;
  }
  const bool live = link.state == Link::State::kSubscribing || link.state == Link::State::kReady;
  if (!live) return;  // the next handshake subscribes it
  if (slot->sent_generation != link.generation) {
    send_subscribe(link, {channel});
  } else if (slot->confirmed_generation == link.generation && slot->handlers->on_subscribed) {
    // Already subscribed on this connection: the new callbacks learn it now.
    asio::post(strand_, [self = shared_from_this(), handlers = slot->handlers] {
      if (!self->stopped_) handlers->on_subscribed();
    });
  }
}

void RedisClient::do_stop() {
  for (Link* link : {cmd_.get(), sub_.get()}) {
    ++link->generation;
    link->connect_timer.cancel();
    link->retry_timer.cancel();
    link->command_timer.cancel();
    link->resolver.cancel();
    close_link(*link, Error::kCancelled, "the redis client was stopped");
    link->state = Link::State::kIdle;
    link->active = false;
    link->was_ready = false;
  }
  connected_.store(false, std::memory_order_release);
}

void RedisClient::post_done(Done done, Result<RedisReply> result) {
  if (!done) return;
  asio::post(strand_, [done = std::move(done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

Status RedisClient::not_connected_status() const {
  const auto ep = options_.endpoint.to_string();
  if (!started_) return Status(Error::kUnavailable, "the redis client is not started");
  const Status& last = cmd_->last_error;
  if (last.ok()) return Status(Error::kUnavailable, fmt::format("not connected to redis at {} yet", ep));
  const Error code =
      last.code() == Error::kUnauthenticated ? Error::kUnauthenticated : Error::kUnavailable;
  return Status(code, fmt::format("not connected to redis at {}: {}", ep, last.message()));
}

void RedisClient::connect(Link& link) {
  ++link.generation;
  link.state = Link::State::kConnecting;
  link.was_ready = false;
  link.handshake_error = Status();
  const auto gen = link.generation;
  std::weak_ptr<RedisClient> weak = weak_from_this();

  link.connect_timer.expires_after(options_.connect_timeout);
  link.connect_timer.async_wait([weak, &link, gen](std::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped_ || link.generation != gen) return;
    if (link.state == Link::State::kReady) return;
    Status why(Error::kTimeout, fmt::format("no connection and handshake within {} ms",
                                            self->options_.connect_timeout.count()));
    self->close_link(link, Error::kUnavailable, why.message());
    self->handle_down(link, std::move(why));
  });

  const auto& ep = options_.endpoint;
  std::error_code not_an_address;
  const auto address = asio::ip::make_address(ep.host, not_an_address);
  if (!not_an_address) {
    connect_to(link, address.to_string());
    return;
  }
  // hiredis would resolve a name with a blocking getaddrinfo on the strand.
  link.resolver.async_resolve(
      ep.host, std::to_string(ep.port),
      [weak, &link, gen](std::error_code ec, asio::ip::tcp::resolver::results_type results) {
        auto self = weak.lock();
        if (!self || self->stopped_ || link.generation != gen) return;
        if (ec || results.empty()) {
          self->handle_down(link, Status(Error::kUnavailable,
                                         fmt::format("cannot resolve {}: {}",
                                                     self->options_.endpoint.host,
                                                     ec ? ec.message() : "no address")));
          return;
        }
        self->connect_to(link, results.begin()->endpoint().address().to_string());
      });
}

void RedisClient::connect_to(Link& link, const std::string& address) {
  redisAsyncContext* ac = redisAsyncConnect(address.c_str(), options_.endpoint.port);
  if (ac == nullptr) {
    handle_down(link, Status(Error::kResourceExhausted, "out of memory"));
    return;
  }
  if (ac->err != 0) {
    std::string error = ac->errstr != nullptr ? ac->errstr : "connect failed";
    redisAsyncFree(ac);
    handle_down(link, Status(Error::kUnavailable, std::move(error)));
    return;
  }
  ac->data = &link;
  Status attached = RedisAsioAdapter::attach(
      ac, strand_, weak_from_this(),
      [this, &link](std::string error) { on_context_gone(link, std::move(error)); });
  if (!attached.ok()) {
    redisAsyncFree(ac);
    handle_down(link, std::move(attached));
    return;
  }
  link.ac = ac;
  // Noticing a dead peer on an idle connection (the subscriber's is idle most of the time).
  redisEnableKeepAlive(&ac->c);
  // Also asks for the first write event, which is how hiredis learns that connect() finished.
  redisAsyncSetConnectCallback(ac, &RedisClient::on_connect);
  send_handshake(link);
}

void RedisClient::on_connect(const redisAsyncContext* /*ac*/, int /*status*/) {
  // Nothing to do: success shows as the handshake's replies, failure as the context's free.
}

bool RedisClient::send(Link& link, const std::vector<std::string>& args,
                       void (*fn)(redisAsyncContext*, void*, void*), void* privdata) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return redisAsyncCommandArgv(link.ac, fn, privdata, static_cast<int>(args.size()), argv.data(),
                               lengths.data()) == REDIS_OK;
}

void RedisClient::send_handshake(Link& link) {
  const auto gen = link.generation;
  const auto& ep = options_.endpoint;
  // AUTH and SELECT are pipelined with the PING; the subscriber's SUBSCRIBE waits for the
  // PING's reply, so that an AUTH error cannot arrive while hiredis is in subscribed mode
  // (hiredis 0.14 cannot route an error reply there).
  auto send_step = [&](std::vector<std::string> args, std::function<void(const redisReply*)> step) {
    auto request = std::make_unique<Request>();
    request->step = std::move(step);
    if (send(link, args, &RedisClient::on_reply, request.get())) request.release();
  };
  if (!ep.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!ep.username.empty()) auth.push_back(ep.username);
    auth.push_back(ep.password);
    send_step(std::move(auth), [this, &link, gen](const redisReply* r) {
      if (r == nullptr || r->type != REDIS_REPLY_ERROR) return;
      handshake_failed(link, gen,
                       Status(Error::kUnauthenticated,
                              fmt::format("redis at {} rejected the credentials: {}",
                                          options_.endpoint.to_string(), text_of(r))));
    });
  }
  if (link.role == Role::kCommand && ep.db != 0) {
    send_step({"SELECT", std::to_string(ep.db)}, [this, &link, gen](const redisReply* r) {
      if (r == nullptr || r->type != REDIS_REPLY_ERROR) return;
      handshake_failed(link, gen,
                       Status(Error::kUnavailable,
                              fmt::format("redis at {} refused SELECT {}: {}",
                                          options_.endpoint.to_string(), options_.endpoint.db,
                                          text_of(r))));
    });
  }
  send_step({"PING"}, [this, &link, gen](const redisReply* r) {
    if (r == nullptr) return;
    if (r->type == REDIS_REPLY_ERROR) {
      handshake_failed(link, gen,
                       Status(error_code_for(text_of(r)),
                              fmt::format("redis at {} refused PING: {}",
                                          options_.endpoint.to_string(), text_of(r))));
      return;
    }
    if (link.generation == gen && link.handshake_error.ok()) handshake_done(link);
  });
}

void RedisClient::handshake_failed(Link& link, std::uint64_t generation, Status why) {
  if (destroying_ || link.generation != generation || !link.handshake_error.ok()) return;
  link.handshake_error = why;
  // Inside a hiredis callback: the context may not be freed here.
  asio::post(strand_, [self = shared_from_this(), &link, generation, why = std::move(why)]() mutable {
    if (link.generation != generation || link.ac == nullptr || self->stopped_) return;
    self->close_link(link, Error::kUnavailable, why.message());
    self->handle_down(link, std::move(why));
  });
}

void RedisClient::handshake_done(Link& link) {
  if (link.role == Role::kCommand) {
    link_ready(link);
    return;
  }
  link.state = Link::State::kSubscribing;
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, ch] : channels_) names.push_back(name);
  if (names.empty()) {
    link_ready(link);
  } else {
    send_subscribe(link, names);
  }
}

void RedisClient::send_subscribe(Link& link, const std::vector<std::string>& channels) {
  std::vector<std::string> args{"SUBSCRIBE"};
  args.insert(args.end(), channels.begin(), channels.end());
  // The link itself is the privdata of no one: hiredis keeps one copy of the callback per
  // channel and calls each copy (with a null reply) when freeing, so nothing may be owned here.
  if (!send(link, args, &RedisClient::on_subscription_reply, nullptr)) return;
  for (const auto& name : channels) channels_[name]->sent_generation = link.generation;
}

void RedisClient::link_ready(Link& link) {
  link.state = Link::State::kReady;
  link.was_ready = true;
  link.connect_timer.cancel();
  link.backoff = options_.reconnect_initial;
  link.last_error = Status();
  const auto ep = options_.endpoint.to_string();
  if (link.in_outage && link.failed_attempts > 0) {
    log_.info("redis {} connection to {} is back (after {} failed attempt{})", link.name, ep,
              link.failed_attempts, link.failed_attempts == 1 ? "" : "s");
  } else if (link.in_outage) {
    log_.info("redis {} connection to {} is back", link.name, ep);
  } else {
    log_.info("redis {} connection to {} is up", link.name, ep);
  }
  link.in_outage = false;
  link.failed_attempts = 0;
  if (link.role == Role::kCommand) {
    connected_.store(true, std::memory_order_release);
    notify_connection_change(true);
  }
}

void RedisClient::notify_connection_change(bool up) {
  if (!options_.on_connection_change || destroying_) return;
  asio::post(strand_, [self = shared_from_this(), up] {
    if (!self->stopped_) self->options_.on_connection_change(up);
  });
}

void RedisClient::on_context_gone(Link& link, std::string error) {
  link.ac = nullptr;
  link.state = Link::State::kIdle;
  if (link.role == Role::kCommand) connected_.store(false, std::memory_order_release);
  if (destroying_ || link.freeing) return;  // whoever freed it carries on
  // hiredis freed it (read/write error, EOF, refused connect) from inside a handler.
  asio::post(strand_, [self = shared_from_this(), &link, gen = link.generation,
                       error = std::move(error)]() mutable {
    if (link.generation != gen) return;
    self->handle_down(
        link, Status(Error::kUnavailable, error.empty() ? "the connection was closed" : error));
  });
}

void RedisClient::close_link(Link& link, Error code, std::string reason) {
  if (link.ac == nullptr) return;
  link.freeing = true;
  link.free_code = code;
  link.free_reason = std::move(reason);
  redisAsyncFree(link.ac);  // fails pending callbacks, then on_context_gone
  link.freeing = false;
}

void RedisClient::handle_down(Link& link, Status why) {
  ++link.generation;
  link.state = Link::State::kIdle;
  link.connect_timer.cancel();
  link.resolver.cancel();
  const bool was_ready = std::exchange(link.was_ready, false);
  if (link.role == Role::kCommand) {
    connected_.store(false, std::memory_order_release);
    if (was_ready) notify_connection_change(false);
  }
  if (stopped_) return;
  link.last_error = why;
  const auto ep = options_.endpoint.to_string();
  if (was_ready) {
    // Once per outage: the retries below log at debug level only.
    log_.warn("lost the redis {} connection to {}: {}; reconnecting", link.name, ep,
              why.message());
    link.in_outage = true;
    link.failed_attempts = 0;
    link.backoff = options_.reconnect_initial;
  } else {
    ++link.failed_attempts;
    if (!link.in_outage) {
      link.in_outage = true;
      if (why.code() == Error::kUnauthenticated) {
        log_.error("cannot open the redis {} connection to {}: {}; retrying", link.name, ep,
                   why.message());
      } else {
        log_.warn("cannot open the redis {} connection to {}: {}; retrying", link.name, ep,
                  why.message());
      }
    } else {
      log_.debug("redis {} connection to {}: attempt {} failed: {}", link.name, ep,
                 link.failed_attempts, why.message());
    }
  }
  schedule_retry(link);
}

void RedisClient::schedule_retry(Link& link) {
  const auto base = link.backoff;
  link.backoff = std::min(base * 2, options_.reconnect_max);
  // Jitter keeps many nodes that lost Redis together from reconnecting in lockstep.
  std::uniform_int_distribution<long long> pick(base.count() / 2, base.count());
  link.retry_timer.expires_after(std::chrono::milliseconds(pick(rng_)));
  link.retry_timer.async_wait(
      [weak = weak_from_this(), &link, gen = link.generation](std::error_code ec) {
        auto self = weak.lock();
        if (!self || ec || self->stopped_ || link.generation != gen) return;
        self->connect(link);
      });
}

void RedisClient::arm_command_timer(Link& link) {
  if (link.command_timer_armed || link.inflight.empty()) return;
  link.command_timer_armed = true;
  link.command_timer.expires_at(link.inflight.front()->deadline);
  link.command_timer.async_wait([weak = weak_from_this(), &link](std::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    link.command_timer_armed = false;
    if (ec || self->stopped_) return;
    self->on_command_timer(link);
  });
}

void RedisClient::on_command_timer(Link& link) {
  if (link.inflight.empty()) return;
  const auto now = Clock::now();
  if (link.inflight.front()->deadline > now) {
    arm_command_timer(link);
    return;
  }
  for (Request* r : link.inflight) {
    if (r->deadline > now) break;
    r->timed_out = true;
  }
  const auto ep = options_.endpoint.to_string();
  Status why(Error::kTimeout, fmt::format("redis at {} did not answer a command within {} ms", ep,
                                          options_.command_timeout.count()));
  close_link(link, Error::kUnavailable,
             fmt::format("the connection to redis at {} was reset: a command before this one "
                         "timed out",
                         ep));
  handle_down(link, std::move(why));
}

void RedisClient::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* link = static_cast<Link*>(ac->data);
  link->client->complete(*link, static_cast<Request*>(privdata), static_cast<redisReply*>(reply),
                         ac);
}

void RedisClient::complete(Link& link, Request* raw, redisReply* reply, redisAsyncContext* ac) {
  std::unique_ptr<Request> request(raw);
  if (request->tracked) link.inflight.erase(request->pos);
  if (request->step) {
    request->step(reply);
    return;
  }
  const auto ep = options_.endpoint.to_string();
  if (reply == nullptr) {
    Status why;
    if (request->timed_out) {
      why = Status(Error::kTimeout, fmt::format("redis at {} did not answer within {} ms", ep,
                                                options_.command_timeout.count()));
    } else if (link.freeing) {
      why = Status(link.free_code, link.free_reason);
    } else {
      why = Status(Error::kUnavailable,
                   fmt::format("lost the connection to redis at {} before the reply: {}", ep,
                               ac->c.err != 0 ? ac->c.errstr : "connection closed"));
    }
    post_done(std::move(request->done), std::move(why));
    return;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    post_done(std::move(request->done), Status(error_code_for(text_of(reply)),
                                               std::string(text_of(reply))));
    return;
  }
  post_done(std::move(request->done), convert(*reply));
}

void RedisClient::on_subscription_reply(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  if (reply == nullptr) return;  // the context is being freed
  auto* link = static_cast<Link*>(ac->data);
  RedisClient* self = link->client;
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    self->handshake_failed(*link, link->generation,
                           Status(error_code_for(text_of(r)),
                                  fmt::format("redis at {} refused SUBSCRIBE: {}",
                                              self->options_.endpoint.to_string(), text_of(r))));
    return;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
    return;
  }
  const std::string_view kind = text_of(r->element[0]);
  std::string channel(text_of(r->element[1]));
  if (kind == "message") {
    if (r->element[2]->type != REDIS_REPLY_STRING) return;
    asio::post(self->strand_, [s = self->shared_from_this(), channel = std::move(channel),
                               payload = std::string(text_of(r->element[2]))] {
      if (s->stopped_) return;
      auto it = s->channels_.find(channel);
      if (it == s->channels_.end()) return;
      auto handlers = it->second->handlers;
      if (handlers->on_message) handlers->on_message(payload);
    });
    return;
  }
  if (kind != "subscribe") return;
  auto it = self->channels_.find(channel);
  if (it == self->channels_.end()) return;
  it->second->confirmed_generation = link->generation;
  asio::post(self->strand_, [s = self->shared_from_this(), handlers = it->second->handlers] {
    if (!s->stopped_ && handlers->on_subscribed) handlers->on_subscribed();
  });
  if (link->state == Link::State::kSubscribing &&
      std::all_of(self->channels_.begin(), self->channels_.end(), [&](const auto& entry) {
        return entry.second->confirmed_generation == link->generation;
      })) {
    self->link_ready(*link);
  }
}

}  // namespace wechat::server::cluster
