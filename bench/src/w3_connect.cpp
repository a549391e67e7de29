// SPDX-License-Identifier: MIT
// W3, connection setup: open-loop arrivals of TCP (+ TLS) + hello + Resume (token) or Login
// (password) until the LoginOk; latency from the intended arrival time. Each session is closed
// right after its LoginOk.
#include <array>
#include <cmath>
#include <cstdio>

#include "arrivals.h"
#include "histogram.h"
#include "proc_stats.h"
#include "results.h"
#include "users.h"
#include "wire_session.h"
#include "workloads.h"

// After transport/asio.h (wire_session.h includes it).
#include <asio/ssl.hpp>

namespace wechat::bench {
namespace {

/// One TLS login for W3 on a bare asio::ssl::stream: connect, handshake, Hello + Resume/Login,
/// read until the answer, close. Not transport::Connection, on purpose: closing a TLS
/// Connection while bytes are still arriving can write into a freed buffer (see
/// docs/performance.md, findings), and W3 closes every session right after its LoginOk.
/// The buffers here belong to this object, which every pending handler keeps alive.
class TlsLogin : public std::enable_shared_from_this<TlsLogin> {
 public:
  using Done = std::function<void(Status)>;
  TlsLogin(asio::io_context& io, std::shared_ptr<asio::ssl::context> ctx)
      : ctx_(std::move(ctx)), stream_(io, *ctx_), timer_(io) {}

  void start(const asio::ip::tcp::endpoint& endpoint, const Credentials& creds, Done done) {
    done_ = std::move(done);
    v1::Frame hello;
    hello.set_request_id(kControlIdBase);
    hello.mutable_request()->mutable_hello()->set_protocol_version(1);
    v1::Frame login;
    login.set_request_id(kControlIdBase + 1);
    if (!creds.token.empty()) {
      login.mutable_request()->mutable_resume()->set_token(creds.token);
    } else {
      auto* l = login.mutable_request()->mutable_login();
      l->set_login(creds.login);
      l->set_password(creds.password);
      l->set_device_name(creds.device_name);
    }
    out_ = transport::encode_frame(hello) + transport::encode_frame(login);
    timer_.expires_after(std::chrono::seconds(10));
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (!ec) self->finish(Status(Error::kTimeout, "no LoginOk in 10 s"));
    });
    stream_.lowest_layer().async_connect(
        endpoint, [self = shared_from_this()](const std::error_code& ec) {
          if (ec) return self->finish(Status(Error::kUnavailable, ec.message()));
          self->stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true));
          self->stream_.async_handshake(
              asio::ssl::stream_base::client, [self](const std::error_code& ec2) {
                if (ec2) return self->finish(Status(Error::kTls, ec2.message()));
                asio::async_write(self->stream_, asio::buffer(self->out_),
                                  [self](const std::error_code& ec3, std::size_t) {
                                    if (ec3) self->finish(Status(Error::kIo, ec3.message()));
                                  });
                self->read();
              });
        });
  }

 private:
  void read() {
    stream_.async_read_some(
        asio::buffer(buf_), [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
          if (self->finished_) return;
          if (ec) return self->finish(Status(Error::kIo, ec.message()));
          self->decoder_.append(std::string_view(self->buf_.data(), n));
          for (;;) {
            auto next = self->decoder_.next();
            if (!next.ok()) return self->finish(next.status());
            if (!next->has_value()) break;
            const v1::Frame& f = **next;
            if (f.has_response() && f.request_id() == kControlIdBase + 1) {
              const auto& r = f.response();
              return self->finish(
                  r.has_error() ? Status(static_cast<Error>(r.error().code()), r.error().message())
                                : Status());
            }
          }
          self->read();
        });
  }

  void finish(Status status) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    std::error_code ignored;
    stream_.lowest_layer().close(ignored);
    auto done = std::move(done_);
    done(std::move(status));
  }

  std::shared_ptr<asio::ssl::context> ctx_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  asio::steady_timer timer_;
  std::string out_;
  std::array<char, 16384> buf_{};
  transport::FrameDecoder decoder_;
  bool finished_ = false;
  Done done_;
};

}  // namespace

int run_w3(const W3Options& o) {
  auto users = load_users(o.common.users_file);
  if (!users.ok()) {
    std::fprintf(stderr, "w3: %s\n", users.status().to_string().c_str());
    return 2;
  }
  asio::io_context io(1);
  // run_for() below must never find the loop out of work: a stopped io_context stays stopped.
  auto keep_running = asio::make_work_guard(io);
  Target target;
  target.host = o.common.host;
  target.port = o.common.port;
  if (o.common.tls) target.tls = bench_client_tls();
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(o.common.host), o.common.port);
  constexpr std::size_t kMaxOpen = 15000;  // stay under the 20,000 descriptors of a process
  // One timer for all steps; a wait that completed just as its step ended must not run the
  // next step's tick (or a destroyed one): handlers carry their step's generation.
  asio::steady_timer timer(io);
  std::uint64_t generation = 0;
  std::function<void()> tick;

  for (double rate : o.rates) {
    Histogram latency;
    std::uint64_t started = 0, ok = 0, failed = 0, overflow = 0;
    std::size_t open = 0;
    std::map<std::string, std::uint64_t> errors;
    const std::int64_t start = now_ns() + 20'000'000;
    const std::int64_t end = start + static_cast<std::int64_t>(o.step_s * 1e9);
    PoissonArrivals arrivals(rate, start, o.common.seed * 31 + static_cast<std::uint64_t>(rate));
    ++generation;
    const auto cpu0 = process_cpu_us(o.common.server_pid);
    const double gen_cpu0 = self_cpu_us();
    const auto machine0 = machine_cpu();
    tick = [&] {
      const std::int64_t now = now_ns();
      while (arrivals.peek() <= now && arrivals.peek() < end) {
        const std::int64_t intended = arrivals.pop();
        ++started;
        if (open >= kMaxOpen) {
          ++overflow;
          continue;
        }
        ++open;
        const auto& u = (*users)[arrivals.rng()() % users->size()];
        Credentials c;
        if (o.password) {
          c.login = u.username;
          c.password = u.password;
          c.device_name = "w3-password";  // never replaces the "bench" session W1 resumes
        } else {
          c.token = u.token;
        }
        auto on_done = [&, intended](const Status& status) {
          --open;
          if (!status.ok()) {
            ++failed;
            ++errors[error_name(status.code())];
            return;
          }
          ++ok;
          latency.record(now_ns() - intended);
        };
        if (target.tls) {
          std::make_shared<TlsLogin>(io, target.tls)->start(endpoint, c, on_done);
        } else {
          open_session(io.get_executor(), target, c,
                       [on_done](Result<std::shared_ptr<WireSession>> r, v1::LoginOk) {
                         on_done(r.status());
                         if (r.ok()) {
                           (*r)->on_close = nullptr;
                           (*r)->conn->abort(Status(Error::kCancelled, "done"));
                         }
                       });
        }
      }
      if (arrivals.peek() >= end) return;
      timer.expires_at(
          std::chrono::steady_clock::time_point(std::chrono::nanoseconds(arrivals.peek())));
      timer.async_wait([&, gen = generation](const std::error_code& ec) {
        if (!ec && gen == generation) tick();
      });
    };
    tick();
    while (now_ns() < end) io.run_for(std::chrono::milliseconds(20));
    const double gen_window_cpu = self_cpu_us() - gen_cpu0;
    const double stolen = steal_pct(machine0, machine_cpu());
    // Let the last handshakes finish (counted, but a 10 s deadline counts as a failure).
    const std::int64_t deadline = now_ns() + 12'000'000'000;
    while (open > 0 && now_ns() < deadline) io.run_for(std::chrono::milliseconds(20));
    // CPU per login counts up to here: when a side falls behind, the step's logins finish in
    // the drain, and CPU read at the step's end would be shared out among logins it never ran.
    const auto cpu1 = process_cpu_us(o.common.server_pid);
    const double gen_cpu = self_cpu_us() - gen_cpu0;
    failed += open;
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
    const bool sustainable = failed == 0 && overflow == 0 && latency.quantile(0.99) <= 100'000'000;
    std::string error_text;
    for (auto& [k, v] : errors) error_text += k + ":" + std::to_string(v) + " ";
    Record rec;
    rec.labels(o.common.labels)
        .set("kind", "w3")
        .set("tls", o.common.tls)
        .set("auth", o.password ? "password" : "token")
        .set("offered_rate", rate)
        .set("step_s", o.step_s)
        .set("started", started)
        .set("ok", ok)
        .set("failed", failed + overflow)
        .set("ok_rate", static_cast<double>(ok) / o.step_s)
        .set("p50_us", us(latency.quantile(0.5)))
        .set("p99_us", us(latency.quantile(0.99)))
        .set("p999_us", us(latency.quantile(0.999)))
        .set("server_cpu_us_per_login",
             cpu0 && cpu1 && ok ? (*cpu1 - *cpu0) / static_cast<double>(ok) : NAN)
        // The generator's own TLS client costs as much as the server's side: near 100 % of
        // its core it, not the server, bounds the step.
        .set("gen_cpu_us_per_login", ok ? gen_cpu / static_cast<double>(ok) : NAN)
        .set("gen_cpu_pct", gen_window_cpu / (o.step_s * 1e6) * 100)
        .set("steal_pct", stolen)
        .set("errors", error_text)
        .set("sustainable", sustainable);
    rec.emit(o.common.out);
    if (open > 0) return 0;  // handlers still reference this step: stop here
    io.run_for(std::chrono::milliseconds(300));
    if (!sustainable && o.stop_on_fail) break;
  }
  return 0;
}

}  // namespace wechat::bench
