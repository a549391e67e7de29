// SPDX-License-Identifier: MIT
#include "wechat/server.h"

#include <sched.h>

#include <algorithm>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "proto/protobuf_logging.h"
#include "common/random.h"
#include "common/thread_name.h"
#include "server/cluster/node_registry.h"
#include "server/cluster/redis_abuse_counter.h"
#include "server/cluster/redis_client.h"
#include "server/cluster/redis_push_router.h"
#include "server/local_push_router.h"
#include "server/mail/mailer.h"
#include "server/presence.h"
#include "server/server_context.h"
#include "server/session.h"
#include "server/store/pg/pg_server_store.h"
#include "server/store/sqlite_server_store.h"
#include "server/store_executor.h"
#include "server/worker_pool.h"
#include "transport/listener.h"
#include "transport/tls.h"

namespace wechat {

namespace fs = std::filesystem;

namespace {
/// How often expired sessions and verification codes are deleted.
constexpr std::chrono::minutes kSweepInterval{10};
/// How long shutdown waits for each step of leaving a cluster (Redis may be unreachable).
constexpr std::chrono::milliseconds kClusterPatience{1000};

/// Starts an operation that reports through a callback and waits up to kClusterPatience for it.
void wait_for_callback(const std::function<void(std::function<void()>)>& start) {
  auto finished = std::make_shared<std::promise<void>>();
  auto future = finished->get_future();
  start([finished] { finished->set_value(); });
  (void)future.wait_for(kClusterPatience);
}

/// True when the scheduler may run this process on one CPU only (taskset, a cpuset).
bool one_cpu_allowed() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
  return CPU_COUNT(&set) == 1;
}
}  // namespace

// Hidden: a nested class would otherwise inherit Server's WECHAT_API and export its internals.
class [[gnu::visibility("hidden")]] Server::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {}
  ~Impl() { stop(); }

  Status start();
  void stop();

  std::uint16_t port_ = 0;
  std::string fingerprint_;
  std::string cert_file_;

 private:
  Status prepare_tls();
  Status prepare_mailer();
  Status check_cluster_options() const;
  /// Resolves ServerOptions::store_thread: true to run the store's batches on the I/O thread.
  Result<bool> store_on_io_thread() const;
  /// The PushRouter: local, or (with a redis_url) the cluster's, with its Redis client.
  Status prepare_router();
  void start_cluster();
  /// Lets go of everything that holds the Redis client or a timer on io_: they must be gone
  /// before io_ is destroyed (an Asio strand or timer outliving its io_context touches freed
  /// memory), and io_ must go before the router and context its parked coroutines refer to.
  void release_cluster();
  void schedule_sweep();
  void on_accept(std::shared_ptr<transport::Connection> connection);

  // Declaration order is destruction order reversed: the I/O loop (and every coroutine frame
  // still parked in it) goes before the context, store and router those frames refer to.
  ServerOptions options_;
  std::shared_ptr<const Clock> clock_;
  detail::Logger log_;
  std::unique_ptr<server::Mailer> mailer_;
  std::shared_ptr<server::cluster::RedisClient> redis_;
  std::unique_ptr<server::PushRouter> router_;
  server::cluster::RedisPushRouter* cluster_router_ = nullptr;  ///< router_, in a cluster
  std::shared_ptr<server::cluster::NodeRegistry> registry_;
  std::unique_ptr<server::StoreExecutor> store_;
  std::unique_ptr<server::WorkerPool> workers_;
  std::unique_ptr<server::ServerContext> context_;
  std::shared_ptr<asio::ssl::context> tls_;
  // With one I/O thread, the hint lets posts made on that thread skip the scheduler's lock.
  asio::io_context io_{options_.io_threads == 1 ? 1 : ASIO_CONCURRENCY_HINT_DEFAULT};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::optional<asio::steady_timer> sweep_timer_;
  std::unique_ptr<transport::Listener> listener_;

  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<server::Session>> sessions_;
  std::size_t sweep_at_ = 64;  ///< sessions_.size() at which ended sessions are swept out
  bool stopped_ = false;
  bool started_ = false;
};

Status Server::Impl::prepare_tls() {
  if (options_.plaintext) return {};
  std::string cert = options_.tls_cert_file;
  std::string key = options_.tls_key_file;
  if (cert.empty() != key.empty()) {
    return Status(Error::kInvalidArgument, "give both a TLS certificate and its key, or neither");
  }
  if (cert.empty()) {
    cert = (fs::path(options_.data_dir) / "tls-cert.pem").string();
    key = (fs::path(options_.data_dir) / "tls-key.pem").string();
    if (!fs::exists(cert) || !fs::exists(key)) {
      WECHAT_TRY(transport::generate_self_signed_certificate(cert, key, "wechat-server"));
      log_.info("generated a self-signed TLS certificate at {}", cert);
    }
  }
  WECHAT_ASSIGN_OR_RETURN(tls_, transport::make_server_tls_context(cert, key));
  WECHAT_ASSIGN_OR_RETURN(fingerprint_, transport::certificate_sha256_fingerprint(cert));
  cert_file_ = cert;
  return {};
}

Status Server::Impl::prepare_mailer() {
  const auto& mail = options_.mail;
  if (!mail.smtp_url.empty()) {
    server::SmtpOptions smtp;
    smtp.url = mail.smtp_url;
    smtp.username = mail.smtp_username;
    smtp.password = mail.smtp_password;
    smtp.from = mail.smtp_from;
    smtp.ca_file = mail.smtp_ca_file;
    WECHAT_TRY(server::SmtpMailer::validate(smtp));
    mailer_ = std::make_unique<server::SmtpMailer>(std::move(smtp), clock_, log_.with_component("mail"));
  } else {
    const std::string dir =
        mail.mail_dir.empty() ? (fs::path(options_.data_dir) / "mail").string() : mail.mail_dir;
    mailer_ = std::make_unique<server::FileMailer>(dir, clock_, log_.with_component("mail"));
  }
  return {};
}

Status Server::Impl::check_cluster_options() const {
  const auto& cluster = options_.cluster;
  if (cluster.redis_url.empty()) {
    if (cluster.role != ServerRole::kAll) {
      return Status(Error::kInvalidArgument, "the gate and chat roles need a Redis (redis_url)");
    }
    return {};
  }
  if (!server::is_postgresql_url(options_.store_url)) {
    return Status(Error::kInvalidArgument,
                  "a cluster node needs a shared PostgreSQL store (store_url postgresql://...); "
                  "SQLite is one server's own file");
  }
  if (cluster.heartbeat_interval.count() <= 0 || cluster.node_ttl <= cluster.heartbeat_interval) {
    return Status(Error::kInvalidArgument,
                  "cluster node_ttl must be longer than a positive heartbeat_interval");
  }
  const std::string& host =
      cluster.advertise_host.empty() ? options_.listen_host : cluster.advertise_host;
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    return Status(Error::kInvalidArgument,
                  "listening on a wildcard address: give the address clients reach this node "
                  "at (advertise_host, --advertise)");
  }
  return {};
}

Status Server::Impl::prepare_router() {
  if (options_.cluster.redis_url.empty()) {
    router_ = std::make_unique<server::LocalPushRouter>();
    return {};
  }
  server::cluster::RedisClient::Options redis;
  WECHAT_ASSIGN_OR_RETURN(redis.endpoint, server::cluster::parse_redis_url(options_.cluster.redis_url));
  // Each time the command link comes up: routes registered and pushes sent while it was down
  // were lost, so register this node's devices again (and have them sync). The first time, a
  // previous run under the same node id may have left routes behind (it was killed and came
  // back before its registration expired): those devices are gone, so reap them first.
  redis.on_connection_change = [this, first = true](bool up) mutable {
    if (!up || !cluster_router_) return;
    if (std::exchange(first, false)) cluster_router_->reap_node(options_.cluster.node_id);
    cluster_router_->register_again();
  };
  redis_ = server::cluster::RedisClient::create(io_.get_executor(), std::move(redis),
                                                log_.with_component("redis"));
  if (options_.cluster.node_id.empty()) {
    options_.cluster.node_id = "node-" + detail::Id128::random().to_hex().substr(0, 12);
  }
  auto router = std::make_unique<server::cluster::RedisPushRouter>(
      redis_, options_.cluster.node_id, log_.with_component("cluster"));
  cluster_router_ = router.get();
  router_ = std::move(router);
  return {};
}

void Server::Impl::release_cluster() {
  if (!redis_) return;
  if (context_) {
    context_->pick_chat_node = nullptr;
    context_->codes_per_email.reset();
    context_->codes_per_email_burst.reset();
    context_->codes_per_address.reset();
    context_->login_failures_per_account.reset();
    context_->login_failures_per_address.reset();
  }
  registry_.reset();
  cluster_router_->release_redis();
  redis_.reset();
}

/// After the listener is bound (the advertised port may be the one bound).
void Server::Impl::start_cluster() {
  if (!redis_) return;
  const auto& cluster = options_.cluster;
  server::cluster::NodeRegistry::Options registry;
  registry.self.id = cluster.node_id;
  registry.self.role = cluster.role;
  registry.self.host = cluster.advertise_host.empty() ? options_.listen_host : cluster.advertise_host;
  registry.self.port = cluster.advertise_port != 0 ? cluster.advertise_port : port_;
  registry.heartbeat_interval = cluster.heartbeat_interval;
  registry.node_ttl = cluster.node_ttl;
  registry.clock = clock_;
  // Abuse limits counted by the whole cluster.
  const auto shared = [&](const char* name, unsigned limit, std::chrono::milliseconds window) {
    return std::make_unique<server::cluster::RedisAbuseCounter>(redis_, name, *clock_, limit,
                                                                window);
  };
  const auto& limits = options_.rate_limits;
  context_->codes_per_email = shared("codes-email", limits.codes_per_email_per_hour, std::chrono::hours(1));
  context_->codes_per_email_burst = shared("codes-email-burst", 1, limits.min_code_interval);
  context_->codes_per_address =
      shared("codes-address", limits.codes_per_address_per_hour, std::chrono::hours(1));
  context_->login_failures_per_account =
      shared("login-account", limits.login_failures_per_account, std::chrono::minutes(15));
  context_->login_failures_per_address =
      shared("login-address", limits.login_failures_per_address, std::chrono::minutes(15));
  auto* router = cluster_router_;
  registry_ = std::make_shared<server::cluster::NodeRegistry>(
      io_.get_executor(), redis_, std::move(registry), [router] { return router->device_load(); },
      [router](const std::string& dead) { router->reap_node(dead); },
      [router] { router->register_again(); }, log_.with_component("cluster"));
  context_->pick_chat_node = [registry = registry_](
                                 std::function<void(server::ServerContext::ChatNode)> done) {
    registry->pick_chat_node([done = std::move(done)](std::optional<server::cluster::NodeInfo> node) {
      if (!node) return done(std::nullopt);
      done(std::make_pair(node->host, node->port));
    });
  };
  redis_->start();
  cluster_router_->start();
  registry_->start();
  log_.info("cluster node {} ({}), advertised as {}:{}", cluster.node_id,
            cluster.role == ServerRole::kGate ? "gate"
                                              : cluster.role == ServerRole::kChat ? "chat" : "all",
            registry_->self().host, registry_->self().port);
}

Result<bool> Server::Impl::store_on_io_thread() const {
  using StoreThread = ServerOptions::StoreThread;
  const bool possible = options_.io_threads == 1 && options_.store_url.empty();
  switch (options_.store_thread) {
    case StoreThread::kOwnThread:
      return false;
    case StoreThread::kIoThread:
      if (!possible) {
        return Status(Error::kInvalidArgument,
                      "store_thread kIoThread needs io_threads = 1 and the embedded store");
      }
      return true;
    case StoreThread::kAuto:
      break;
  }
  return possible && options_.durability == Durability::kWritten && one_cpu_allowed();
}

Status Server::Impl::start() {
  if (options_.data_dir.empty()) return Status(Error::kInvalidArgument, "data_dir is required");
  if (options_.io_threads == 0 || options_.worker_threads == 0) {
    return Status(Error::kInvalidArgument, "io_threads and worker_threads must be at least 1");
  }
  if (options_.scrypt_log2_n < 1 || options_.scrypt_log2_n > 24) {
    return Status(Error::kInvalidArgument, "scrypt_log2_n must be within 1..24");
  }
  detail::silence_protobuf_logging();
  clock_ = options_.clock ? options_.clock : std::make_shared<SystemClock>();
  log_ = detail::Logger(options_.log, "server");

  std::error_code ec;
  fs::create_directories(options_.data_dir, ec);
  if (ec) return Status(Error::kIo, "cannot create " + options_.data_dir + ": " + ec.message());
  fs::permissions(options_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);

  WECHAT_TRY(check_cluster_options());
  WECHAT_ASSIGN_OR_RETURN(const bool store_on_io, store_on_io_thread());
  WECHAT_TRY(prepare_tls());
  WECHAT_TRY(prepare_mailer());
  WECHAT_TRY(prepare_router());

  std::unique_ptr<server::ServerStore> store;
  if (options_.store_url.empty()) {
    server::SqliteServerStore::Options store_options;
    store_options.path = (fs::path(options_.data_dir) / "server.db").string();
    store_options.synced = options_.durability == Durability::kSynced;
    WECHAT_ASSIGN_OR_RETURN(store, server::SqliteServerStore::open(store_options));
  } else if (server::is_postgresql_url(options_.store_url)) {
    WECHAT_ASSIGN_OR_RETURN(store, server::PgServerStore::open(options_.store_url));
  } else {
    return Status(Error::kInvalidArgument, "store_url must be empty or postgresql://...");
  }
  store_ = std::make_unique<server::StoreExecutor>(std::move(store), *router_,
                                                   log_.with_component("store"));
  workers_ = std::make_unique<server::WorkerPool>(options_.worker_threads);
  auto hashing = one_cpu_allowed() ? workers_->make_serial_executor() : workers_->executor();
  context_ = std::make_unique<server::ServerContext>(options_, *clock_, log_, *store_, *router_,
                                                     workers_->executor(), std::move(hashing),
                                                     *mailer_);
  router_->set_presence_listener([context = context_.get()](std::uint64_t user, bool online) {
    server::announce_presence(*context, user, online);
  });

  transport::ListenerOptions listen;
  listen.host = options_.listen_host;
  listen.port = options_.listen_port;
  listen.tls = tls_;
  listen.max_connections = options_.max_connections;
  listen.connection.max_frame_bytes = options_.max_frame_bytes;
  listen.connection.idle_timeout = options_.unauthenticated_timeout;
  listen.strand_per_connection = options_.io_threads > 1;
  listener_ = std::make_unique<transport::Listener>(
      io_, listen, [this](std::shared_ptr<transport::Connection> c) { on_accept(std::move(c)); });
  WECHAT_ASSIGN_OR_RETURN(port_, listener_->start());

  store_->attach_io(io_.get_executor(), store_on_io);
  store_->start();
  start_cluster();
  work_.emplace(io_.get_executor());
  sweep_timer_.emplace(io_);
  schedule_sweep();
  for (unsigned i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] {
      detail::set_thread_name("wechat-io");
      io_.run();
    });
  started_ = true;
  log_.info("listening on {}:{} ({}; store on {})", options_.listen_host, port_,
            options_.plaintext ? "plaintext" : "TLS",
            store_on_io ? "the I/O thread" : "its own thread");
  return {};
}

void Server::Impl::schedule_sweep() {
  sweep_timer_->expires_after(kSweepInterval);
  sweep_timer_->async_wait([this](const std::error_code& ec) {
    if (ec) return;
    server::StoreExecutor::Job job;
    job.work = [now = clock_->now_ms(), log = log_](server::ServerStore& store, server::Effects&) {
      auto removed = store.sweep_expired(now);
      if (!removed.ok()) {
        log.warn("sweeping expired sessions and codes failed: {}", removed.status().to_string());
        return false;
      }
      if (*removed > 0) log.debug("swept {} expired sessions and codes", *removed);
      return true;
    };
    job.done = [](const Status&) {};
    store_->submit(std::move(job));
    schedule_sweep();
  });
}

void Server::Impl::on_accept(std::shared_ptr<transport::Connection> connection) {
  auto session = std::make_shared<server::Session>(*context_, std::move(connection));
  {
    std::lock_guard lock(sessions_mutex_);
    if (stopped_) return;
    // Forget sessions that ended, so the list tracks live connections; sweeping only when the
    // list has doubled keeps each accept O(1) amortised (a sweep per accept was quadratic).
    if (sessions_.size() >= sweep_at_) {
      std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
      sweep_at_ = std::max<std::size_t>(64, 2 * sessions_.size());
    }
    sessions_.push_back(session);
  }
  session->start();
}

void Server::Impl::stop() {
  std::vector<std::weak_ptr<server::Session>> sessions;
  {
    std::lock_guard lock(sessions_mutex_);
    if (stopped_) return;
    stopped_ = true;
    sessions.swap(sessions_);
  }
  if (!started_) {
    if (store_) store_->stop();
    if (redis_) redis_->stop();
    release_cluster();
    return;
  }
  log_.info("shutting down");
  listener_->stop();
  if (registry_) registry_->stop(kClusterPatience);  // gates stop sending clients here
  // Everything already queued for the store still commits; completions find closed sessions.
  store_->stop();
  for (auto& weak : sessions) {
    if (auto s = weak.lock()) s->end(Status(Error::kUnavailable, "the server is shutting down"));
  }
  work_.reset();
  // Give sessions a moment to flush their goodbyes, then cut the rest. A session lives until
  // its connection has closed (they refer to each other until then), so every one must close
  // before the loop stops, or it would never be freed.
  const auto all_closed = [&] {
    return std::all_of(sessions.begin(), sessions.end(), [](const auto& w) { return w.expired(); });
  };
  for (int i = 0; i < 100 && !all_closed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& weak : sessions) {
    if (auto s = weak.lock()) s->abort(Status(Error::kUnavailable, "the server is shutting down"));
  }
  for (int i = 0; i < 100 && !all_closed(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (redis_) {
    // This node's routes go (its devices are gone), then the Redis links close; both while
    // the loop still runs their callbacks.
    wait_for_callback([&](std::function<void()> done) {
      cluster_router_->reap_node(options_.cluster.node_id, std::move(done));
    });
    wait_for_callback([&](std::function<void()> done) { redis_->stop(std::move(done)); });
  }
  workers_->join();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  sweep_timer_.reset();
  store_->detach_io();
  release_cluster();
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  WECHAT_TRY(impl->start());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->port_; }
std::string Server::tls_fingerprint() const { return impl_->fingerprint_; }
std::string Server::tls_cert_file() const { return impl_->cert_file_; }
void Server::stop() { impl_->stop(); }

}  // namespace wechat
