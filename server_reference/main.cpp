// SPDX-License-Identifier: MIT
// wechat-server: the reference server, a thin command line over wechat::Server.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

#include "wechat/server.h"
#include "wechat/version.h"

namespace {

bool parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    const long value = std::stol(text.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

/// A server holds one descriptor per connection: the soft open-file limit (often 1,024) goes
/// up to the hard one, and a --max-connections the hard limit cannot hold is said up front.
void raise_open_file_limit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
  // Headroom for the database, its WAL, the listener, mail and the loop's own descriptors.
  constexpr std::size_t kReserved = 64;
  if (limit.rlim_cur != RLIM_INFINITY && max_connections + kReserved > limit.rlim_cur) {
    std::fprintf(stderr,
                 "wechat-server: the open-file limit (%llu) is below --max-connections %zu plus "
                 "%zu; connections past the limit wait (raise it with ulimit -n)\n",
                 static_cast<unsigned long long>(limit.rlim_cur), max_connections, kReserved);
  }
}

wechat::LogSink stderr_sink() {
  static std::mutex mutex;
  return [](wechat::LogLevel level, std::string_view component, std::string_view message) {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "%s %-5s %.*s: %.*s\n", stamp, wechat::log_level_name(level),
                 static_cast<int>(component.size()), component.data(),
                 static_cast<int>(message.size()), message.data());
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wechat-server: accounts, friends and chat over an embedded SQLite database"};
  app.set_version_flag("--version", std::string("wechat-server ") + wechat::version());

  wechat::ServerOptions options;
  std::string listen = "127.0.0.1:7600";
  std::string log_level = "info";
  std::string durability = "written";
  std::string store_thread = "auto";
  options.data_dir = "wechat-data";

  app.add_option("--listen", listen, "Address to listen on, HOST:PORT (port 0 picks one)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Folder for the database, certificate and mail")
      ->capture_default_str();
  app.add_option("--store", options.store_url,
                 "Durable state: empty for SQLite in DATA_DIR, or postgresql://user@host:port/db "
                 "(give the password through PGPASSWORD or ~/.pgpass, not here)");
  app.add_option("--tls-cert", options.tls_cert_file, "PEM certificate (chain) to serve");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key of --tls-cert");
  app.add_flag("--plaintext", options.plaintext, "No TLS (only for loopback testing)");
  app.add_option("--mail-dir", options.mail.mail_dir,
                 "Write mail as files here (default: DATA_DIR/mail) instead of sending it");
  app.add_option("--smtp-url", options.mail.smtp_url,
                 "Send mail through SMTP: smtp://host:587 (STARTTLS) or smtps://host:465");
  app.add_option("--smtp-user", options.mail.smtp_username, "SMTP user name");
  app.add_option("--smtp-from", options.mail.smtp_from, "From address of outgoing mail")
      ->capture_default_str();
  app.add_option("--smtp-ca", options.mail.smtp_ca_file, "CA file for the SMTP server");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--durability", durability,
                 "written: in the WAL before the ack; synced: fsynced before the ack")
      ->check(CLI::IsMember({"written", "synced"}))
      ->capture_default_str();
  app.add_option("--scrypt-log2n", options.scrypt_log2_n, "Password hash cost, log2(N)")
      ->check(CLI::Range(1, 24))
      ->capture_default_str();
  app.add_option("--io-threads", options.io_threads, "Network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--worker-threads", options.worker_threads,
                 "Threads for password hashing and mail (they run at the lowest CPU priority)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--store-thread", store_thread,
                 "Where the SQLite store runs: own (a thread of its own), io (on the network "
                 "thread), auto (io when the process may use one CPU only, --io-threads is 1 and "
                 "--durability is written)")
      ->check(CLI::IsMember({"auto", "own", "io"}))
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections,
                 "Most connections held at once (the open-file limit must allow them)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_flag("--allow-strangers", options.allow_strangers,
               "Allow messages between users who are not friends");
  app.add_option("--max-group-members", options.max_group_members,
                 "Most members a group may have, its owner included")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  std::string role = "all";
  std::string advertise;
  app.add_option("--role", role,
                 "all: a whole server; gate: accounts, sends clients to chat nodes; chat: chat "
                 "sessions (gate and chat need --redis and a postgresql --store)")
      ->check(CLI::IsMember({"all", "gate", "chat"}))
      ->capture_default_str();
  app.add_option("--redis", options.cluster.redis_url,
                 "Cluster registry, routes and pushes: redis://[[user]:password@]host:port[/db]");
  app.add_option("--node-id", options.cluster.node_id,
                 "This node's unique name in the cluster (default: generated)");
  app.add_option("--advertise", advertise,
                 "HOST:PORT clients reach this node at (default: the listen address)");
  std::int64_t heartbeat_ms = options.cluster.heartbeat_interval.count();
  std::int64_t node_ttl_ms = options.cluster.node_ttl.count();
  app.add_option("--heartbeat-ms", heartbeat_ms, "How often a cluster node reports to Redis")
      ->check(CLI::Range(50, 60000))
      ->capture_default_str();
  app.add_option("--node-ttl-ms", node_ttl_ms,
                 "A cluster node silent this long is dead (more than --heartbeat-ms)")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  // Every option above may also come from a file: `name = value` lines (TOML/INI), the same
  // names without the dashes. Command-line flags win over the file.
  app.set_config("--config", "", "Read options from this file (key = value lines)");
  CLI11_PARSE(app, argc, argv);

  options.cluster.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  options.cluster.node_ttl = std::chrono::milliseconds(node_ttl_ms);
  if (role == "gate") options.cluster.role = wechat::ServerRole::kGate;
  if (role == "chat") options.cluster.role = wechat::ServerRole::kChat;
  if (!advertise.empty() && !parse_listen(advertise, options.cluster.advertise_host,
                                          options.cluster.advertise_port)) {
    std::fprintf(stderr, "wechat-server: --advertise wants HOST:PORT, not '%s'\n",
                 advertise.c_str());
    return 2;
  }

  if (!parse_listen(listen, options.listen_host, options.listen_port)) {
    std::fprintf(stderr, "wechat-server: --listen wants HOST:PORT, not '%s'\n", listen.c_str());
    return 2;
  }
  raise_open_file_limit(options.max_connections);
  // The SMTP password comes from the environment, never the command line (visible in ps).
  if (const char* pw = std::getenv("WECHAT_SMTP_PASSWORD")) options.mail.smtp_password = pw;
  static const std::pair<const char*, wechat::LogLevel> kLevels[] = {
      {"trace", wechat::LogLevel::kTrace}, {"debug", wechat::LogLevel::kDebug},
      {"info", wechat::LogLevel::kInfo},   {"warn", wechat::LogLevel::kWarn},
      {"error", wechat::LogLevel::kError}, {"off", wechat::LogLevel::kOff}};
  for (const auto& [name, level] : kLevels) {
    if (log_level == name) options.log.min_level = level;
  }
  options.log.sink = stderr_sink();
  options.durability =
      durability == "synced" ? wechat::Durability::kSynced : wechat::Durability::kWritten;
  options.store_thread = store_thread == "own"  ? wechat::ServerOptions::StoreThread::kOwnThread
                         : store_thread == "io" ? wechat::ServerOptions::StoreThread::kIoThread
                                                : wechat::ServerOptions::StoreThread::kAuto;

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = wechat::Server::start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "wechat-server: %s\n", server.status().to_string().c_str());
    return 1;
  }
  std::printf("wechat-server %s listening on %s:%u (%s, role %s)\n", wechat::version(),
              options.listen_host.c_str(), (*server)->port(),
              options.plaintext ? "plaintext" : "TLS", role.c_str());
  if (!options.plaintext) {
    std::printf("TLS certificate %s\nSHA-256 fingerprint %s\n", (*server)->tls_cert_file().c_str(),
                (*server)->tls_fingerprint().c_str());
  }
  if (options.mail.smtp_url.empty()) {
    std::printf("mail is written to %s\n",
                (options.mail.mail_dir.empty() ? options.data_dir + "/mail" : options.mail.mail_dir)
                    .c_str());
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "wechat-server: %s received, stopping\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop();
  return 0;
}
