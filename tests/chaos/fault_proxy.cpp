// SPDX-License-Identifier: MIT
// The fault proxy: one io_context thread, two coroutines per connection (one per direction).
// Each direction reads bytes, cuts them into whole frames by their length prefix, and forwards
// runs of frames in one write, stopping at the frame its connection's fault plan names.
#include "fault_proxy.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <list>
#include <random>
#include <thread>

#include "transport/asio.h"  // first: silences GCC 12's false warning inside Asio's headers
#include "wechat/v1/frame.pb.h"

namespace wechat::chaos {

namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUse = asio::experimental::as_tuple(asio::use_awaitable);

constexpr int kUp = 0;    // client -> server
constexpr int kDown = 1;  // server -> client

constexpr std::string_view kNames[] = {"reset", "stall", "half-close", "split", "cut", "catchup"};

/// What one connection will suffer, decided when it is accepted.
struct Plan {
  FaultKind kind = FaultKind::kCount;  // kCount: none
  int direction = kUp;
  std::uint64_t at_frame = 0;  // index of the frame, in `direction`, that the fault hits
  std::chrono::milliseconds stall{0};
  bool reset_after_stall = false;
  int split_frames = 0;
  bool catchup_cut = false;   // cut the Sync answer in the middle, or reset before it
  std::uint64_t at_sync = 0;  // which Sync answer (0: the first)
  bool fired = false;
};

enum class Action { kForward, kFire, kSplit };

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

const char* fault_name(FaultKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < std::size(kNames) ? kNames[i].data() : "none";
}

FaultKind fault_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<FaultKind>(i);
  }
  return FaultKind::kCount;
}

struct Link;

struct FaultProxy::State {
  explicit State(ProxyOptions o) : options(std::move(o)), rng(options.seed) {
    if (!options.log_path.empty()) log = std::fopen(options.log_path.c_str(), "a");
  }
  ~State() {
    if (log) std::fclose(log);
    log = nullptr;  // the io_context (a member) is destroyed after this body runs
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  /// One line to the proxy log, stamped with the time since the proxy started.
  template <typename... Args>
  void note(const char* format, Args... args) {
    if (!log) return;
    const double t = std::chrono::duration<double>(Clock::now() - started).count();
    std::fprintf(log, "%9.3f ", t);
    std::fprintf(log, format, args...);
    std::fputc('\n', log);
    std::fflush(log);
  }

  ProxyOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::atomic<std::uint16_t> upstream{0};
  std::atomic<bool> faults{false};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(FaultKind::kCount)> counts{};
  std::atomic<std::uint64_t> connections{0};
  const Clock::time_point started = Clock::now();
  std::FILE* log = nullptr;
  // Proxy thread only.
  std::uint64_t next_id = 1;
  std::mt19937_64 rng;
  std::list<std::weak_ptr<Link>> links;

  Plan make_plan();
  void count(FaultKind kind) { ++counts[static_cast<std::size_t>(kind)]; }
};

Plan FaultProxy::State::make_plan() {
  Plan p;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Draw the same numbers whether or not a fault is chosen, so that a seed gives one schedule.
  const double chance = unit(rng);
  const std::size_t pick = options.kinds.empty() ? 0 : rng() % options.kinds.size();
  p.direction = static_cast<int>(rng() % 2);
  // Log-uniform: faults in the handshake and the first sync pages as often as under load.
  const double span = std::log(static_cast<double>(options.max_trigger_frame) + 1.0);
  p.at_frame = static_cast<std::uint64_t>(std::exp(unit(rng) * span)) - 1;
  p.stall = std::chrono::milliseconds(200 + rng() % 5800);
  p.reset_after_stall = rng() % 2 == 0;
  p.split_frames = 1 + static_cast<int>(rng() % 20);
  p.catchup_cut = rng() % 2 == 0;
  p.at_sync = rng() % 3;
  if (!faults || options.kinds.empty() || chance >= options.fault_probability) return p;
  p.kind = options.kinds[pick];
  if (p.kind == FaultKind::kCatchup) p.direction = kDown;
  return p;
}

/// One proxied connection. Lives as long as one of its coroutines holds it.
struct Link : std::enable_shared_from_this<Link> {
  Link(tcp::socket d, FaultProxy::State* s) : down(std::move(d)), up(s->io), state(s) {}

  tcp::socket down;          // to the client
  tcp::socket up;            // to the server
  FaultProxy::State* state;  // outlives every link: its io_context owns them
  std::uint64_t id = 0;
  Plan plan;
  bool closed = false;
  Clock::time_point stalled_until{};
  std::uint64_t frames[2] = {0, 0};
  std::uint64_t sync_answers = 0;
  int split_left = 0;

  tcp::socket& source(int dir) { return dir == kUp ? down : up; }
  tcp::socket& sink(int dir) { return dir == kUp ? up : down; }

  /// RST both ways: the peers read ECONNRESET.
  void abort() {
    if (closed) return;
    closed = true;
    state->note("#%llu reset", static_cast<unsigned long long>(id));
    for (tcp::socket* s : {&down, &up}) {
      std::error_code ignored;
      s->set_option(asio::socket_base::linger(true, 0), ignored);
      s->close(ignored);
    }
  }

  /// The receiver of `dir` gets what was written and then a clean EOF (in the middle of a
  /// frame, for a cut); the sender gets a reset.
  void close_after_write(int dir) {
    if (closed) return;
    state->note("#%llu closed toward the %s after part of a frame",
                static_cast<unsigned long long>(id), dir == kUp ? "server" : "client");
    std::error_code ignored;
    sink(dir).shutdown(tcp::socket::shutdown_send, ignored);
    sink(dir).close(ignored);
    source(dir).set_option(asio::socket_base::linger(true, 0), ignored);
    source(dir).close(ignored);
    closed = true;
  }

  Action decide(int dir, const std::uint8_t* frame, std::size_t size);
  asio::awaitable<bool> send(int dir, const std::uint8_t* data, std::size_t size);
  asio::awaitable<bool> send_split(int dir, const std::uint8_t* data, std::size_t size);
  asio::awaitable<bool> fire(int dir, const std::uint8_t* frame, std::size_t size);
};

Action Link::decide(int dir, const std::uint8_t* frame, std::size_t size) {
  const std::uint64_t index = frames[dir]++;
  if (plan.kind == FaultKind::kCount) return Action::kForward;
  if (plan.fired) {
    return split_left > 0 && dir == plan.direction ? Action::kSplit : Action::kForward;
  }
  if (dir != plan.direction) return Action::kForward;
  if (plan.kind == FaultKind::kCatchup) {
    v1::Frame parsed;
    if (!parsed.ParseFromArray(frame + 4, static_cast<int>(size - 4))) return Action::kForward;
    if (!parsed.has_response() || !parsed.response().has_sync()) return Action::kForward;
    return sync_answers++ == plan.at_sync ? Action::kFire : Action::kForward;
  }
  return index == plan.at_frame ? Action::kFire : Action::kForward;
}

asio::awaitable<bool> Link::send(int dir, const std::uint8_t* data, std::size_t size) {
  auto self = shared_from_this();
  while (!closed && Clock::now() < stalled_until) {
    asio::steady_timer timer(state->io, stalled_until);
    co_await timer.async_wait(kUse);
  }
  if (closed) co_return false;
  if (size == 0) co_return true;
  auto [ec, written] = co_await asio::async_write(sink(dir), asio::buffer(data, size), kUse);
  (void)written;
  if (ec) {
    abort();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Link::send_split(int dir, const std::uint8_t* data, std::size_t size) {
  // 2-4 pieces at random points (the length prefix too may be split), with short pauses so
  // that each piece reaches the receiver as its own read.
  std::vector<std::size_t> cuts = {0, size};
  const int pieces = 2 + static_cast<int>(state->rng() % 3);
  for (int i = 1; i < pieces && size > 1; ++i) cuts.push_back(1 + state->rng() % (size - 1));
  std::sort(cuts.begin(), cuts.end());
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    if (!co_await send(dir, data + cuts[i], cuts[i + 1] - cuts[i])) co_return false;
    asio::steady_timer pause(state->io, std::chrono::milliseconds(1 + state->rng() % 10));
    co_await pause.async_wait(kUse);
  }
  co_return !closed;
}

asio::awaitable<bool> Link::fire(int dir, const std::uint8_t* frame, std::size_t size) {
  auto self = shared_from_this();
  plan.fired = true;
  state->count(plan.kind);
  state->note("#%llu %s toward the %s at frame %llu", static_cast<unsigned long long>(id),
              fault_name(plan.kind), dir == kUp ? "server" : "client",
              static_cast<unsigned long long>(frames[dir] - 1));
  const std::size_t middle = 4 + (size - 4) / 2;  // inside the payload (or right after the prefix)
  switch (plan.kind) {
    case FaultKind::kReset:
      abort();
      co_return false;
    case FaultKind::kStall:
      stalled_until = Clock::now() + plan.stall;
      if (!co_await send(dir, nullptr, 0)) co_return false;  // waits out the stall
      if (plan.reset_after_stall) {
        abort();
        co_return false;
      }
      co_return co_await send(dir, frame, size);
    case FaultKind::kHalfClose: {
      std::error_code ignored;
      sink(dir).shutdown(tcp::socket::shutdown_send, ignored);
      // The receiver sees EOF and should close; if it does not, end it anyway.
      auto guard = std::make_shared<asio::steady_timer>(state->io, std::chrono::seconds(3));
      auto on_guard = [self, guard](std::error_code) { self->abort(); };
      guard->async_wait(on_guard);
      co_return false;  // this direction forwards nothing more
    }
    case FaultKind::kSplit:
      split_left = plan.split_frames;
      --split_left;
      co_return co_await send_split(dir, frame, size);
    case FaultKind::kCut:
      if (co_await send(dir, frame, middle)) close_after_write(dir);
      co_return false;
    case FaultKind::kCatchup:
      if (!plan.catchup_cut) {
        abort();
      } else if (co_await send(dir, frame, middle)) {
        close_after_write(dir);
      }
      co_return false;
    case FaultKind::kCount:
      break;
  }
  co_return co_await send(dir, frame, size);
}

namespace {

asio::awaitable<void> pump(std::shared_ptr<Link> link, int dir) {
  std::vector<std::uint8_t> pending;
  std::vector<std::uint8_t> chunk(64 * 1024);
  for (;;) {
    auto [ec, n] = co_await link->source(dir).async_read_some(asio::buffer(chunk), kUse);
    if (ec || link->closed) {
      // EOF or an error on one side ends the whole connection, as it would for the peers.
      link->abort();
      co_return;
    }
    pending.insert(pending.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    std::size_t used = 0;     // bytes of `pending` handled
    std::size_t flushed = 0;  // bytes of `pending` written
    while (pending.size() - used >= 4) {
      const std::size_t size = 4 + std::size_t{be32(pending.data() + used)};
      if (pending.size() - used < size) break;  // the rest of this frame is still to come
      const Action action = link->decide(dir, pending.data() + used, size);
      if (action == Action::kForward) {
        used += size;
        continue;
      }
      if (!co_await link->send(dir, pending.data() + flushed, used - flushed)) co_return;
      bool go_on = false;
      if (action == Action::kSplit) {
        --link->split_left;
        go_on = co_await link->send_split(dir, pending.data() + used, size);
      } else {
        go_on = co_await link->fire(dir, pending.data() + used, size);
      }
      if (!go_on) co_return;
      used += size;
      flushed = used;
    }
    if (!co_await link->send(dir, pending.data() + flushed, used - flushed)) co_return;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

asio::awaitable<void> serve(FaultProxy::State* state, tcp::socket down) {
  auto link = std::make_shared<Link>(std::move(down), state);
  const tcp::endpoint server(asio::ip::address_v4::loopback(), state->upstream.load());
  auto [ec] = co_await link->up.async_connect(server, kUse);
  link->id = state->next_id++;
  if (ec) {
    state->note("#%llu cannot reach the server on port %u",
                static_cast<unsigned long long>(link->id), unsigned{server.port()});
    link->abort();  // the server is down: the client sees a reset and retries
    co_return;
  }
  std::error_code ignored;
  link->down.set_option(tcp::no_delay(true), ignored);
  link->up.set_option(tcp::no_delay(true), ignored);
  link->plan = state->make_plan();
  ++state->connections;
  state->note("#%llu to port %u, plan: %s", static_cast<unsigned long long>(link->id),
              unsigned{server.port()}, fault_name(link->plan.kind));
  state->links.remove_if([](const std::weak_ptr<Link>& w) { return w.expired(); });
  state->links.push_back(link);
  asio::co_spawn(state->io, pump(link, kUp), asio::detached);
  asio::co_spawn(state->io, pump(link, kDown), asio::detached);
}

asio::awaitable<void> accept_loop(FaultProxy::State* state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(kUse);
    if (ec) {
      if (!state->acceptor.is_open()) co_return;
      continue;
    }
    asio::co_spawn(state->io, serve(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

FaultProxy::FaultProxy(ProxyOptions options) : state_(std::make_unique<State>(std::move(options))) {
  const tcp::endpoint local(asio::ip::address_v4::loopback(), 0);
  state_->acceptor.open(local.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(local);
  state_->acceptor.listen();
  asio::co_spawn(state_->io, accept_loop(state_.get()), asio::detached);
  state_->thread = std::thread([s = state_.get()] { s->io.run(); });
}

FaultProxy::~FaultProxy() {
  state_->io.stop();
  if (state_->thread.joinable()) state_->thread.join();
  // Coroutines still suspended (and the links they hold) are destroyed with the io_context.
}

std::uint16_t FaultProxy::port() const { return state_->acceptor.local_endpoint().port(); }

void FaultProxy::set_upstream_port(std::uint16_t port) { state_->upstream = port; }

void FaultProxy::set_faults_enabled(bool enabled) { state_->faults = enabled; }

void FaultProxy::reset_all() {
  asio::post(state_->io, [s = state_.get()] {
    for (auto& weak : s->links) {
      if (auto link = weak.lock()) link->abort();
    }
  });
}

std::array<std::uint64_t, static_cast<std::size_t>(FaultKind::kCount)> FaultProxy::fault_counts()
    const {
  std::array<std::uint64_t, static_cast<std::size_t>(FaultKind::kCount)> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = state_->counts[i].load();
  return out;
}

std::uint64_t FaultProxy::connections() const { return state_->connections.load(); }

}  // namespace wechat::chaos
