// SPDX-License-Identifier: MIT
// wechat-bench: the load generator of libwechat's benchmarks (../../docs/performance.md,
// ../../../shared/BENCH.md). One subcommand per workload; each appends JSON lines to --out.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <sstream>

#include "workloads.h"

namespace {

std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(std::stod(item));
  }
  return out;
}

void add_common(CLI::App* app, wechat::bench::Common& c) {
  app->add_option("--host", c.host)->capture_default_str();
  app->add_option("--port", c.port)->capture_default_str();
  app->add_flag("--tls", c.tls, "TLS (without certificate verification)");
  app->add_option("--users-file", c.users_file, "users.tsv written by `setup`");
  app->add_option("--server-pid", c.server_pid, "server process, for /proc CPU and memory");
  app->add_option("--out", c.out, "append JSON result lines here");
  app->add_option("--labels", c.labels, "k=v,k=v copied into every result");
  app->add_option("--seed", c.seed)->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"wechat-bench: open-loop load generator for libwechat and its peers"};
  app.require_subcommand(1);

  wechat::bench::W1Options w1;
  std::string w1_rates = "1000,2000,5000,10000,20000,40000,80000";
  auto* c1 = app.add_subcommand("w1", "steady one-to-one chat, in steps of offered load");
  add_common(c1, w1.common);
  c1->add_option("--proto", w1.proto, "wechat, mqtt or xmpp")->capture_default_str();
  c1->add_option("--users", w1.users, "users (mqtt, xmpp: required; wechat: at most this many)");
  c1->add_option("--xmpp-domain", w1.xmpp_domain, "xmpp: the accounts' domain")
      ->capture_default_str();
  c1->add_option("--xmpp-password", w1.xmpp_password, "xmpp: every account's password")
      ->capture_default_str();
  c1->add_option("--rates", w1_rates, "offered msg/s per step")->capture_default_str();
  c1->add_option("--warmup", w1.warmup_s)->capture_default_str();
  c1->add_option("--measure", w1.measure_s)->capture_default_str();
  c1->add_option("--drain", w1.drain_s)->capture_default_str();
  c1->add_flag("!--all-steps", w1.stop_on_fail, "keep going after an unsustainable step");
  c1->add_option("--acked-out", w1.acked_out,
                 "kill check: on the first lost connection, write the acked ids here and exit");
  c1->add_option("--cpu-group", w1.cpu_groups,
                 "name=pid,pid,...: also report the CPU of these processes (repeatable)");

  wechat::bench::VerifyOptions verify;
  auto* cv = app.add_subcommand("verify", "kill check: every acked message is in the log");
  add_common(cv, verify.common);
  cv->add_option("--acked", verify.acked_file)->required();

  wechat::bench::W2Options w2;
  auto* c2 = app.add_subcommand("w2", "idle logged-in connections: server memory per connection");
  add_common(c2, w2.common);
  c2->add_option("--connections", w2.connections)->capture_default_str();
  c2->add_option("--hold", w2.hold_s)->capture_default_str();

  wechat::bench::W3Options w3;
  std::string w3_rates = "250,500,1000,2000,3000,4000";
  auto* c3 = app.add_subcommand("w3", "connection setup: handshake + login, open loop");
  add_common(c3, w3.common);
  c3->add_option("--rates", w3_rates)->capture_default_str();
  c3->add_option("--step", w3.step_s)->capture_default_str();
  c3->add_flag("--password", w3.password, "Login with the password instead of Resume");
  c3->add_flag("!--all-steps", w3.stop_on_fail, "keep going after an unsustainable step");

  wechat::bench::W4Options w4;
  auto* c4 = app.add_subcommand("w4", "history sync of N messages into a fresh SDK client");
  add_common(c4, w4.common);
  c4->add_option("--messages", w4.messages)->capture_default_str();
  c4->add_option("--client-dir", w4.client_dir);
  c4->add_option("--inject-data-dir", w4.inject_data_dir,
                 "only send the messages, through an in-process server on this data dir");

  wechat::bench::W5Options w5;
  std::string w5_rates = "100,200,500,1000,2000";
  auto* c5 = app.add_subcommand("w5",
                                "group chat: G groups of M online members, in steps of "
                                "offered group messages/s");
  add_common(c5, w5.common);
  c5->add_option("--groups", w5.groups)->capture_default_str();
  c5->add_option("--members", w5.members, "per group, the owner included")->capture_default_str();
  c5->add_option("--rates", w5_rates, "offered group msg/s per step")->capture_default_str();
  c5->add_option("--warmup", w5.warmup_s)->capture_default_str();
  c5->add_option("--measure", w5.measure_s)->capture_default_str();
  c5->add_option("--drain", w5.drain_s)->capture_default_str();
  c5->add_flag("!--all-steps", w5.stop_on_fail, "keep going after an unsustainable step");
  c5->add_option("--timeline", w5.timeline,
                 "append 'rate t_s copies max_e2e_ms' per 100 ms of each step here");

  wechat::bench::SetupOptions setup;
  auto* cs = app.add_subcommand("setup", "create users and friendships through the protocol");
  cs->add_option("--data-dir", setup.data_dir)->required();
  cs->add_option("--users-file", setup.users_file)->required();
  cs->add_option("--users", setup.users)->capture_default_str();
  cs->add_option("--scrypt-log2n", setup.scrypt_log2_n)->capture_default_str();
  cs->add_option("--parallel", setup.parallel)->capture_default_str();
  cs->add_flag("--direct", setup.direct,
               "seed the data directory's store without a server: seconds instead of an hour "
               "for 10,000 users; one password for all");

  wechat::bench::SetupPgOptions setup_pg;
  auto* csp = app.add_subcommand("setup-pg",
                                 "seed users, friend pairs and sessions into a cluster's "
                                 "PostgreSQL store (no server needed)");
  csp->add_option("--store", setup_pg.store_url, "postgresql://...")->required();
  csp->add_option("--users-file", setup_pg.users_file)->required();
  csp->add_option("--users", setup_pg.users)->capture_default_str();
  csp->add_option("--scrypt-log2n", setup_pg.scrypt_log2_n)->capture_default_str();

  wechat::bench::PingPongOptions pp;
  auto* cp = app.add_subcommand("pingpong", "R3: loopback TCP ping-pong");
  cp->add_option("--seconds", pp.seconds)->capture_default_str();
  cp->add_option("--server-cpu", pp.server_cpu);
  cp->add_option("--client-cpu", pp.client_cpu);
  cp->add_option("--out", pp.out);
  cp->add_option("--labels", pp.labels);

  CLI11_PARSE(app, argc, argv);
  if (*c1) {
    w1.rates = parse_rates(w1_rates);
    return wechat::bench::run_w1(w1);
  }
  if (*c2) return wechat::bench::run_w2(w2);
  if (*cv) return wechat::bench::run_verify(verify);
  if (*c3) {
    w3.rates = parse_rates(w3_rates);
    return wechat::bench::run_w3(w3);
  }
  if (*c4) return wechat::bench::run_w4(w4);
  if (*c5) {
    w5.rates = parse_rates(w5_rates);
    return wechat::bench::run_w5(w5);
  }
  if (*cs) return wechat::bench::run_setup(setup);
  if (*csp) return wechat::bench::run_setup_pg(setup_pg);
  if (*cp) return wechat::bench::run_pingpong(pp);
  return 2;
}
