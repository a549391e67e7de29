// SPDX-License-Identifier: MIT
// What only the PostgreSQL store has to prove: migrations shared by several servers, sequence
// numbers that stay dense with several writers, unique violations mapped like SQLite's, and
// recovery from a lost connection.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include <unistd.h>

#include "pg_test_env.h"
#include "server/store/pg/pg_server_store.h"
#include "support/temp_dir.h"
#include "wechat/server.h"

namespace wechat::testing {
namespace {

using server::PgServerStore;

std::unique_ptr<PgServerStore> open_store(const std::string& url) {
  auto store = PgServerStore::open(url);
  REQUIRE_MESSAGE(store.ok(), store.status().to_string());
  return std::move(*store);
}

std::uint64_t add_user(server::ServerStore& store, const std::string& name) {
  server::UserRow row;
  row.username = name;
  row.email = name + "@example.com";
  row.password_hash = "x";
  row.created_at = 1;
  auto id = store.create_user(row);
  REQUIRE_MESSAGE(id.ok(), id.status().to_string());
  return *id;
}

// Runs `fn` in a batch of its own, in a savepoint, like StoreExecutor.
template <typename Fn>
void in_batch(server::ServerStore& store, Fn fn) {
  REQUIRE(store.begin_batch().ok());
  REQUIRE(store.savepoint().ok());
  fn();
  REQUIRE(store.release_savepoint().ok());
  REQUIRE(store.commit_batch().ok());
}

TEST_CASE("pg store: a second server on the same database finds the schema migrated") {
  const auto url = pg::fresh_store_url();
  auto first = open_store(url);
  std::uint64_t id = 0;
  in_batch(*first, [&] { id = add_user(*first, "alice"); });
  auto second = open_store(url);
  REQUIRE(second->begin_batch().ok());
  auto found = second->user_by_username("alice");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == id);
  second->rollback_batch();
}

TEST_CASE("pg store: two servers sending in one conversation at once get dense, unique seqs") {
  const auto url = pg::fresh_store_url();
  auto a = open_store(url);
  auto b = open_store(url);
  std::uint64_t conversation = 0;
  std::uint64_t alice = 0;
  std::uint64_t bob = 0;
  in_batch(*a, [&] {
    alice = add_user(*a, "alice");
    bob = add_user(*a, "bob");
    auto c = a->add_friendship(alice, bob, 1);
    REQUIRE(c.ok());
    conversation = *c;
  });
  constexpr int kPerServer = 150;
  auto send = [&](server::ServerStore& store, std::uint64_t sender, std::vector<std::uint64_t>& seqs) {
    for (int i = 0; i < kPerServer; ++i) {
      REQUIRE(store.begin_batch().ok());
      for (int j = 0; j < 3; ++j) {  // a few requests per batch, as group commit makes them
        REQUIRE(store.savepoint().ok());
        v1::Message m;
        m.set_conversation_id(conversation);
        m.set_sender_id(sender);
        m.set_client_msg_id(std::to_string(sender) + "-" + std::to_string(i * 3 + j));
        m.set_text("hi");
        auto appended = store.append_message(m);
        REQUIRE_MESSAGE(appended.ok(), appended.status().to_string());
        v1::LogEntry entry;
        *entry.mutable_message() = *appended;
        REQUIRE(store.append_log(alice, entry).ok());
        REQUIRE(store.append_log(bob, entry).ok());
        seqs.push_back(appended->seq());
        REQUIRE(store.release_savepoint().ok());
      }
      REQUIRE(store.commit_batch().ok());
    }
  };
  std::vector<std::uint64_t> seqs_a;
  std::vector<std::uint64_t> seqs_b;
  std::thread other([&] { send(*b, bob, seqs_b); });
  send(*a, alice, seqs_a);
  other.join();
  std::set<std::uint64_t> all(seqs_a.begin(), seqs_a.end());
  all.insert(seqs_b.begin(), seqs_b.end());
  CHECK(all.size() == 2 * 3 * kPerServer);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == 2 * 3 * kPerServer);
  // Each user's log is dense too: 1..N without a gap.
  REQUIRE(a->begin_batch().ok());
  auto page = a->sync(alice, 0, 10000);
  REQUIRE(page.ok());
  REQUIRE(page->entries.size() == 2 * 3 * kPerServer);
  for (std::size_t i = 0; i < page->entries.size(); ++i) {
    CHECK(page->entries[i].user_seq() == i + 1);
  }
  a->rollback_batch();
}

TEST_CASE("pg store: duplicates map to the same errors as SQLite, and only their request is undone") {
  auto store = open_store(pg::fresh_store_url());
  REQUIRE(store->begin_batch().ok());
  REQUIRE(store->savepoint().ok());
  const auto alice = add_user(*store, "alice");
  REQUIRE(store->release_savepoint().ok());

  REQUIRE(store->savepoint().ok());
  server::UserRow dup;
  dup.username = "alice";
  dup.email = "other@example.com";
  CHECK(store->create_user(dup).status().code() == Error::kUsernameTaken);
  dup.username = "other";
  dup.email = "alice@example.com";
  CHECK(store->create_user(dup).status().code() == Error::kEmailTaken);
  auto group = store->create_group("g", alice, "", 1);
  REQUIRE(group.ok());
  REQUIRE(store->add_group_members(*group, {alice}, v1::GROUP_ROLE_OWNER, 1).ok());
  // The primary key violation aborts PostgreSQL's transaction until ROLLBACK TO SAVEPOINT.
  CHECK(store->add_group_members(*group, {alice}, v1::GROUP_ROLE_MEMBER, 1).code() ==
        Error::kAlreadyExists);
  store->rollback_to_savepoint();

  REQUIRE(store->savepoint().ok());
  const auto bob = add_user(*store, "bob");
  REQUIRE(store->release_savepoint().ok());
  REQUIRE(store->commit_batch().ok());

  REQUIRE(store->begin_batch().ok());
  CHECK(store->user_by_id(alice)->has_value());
  CHECK(store->user_by_id(bob)->has_value());
  CHECK_FALSE(store->group(*group)->has_value());  // rolled back with its request
  store->rollback_batch();
}

TEST_CASE("pg store: a lost connection fails that batch clearly and the next batch reconnects") {
  const std::string victim = "victim" + std::to_string(::getpid());
  const auto url = pg::fresh_store_url() + "&application_name=" + victim;
  auto store = open_store(url);
  in_batch(*store, [&] { add_user(*store, "alice"); });

  server::pg::PgConnection admin(pg::server_url());
  auto killed = admin.run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = $1",
                          victim);
  REQUIRE_MESSAGE(killed.ok(), killed.status().to_string());
  REQUIRE(killed->int64(0, 0) == 1);

  // The store notices on its next statement: a clear kUnavailable, not a hang or a crash.
  Status failed;
  auto begun = store->begin_batch();
  if (begun.ok()) {
    failed = store->savepoint();
    if (failed.ok()) failed = status_of(store->user_by_username("alice"));
    store->rollback_batch();
  } else {
    failed = begun;
  }
  CHECK(failed.code() == Error::kUnavailable);
  INFO(failed.to_string());

  // The next batch reconnects by itself.
  in_batch(*store, [&] {
    auto found = store->user_by_username("alice");
    REQUIRE_MESSAGE(found.ok(), found.status().to_string());
    CHECK(found->has_value());
    add_user(*store, "bob");
  });
}

TEST_CASE("pg store: expired sessions and codes are swept") {
  auto store = open_store(pg::fresh_store_url());
  in_batch(*store, [&] {
    const auto alice = add_user(*store, "alice");
    server::SessionRow s;
    s.user_id = alice;
    s.token_hash = std::string("\x00\x01\xff", 3);
    s.device_name = "phone";
    s.expires_at = 100;
    std::vector<std::uint64_t> replaced;
    REQUIRE(store->create_session(s, replaced).ok());
    auto back = store->session_by_token_hash(s.token_hash);
    REQUIRE(back.ok());
    REQUIRE(back->has_value());
    CHECK((*back)->device_name == "phone");
    server::CodeRow c;
    c.email = "alice@example.com";
    c.code_hash = std::string("\x00hash", 5);
    c.expires_at = 50;
    REQUIRE(store->put_code(c).ok());
    c.expires_at = 500;
    REQUIRE(store->put_code(c).ok());  // replaces: one live code per (email, purpose)
    auto swept = store->sweep_expired(200);
    REQUIRE(swept.ok());
    CHECK(*swept == 1);
    auto code = store->code(c.email, c.purpose);
    REQUIRE(code.ok());
    REQUIRE(code->has_value());
    CHECK((*code)->code_hash == c.code_hash);
  });
}

TEST_CASE("pg store: a server whose PostgreSQL is unreachable refuses to start with a clear error") {
  TempDir dir;
  ServerOptions options;
  options.listen_port = 0;
  options.plaintext = true;
  options.data_dir = dir.path().string();
  options.store_url = "postgresql://wechat@127.0.0.1:1/postgres?connect_timeout=2";
  auto server = Server::start(options);
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().code() == Error::kUnavailable);
  CHECK(server.status().message().find("PostgreSQL") != std::string::npos);
}

}  // namespace
}  // namespace wechat::testing
