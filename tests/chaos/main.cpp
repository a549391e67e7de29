// SPDX-License-Identifier: MIT
// wechat-chaos: the delivery checker under faults (docs/reliability.md). Without a subcommand it
// is the driver; the driver starts itself with "worker" once per device.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "checker.h"
#include "driver.h"
#include "work_dir.h"
#include "worker.h"

namespace {

std::vector<wechat::UserId> parse_ids(const std::string& list) {
  std::vector<wechat::UserId> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(std::stoull(item));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "wechat-chaos: many clients, several devices each, a wechat-server that is "
      "SIGKILLed and restarted, a proxy that breaks connections, clients killed with "
      "unsent messages; then a check that every message arrived exactly once, in order"};
  wechat::chaos::DriverOptions d;
#ifdef WECHAT_SERVER_BINARY
  d.server_binary = WECHAT_SERVER_BINARY;
#endif
  std::vector<std::string> faults = {"server-kill", "client-kill", "reset", "stall",
                                     "half-close",  "split",       "cut",   "catchup"};
  app.add_option("--server-binary", d.server_binary, "The wechat-server executable")
      ->capture_default_str();
  app.add_option("--work-dir", d.work_dir,
                 "Where the run keeps its files (default: a fresh /tmp directory, removed after "
                 "a pass)");
  app.add_flag("--keep", d.keep, "Keep the work directory after a pass");
  app.add_option("--users", d.users, "Users (every two are friends)")
      ->check(CLI::Range(2, 20))  // the server allows 20 codes per address and hour
      ->capture_default_str();
  app.add_option("--devices", d.devices, "Devices (worker processes) per user")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--duration", d.duration_s, "Seconds of load under faults")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--server-kills", d.server_kills, "Server SIGKILL + restart rounds")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--client-kills", d.client_kills, "Worker SIGKILL + restart events")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--max-outage", d.max_outage_ms, "Longest server outage, milliseconds")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--max-client-downtime", d.max_client_downtime_ms,
                 "Longest time a killed worker stays down, milliseconds")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--rate", d.rate, "Messages per second per device")
      ->check(CLI::Range(0.1, 1000.0))
      ->capture_default_str();
  app.add_option("--mark-read-rate", d.mark_read_rate, "mark_read calls per second per device")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  app.add_option("--seed", d.seed, "Seed of the fault schedule and the workers' choices")
      ->capture_default_str();
  app.add_option("--faults", faults,
                 "Comma-separated: server-kill, client-kill, reset, stall, half-close, split, "
                 "cut, catchup (or none)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--fault-probability", d.fault_probability,
                 "Chance that a proxied connection gets a fault")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--groups", d.groups,
                 "Groups created during setup (each of at least 3 users when there are 3), "
                 "sent to during the run and checked like direct conversations")
      ->check(CLI::Range(0, 50))
      ->capture_default_str();
  app.add_option("--group-share", d.group_share,
                 "Share of the messages sent to a group (when --groups > 0)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--settle-timeout", d.settle_timeout_s,
                 "Seconds allowed, after the faults, for every device to converge")
      ->capture_default_str();
  app.add_option("--server-log-level", d.server_log_level,
                 "The servers' --log-level (their logs are in the work directory's logs/)")
      ->capture_default_str();
  app.add_option("--cluster", d.cluster,
                 "Run a cluster instead of the single server: this many chat nodes and one "
                 "gate, on PostgreSQL (--store-url) and Redis (--redis-url); server kills hit a "
                 "chat node, or the gate (--gate-kill-share)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  app.add_option("--store-url", d.store_url,
                 "With --cluster: a PostgreSQL server (postgresql://...); the run creates a "
                 "schema of its own there and drops it after a pass");
  app.add_option("--redis-url", d.redis_url,
                 "With --cluster: redis://host:port/db, a database for this run alone (it is "
                 "flushed at the start)");
  app.add_option("--gate-kill-share", d.gate_kill_share,
                 "With --cluster: the share of server kills that hit the gate")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();

  wechat::chaos::WorkerOptions w;
  std::string peers;
  std::string groups;
  auto* worker = app.add_subcommand("worker", "One device (started by the driver)");
  worker->add_option("--data-dir", w.data_dir)->required();
  worker->add_option("--record", w.record_path)->required();
  worker->add_option("--dump", w.dump_path)->required();
  worker->add_option("--stop-file", w.stop_path)->required();
  worker->add_option("--port", w.port)->required();
  worker->add_option("--device", w.device)->required();
  worker->add_option("--peers", peers)->required();
  worker->add_option("--groups", groups);
  worker->add_option("--group-share", w.group_share);
  worker->add_option("--rate", w.rate);
  worker->add_option("--mark-read-rate", w.mark_read_rate);
  worker->add_option("--seed", w.seed);

  std::string recheck_dir;
  auto* recheck = app.add_subcommand("recheck", "Check a kept work directory again");
  recheck->add_option("--work-dir", recheck_dir)->required();

  CLI11_PARSE(app, argc, argv);

  if (recheck->parsed()) {
    const auto report = wechat::chaos::check(
        wechat::chaos::gather_truth({recheck_dir}), wechat::chaos::read_groups({recheck_dir}));
    wechat::chaos::print_report(report, stdout);
    std::printf("%s\n", report.ok() ? "PASS" : "FAIL");
    return report.ok() ? 0 : 1;
  }

  if (worker->parsed()) {
    w.peers = parse_ids(peers);
    w.groups = parse_ids(groups);
    return wechat::chaos::run_worker(w);
  }
  if (d.server_binary.empty()) {
    std::fprintf(stderr, "wechat-chaos: --server-binary is required\n");
    return 2;
  }
  if (d.cluster > 0 && (d.store_url.empty() || d.redis_url.empty())) {
    std::fprintf(stderr, "wechat-chaos: --cluster needs --store-url and --redis-url\n");
    return 2;
  }
  bool kill_server = false;
  bool kill_clients = false;
  for (const auto& f : faults) {
    if (f == "none") continue;
    if (f == "server-kill") {
      kill_server = true;
    } else if (f == "client-kill") {
      kill_clients = true;
    } else if (auto kind = wechat::chaos::fault_from_name(f);
               kind != wechat::chaos::FaultKind::kCount) {
      d.proxy_faults.push_back(kind);
    } else {
      std::fprintf(stderr, "wechat-chaos: unknown fault '%s'\n", f.c_str());
      return 2;
    }
  }
  if (!kill_server) d.server_kills = 0;
  if (!kill_clients) d.client_kills = 0;
  return wechat::chaos::run_driver(d);
}
