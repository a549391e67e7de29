// SPDX-License-Identifier: MIT
// The client schema, by version. docs/client-store-schema.md explains every table and index;
// change both together, and never edit a released migration: add a new one.
#include <array>

#include "client/store/client_store_internal.h"
#include "store/migrations.h"

namespace wechat::client::internal {

namespace {

constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE session (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  user_id   INTEGER NOT NULL,
  username  TEXT    NOT NULL,
  token     BLOB,
  device_id INTEGER NOT NULL
);

CREATE TABLE sync_state (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  applied_user_seq INTEGER NOT NULL
);
INSERT INTO sync_state (id, applied_user_seq) VALUES (1, 0);

CREATE TABLE users (
  id       INTEGER PRIMARY KEY,
  username TEXT    NOT NULL
);

CREATE TABLE friends (
  user_id         INTEGER PRIMARY KEY,
  since_ms        INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL,
  online          INTEGER NOT NULL,
  last_seen_ms    INTEGER NOT NULL
);

CREATE TABLE friend_requests (
  id          INTEGER PRIMARY KEY,
  from_id     INTEGER NOT NULL,
  to_id       INTEGER NOT NULL,
  note        TEXT    NOT NULL,
  state       INTEGER NOT NULL,
  created_ms  INTEGER NOT NULL,
  answered_ms INTEGER NOT NULL
);

CREATE TABLE conversations (
  id                 INTEGER PRIMARY KEY,
  peer_id            INTEGER NOT NULL,
  last_seq           INTEGER NOT NULL,
  read_seq           INTEGER NOT NULL,
  peer_read_seq      INTEGER NOT NULL,
  peer_delivered_seq INTEGER NOT NULL
);
CREATE INDEX conversations_by_peer ON conversations (peer_id);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  client_msg_id   BLOB    NOT NULL,
  message_id      INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL,
  seq             INTEGER,
  sender_id       INTEGER NOT NULL,
  peer_id         INTEGER NOT NULL,
  outgoing        INTEGER NOT NULL,
  state           INTEGER NOT NULL,
  time_ms         INTEGER NOT NULL,
  text            TEXT    NOT NULL,
  failure_code    INTEGER NOT NULL DEFAULT 0,
  failure_message TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_own ON messages (client_msg_id) WHERE outgoing = 1;
CREATE INDEX messages_unsent ON messages (peer_id) WHERE seq IS NULL;

CREATE TABLE outbox (
  message_row INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE
);

-- Kept in step by internal::insert_message, not by a trigger: a trigger makes every INSERT
-- INTO messages a statement with a statement journal, and FTS5 flushes its pending terms to a
-- new segment at each such statement (one tiny segment per message: 7x slower sync).
-- Messages are never deleted and their text never changes, so inserts are all it needs.
CREATE VIRTUAL TABLE message_search USING fts5 (
  text, content = 'messages', content_rowid = 'id', tokenize = 'trigram'
);
-- Merge segments 16 at a time instead of 4: a sync page is one transaction and so one new
-- segment, and merging them 4 at a time cost a third of the time of catching up on a long log.
-- Queries read at most ~15 segments per level, a few dozen in all for millions of messages.
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 16);
)sql";

// Groups (issue 9). A group is a conversation: its conversations row (kind 2, peer_id 0) holds
// the markers and unread count as for a direct one; `groups` holds what only a group has.
// ALTER TABLE ... ADD COLUMN with a constant default rewrites nothing: existing rows read the
// default (1, direct).
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE conversations ADD COLUMN kind INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 1;

CREATE TABLE groups (
  id               INTEGER PRIMARY KEY,
  name             TEXT    NOT NULL,
  owner_id         INTEGER NOT NULL,
  member_count     INTEGER NOT NULL,
  created_ms       INTEGER NOT NULL,
  dissolved        INTEGER NOT NULL,
  my_role          INTEGER NOT NULL,
  membership       INTEGER NOT NULL,
  members_complete INTEGER NOT NULL
);

CREATE TABLE group_members (
  group_id      INTEGER NOT NULL,
  user_id       INTEGER NOT NULL,
  role          INTEGER NOT NULL,
  joined_ms     INTEGER NOT NULL,
  read_seq      INTEGER NOT NULL,
  delivered_seq INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
)sql";

// The search index trails the messages (docs/client-store-schema.md, "Search"): messages above
// `indexed_up_to` are not in message_search yet. A database written before this version has
// every message indexed.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE search_progress (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_up_to INTEGER NOT NULL
);
INSERT INTO search_progress (id, indexed_up_to) SELECT 1, coalesce(max(id), 0) FROM messages;
)sql";

constexpr std::array<store::Migration, 3> kMigrations = {{
    {1, kVersion1},
    {2, kVersion2},
    {3, kVersion3},
}};

}  // namespace

Status migrate_client_schema(store::Database& db) { return store::migrate(db, kMigrations); }

}  // namespace wechat::client::internal
