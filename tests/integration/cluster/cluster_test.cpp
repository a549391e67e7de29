// SPDX-License-Identifier: MIT
// The cluster as processes: a gate and three chat nodes (wechat-server --role gate|chat) on the
// test PostgreSQL and Redis, and SDK clients that know only the gate.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cluster_harness.h"
#include "pg_test_env.h"
#include "server/store/pg/pg_connection.h"
#include "support/client_harness.h"
#include "support/test_client.h"

namespace wechat::testing {
namespace {

/// A client of the cluster and what it saw: messages by client_msg_id, its connection state.
class Member {
 public:
  Member(Cluster& cluster, const ClusterUser& user) : user_(user) {
    client_ = cluster.make_client(user.username);
    client_->set_event_handler([this](const Event& e) { on_event(e); });
  }
  ~Member() { client_.reset(); }

  Client& operator*() { return *client_; }
  Client* operator->() { return client_.get(); }
  const ClusterUser& user() const { return user_; }

  void log_in() {
    auto me = await<User>([&](auto cb) { client_->login(user_.username, user_.password, cb); });
    REQUIRE_MESSAGE(me.ok(), me.status().to_string());
    REQUIRE(wait_online(20s));
  }
  bool wait_online(std::chrono::milliseconds timeout) {
    return wait([&] { return state_ == ConnectionState::kOnline; }, timeout);
  }
  bool wait_received(const std::string& client_msg_id, std::chrono::milliseconds timeout) {
    return wait([&] { return received_.count(client_msg_id) != 0; }, timeout);
  }
  /// Sends and waits for the ack; the message's client_msg_id.
  std::string send(UserId to, const std::string& text) {
    auto sent = await<Message>([&](auto cb) { client_->send_text(to, text, cb); }, 30s);
    REQUIRE_MESSAGE(sent.ok(), sent.status().to_string());
    return sent->client_msg_id;
  }
  std::map<std::string, int> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  /// Waits until the last presence seen for `user` says `online`.
  bool wait_presence(UserId user, bool online, std::chrono::milliseconds timeout) {
    return wait([&] { return (online_.count(user) != 0) == online; }, timeout);
  }
  /// Waits for `pred`, which runs under the lock (it must not call the locking accessors).
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, pred);
  }
  std::chrono::steady_clock::time_point online_since() {
    std::lock_guard lock(mutex_);
    return online_since_;
  }

 private:
  void on_event(const Event& e) {
    std::lock_guard lock(mutex_);
    if (auto* m = std::get_if<MessageReceived>(&e)) {
      if (!m->message.outgoing) ++received_[m->message.client_msg_id];
    } else if (auto* s = std::get_if<ConnectionStateChanged>(&e)) {
      state_ = s->state;
      if (state_ == ConnectionState::kOnline) online_since_ = std::chrono::steady_clock::now();
    } else if (auto* p = std::get_if<PresenceChanged>(&e)) {
      if (p->presence.online) {
        online_.insert(p->presence.user_id);
      } else {
        online_.erase(p->presence.user_id);
      }
    }
    changed_.notify_all();
  }

  ClusterUser user_;
  std::unique_ptr<Client> client_;
  std::mutex mutex_;
  std::condition_variable changed_;
  ConnectionState state_ = ConnectionState::kDisconnected;
  std::chrono::steady_clock::time_point online_since_{};
  std::map<std::string, int> received_;
  std::set<UserId> online_;
};

}  // namespace

TEST_CASE("cluster: users the gate sent to different chat nodes chat and see each other online") {
  Cluster cluster(3);
  const auto users = cluster.seed_users("pair", 2, true);
  Member alice(cluster, users[0]);
  Member bob(cluster, users[1]);
  alice.log_in();
  bob.log_in();

  // Least-loaded: the second login goes to a node the first one is not on.
  bool spread = false;
  for (int i = 0; i < 50 && !spread; ++i) {
    std::size_t busy = 0;
    for (const auto& [port, devices] : cluster.devices_per_node()) busy += devices == 1;
    spread = busy == 2;
    if (!spread) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(spread);

  const auto hello = alice.send(bob.user().id, "hello from another node");
  CHECK(bob.wait_received(hello, 10s));
  const auto reply = bob.send(alice.user().id, "hello back");
  CHECK(alice.wait_received(reply, 10s));
  CHECK(alice.received().at(reply) == 1);
  CHECK(bob.received().at(hello) == 1);

  // Presence crosses nodes too.
  auto friends = await<std::vector<Friend>>([&](auto cb) { alice->refresh_friends(cb); });
  REQUIRE(friends.ok());
  REQUIRE(friends->size() == 1);
  CHECK(friends->front().presence.online);
  CHECK(alice.wait_presence(bob.user().id, true, 10s));
  bob->logout([](Status) {});
  CHECK(alice.wait_presence(bob.user().id, false, 10s));
}

TEST_CASE("cluster: 300 clients spread within 10 percent across three chat nodes") {
  Cluster cluster(3);
  const auto users = cluster.seed_users("many", 300, false);
  std::vector<std::unique_ptr<Member>> members;
  for (const auto& user : users) members.push_back(std::make_unique<Member>(cluster, user));
  // Logins in parallel, as real users arrive.
  std::vector<std::future<Status>> logins;
  for (auto& m : members) {
    auto done = std::make_shared<std::promise<Status>>();
    logins.push_back(done->get_future());
    (*m)->login(m->user().username, m->user().password,
                [done](Result<User> me) { done->set_value(me.status()); });
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    INFO("login of " << members[i]->user().username);
    REQUIRE(logins[i].wait_for(60s) == std::future_status::ready);
    const auto status = logins[i].get();
    REQUIRE_MESSAGE(status.ok(), status.to_string());
    REQUIRE(members[i]->wait_online(60s));
  }
  std::map<std::uint16_t, std::uint64_t> per_node;
  for (int i = 0; i < 50; ++i) {
    per_node = cluster.devices_per_node();
    std::uint64_t total = 0;
    for (const auto& [port, devices] : per_node) total += devices;
    if (total == users.size()) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(per_node.size() == 3);
  for (const auto& [port, devices] : per_node) {
    INFO("chat node on port " << port << " has " << devices << " devices");
    CHECK(devices >= 90);
    CHECK(devices <= 110);
  }
}

TEST_CASE(
    "cluster: a chat node killed under load loses no acknowledged message and duplicates none") {
  Cluster cluster(3);
  constexpr int kPairs = 6;
  const auto users = cluster.seed_users("load", 2 * kPairs, true);
  std::vector<std::unique_ptr<Member>> members;
  for (const auto& user : users) members.push_back(std::make_unique<Member>(cluster, user));
  for (auto& m : members) m->log_in();

  // Every member sends to its pair steadily; acknowledged ids are what must arrive.
  std::mutex acked_mutex;
  std::map<std::size_t, std::vector<std::string>> acked;  // receiver index -> client_msg_ids
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (std::size_t i = 0; i < members.size(); ++i) {
    senders.emplace_back([&, i] {
      const std::size_t peer = i ^ 1;
      for (int n = 0; !stop; ++n) {
        auto sent = await<Message>(
            [&](auto cb) {
              (*members[i])->send_text(members[peer]->user().id, "m" + std::to_string(n), cb);
            },
            60s);
        if (sent.ok()) {
          std::lock_guard lock(acked_mutex);
          acked[peer].push_back(sent->client_msg_id);
        }
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  // The busiest node goes, as a crash would take it: no goodbye, no clean shutdown.
  int victim = 0;
  const auto load = cluster.devices_per_node();
  std::uint64_t most = 0;
  for (int i = 0; i < cluster.chat_node_count(); ++i) {
    auto it = load.find(cluster.chat_node(i).port());
    if (it != load.end() && it->second >= most) {
      most = it->second;
      victim = i;
    }
  }
  REQUIRE(most > 0);
  const auto killed_at = std::chrono::steady_clock::now();
  cluster.chat_node(victim).kill_hard();
  std::this_thread::sleep_for(3000ms);
  stop = true;
  for (auto& t : senders) t.join();

  // Everyone is back within seconds, through the gate, on the nodes still up.
  for (auto& m : members) {
    CHECK(m->wait_online(15s));
    CHECK(m->online_since() > std::chrono::steady_clock::time_point{});
  }
  CHECK(cluster.wait_live_chat_nodes(2));
  const auto back_within = std::chrono::steady_clock::now() - killed_at;
  MESSAGE("all clients online again "
          << std::chrono::duration_cast<std::chrono::milliseconds>(back_within).count()
          << " ms after the kill");

  std::size_t total = 0;
  for (const auto& [receiver, ids] : acked) {
    for (const auto& id : ids) {
      CHECK_MESSAGE(members[receiver]->wait_received(id, 20s), "lost: " << id);
      ++total;
    }
    for (const auto& [id, count] : members[receiver]->received()) {
      CHECK_MESSAGE(count == 1, "duplicated: " << id << " x" << count);
    }
  }
  MESSAGE(total << " acknowledged messages, each received exactly once");
  CHECK(total > 50);
}

TEST_CASE("cluster: failed logins count across nodes: spreading guesses over them gains nothing") {
  Cluster cluster(2);
  const auto users = cluster.seed_users("guess", 1, false);
  // Every server takes password logins (a chat node too, for clients that know it). The
  // account's limit (10 failures per 15 minutes) is the cluster's, not each node's.
  const std::vector<std::uint16_t> ports = {cluster.gate_port(), cluster.chat_node(0).port(),
                                            cluster.chat_node(1).port()};
  const auto attempt = [&](std::uint16_t port, const std::string& password) {
    auto client = TestClient::connect(port);
    REQUIRE(client.ok());
    v1::Request r;
    r.mutable_login()->set_login(users[0].username);
    r.mutable_login()->set_password(password);
    auto response = (*client)->call(r);
    REQUIRE(response.ok());
    return error_of(*response);
  };
  for (int i = 0; i < 10; ++i) {
    CHECK(attempt(ports[static_cast<std::size_t>(i) % ports.size()], "wrong") ==
          Error::kWrongCredentials);
  }
  for (auto port : ports) {
    INFO("port " << port);
    CHECK(attempt(port, users[0].password) == Error::kRateLimited);
  }
}

TEST_CASE("cluster: a Redis restart loses no message and the cluster recovers by itself") {
  PrivateRedis redis;
  Cluster cluster(2, {}, redis.url());
  const auto users = cluster.seed_users("redis", 2, true);
  Member alice(cluster, users[0]);
  Member bob(cluster, users[1]);
  alice.log_in();
  bob.log_in();
  CHECK(bob.wait_received(alice.send(bob.user().id, "before"), 10s));

  redis.restart();  // empty again: registry, routes and subscriptions are gone
  // Chat sessions stay up; what is sent now is stored, and reaches bob by push or by the sync
  // his node asks for once its link to Redis is back.
  const auto during = alice.send(bob.user().id, "during the restart");
  CHECK(bob.wait_received(during, 15s));
  REQUIRE(cluster.wait_live_chat_nodes(2));
  const auto after = alice.send(bob.user().id, "after");
  CHECK(bob.wait_received(after, 10s));

  // New sessions go through the gate again.
  Member carol_alice(cluster, users[0]);
  carol_alice.log_in();
  const auto from_new_device = carol_alice.send(bob.user().id, "from a new device");
  CHECK(bob.wait_received(from_new_device, 10s));
}

TEST_CASE("cluster: a PostgreSQL outage gives clear errors and the cluster recovers by itself") {
  // A database of this test's own, so that cutting it off leaves the other tests' alone.
  server::pg::PgConnection admin(pg::server_url());
  const std::string db = "wechat_outage_" + std::to_string(::getpid());
  REQUIRE(admin.exec("DROP DATABASE IF EXISTS " + db).ok());
  REQUIRE(admin.exec("CREATE DATABASE " + db).ok());
  std::string url = pg::server_url();
  url = url.substr(0, url.rfind('/') + 1) + db;
  const auto cut = [&](bool off) {
    REQUIRE(
        admin.exec("ALTER DATABASE " + db + " ALLOW_CONNECTIONS " + (off ? "false" : "true")).ok());
    if (off) {
      REQUIRE(admin
                  .exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                        db + "'")
                  .ok());
    }
  };
  {
    Cluster cluster(2, url);
    const auto users = cluster.seed_users("pg", 2, true);
    Member alice(cluster, users[0]);
    Member bob(cluster, users[1]);
    alice.log_in();
    bob.log_in();

    cut(true);
    // A login now fails with a clear error instead of hanging.
    Member late(cluster, users[0]);
    auto refused =
        await<User>([&](auto cb) { late->login(users[0].username, users[0].password, cb); });
    REQUIRE_FALSE(refused.ok());
    MESSAGE("login during the outage: " << refused.status().to_string());
    CHECK((refused.code() == Error::kUnavailable || refused.code() == Error::kStorage));
    // A message sent now waits in alice's outbox, and goes once the database is back.
    std::promise<Result<Message>> sent;
    alice->send_text(bob.user().id, "sent during the outage",
                     [&](Result<Message> m) { sent.set_value(std::move(m)); });
    std::this_thread::sleep_for(1500ms);
    cut(false);
    auto acked = sent.get_future();
    REQUIRE(acked.wait_for(30s) == std::future_status::ready);
    auto message = acked.get();
    REQUIRE_MESSAGE(message.ok(), message.status().to_string());
    CHECK(bob.wait_received(message->client_msg_id, 15s));
    late.log_in();
  }
  REQUIRE(admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)").ok());
}

}  // namespace wechat::testing
