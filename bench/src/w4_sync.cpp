// SPDX-License-Identifier: MIT
// W4, history sync: N messages wait for a user (sent by its friend over the raw protocol,
// acknowledged, i.e. committed); then the real SDK (wechat::Client) with an empty local store
// logs in and syncs until it is online. Times: login call -> online (total) and the first
// "syncing" state -> online (sync alone; the password hash of the login is not in it).
//
// Two invocations: `w4 --inject-data-dir DIR` sends the messages through a wechat::Server run
// in this process on DIR, with the per-connection and per-user request rate limits lifted (one
// friend sending 100,000 messages at the default 200 requests/s would take over 8 minutes);
// then bench/run starts wechat-server on DIR with production settings and `w4` measures the
// sync against it.
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "arrivals.h"
#include "proc_stats.h"
#include "results.h"
#include "users.h"
#include "wechat/client.h"
#include "wechat/server.h"
#include "wire_session.h"
#include "workloads.h"

namespace wechat::bench {

int run_w4(const W4Options& o) {
  auto users = load_users(o.common.users_file);
  if (!users.ok() || users->size() < 2) {
    std::fprintf(stderr, "w4: need a users file with a pair of friends\n");
    return 2;
  }
  const BenchUser& reader = (*users)[0];
  const BenchUser& writer = (*users)[reader.friend_index];

  // 1. The writer sends N messages, 200 in flight (the server allows 256 per connection).
  double inject_s = 0;
  if (!o.inject_data_dir.empty()) {
    ServerOptions server_options;
    server_options.data_dir = o.inject_data_dir;
    server_options.listen_port = 0;
    server_options.plaintext = true;
    server_options.log.min_level = LogLevel::kWarn;
    server_options.rate_limits.requests_per_connection_per_second = 1e9;
    server_options.rate_limits.request_burst_per_connection = 1e9;
    server_options.rate_limits.requests_per_user_per_second = 1e9;
    server_options.rate_limits.request_burst_per_user = 1e9;
    auto server = Server::start(server_options);
    if (!server.ok()) {
      std::fprintf(stderr, "w4: %s\n", server.status().to_string().c_str());
      return 2;
    }
    asio::io_context io(1);
    // run_for() below must never find the loop out of work: a stopped io_context stays stopped.
    auto keep_running = asio::make_work_guard(io);
    Target target;
    target.host = "127.0.0.1";
    target.port = (*server)->port();
    std::shared_ptr<WireSession> session;
    Status status(Error::kTimeout, "no answer");
    bool done = false;
    Credentials c;
    c.token = writer.token;
    open_session(io.get_executor(), target, c,
                 [&](Result<std::shared_ptr<WireSession>> r, v1::LoginOk) {
                   if (r.ok()) session = *r;
                   status = r.status();
                   done = true;
                 });
    while (!done) io.run_for(std::chrono::milliseconds(10));
    if (!session) {
      std::fprintf(stderr, "w4: writer login failed: %s\n", status.to_string().c_str());
      return 2;
    }
    const std::string text = "w4 " + std::string(97, 'y');
    const std::uint64_t nonce = static_cast<std::uint64_t>(now_ns());
    std::uint64_t sent = 0, acked = 0, errors = 0;
    auto send_one = [&] {
      const std::uint64_t id = ++sent;
      v1::Request request;
      auto* m = request.mutable_send_message();
      char cid[16];
      std::memcpy(cid, &id, 8);
      std::memcpy(cid + 8, &nonce, 8);
      m->set_client_msg_id(cid, 16);
      m->set_to_user_id(reader.user_id);
      m->set_text(text);
      session->send_request(id, std::move(request));
    };
    session->on_frame = [&](v1::Frame&& frame) {
      if (!frame.has_response() || frame.request_id() >= kControlIdBase) return;
      if (frame.response().has_error()) {
        if (errors++ == 0) {
          std::fprintf(stderr, "w4: first error: %d %s\n", frame.response().error().code(),
                       frame.response().error().message().c_str());
        }
      }
      ++acked;
      if (sent < o.messages) send_one();
    };
    const std::int64_t t0 = now_ns();
    while (sent < std::min<std::size_t>(200, o.messages)) send_one();
    while (acked < o.messages && !session->closed) io.run_for(std::chrono::milliseconds(20));
    inject_s = (now_ns() - t0) / 1e9;
    session->on_close = nullptr;
    session->conn->close();
    io.run_for(std::chrono::milliseconds(100));
    if (errors > 0 || acked < o.messages) {
      std::fprintf(stderr, "w4: injecting failed (%llu acked, %llu errors)\n",
                   static_cast<unsigned long long>(acked), static_cast<unsigned long long>(errors));
      return 2;
    }
    Record rec;
    rec.labels(o.common.labels)
        .set("kind", "w4-inject")
        .set("messages", static_cast<std::uint64_t>(o.messages))
        .set("inject_s", inject_s);
    rec.emit(o.common.out);
    (*server)->stop();
    return 0;
  }

  // 2. A fresh client syncs.
  if (o.client_dir.empty()) {
    std::fprintf(stderr, "w4: --client-dir is required\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::remove_all(o.client_dir, ec);
  std::filesystem::create_directories(o.client_dir, ec);
  ClientOptions options;
  options.host = o.common.host;
  options.port = o.common.port;
  options.plaintext = true;
  options.data_dir = o.client_dir;
  options.device_name = "w4-fresh";
  options.request_timeout = std::chrono::milliseconds(60000);
  auto client = Client::create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "w4: %s\n", client.status().to_string().c_str());
    return 2;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t t_syncing = 0, t_online = 0, t_login = 0;
  std::uint64_t head = 0, applied = 0, received = 0;
  Status login_status(Error::kTimeout, "no answer");
  (*client)->set_event_handler([&](const Event& e) {
    std::lock_guard lock(mu);
    if (auto* s = std::get_if<ConnectionStateChanged>(&e)) {
      if (s->state == ConnectionState::kSyncing && t_syncing == 0) t_syncing = now_ns();
      if (s->state == ConnectionState::kOnline && t_online == 0) t_online = now_ns();
    } else if (auto* p = std::get_if<SyncProgress>(&e)) {
      applied = p->applied;
      head = p->head;
    } else if (std::holds_alternative<MessageReceived>(e)) {
      ++received;
    }
    cv.notify_all();
  });
  const double cpu0 = self_cpu_us();
  const std::int64_t t0 = now_ns();
  (*client)->login(reader.username, reader.password, [&](Result<User> r) {
    std::lock_guard lock(mu);
    login_status = r.status();
    t_login = now_ns();
    cv.notify_all();
  });
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(300),
                [&] { return t_login != 0 && (!login_status.ok() || t_online != 0); });
  }
  const double cpu1 = self_cpu_us();
  // The search index trails the store (ClientStore::index_for_search): the first search after
  // the sync completes what the background indexing has not done yet, so its return is when
  // every synced message is searchable too.
  std::int64_t t_searchable = 0;
  std::size_t found = 0;
  if (t_online != 0) {
    auto hits = (*client)->search_messages("w4 yyy", 1);
    t_searchable = now_ns();
    if (hits.ok()) found = hits->size();
  }
  const double cpu2 = self_cpu_us();
  client->reset();
  if (!login_status.ok() || t_online == 0) {
    std::fprintf(stderr, "w4: the client did not come online: %s\n",
                 login_status.to_string().c_str());
    return 2;
  }
  // If the login answered after the state went to syncing, sync starts at the later moment.
  const std::int64_t sync_start = t_syncing != 0 ? t_syncing : t_login;
  const double sync_s = (t_online - sync_start) / 1e9;
  Record rec;
  rec.labels(o.common.labels)
      .set("kind", "w4")
      .set("messages", static_cast<std::uint64_t>(o.messages))
      .set("total_s", (t_online - t0) / 1e9)
      .set("login_s", (t_login - t0) / 1e9)
      .set("sync_s", sync_s)
      .set("sync_msgs_per_s", static_cast<double>(o.messages) / sync_s)
      .set("entries_applied", applied)
      .set("head", head)
      .set("message_events", received)
      .set("client_cpu_s", (cpu1 - cpu0) / 1e6)
      .set("searchable_s", (t_searchable - sync_start) / 1e9)
      .set("search_found", static_cast<std::uint64_t>(found))
      .set("client_cpu_with_index_s", (cpu2 - cpu0) / 1e6);
  rec.emit(o.common.out);
  return 0;
}

}  // namespace wechat::bench
