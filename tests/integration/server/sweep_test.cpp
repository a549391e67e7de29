// SPDX-License-Identifier: MIT
// Expired sessions and verification codes are deleted by the periodic sweep; live ones stay.
#include <doctest/doctest.h>

#include "server/store/sqlite_server_store.h"
#include "support/temp_dir.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("store: sweep_expired deletes only what has expired") {
  TempDir dir;
  server::SqliteServerStore::Options options;
  options.path = dir.file("server.db");
  auto opened = server::SqliteServerStore::open(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  auto& store = **opened;
  REQUIRE(store.begin_batch().ok());

  server::UserRow user;
  user.username = "alice";
  user.email = "alice@example.com";
  user.password_hash = "x";
  user.created_at = 1;
  auto user_id = store.create_user(user);
  REQUIRE(user_id.ok());

  const UnixMillis now = 1'000'000;
  std::vector<std::uint64_t> replaced;
  server::SessionRow old_session{0, *user_id, std::string(32, 'a'), "phone", 1, now - 1};
  server::SessionRow live_session{0, *user_id, std::string(32, 'b'), "laptop", 1, now + 1};
  REQUIRE(store.create_session(old_session, replaced).ok());
  REQUIRE(store.create_session(live_session, replaced).ok());
  REQUIRE(store.put_code({"old@example.com", server::CodePurpose::kRegister, "h", now - 1, 0}).ok());
  REQUIRE(store.put_code({"new@example.com", server::CodePurpose::kReset, "h", now + 1, 0}).ok());

  auto removed = store.sweep_expired(now);
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK_FALSE(store.session_by_token_hash(std::string(32, 'a'))->has_value());
  CHECK(store.session_by_token_hash(std::string(32, 'b'))->has_value());
  CHECK_FALSE(store.code("old@example.com", server::CodePurpose::kRegister)->has_value());
  CHECK(store.code("new@example.com", server::CodePurpose::kReset)->has_value());

  auto again = store.sweep_expired(now);
  REQUIRE(again.ok());
  CHECK(*again == 0);
  REQUIRE(store.commit_batch().ok());
}
