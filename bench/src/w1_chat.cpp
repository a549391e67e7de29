// SPDX-License-Identifier: MIT
// W1, steady one-to-one chat: open-loop Poisson arrivals in steps of offered load; each
// arrival is one message from a random user to its friend.
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "arrivals.h"
#include "chat_adapter.h"
#include "histogram.h"
#include "proc_stats.h"
#include "results.h"
#include "workloads.h"

namespace wechat::bench {
namespace {

struct MsgRec {
  std::int64_t intended = 0;
  std::uint32_t sender = 0;
  std::uint8_t acked = 0;
  std::uint8_t deliveries = 0;
  bool in_window = false;
  bool failed = false;
};

struct Step {
  double rate = 0;
  std::uint64_t base_id = 1;  // ids of this step: base_id .. base_id + recs.size() - 1
  std::vector<MsgRec> recs;
  std::int64_t window_start = 0, window_end = 0, send_end = 0;
  Histogram e2e, ack;
  std::uint64_t errors = 0, late_other = 0, delivered_in_window_time = 0;
  std::map<int, std::uint64_t> error_codes;
  double server_cpu0 = NAN, server_cpu1 = NAN, self_cpu0 = 0, self_cpu1 = 0;
  std::vector<double> group_cpu0, group_cpu1;  ///< per W1Options::cpu_groups entry
  std::optional<MachineCpu> machine0, machine1;
};

/// "name=pid,pid,..." (W1Options::cpu_groups).
struct CpuGroup {
  std::string name;
  std::vector<int> pids;
};

std::vector<CpuGroup> parse_cpu_groups(const std::vector<std::string>& specs) {
  std::vector<CpuGroup> out;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    CpuGroup g;
    g.name = spec.substr(0, eq);
    std::size_t at = eq + 1;
    while (at < spec.size()) {
      auto comma = spec.find(',', at);
      if (comma == std::string::npos) comma = spec.size();
      if (comma > at) g.pids.push_back(std::atoi(spec.substr(at, comma - at).c_str()));
      at = comma + 1;
    }
    out.push_back(std::move(g));
  }
  return out;
}

/// The CPU of a group: a process that is gone counts 0 (NAN if none is left).
double group_cpu_us(const CpuGroup& g) {
  double total = 0;
  bool any = false;
  for (int pid : g.pids) {
    if (auto us = process_cpu_us(pid)) {
      total += *us;
      any = true;
    }
  }
  return any ? total : NAN;
}

class W1Runner {
 public:
  W1Runner(const W1Options& o, asio::io_context& io, ChatAdapter& adapter)
      : o_(o), io_(io), adapter_(adapter), timer_(io), groups_(parse_cpu_groups(o.cpu_groups)) {
    ChatAdapter::Sink sink;
    sink.ack = [this](std::uint64_t id) { on_ack(id); };
    sink.deliver = [this](std::uint64_t id) { on_deliver(id); };
    sink.error = [this](std::uint64_t id, int code) { on_error(id, code); };
    sink.connection_lost = [this](const std::string& why) {
      if (!o_.acked_out.empty() && lost_connections_ == 0) dump_acked_and_exit();
      ++lost_connections_;
      if (lost_connections_ <= 3) std::fprintf(stderr, "w1: connection lost: %s\n", why.c_str());
    };
    adapter_.set_sink(std::move(sink));
  }

  /// Runs every step; returns false when the harness failed (not when the server was slow).
  bool run() {
    std::uint64_t next_id = 1;
    for (double rate : o_.rates) {
      step_ = std::make_unique<Step>();
      step_->rate = rate;
      step_->base_id = next_id;
      const auto expected =
          static_cast<std::size_t>(rate * (o_.warmup_s + o_.measure_s) * 1.2 + 1000);
      step_->recs.reserve(expected);
      run_step();
      next_id = step_->base_id + step_->recs.size() + 1;
      const bool ok = report();
      if (!ok && o_.stop_on_fail) break;
    }
    return true;
  }

 private:
  MsgRec* rec_of(std::uint64_t id) {
    if (!step_ || id < step_->base_id) return nullptr;
    const std::uint64_t i = id - step_->base_id;
    return i < step_->recs.size() ? &step_->recs[i] : nullptr;
  }

  void on_ack(std::uint64_t id) {
    MsgRec* r = rec_of(id);
    if (!r) return;
    if (r->acked++ == 0 && r->in_window) step_->ack.record(now_ns() - r->intended);
  }

  void on_deliver(std::uint64_t id) {
    MsgRec* r = rec_of(id);
    if (!r) {
      if (step_) ++step_->late_other;
      return;
    }
    const std::int64_t now = now_ns();
    if (r->deliveries++ == 0 && r->in_window) step_->e2e.record(now - r->intended);
    if (now >= step_->window_start && now < step_->window_end) ++step_->delivered_in_window_time;
  }

  void on_error(std::uint64_t id, int code) {
    if (!step_) return;
    ++step_->error_codes[code];
    ++step_->errors;
    if (MsgRec* r = rec_of(id)) r->failed = true;
  }

  void run_step() {
    Step& s = *step_;
    const std::int64_t start = now_ns() + 20'000'000;
    s.window_start = start + static_cast<std::int64_t>(o_.warmup_s * 1e9);
    s.window_end = s.window_start + static_cast<std::int64_t>(o_.measure_s * 1e9);
    s.send_end = s.window_end;
    arrivals_ = std::make_unique<PoissonArrivals>(s.rate, start, o_.common.seed * 7919 + s.base_id);
    window_open_ = window_closed_ = false;
    sending_ = true;
    tick();
    // Run the loop until sending stopped and the drain ended.
    drain_deadline_ = 0;
    while (sending_ || now_ns() < drain_deadline_) {
      io_.run_for(std::chrono::milliseconds(20));
      if (!sending_ && drain_deadline_ == 0) {
        drain_deadline_ = now_ns() + static_cast<std::int64_t>(o_.drain_s * 1e9);
      }
      if (!sending_ && all_done()) break;
    }
  }

  bool all_done() const {
    for (const auto& r : step_->recs) {
      if (!r.failed && (r.deliveries == 0 || r.acked == 0)) return false;
    }
    return true;
  }

  void tick() {
    Step& s = *step_;
    const std::int64_t now = now_ns();
    if (!window_open_ && now >= s.window_start) {
      window_open_ = true;
      s.server_cpu0 = process_cpu_us(o_.common.server_pid).value_or(NAN);
      s.self_cpu0 = self_cpu_us();
      s.machine0 = machine_cpu();
      for (const auto& g : groups_) s.group_cpu0.push_back(group_cpu_us(g));
    }
    if (!window_closed_ && now >= s.window_end) {
      window_closed_ = true;
      s.server_cpu1 = process_cpu_us(o_.common.server_pid).value_or(NAN);
      s.self_cpu1 = self_cpu_us();
      s.machine1 = machine_cpu();
      for (const auto& g : groups_) s.group_cpu1.push_back(group_cpu_us(g));
    }
    auto& rng = arrivals_->rng();
    const std::size_t n = adapter_.users();
    while (arrivals_->peek() <= now && arrivals_->peek() < s.send_end) {
      const std::int64_t intended = arrivals_->pop();
      const std::uint64_t id = s.base_id + s.recs.size();
      MsgRec rec;
      rec.intended = intended;
      rec.in_window = intended >= s.window_start && intended < s.window_end;
      rec.sender = static_cast<std::uint32_t>(rng() % n);
      s.recs.push_back(rec);
      adapter_.send(rec.sender, id);
    }
    if (arrivals_->peek() >= s.send_end && window_closed_) {
      sending_ = false;
      return;
    }
    std::int64_t next = std::min(arrivals_->peek(), s.send_end);
    if (!window_open_) next = std::min(next, s.window_start);
    if (!window_closed_) next = std::min(next, s.window_end);
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
    timer_.async_wait([this](const std::error_code& ec) {
      if (!ec) tick();
    });
  }

  /// Kill check: the server is gone; everything it acknowledged must survive its restart.
  void dump_acked_and_exit() {
    std::FILE* f = std::fopen(o_.acked_out.c_str(), "w");
    std::uint64_t acked = 0;
    if (f != nullptr && step_) {
      std::fprintf(f, "%llx\n", static_cast<unsigned long long>(adapter_.id_nonce()));
      for (std::size_t i = 0; i < step_->recs.size(); ++i) {
        if (step_->recs[i].acked == 0) continue;
        ++acked;
        std::fprintf(f, "%u %llu\n", step_->recs[i].sender,
                     static_cast<unsigned long long>(step_->base_id + i));
      }
      std::fclose(f);
    }
    std::fprintf(stderr, "w1: server gone; %llu acknowledged messages written to %s\n",
                 static_cast<unsigned long long>(acked), o_.acked_out.c_str());
    std::fflush(nullptr);
    std::_Exit(f != nullptr ? 0 : 2);
  }

  /// Writes the step's record; true when the step is sustainable.
  bool report() {
    Step& s = *step_;
    std::uint64_t sent = 0, delivered = 0, acked = 0, dups = 0, failed = 0;
    for (const auto& r : s.recs) {
      if (!r.in_window) continue;
      ++sent;
      if (r.deliveries > 0) ++delivered;
      if (r.deliveries > 1) dups += r.deliveries - 1;
      if (r.acked > 0) ++acked;
      if (r.failed) ++failed;
    }
    const double window = o_.measure_s;
    const double delivered_fraction = sent ? static_cast<double>(delivered) / sent : 0;
    const double server_cpu = s.server_cpu1 - s.server_cpu0;
    const double gen_cpu = s.self_cpu1 - s.self_cpu0;
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
    const bool sustainable = sent > 0 && delivered_fraction >= 0.999 &&
                             s.e2e.quantile(0.99) <= 100'000'000 && s.errors == 0 &&
                             lost_connections_ == 0;
    Record rec;
    rec.labels(o_.common.labels)
        .set("kind", "w1")
        .set("proto", o_.proto)
        .set("tls", o_.common.tls)
        .set("users", static_cast<std::uint64_t>(adapter_.users()))
        .set("offered_rate", s.rate)
        .set("warmup_s", o_.warmup_s)
        .set("measure_s", window)
        .set("sent", sent)
        .set("delivered", delivered)
        .set("acked", acked)
        .set("delivered_fraction", delivered_fraction)
        .set("delivered_rate", static_cast<double>(delivered) / window)
        .set("delivered_in_window_rate", static_cast<double>(s.delivered_in_window_time) / window)
        .set("missing", sent - delivered)
        .set("duplicates", dups)
        .set("errors", s.errors)
        .set("failed", failed)
        .set("lost_connections", static_cast<std::uint64_t>(lost_connections_))
        .set("e2e_p50_us", us(s.e2e.quantile(0.5)))
        .set("e2e_p99_us", us(s.e2e.quantile(0.99)))
        .set("e2e_p999_us", us(s.e2e.quantile(0.999)))
        .set("e2e_max_us", us(s.e2e.max()))
        .set("ack_p50_us", us(s.ack.quantile(0.5)))
        .set("ack_p99_us", us(s.ack.quantile(0.99)))
        .set("ack_p999_us", us(s.ack.quantile(0.999)))
        .set("server_cpu_us_per_msg", delivered ? server_cpu / delivered : NAN)
        .set("server_cpu_pct", server_cpu / (window * 1e6) * 100)
        .set("gen_cpu_pct", gen_cpu / (window * 1e6) * 100)
        .set("steal_pct", steal_pct(s.machine0, s.machine1))
        .set("sustainable", sustainable);
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const double cpu = g < s.group_cpu1.size() && g < s.group_cpu0.size()
                             ? s.group_cpu1[g] - s.group_cpu0[g]
                             : NAN;
      rec.set("cpu_us_per_msg_" + groups_[g].name, delivered ? cpu / delivered : NAN);
      rec.set("cpu_pct_" + groups_[g].name, cpu / (window * 1e6) * 100);
    }
    std::string codes;
    for (auto& [code, count] : s.error_codes) {
      codes += (codes.empty() ? "" : " ") + std::to_string(code) + ":" + std::to_string(count);
    }
    rec.set("error_codes", codes);
    rec.emit(o_.common.out);
    return sustainable;
  }

  const W1Options& o_;
  asio::io_context& io_;
  ChatAdapter& adapter_;
  asio::steady_timer timer_;
  std::unique_ptr<Step> step_;
  std::unique_ptr<PoissonArrivals> arrivals_;
  bool sending_ = false, window_open_ = false, window_closed_ = false;
  std::int64_t drain_deadline_ = 0;
  std::size_t lost_connections_ = 0;
  std::vector<CpuGroup> groups_;
};

}  // namespace

int run_w1(const W1Options& o) {
  asio::io_context io(1);
  // run_for() below must never find the loop out of work: a stopped io_context stays stopped.
  auto keep_running = asio::make_work_guard(io);
  std::unique_ptr<ChatAdapter> adapter;
  if (o.proto == "mqtt") {
    adapter = make_mqtt_adapter(io, o.common.host, o.common.port, o.users);
  } else if (o.proto == "xmpp") {
    adapter = make_xmpp_adapter(io, o.common.host, o.common.port, o.users, o.xmpp_domain,
                                o.xmpp_password);
  } else {
    std::string error;
    adapter = make_wechat_adapter(io, o.common.host, o.common.port, o.common.tls,
                                  o.common.users_file, o.users, error);
    if (!adapter) {
      std::fprintf(stderr, "w1: %s\n", error.c_str());
      return 2;
    }
  }
  Status connected(Error::kTimeout, "not connected");
  bool done = false;
  const std::int64_t t0 = now_ns();
  adapter->connect_all([&](Status s) {
    connected = std::move(s);
    done = true;
  });
  while (!done && now_ns() - t0 < 120'000'000'000) io.run_for(std::chrono::milliseconds(50));
  if (!connected.ok()) {
    std::fprintf(stderr, "w1: connecting %zu users failed: %s\n", adapter->users(),
                 connected.to_string().c_str());
    return 2;
  }
  std::fprintf(stderr, "w1: %zu users connected in %.2f s\n", adapter->users(),
               (now_ns() - t0) / 1e9);
  W1Runner runner(o, io, *adapter);
  const bool ok = runner.run();
  // Leave without tearing the sessions down: the results are written, the kernel closes the
  // sockets. Closing a TLS transport::Connection while the server is still sending can write
  // into a freed buffer (docs/performance.md, findings), and an overloaded step leaves the
  // server with a backlog to send.
  std::fflush(nullptr);
  std::_Exit(ok ? 0 : 2);
}

}  // namespace wechat::bench
