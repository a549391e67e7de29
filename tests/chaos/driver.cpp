// SPDX-License-Identifier: MIT
#include "driver.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "checker.h"
#include "cluster.h"
#include "process.h"
#include "record.h"
#include "setup.h"
#include "work_dir.h"

namespace wechat::chaos {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// One device's worker process, restartable.
struct Worker {
  int user = 0;
  int device = 0;
  std::vector<std::string> argv;
  std::string log;
  std::string record;
  std::string dump;
  pid_t pid = -1;
};

/// A server process and the fault proxy in front of it. The single server is one; a cluster is
/// the gate (first) and its chat nodes, each advertising its proxy's port, so that every
/// connection of a client, to the gate or to the chat node the gate sends it to, is proxied.
struct Node {
  std::string name;
  std::unique_ptr<FaultProxy> proxy;
  std::unique_ptr<ServerProcess> process;
  std::uint64_t kills = 0;
};

struct Event {
  double at_s = 0;
  enum Kind { kServerKill, kClientKill, kClientRestart } kind = kServerKill;
  std::size_t worker = 0;      // for the client events
  bool during_outage = false;  // for kServerKill: also kill `worker` while the server is down
  std::chrono::milliseconds outage{0};    // for kServerKill
  std::size_t node = 0;                   // for kServerKill: which of Driver::nodes_
  std::chrono::milliseconds downtime{0};  // for the client kills: until the worker restarts
};

class Driver {
 public:
  explicit Driver(const DriverOptions& o) : o_(o), rng_(o.seed) {}
  ~Driver() {
    for (Worker& w : workers_) stop_process(w.pid, SIGKILL, 5s);  // after a setup failure
    nodes_.clear();  // SIGKILLs any server still running
    if (schema_ && !keep_schema_) {
      if (auto dropped = schema_->drop(); !dropped.ok()) {
        std::fprintf(stderr, "wechat-chaos: dropping schema %s: %s\n", schema_->name().c_str(),
                     dropped.to_string().c_str());
      }
    }
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  int run();

 private:
  bool prepare_work_dir();
  /// Proxies and processes of the single server, or of the gate and chat nodes; starts them.
  bool start_nodes();
  bool cluster() const { return o_.cluster > 0; }
  bool start_workers(const std::vector<UserId>& ids, std::uint16_t proxy_port);
  GroupTable groups_;
  std::vector<Event> schedule();
  /// Runs `e` (at `now_s` into the run); restarts it schedules go to `later`.
  void execute(const Event& e, double now_s, std::vector<Event>& later);
  void kill_worker(std::size_t i);
  bool start_worker(std::size_t i);
  void reap_unexpected();
  void print(const CheckReport& r, double settle_s) const;

  const DriverOptions& o_;
  std::mt19937_64 rng_;
  std::string work_;  // == dir_.root
  WorkDir dir_;
  bool temporary_ = false;
  std::vector<Node> nodes_;
  std::optional<PgSchema> schema_;  // cluster mode
  bool keep_schema_ = false;
  std::vector<Worker> workers_;
  std::uint64_t server_kills_ = 0;
  std::uint64_t client_kills_ = 0;
  std::uint64_t unexpected_exits_ = 0;
};

bool Driver::prepare_work_dir() {
  if (o_.work_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "wechat-chaos-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) return false;
    work_ = pattern;
    temporary_ = true;
  } else {
    work_ = fs::absolute(o_.work_dir).string();
    std::error_code ec;
    if (fs::exists(work_ + "/server", ec)) {
      std::fprintf(stderr, "wechat-chaos: %s holds an earlier run; use a fresh directory\n",
                   work_.c_str());
      return false;
    }
  }
  dir_.root = work_;
  std::error_code ec;
  for (const char* sub : {"server", "logs", "devices", "records", "dumps"}) {
    fs::create_directories(work_ + "/" + sub, ec);
    if (ec) return false;
  }
  return true;
}

bool Driver::start_nodes() {
  const auto make_proxy = [&](std::size_t index, const std::string& log) {
    ProxyOptions p;
    p.kinds = o_.proxy_faults;
    p.fault_probability = o_.fault_probability;
    p.seed = o_.seed + 7919 * index;  // the single server's proxy: o_.seed, as always
    p.log_path = work_ + "/logs/" + log;
    return std::make_unique<FaultProxy>(p);  // faults off until the workers start
  };
  if (!cluster()) {
    Node n;
    n.name = "server";
    n.proxy = make_proxy(0, "proxy.log");
    n.process = std::make_unique<ServerProcess>(
        o_.server_binary, work_ + "/server", work_ + "/logs",
        std::vector<std::string>{"--log-level", o_.server_log_level});
    nodes_.push_back(std::move(n));
  } else {
    if (!plain_redis_url(o_.redis_url)) {
      std::fprintf(stderr, "wechat-chaos: --redis-url wants redis://host:port/db, not '%s'\n",
                   o_.redis_url.c_str());
      return false;
    }
    if (redis_cli(o_.redis_url, "FLUSHDB") != "OK") {
      std::fprintf(stderr, "wechat-chaos: cannot FLUSHDB %s (is Redis running? redis-cli?)\n",
                   o_.redis_url.c_str());
      return false;
    }
    auto schema = PgSchema::create(o_.store_url);
    if (!schema.ok()) {
      std::fprintf(stderr, "wechat-chaos: cannot create a schema on %s: %s\n",
                   o_.store_url.c_str(), schema.status().to_string().c_str());
      return false;
    }
    schema_ = std::move(*schema);
    std::printf("cluster: 1 gate + %d chat nodes, PostgreSQL schema %s, Redis %s\n", o_.cluster,
                schema_->name().c_str(), o_.redis_url.c_str());
    std::fflush(stdout);
    for (int i = 0; i <= o_.cluster; ++i) {
      Node n;
      n.name = i == 0 ? "gate" : "chat" + std::to_string(i - 1);
      n.proxy = make_proxy(static_cast<std::size_t>(i), "proxy-" + n.name + ".log");
      const std::string data = work_ + "/server/" + n.name;
      const std::string logs = work_ + "/logs/" + n.name;
      std::error_code ec;
      fs::create_directories(logs, ec);
      // A fixed node id, as an operator would give each host; --advertise names the proxy,
      // which follows the node to the new port each restart picks.
      n.process = std::make_unique<ServerProcess>(
          o_.server_binary, data, logs,
          std::vector<std::string>{
              "--role", i == 0 ? "gate" : "chat", "--store", schema_->store_url(), "--redis",
              o_.redis_url, "--heartbeat-ms", "200", "--node-ttl-ms", "1000", "--node-id",
              "chaos-" + n.name, "--advertise",
              "127.0.0.1:" + std::to_string(n.proxy->port()), "--log-level",
              o_.server_log_level});
      nodes_.push_back(std::move(n));
    }
  }
  for (Node& n : nodes_) {
    if (auto started = n.process->start(); !started.ok()) {
      std::fprintf(stderr, "wechat-chaos: %s: %s\n", n.name.c_str(), started.to_string().c_str());
      return false;
    }
    n.proxy->set_upstream_port(n.process->port());
  }
  if (cluster()) {
    const auto deadline = Clock::now() + 20s;
    while (live_chat_nodes(o_.redis_url) != static_cast<std::size_t>(o_.cluster)) {
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "wechat-chaos: the registry in %s never listed %d chat nodes\n",
                     o_.redis_url.c_str(), o_.cluster);
        return false;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  return true;
}

bool Driver::start_workers(const std::vector<UserId>& ids, std::uint16_t proxy_port) {
  const std::string self = self_path();
  char rate[32], mark[32], share[32];
  std::snprintf(rate, sizeof rate, "%g", o_.rate);
  std::snprintf(share, sizeof share, "%g", o_.group_share);
  std::snprintf(mark, sizeof mark, "%g", o_.mark_read_rate);
  for (int u = 0; u < o_.users; ++u) {
    std::string peers;
    for (int v = 0; v < o_.users; ++v) {
      if (v == u) continue;
      if (!peers.empty()) peers += ",";
      peers += std::to_string(ids[v]);
    }
    for (int d = 0; d < o_.devices; ++d) {
      Worker w;
      w.user = u;
      w.device = d;
      w.log = dir_.log(u, d);
      w.record = dir_.record(u, d);
      w.dump = dir_.dump(u, d);
      const std::uint64_t seed = o_.seed * 1000 + workers_.size();
      w.argv = {self, "worker"};
      const std::pair<const char*, std::string> flags[] = {{"--data-dir", dir_.device_dir(u, d)},
                                                           {"--record", w.record},
                                                           {"--dump", w.dump},
                                                           {"--stop-file", dir_.stop()},
                                                           {"--port", std::to_string(proxy_port)},
                                                           {"--device", std::to_string(d)},
                                                           {"--peers", peers},
                                                           {"--rate", rate},
                                                           {"--mark-read-rate", mark},
                                                           {"--seed", std::to_string(seed)}};
      for (const auto& [flag, value] : flags) {
        w.argv.emplace_back(flag);
        w.argv.push_back(value);
      }
      std::string groups;
      for (ConversationId g : groups_of(groups_, ids[u])) {
        groups += (groups.empty() ? "" : ",") + std::to_string(g);
      }
      if (!groups.empty()) {
        for (const std::string& arg : {std::string("--groups"), groups,
                                       std::string("--group-share"), std::string(share)}) {
          w.argv.push_back(arg);
        }
      }
      workers_.push_back(std::move(w));
      if (!start_worker(workers_.size() - 1)) return false;
    }
  }
  return true;
}

bool Driver::start_worker(std::size_t i) {
  Worker& w = workers_[i];
  auto pid = spawn(w.argv, w.log, w.log);
  if (!pid.ok()) {
    std::fprintf(stderr, "wechat-chaos: %s\n", pid.status().to_string().c_str());
    return false;
  }
  w.pid = *pid;
  return true;
}

void Driver::kill_worker(std::size_t i) {
  stop_process(workers_[i].pid, SIGKILL, 5s);
  workers_[i].pid = -1;
  ++client_kills_;
}

void Driver::reap_unexpected() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    int status = 0;
    if (workers_[i].pid > 0 && ::waitpid(workers_[i].pid, &status, WNOHANG) == workers_[i].pid) {
      ++unexpected_exits_;
      std::fprintf(stderr, "wechat-chaos: worker u%d-d%d exited on its own (status %d); see %s\n",
                   workers_[i].user, workers_[i].device, status, workers_[i].log.c_str());
      workers_[i].pid = -1;
      start_worker(i);
    }
  }
}

std::vector<Event> Driver::schedule() {
  // Drawn up front from the seed: the same seed gives the same faults at the same times.
  std::vector<Event> events;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double span = o_.duration_s;
  const int kills = o_.server_kills;
  int outage_kills = std::min(kills, o_.client_kills / 2 + o_.client_kills % 2);
  const auto downtime_span = static_cast<std::uint64_t>(o_.max_client_downtime_ms) + 1;
  for (int k = 0; k < kills; ++k) {
    Event e;
    e.kind = Event::kServerKill;
    const double slot = span / (kills + 1);
    e.at_s = slot * (k + 1) + (unit(rng_) - 0.5) * slot * 0.5;
    const auto outage_span = static_cast<std::uint64_t>(std::max(1, o_.max_outage_ms - 99));
    e.outage = std::chrono::milliseconds(100 + rng_() % outage_span);
    e.worker = rng_() % workers_.size();
    e.downtime = std::chrono::milliseconds(rng_() % downtime_span);
    // The first client kills fall in server outages: the killed worker surely has messages in
    // its outbox that no server could have acknowledged.
    e.during_outage = k * outage_kills / std::max(kills, 1) != (k + 1) * outage_kills / kills;
    if (cluster()) {  // a chat node, or now and then the gate (drawn last: single-server
                      // schedules stay what they were)
      const bool gate = unit(rng_) < o_.gate_kill_share;
      const std::size_t chat = 1 + rng_() % static_cast<std::uint64_t>(o_.cluster);
      e.node = gate ? 0 : chat;
    }
    events.push_back(e);
  }
  for (int k = outage_kills; k < o_.client_kills; ++k) {
    Event e;
    e.kind = Event::kClientKill;
    e.at_s = span * (0.05 + 0.9 * unit(rng_));
    e.worker = rng_() % workers_.size();
    e.downtime = std::chrono::milliseconds(rng_() % downtime_span);
    events.push_back(e);
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.at_s < b.at_s; });
  return events;
}

void Driver::execute(const Event& e, double now_s, std::vector<Event>& later) {
  const auto restart_later = [&](std::size_t worker, std::chrono::milliseconds downtime) {
    Event r;
    r.kind = Event::kClientRestart;
    r.worker = worker;
    r.at_s = now_s + std::chrono::duration<double>(downtime).count();
    later.push_back(r);
  };
  switch (e.kind) {
    case Event::kClientRestart:
      if (workers_[e.worker].pid <= 0) start_worker(e.worker);
      return;
    case Event::kClientKill:
      if (workers_[e.worker].pid <= 0) return;  // down already
      kill_worker(e.worker);
      restart_later(e.worker, e.downtime);
      return;
    case Event::kServerKill:
      break;
  }
  Node& node = nodes_[e.node];
  node.process->kill_hard();
  node.proxy->set_upstream_port(0);  // refused, until the node is back
  ++server_kills_;
  ++node.kills;
  std::this_thread::sleep_for(e.outage / 2);
  if (e.during_outage && workers_[e.worker].pid > 0) {
    kill_worker(e.worker);
    restart_later(e.worker, e.downtime);
  }
  std::this_thread::sleep_for(e.outage / 2);
  if (auto started = node.process->start(); !started.ok()) {
    std::fprintf(stderr, "wechat-chaos: restart %s: %s\n", node.name.c_str(),
                 started.to_string().c_str());
    std::this_thread::sleep_for(1s);
    if (auto again = node.process->start(); !again.ok()) return;  // the settle phase will fail
  }
  node.proxy->set_upstream_port(node.process->port());
}

void Driver::print(const CheckReport& r, double settle_s) const {
  auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("faults: server-kill %llu, client-kill %llu", u(server_kills_), u(client_kills_));
  std::array<std::uint64_t, static_cast<std::size_t>(FaultKind::kCount)> counts{};
  std::uint64_t connections = 0;
  for (const Node& n : nodes_) {
    const auto c = n.proxy->fault_counts();
    for (std::size_t k = 0; k < counts.size(); ++k) counts[k] += c[k];
    connections += n.proxy->connections();
  }
  for (std::size_t k = 0; k < counts.size(); ++k) {
    std::printf(", %s %llu", fault_name(static_cast<FaultKind>(k)), u(counts[k]));
  }
  std::printf(" (%llu proxied connections)\n", u(connections));
  if (cluster()) {
    std::printf("cluster:");
    for (const Node& n : nodes_) {
      std::printf(" %s %llu kills, %llu connections;", n.name.c_str(), u(n.kills),
                  u(n.proxy->connections()));
    }
    std::printf("\n");
  }
  print_report(r, stdout);
  if (unexpected_exits_ > 0) std::printf("unexpected worker exits: %llu\n", u(unexpected_exits_));
  std::printf("settled in %.1f s\n", settle_s);
}

int Driver::run() {
  if (!prepare_work_dir()) {
    std::fprintf(stderr, "wechat-chaos: cannot prepare a work directory\n");
    return 2;
  }
  std::printf(
      "wechat-chaos: seed %llu, %d users x %d devices, %.0f s, %d server kills, "
      "%d client kills, %d groups, work dir %s\n",
      static_cast<unsigned long long>(o_.seed), o_.users, o_.devices, o_.duration_s,
      o_.server_kills, o_.client_kills, o_.groups, work_.c_str());
  std::fflush(stdout);
  if (!start_nodes()) return 2;
  // Straight to the server (the gate), not through its proxy. In a cluster the gate sends each
  // login on to a chat node's proxy, which forwards faithfully until the faults begin.
  const std::string mail = work_ + (cluster() ? "/server/gate/mail" : "/server/mail");
  auto ids = set_up_accounts(dir_, mail, nodes_.front().process->port(), o_.users, o_.devices,
                             o_.groups, o_.seed, &groups_);
  if (!ids.ok() || !write_users(dir_, *ids) || !write_groups(dir_, groups_)) {
    std::fprintf(stderr, "wechat-chaos: setup: %s\n", ids.status().to_string().c_str());
    return 2;
  }

  for (Node& n : nodes_) n.proxy->set_faults_enabled(true);
  if (!start_workers(*ids, nodes_.front().proxy->port())) return 2;

  // The faults. Events run in time order; a client kill schedules its restart as a new event.
  const auto start = Clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::vector<Event> events = schedule();
  while (seconds() < o_.duration_s) {
    reap_unexpected();
    std::vector<Event> later;
    for (auto it = events.begin(); it != events.end() && it->at_s <= seconds();) {
      const Event e = *it;
      it = events.erase(it);
      execute(e, seconds(), later);
    }
    events.insert(events.end(), later.begin(), later.end());
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.at_s < b.at_s; });
    std::this_thread::sleep_for(20ms);
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i].pid <= 0) start_worker(i);  // still down from a late kill
  }

  // Settle: no new faults, stalls and half-closes ended, no new messages; then wait until the
  // devices agree with the truth (or the timeout says they never will).
  for (Node& n : nodes_) n.proxy->set_faults_enabled(false);
  for (Node& n : nodes_) n.proxy->reset_all();
  std::ofstream(dir_.stop()) << "stop\n";
  const auto settle_start = Clock::now();
  const auto settle_end = settle_start + std::chrono::milliseconds(
                                             static_cast<std::int64_t>(o_.settle_timeout_s * 1000));
  auto last_note = settle_start;
  int notes = 0;
  for (;;) {
    reap_unexpected();
    std::this_thread::sleep_for(500ms);
    const CheckReport interim = check(gather_truth(dir_), groups_);
    // Lost, unacknowledged and unread may still heal as devices catch up; a duplicate, a
    // reordering or a phantom never does, so there is no point waiting once only those remain.
    const bool converged =
        interim.lost + interim.unacked + interim.unread + interim.missing_dumps == 0;
    if (converged || Clock::now() > settle_end) break;
    if (Clock::now() - last_note >= 5s && !interim.problems.empty()) {
      // What the run is waiting for, so that a slow settle can be told from a stuck one.
      last_note = Clock::now();
      std::printf("settling: %s\n", interim.problems.front().c_str());
      std::fflush(stdout);
      // Keep what the check saw, to tell a slow device from a wrong one afterwards.
      const std::string copy = work_ + "/logs/settle-" + std::to_string(++notes);
      std::error_code ec;
      fs::create_directories(copy, ec);
      fs::copy(work_ + "/dumps", copy + "/dumps", fs::copy_options::recursive, ec);
      fs::copy(work_ + "/records", copy + "/records", fs::copy_options::recursive, ec);
      fs::copy_file(dir_.users(), copy + "/users.txt", ec);
    }
  }
  const double settle_s = std::chrono::duration<double>(Clock::now() - settle_start).count();
  // SIGTERM: each worker writes a last dump and closes its client cleanly.
  for (Worker& w : workers_) {
    if (w.pid > 0) ::kill(w.pid, SIGTERM);
  }
  for (Worker& w : workers_) {
    stop_process(w.pid, SIGTERM, 10s);
    w.pid = -1;
  }
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) it->process->stop();  // gate last
  const CheckReport report = check(gather_truth(dir_), groups_);
  print(report, settle_s);
  const bool pass = report.ok() && unexpected_exits_ == 0;
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  if (pass && temporary_ && !o_.keep) {
    std::error_code ec;
    fs::remove_all(work_, ec);
  } else {
    std::printf("work dir kept: %s\n", work_.c_str());
  }
  if (schema_ && (!pass || o_.keep)) {
    keep_schema_ = true;
    std::printf("PostgreSQL schema kept: %s (DROP SCHEMA %s CASCADE when done)\n",
                schema_->name().c_str(), schema_->name().c_str());
  }
  return pass ? 0 : 1;
}

}  // namespace

int run_driver(const DriverOptions& options) { return Driver(options).run(); }

}  // namespace wechat::chaos
