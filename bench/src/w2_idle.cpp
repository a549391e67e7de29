// SPDX-License-Identifier: MIT
// W2, idle connections: N logged-in sessions held open; the server's memory per connection
// (PSS from /proc/PID/smaps_rollup; its anonymous part apart, which other processes sharing the
// libraries cannot move) and the kernel's (slab, TCP buffers), reported apart.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "arrivals.h"
#include "proc_stats.h"
#include "results.h"
#include "users.h"
#include "wire_session.h"
#include "workloads.h"

namespace wechat::bench {

int run_w2(const W2Options& o) {
  auto users = load_users(o.common.users_file);
  if (!users.ok()) {
    std::fprintf(stderr, "w2: %s\n", users.status().to_string().c_str());
    return 2;
  }
  const int pid = o.common.server_pid;
  asio::io_context io(1);
  // run_for() below must never find the loop out of work: a stopped io_context stays stopped.
  auto keep_running = asio::make_work_guard(io);
  Target target;
  target.host = o.common.host;
  target.port = o.common.port;
  if (o.common.tls) target.tls = bench_client_tls();

  // Baseline: the server after start-up, with one session opened and closed (so lazily built
  // state, TLS contexts and the like are not charged to the connections).
  auto settle = [&](double seconds) {
    const std::int64_t until = now_ns() + static_cast<std::int64_t>(seconds * 1e9);
    while (now_ns() < until) io.run_for(std::chrono::milliseconds(20));
  };
  {
    Credentials c;
    c.token = (*users)[0].token;
    bool done = false;
    std::shared_ptr<WireSession> warm;
    open_session(io.get_executor(), target, c,
                 [&](Result<std::shared_ptr<WireSession>> r, v1::LoginOk) {
                   if (r.ok()) warm = *r;
                   done = true;
                 });
    while (!done) io.run_for(std::chrono::milliseconds(10));
    if (warm) warm->conn->close();
    settle(1.0);
  }
  const auto pss0 = process_smaps_kib(pid, "Pss");
  const auto anon0 = process_smaps_kib(pid, "Anonymous");
  const auto slab0 = slabinfo_kib();
  const auto meminfo_slab0 = meminfo_kib("Slab");
  const auto tcp0 = tcp_buffer_kib();

  std::vector<std::shared_ptr<WireSession>> sessions(o.connections);
  std::size_t next = 0, ready = 0, failed = 0, dropped = 0;
  Status first_error;
  std::function<void()> open_next = [&] {
    const std::size_t i = next++;
    Credentials c;
    c.token = (*users)[i % users->size()].token;
    open_session(io.get_executor(), target, c,
                 [&, i](Result<std::shared_ptr<WireSession>> r, v1::LoginOk) {
                   if (!r.ok()) {
                     ++failed;
                     if (first_error.ok()) first_error = r.status();
                   } else {
                     sessions[i] = *r;
                     (*r)->on_frame = [](v1::Frame&&) {};
                     (*r)->on_close = [&](const Status&) { ++dropped; };
                     ++ready;
                   }
                   if (next < o.connections) open_next();
                 });
  };
  const std::int64_t t0 = now_ns();
  for (std::size_t i = 0; i < 128 && next < o.connections; ++i) open_next();
  while (ready + failed < o.connections && now_ns() - t0 < 300'000'000'000) {
    io.run_for(std::chrono::milliseconds(20));
  }
  const double open_s = (now_ns() - t0) / 1e9;
  // Hold: idle CPU over the hold, memory at its end.
  const auto cpu0 = process_cpu_us(pid);
  settle(o.hold_s);
  const auto cpu1 = process_cpu_us(pid);
  const auto pss1 = process_smaps_kib(pid, "Pss");
  const auto anon1 = process_smaps_kib(pid, "Anonymous");
  const auto slab1 = slabinfo_kib();
  const auto meminfo_slab1 = meminfo_kib("Slab");
  const auto tcp1 = tcp_buffer_kib();

  const double n = static_cast<double>(ready);
  auto per_conn = [&](std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
    return a && b && n > 0 ? static_cast<double>(*b - *a) * 1024.0 / n : NAN;
  };
  Record rec;
  rec.labels(o.common.labels)
      .set("kind", "w2")
      .set("tls", o.common.tls)
      .set("connections", static_cast<std::uint64_t>(o.connections))
      .set("ready", static_cast<std::uint64_t>(ready))
      .set("failed", static_cast<std::uint64_t>(failed))
      .set("dropped", static_cast<std::uint64_t>(dropped))
      .set("open_s", open_s)
      .set("hold_s", o.hold_s)
      .set("distinct_users", static_cast<std::uint64_t>(std::min(users->size(), o.connections)))
      .set("server_pss_kib_before", static_cast<std::int64_t>(pss0.value_or(-1)))
      .set("server_pss_kib_after", static_cast<std::int64_t>(pss1.value_or(-1)))
      .set("server_bytes_per_conn", per_conn(pss0, pss1))
      .set("server_anon_bytes_per_conn", per_conn(anon0, anon1))
      .set("slab_source", slab0 ? "/proc/slabinfo" : "/proc/meminfo Slab")
      .set("kernel_slab_bytes_per_conn",
           slab0 ? per_conn(slab0, slab1) : per_conn(meminfo_slab0, meminfo_slab1))
      .set("kernel_tcp_buffer_bytes_per_conn", per_conn(tcp0, tcp1))
      .set("idle_server_cpu_pct", cpu0 && cpu1 ? (*cpu1 - *cpu0) / (o.hold_s * 1e6) * 100 : NAN)
      .set("first_error", first_error.ok() ? std::string() : first_error.to_string());
  rec.emit(o.common.out);
  // As in W1: exit without closing TLS transport::Connections one by one (see w1_chat.cpp).
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace wechat::bench
