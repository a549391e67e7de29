// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_DRIVER_H_
#define WECHAT_TESTS_CHAOS_DRIVER_H_

// The driver: starts the server, sets up the accounts, starts the fault proxy and one worker
// process per device, runs the fault schedule, then lets everything settle and checks.

#include <cstdint>
#include <string>
#include <vector>

#include "fault_proxy.h"

namespace wechat::chaos {

struct DriverOptions {
  std::string server_binary;  ///< REQUIRED: the wechat-server executable.
  std::string work_dir;       ///< Default: a fresh directory under /tmp, removed after a pass.
  bool keep = false;          ///< Keep the work directory even after a pass.
  int users = 4;
  int devices = 2;           ///< Per user.
  double duration_s = 20;    ///< Of load with faults.
  int server_kills = 4;      ///< SIGKILL + restart rounds, spread over the duration.
  int client_kills = 2;      ///< Worker SIGKILL + restart, half of them while the server is down.
  int max_outage_ms = 1500;  ///< A server stays down 100 ms to this long.
  int max_client_downtime_ms = 2000;  ///< A killed worker restarts after 0 to this long.
  double rate = 4;                    ///< Messages per second per device.
  double mark_read_rate = 0.5;
  std::uint64_t seed = 1;
  std::vector<FaultKind> proxy_faults;  ///< Which proxy faults (empty: a faithful proxy).
  double fault_probability = 0.8;       ///< Per proxied connection.
  int groups = 0;                       ///< Groups created in setup (0: direct messages only).
  double group_share = 0.3;             ///< Of the messages, the share sent to a group.
  double settle_timeout_s = 60;         ///< After the faults, for everything to converge.
  /// Cluster mode (docs/reliability.md, "Cluster"): this many chat nodes and one gate instead
  /// of the single server; 0: the single server on SQLite.
  int cluster = 0;
  std::string store_url;         ///< Cluster: a PostgreSQL server; the run makes its own schema.
  std::string redis_url;         ///< Cluster: redis://host:port/db, flushed at the start.
  double gate_kill_share = 0.2;  ///< Cluster: share of the server kills that hit the gate.
  std::string server_log_level = "warn";  ///< The servers' --log-level.
};

/// Runs the whole check. Returns the process exit code: 0 pass, 1 violations, 2 setup failure.
int run_driver(const DriverOptions& options);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_DRIVER_H_
