// SPDX-License-Identifier: MIT
// The server schema's upgrade path: a database written by a v1 server opens under the newest
// version (v2 added groups, v3 reads log heads from the logs themselves).
#include <doctest/doctest.h>

#include <algorithm>

#include "server/store/sqlite_server_store.h"
#include "support/temp_dir.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("schema: a version 1 database upgrades and keeps its conversations and log heads") {
  TempDir dir;
  const auto path = dir.file("server.db");
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(store::migrate(*db, server::server_schema_migrations().first(1)).ok());
    REQUIRE(*store::schema_version(*db) == 1);
    // What a v1 server leaves behind: two friends, their conversation, a message, two logs.
    REQUIRE(db->exec(R"sql(
      INSERT INTO users (id, username, email, password_hash, created_at, log_head)
        VALUES (1, 'alice', 'alice@example.com', 'x', 1, 1),
               (2, 'bob', 'bob@example.com', 'x', 1, 1);
      INSERT INTO conversations (id, kind, last_seq, created_at) VALUES (1, 1, 1, 1);
      INSERT INTO direct_conversations (user_lo, user_hi, conversation_id) VALUES (1, 2, 1);
      INSERT INTO conversation_members (conversation_id, user_id, read_seq)
        VALUES (1, 1, 1), (1, 2, 0);
      INSERT INTO messages (id, conversation_id, seq, sender_id, recipient_id, client_msg_id,
                            server_time, text) VALUES (1, 1, 1, 1, 2, x'00', 5, 'from v1');
      INSERT INTO user_log (user_id, user_seq, created_at, kind, message_id)
        VALUES (1, 1, 5, 10, 1), (2, 1, 5, 10, 1);
    )sql")
                .ok());
  }
  server::SqliteServerStore::Options options;
  options.path = path;
  auto opened = server::SqliteServerStore::open(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  auto& store = **opened;
  REQUIRE(store.begin_batch().ok());

  auto list = store.conversations(2);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].kind() == v1::CONVERSATION_KIND_DIRECT);
  CHECK((*list)[0].peer().user_id() == 1);
  CHECK((*list)[0].last_message().text() == "from v1");
  CHECK_FALSE((*list)[0].has_group());
  auto membership = store.membership(1, 2, false);
  REQUIRE(membership.ok());
  REQUIRE(membership->has_value());
  CHECK((*membership)->joined_seq == 0);
  CHECK((*membership)->other_members == std::vector<std::uint64_t>{1});
  auto history = store.history(1, 0, 10, (*membership)->joined_seq);
  REQUIRE(history.ok());
  CHECK(history->size() == 1);
  auto sync = store.sync(2, 0, 10);
  REQUIRE(sync.ok());
  REQUIRE(sync->entries.size() == 1);
  CHECK(sync->entries[0].message().text() == "from v1");
  CHECK(sync->head_user_seq == 1);
  CHECK(*store.log_head(1) == 1);

  // And the new tables work next to the old rows.
  auto group = store.create_group("after the upgrade", 1, "", 10);
  REQUIRE(group.ok());
  REQUIRE(store.add_group_members(*group, {1}, v1::GROUP_ROLE_OWNER, 10).ok());
  REQUIRE(store.add_group_members(*group, {2}, v1::GROUP_ROLE_MEMBER, 10).ok());
  auto info = store.group(*group);
  REQUIRE(info.ok());
  REQUIRE(info->has_value());
  CHECK((*info)->member_count() == 2);
  CHECK(store.conversations(2)->size() == 2);
  // The logs go on from where the v1 server left them (users.log_head = 1).
  v1::LogEntry entry;
  entry.set_created_at_ms(11);
  entry.mutable_group_event()->set_at_seq(1);
  auto appended = store.append_log(2, entry);
  REQUIRE(appended.ok());
  CHECK(appended->user_seq() == 2);
  auto fanned = store.append_log_to_members(*group, entry);
  REQUIRE(fanned.ok());
  std::sort(fanned->begin(), fanned->end());  // RETURNING has no defined order
  CHECK(*fanned == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 2}, {2, 3}});
  CHECK(*store.log_head(2) == 3);
  CHECK_FALSE(store.log_head(99).ok());
  REQUIRE(store.commit_batch().ok());
}
