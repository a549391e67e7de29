// SPDX-License-Identifier: MIT
// `wechat-bench setup`: creates the benchmark accounts once, through the protocol, the way a
// person would: RequestCode -> the code from the mail folder -> RegisterAccount -> Login (device
// "bench", whose token the workloads Resume) -> friend request and accept, pairs (2k, 2k+1).
//
// It runs wechat::Server in this process on the data directory that the measured runs then
// give to wechat-server. The only option that differs from wechat-server's is the abuse limits:
// 20 codes per hour per IP address would allow 20 accounts an hour from 127.0.0.1. The password
// hash cost is the production one (scrypt log2 N = 15 unless told otherwise), so password
// logins measured later cost what they cost in production.
//
// `wechat-bench setup --direct` and `setup-pg` seed the store instead: the same users, friend
// pairs and "bench" device sessions, written straight through SqliteServerStore (a data
// directory wechat-server then opens) or PgServerStore (a cluster's, docs/cluster.md) in one
// transaction, as tests/integration/cluster's harness does: seconds for 10,000 users instead of
// most of an hour. Every seeded user has the same password and so the same hash, computed once
// at the cost asked for; a login still pays that cost in full.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "blocking_client.h"
#include "common/crypto.h"
#include "common/random.h"
#include "server/mail/mailer.h"
#include "server/password.h"
#include "server/store/pg/pg_server_store.h"
#include "server/store/sqlite_server_store.h"
#include "users.h"
#include "wechat/server.h"
#include "wire_session.h"
#include "workloads.h"

namespace wechat::bench {
namespace {

std::string code_from_mail(const std::string& mail_dir, const std::string& email) {
  static const std::regex kCode(R"(\b(\d{6})\b)");
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto mail = server::latest_mail_to(mail_dir, email);
    std::smatch match;
    if (mail.ok() && std::regex_search(*mail, match, kCode)) return match[1].str();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

Status create_pair(asio::io_context& io, const Target& target, const std::string& mail_dir,
                   std::size_t pair, BenchUser& a, BenchUser& b) {
  WECHAT_ASSIGN_OR_RETURN(auto anon, BlockingClient::open(io, target, Credentials{}));
  for (BenchUser* u : {&a, &b}) {
    const std::string email = u->username + "@bench.example";
    v1::Request code;
    code.mutable_request_code()->set_email(email);
    code.mutable_request_code()->set_purpose(v1::CODE_PURPOSE_REGISTER);
    WECHAT_TRY(anon->call(code));
    const std::string digits = code_from_mail(mail_dir, email);
    if (digits.empty()) return Status(Error::kNotFound, "no code mailed to " + email);
    v1::Request reg;
    auto* r = reg.mutable_register_account();
    r->set_username(u->username);
    r->set_email(email);
    r->set_password(u->password);
    r->set_code(digits);
    WECHAT_ASSIGN_OR_RETURN(auto registered, anon->call(reg));
    u->user_id = registered.register_account().user().user_id();
  }
  Credentials ca{"", a.username, a.password, "bench"};
  Credentials cb{"", b.username, b.password, "bench"};
  WECHAT_ASSIGN_OR_RETURN(auto sa, BlockingClient::open(io, target, ca));
  WECHAT_ASSIGN_OR_RETURN(auto sb, BlockingClient::open(io, target, cb));
  a.token = sa->login().token();
  b.token = sb->login().token();
  v1::Request ask;
  ask.mutable_send_friend_request()->set_to_user_id(b.user_id);
  WECHAT_ASSIGN_OR_RETURN(auto asked, sa->call(ask));
  v1::Request answer;
  answer.mutable_answer_friend_request()->set_request_id(
      asked.send_friend_request().request().request_id());
  answer.mutable_answer_friend_request()->set_accept(true);
  WECHAT_TRY(sb->call(answer));
  (void)pair;
  return Status();
}

/// Users bench0 .. bench<n-1>, friend pairs (2k, 2k+1) and one "bench" session each, in one
/// batch of `store`.
Result<std::vector<BenchUser>> seed_accounts(server::ServerStore& store, std::size_t n,
                                             unsigned scrypt_log2_n) {
  const UnixMillis now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string password = "bench-password";
  WECHAT_ASSIGN_OR_RETURN(const std::string hash, server::hash_password(password, scrypt_log2_n));
  std::vector<BenchUser> users(n);
  WECHAT_TRY(store.begin_batch());
  auto seed = [&]() -> Status {
    for (std::size_t i = 0; i < n; ++i) {
      BenchUser& u = users[i];
      u.username = "bench" + std::to_string(i);
      u.password = password;
      u.friend_index = i ^ 1;
      server::UserRow row;
      row.username = u.username;
      row.email = u.username + "@bench.example";
      row.password_hash = hash;
      row.created_at = now;
      WECHAT_ASSIGN_OR_RETURN(u.user_id, store.create_user(row));
      u.token.assign(32, '\0');
      detail::random_bytes({reinterpret_cast<std::uint8_t*>(u.token.data()), u.token.size()});
      server::SessionRow session;
      session.user_id = u.user_id;
      session.token_hash = detail::sha256(u.token);
      session.device_name = "bench";
      session.created_at = now;
      session.expires_at = now + 30LL * 24 * 3600 * 1000;
      std::vector<std::uint64_t> replaced;
      WECHAT_TRY(store.create_session(session, replaced));
      if (i % 2 == 1) WECHAT_TRY(store.add_friendship(users[i - 1].user_id, u.user_id, now));
    }
    return store.commit_batch();
  };
  if (Status status = seed(); !status.ok()) {
    store.rollback_batch();
    return status;
  }
  return users;
}

/// Writes users.tsv and says how long seeding took.
int finish_seeding(const char* tool, const std::string& users_file,
                   const Result<std::vector<BenchUser>>& users,
                   std::chrono::steady_clock::time_point t0) {
  Status status = users.ok() ? save_users(users_file, *users) : users.status();
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", tool, status.to_string().c_str());
    return 2;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "%s: %zu users, %zu friend pairs and sessions in %.1f s\n", tool,
               users->size(), users->size() / 2, seconds);
  return 0;
}

int run_setup_direct(const SetupOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(o.data_dir) / "mail", ec);
  server::SqliteServerStore::Options options;
  options.path = (std::filesystem::path(o.data_dir) / "server.db").string();
  auto store = server::SqliteServerStore::open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "setup: %s\n", store.status().to_string().c_str());
    return 2;
  }
  return finish_seeding("setup", o.users_file,
                        seed_accounts(**store, o.users & ~std::size_t{1}, o.scrypt_log2_n), t0);
}

}  // namespace

int run_setup(const SetupOptions& o) {
  if (o.direct) return run_setup_direct(o);
  const std::size_t n = o.users & ~std::size_t{1};
  std::filesystem::create_directories(o.data_dir);
  ServerOptions options;
  options.data_dir = o.data_dir;
  options.listen_port = 0;
  options.plaintext = true;
  options.scrypt_log2_n = o.scrypt_log2_n;
  options.log.min_level = LogLevel::kWarn;
  options.rate_limits.codes_per_address_per_hour = 1u << 30;
  options.rate_limits.login_failures_per_address = 1u << 30;
  auto server = Server::start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "setup: %s\n", server.status().to_string().c_str());
    return 2;
  }
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  Target target;
  target.port = (*server)->port();
  const std::string mail_dir = o.data_dir + "/mail";

  std::vector<BenchUser> users(n);
  for (std::size_t i = 0; i < n; ++i) {
    users[i].username = "bench" + std::to_string(i);
    users[i].password = "bench-password-" + std::to_string(i);
    users[i].friend_index = i ^ 1;
  }
  std::atomic<std::size_t> next_pair{0}, done{0};
  std::atomic<bool> failed{false};
  std::mutex print_mu;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < o.parallel; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        const std::size_t p = next_pair++;
        if (p >= n / 2 || failed) return;
        Status s = create_pair(io, target, mail_dir, p, users[2 * p], users[2 * p + 1]);
        if (!s.ok()) {
          std::lock_guard lock(print_mu);
          std::fprintf(stderr, "setup: pair %zu: %s\n", p, s.to_string().c_str());
          failed = true;
          return;
        }
        const std::size_t d = ++done;
        if (d % 500 == 0) {
          std::lock_guard lock(print_mu);
          std::fprintf(stderr, "setup: %zu of %zu pairs\n", d, n / 2);
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  // Let the sessions close before the server stops.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  work.reset();
  io.stop();
  loop.join();
  (*server)->stop();
  if (failed) return 2;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "setup: %zu users in %.1f s (scrypt log2 N = %u)\n", n, seconds,
               o.scrypt_log2_n);
  Status saved = save_users(o.users_file, users);
  if (!saved.ok()) {
    std::fprintf(stderr, "setup: %s\n", saved.to_string().c_str());
    return 2;
  }
  return 0;
}

int run_setup_pg(const SetupPgOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto store = server::PgServerStore::open(o.store_url);
  if (!store.ok()) {
    std::fprintf(stderr, "setup-pg: %s\n", store.status().to_string().c_str());
    return 2;
  }
  return finish_seeding("setup-pg", o.users_file,
                        seed_accounts(**store, o.users & ~std::size_t{1}, o.scrypt_log2_n), t0);
}

}  // namespace wechat::bench
