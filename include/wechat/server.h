// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_H_
#define WECHAT_SERVER_H_

/// @file
/// The server half of libwechat: accounts, friends and the delivery contract over one embedded
/// SQLite database. `wechat-server` is a thin command line over this class.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "wechat/clock.h"
#include "wechat/export.h"
#include "wechat/log.h"
#include "wechat/status.h"

namespace wechat {

/// How durable a message is when its sender gets the ack.
enum class Durability {
  kWritten,  ///< D1: in the SQLite WAL before the ack (synchronous=NORMAL). Survives a process
             ///< crash; an OS crash or power loss may lose the last moments.
  kSynced,   ///< D2: fsynced before the ack (synchronous=FULL, group-committed).
};

/// Outgoing mail: a development folder, or SMTP.
struct MailOptions {
  /// Development mailer: each mail is written as a file here. Used when smtp_url is empty.
  /// Default: "<data_dir>/mail".
  std::string mail_dir;
  /// "smtp://host:587" (STARTTLS required) or "smtps://host:465". Default: empty (use mail_dir).
  std::string smtp_url;
  std::string smtp_username;
  std::string smtp_password;
  std::string smtp_from = "libwechat <no-reply@localhost>";
  std::string smtp_ca_file;  ///< Default: the system's trust store.
};

/// Abuse limits. Each answers with kRateLimited and how long to wait (Status::retry_after_ms,
/// `Error.retry_after_ms` on the wire).
struct RateLimits {
  unsigned codes_per_email_per_hour = 5;
  std::chrono::milliseconds min_code_interval{30000};  ///< Per email. Default: 30 s.
  unsigned codes_per_address_per_hour = 20;             ///< Per client IP address.
  unsigned login_failures_per_account = 10;             ///< Per 15 minutes.
  unsigned login_failures_per_address = 50;             ///< Per 15 minutes, per client IP.
  /// Requests per second one connection may make on average, and in a burst.
  double requests_per_connection_per_second = 200;
  double request_burst_per_connection = 400;
  /// Requests per second one user may make across all their devices, and in a burst.
  double requests_per_user_per_second = 500;
  double request_burst_per_user = 1000;
  /// Requests over these rates wait (in arrival order) for up to this long before they run;
  /// only those that would wait longer are refused with kRateLimited, whose retry_after_ms is
  /// how long until the request would wait no longer than this. Waiting instead of
  /// refusing keeps a client's pipelined requests in order: refusing one in the middle of a
  /// pipeline while later ones pass would reorder its messages. Default: 1 s.
  std::chrono::milliseconds max_request_delay{1000};
};

/// What a server does in a cluster (docs/cluster.md).
enum class ServerRole {
  kAll,   ///< Everything: accounts and chat sessions. A single server, or a cluster node.
  kGate,  ///< Accounts only: answers login and resume with the least-loaded live chat node,
          ///< which the client then connects to. Holds no chat sessions.
  kChat,  ///< Accounts and chat sessions; gates send clients here.
};

/// Running as one node of a cluster: several servers on one PostgreSQL store_url, with Redis
/// for the node registry, the user -> node routes and pushes between nodes.
struct ClusterOptions {
  ServerRole role = ServerRole::kAll;
  /// "redis://[[user]:password@]host[:port][/db]". Empty: no cluster (role must be kAll).
  /// Required for kGate and kChat, which also need a PostgreSQL store_url. Default: empty.
  std::string redis_url;
  /// This node's name in the registry, unique in the cluster. Default: generated at start.
  std::string node_id;
  /// Where clients reach this node, as gates hand it out. Default: listen_host and the bound
  /// port (a wildcard listen_host such as 0.0.0.0 needs an explicit advertise_host).
  std::string advertise_host;
  std::uint16_t advertise_port = 0;
  /// How often the node reports itself (and its live connection count) to the registry.
  std::chrono::milliseconds heartbeat_interval{1000};
  /// A node silent for this long is dead: gates stop choosing it and its routes are removed.
  std::chrono::milliseconds node_ttl{3000};
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";  ///< Default: loopback only.
  std::uint16_t listen_port = 7600;       ///< 0 picks a free port (see Server::port()).
  std::string data_dir;                   ///< REQUIRED: holds server.db (and a generated cert).
  /// Where durable state lives. Empty: SQLite, server.db in data_dir (one machine).
  /// "postgresql://user@host:port/db" (libpq URI syntax, "postgres://" too): a PostgreSQL
  /// database that several servers may share (docs/cluster.md); data_dir then holds only the
  /// generated certificate and the development mail. Default: empty.
  std::string store_url;

  /// TLS is on unless `plaintext`. With no cert/key given, a self-signed certificate is
  /// generated in data_dir on first start and reused afterwards.
  bool plaintext = false;
  std::string tls_cert_file;
  std::string tls_key_file;

  ClusterOptions cluster;
  MailOptions mail;
  LogOptions log;
  Durability durability = Durability::kWritten;

  unsigned io_threads = 1;      ///< Threads running network I/O. Default: 1.
  /// Threads for password hashing and mail, at the lowest CPU priority. Default: 2. Where the
  /// process may use one CPU only, password hashes run on them one at a time (two 32 MiB scrypt
  /// hashes taking turns on one core doubled the chat p99 they cause, for no more hashes).
  unsigned worker_threads = 2;

  /// Where the embedded (SQLite) store runs its batches. kOwnThread: a thread of its own, which
  /// runs beside the I/O thread on another core. kIoThread: on the I/O thread, between two
  /// rounds of network I/O; where the two threads could not run at once anyway (one core), this
  /// saves two thread switches per batch and lets batches grow (W1 on one core: 10,000 ->
  /// 15,000 msg/s; docs/performance.md). kAuto: kIoThread when the process may run on one CPU
  /// only (taskset, cpuset), io_threads is 1 and durability is kWritten (an fsync per batch
  /// would stall the I/O thread), else kOwnThread. kIoThread needs io_threads == 1 and the
  /// embedded store. Default: kAuto.
  enum class StoreThread { kAuto, kOwnThread, kIoThread };
  StoreThread store_thread = StoreThread::kAuto;

  /// scrypt cost for new password hashes (log2 of N). Default: 15 (N = 32768, 32 MiB).
  /// Existing hashes keep the cost they were made with.
  unsigned scrypt_log2_n = 15;
  std::size_t min_password_length = 8;
  std::size_t max_text_bytes = 16 * 1024;   ///< Longest message text. Default: 16 KiB.
  std::size_t max_frame_bytes = 1u << 20;   ///< Default: 1 MiB.
  std::size_t max_connections = 10000;
  bool allow_strangers = false;  ///< Allow messages between users who are not friends.
  /// Most members a group may have, its owner included; creating or inviting beyond it
  /// answers kGroupFull. Values below 1 count as 1. Default: 500.
  std::size_t max_group_members = 500;
  RateLimits rate_limits;

  std::chrono::milliseconds code_ttl{10 * 60 * 1000};             ///< Default: 10 minutes.
  unsigned code_max_attempts = 5;
  std::chrono::milliseconds session_ttl{30LL * 24 * 3600 * 1000};  ///< Default: 30 days.
  /// Told to clients in HelloOk: they ping at least this often. Default: 10 s.
  std::chrono::milliseconds heartbeat_interval{10000};
  /// Idle before login (several heartbeats, so a person typing a code is not cut off).
  /// Default: 30 s.
  std::chrono::milliseconds unauthenticated_timeout{30000};
  /// Idle timeout of an authenticated connection: several missed heartbeats. Default: 45 s.
  std::chrono::milliseconds authenticated_timeout{45000};

  /// The wall clock (expiry of codes and tokens, rate limits). Default: the system clock.
  std::shared_ptr<const Clock> clock;
};

/// A running server. Create with `Server::start`; destroying it stops it.
///
/// @par Thread Safety
/// All methods may be called from any thread. The server runs on threads of its own.
///
/// @code
///   wechat::ServerOptions options;
///   options.data_dir = "/var/lib/wechat";
///   auto server = wechat::Server::start(options);
///   if (!server.ok()) { /* server.status().to_string() says why */ }
///   std::printf("listening on %u\n", (*server)->port());
/// @endcode
class WECHAT_API Server {
 public:
  /// Opens (or creates) the database, binds the listener and starts serving.
  /// Errors: kInvalidArgument for bad options, kStorage if the database cannot be opened or
  /// migrated, kIo if the address cannot be bound, kTls for unusable certificates.
  static Result<std::unique_ptr<Server>> start(ServerOptions options);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The port actually bound.
  std::uint16_t port() const;
  /// SHA-256 fingerprint (hex) of the TLS certificate; empty in plaintext mode.
  std::string tls_fingerprint() const;
  /// Path of the certificate in use (for clients that trust it as a CA); empty in plaintext.
  std::string tls_cert_file() const;

  /// Stops accepting, answers or cancels in-flight requests, commits everything acknowledged,
  /// and closes every connection. Idempotent; blocks until done.
  void stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wechat

#endif  // WECHAT_SERVER_H_
