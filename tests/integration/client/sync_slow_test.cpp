// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "store/database.h"
#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("sync: 10,000 messages sync into a fresh local store, each once") {
  auto server = LocalServer::start().value();
  ClientHarness alice_app(*server);
  ClientHarness bob_app(*server);
  auto alice = alice_app.sign_up(*server, "alice");
  auto bob = bob_app.sign_up(*server, "bob");
  befriend(alice_app, alice, bob_app, bob);
  bob_app.destroy();
  constexpr int kCount = 10'000;
  for (int i = 0; i < kCount; ++i) {
    alice_app->send_text(bob.id, "message " + std::to_string(i), [](Result<Message>) {});
  }
  REQUIRE(alice_app.wait_until([&] {
    auto list = alice_app->conversations();
    return list.ok() && !list->empty() && (*list)[0].last_seq == kCount;
  }, 120s));

  ClientHarness fresh(*server);  // a new device with an empty store
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(await<User>([&](auto cb) { fresh->login("bob", "password-bob", cb); }).ok());
  REQUIRE(fresh.wait_state(ConnectionState::kOnline, 120s));
  const auto took = std::chrono::steady_clock::now() - start;
  MESSAGE("synced " << kCount << " messages in "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  auto conversations = fresh->conversations();
  REQUIRE(conversations.ok());
  REQUIRE(conversations->size() == 1);
  CHECK((*conversations)[0].last_seq == kCount);
  CHECK((*conversations)[0].unread == kCount);
  auto newest = fresh->messages((*conversations)[0].id, 0, 1);
  REQUIRE(newest.ok());
  CHECK(newest->at(0).text == "message 9999");

  // The search index is built after the sync, in the background, without a search asking for
  // it: the store file on disk shows every message indexed soon after.
  const auto db_path = fresh.data_dir() + "/" + std::to_string(bob.id) + "/client.db";
  auto indexed_behind = [&]() -> std::int64_t {
    auto db = store::Database::open(db_path, store::OpenOptions{});
    if (!db.ok()) return -1;
    auto st = db->prepare("SELECT (SELECT max(id) FROM messages) - indexed_up_to "
                          "FROM search_progress");
    if (!st.ok()) return -1;
    auto behind = st->query_int64();
    return behind.ok() && behind->has_value() ? **behind : -1;
  };
  CHECK(fresh.wait_until([&] { return indexed_behind() == 0; }, 30s));
  auto found = fresh->search_messages("message 9999", 5);
  REQUIRE(found.ok());
  CHECK(found->size() == 1);
}
