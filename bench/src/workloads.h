// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_WORKLOADS_H_
#define WECHAT_BENCH_WORKLOADS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace wechat::bench {

/// Options every workload shares.
struct Common {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7600;
  bool tls = false;
  std::string users_file;  ///< users.tsv from `setup`
  int server_pid = 0;      ///< for server CPU and memory (/proc)
  std::string out;         ///< results file (JSON lines), appended
  std::string labels;      ///< "k=v,..." copied into every record
  std::uint64_t seed = 1;
};

struct W1Options {
  Common common;
  std::string proto = "wechat";  ///< wechat | mqtt | xmpp
  std::size_t users = 0;         ///< 0: all in users_file (mqtt, xmpp: required)
  std::string xmpp_domain = "bench.local";  ///< xmpp: accounts u<i>@domain
  std::string xmpp_password = "bench";
  std::vector<double> rates;     ///< offered msg/s per step
  double warmup_s = 10, measure_s = 60, drain_s = 5;
  bool stop_on_fail = true;
  /// Kill check: when the first connection drops (the server was killed), write every
  /// acknowledged message (nonce, then "sender_index id" lines) here and exit.
  std::string acked_out;
  /// Extra CPU accounting over the window, "name=pid,pid,...": utime+stime summed over the
  /// pids, reported as cpu_us_per_msg_<name> and cpu_pct_<name> (a cluster: its server nodes,
  /// PostgreSQL's processes, Redis).
  std::vector<std::string> cpu_groups;
};
int run_w1(const W1Options& options);

/// After a kill -9 and a restart: every message in `acked_file` must be in its sender's log.
struct VerifyOptions {
  Common common;
  std::string acked_file;
};
int run_verify(const VerifyOptions& options);

struct W2Options {
  Common common;
  std::size_t connections = 1000;
  double hold_s = 10;
};
int run_w2(const W2Options& options);

struct W3Options {
  Common common;
  std::vector<double> rates;  ///< new sessions per second per step
  double step_s = 5;
  bool password = false;  ///< Login with the password instead of Resume with the token
  bool stop_on_fail = true;
};
int run_w3(const W3Options& options);

struct W4Options {
  Common common;
  std::size_t messages = 100000;
  std::string client_dir;       ///< an empty folder for the fresh client's store
  std::string inject_data_dir;  ///< set: only inject the messages, in-process (see w4_sync.cpp)
};
int run_w4(const W4Options& options);

/// W5 group chat: `groups` groups of `members` accounts (users 0 .. groups*members-1 of the
/// users file, every one on its own connection), group messages in steps of offered load.
struct W5Options {
  Common common;
  std::size_t groups = 10;
  std::size_t members = 100;  ///< the owner included
  std::vector<double> rates;  ///< offered group messages/s per step
  double warmup_s = 10, measure_s = 60, drain_s = 5;
  bool stop_on_fail = true;
  std::string timeline;  ///< if set: per 100 ms of each step, copies and worst e2e (appended)
};
int run_w5(const W5Options& options);

struct SetupOptions {
  std::string data_dir;
  std::string users_file;
  std::size_t users = 100;
  unsigned scrypt_log2_n = 15;
  unsigned parallel = 8;
  bool direct = false;  ///< seed the store without a server (see setup.cpp)
};
int run_setup(const SetupOptions& options);

/// Seeds a cluster's PostgreSQL store directly (no server): users bench0 .. bench<N-1>, friend
/// pairs (2k, 2k+1), one "bench" session each; writes users.tsv like `setup`.
struct SetupPgOptions {
  std::string store_url;  ///< postgresql://...
  std::string users_file;
  std::size_t users = 100;
  unsigned scrypt_log2_n = 4;  ///< only password logins would pay it; W1 resumes with tokens
};
int run_setup_pg(const SetupPgOptions& options);

struct PingPongOptions {
  double seconds = 2;
  int server_cpu = -1, client_cpu = -1;
  std::string out, labels;
};
int run_pingpong(const PingPongOptions& options);

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_WORKLOADS_H_
