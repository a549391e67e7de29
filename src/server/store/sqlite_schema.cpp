// SPDX-License-Identifier: MIT
// The server schema, by version. docs/store-schema.md explains every table; change both
// together, and never edit a released migration: add a new one.
#include <array>

#include "server/store/sqlite_server_store.h"
#include "store/migrations.h"

namespace wechat::server {

namespace {

constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  email         TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL DEFAULT 0,
  log_head      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE verification_codes (
  email      TEXT    NOT NULL,
  purpose    INTEGER NOT NULL,
  code_hash  BLOB    NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (email, purpose)
) WITHOUT ROWID;

CREATE TABLE sessions (
  device_id   INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  token_hash  BLOB    NOT NULL UNIQUE,
  device_name TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id, device_name);

CREATE TABLE friend_requests (
  id          INTEGER PRIMARY KEY,
  from_id     INTEGER NOT NULL REFERENCES users(id),
  to_id       INTEGER NOT NULL REFERENCES users(id),
  note        TEXT    NOT NULL,
  state       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  answered_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX friend_requests_to ON friend_requests(to_id, state);
CREATE INDEX friend_requests_from ON friend_requests(from_id, state, to_id);

CREATE TABLE friendships (
  user_id   INTEGER NOT NULL REFERENCES users(id),
  friend_id INTEGER NOT NULL REFERENCES users(id),
  since     INTEGER NOT NULL,
  PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE conversations (
  id         INTEGER PRIMARY KEY,
  kind       INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

CREATE TABLE direct_conversations (
  user_lo         INTEGER NOT NULL,
  user_hi         INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations(id),
  PRIMARY KEY (user_lo, user_hi)
) WITHOUT ROWID;

CREATE TABLE conversation_members (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  user_id         INTEGER NOT NULL REFERENCES users(id),
  read_seq        INTEGER NOT NULL DEFAULT 0,
  delivered_seq   INTEGER NOT NULL DEFAULT 0,
  joined_seq      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON conversation_members(user_id);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  seq             INTEGER NOT NULL,
  sender_id       INTEGER NOT NULL REFERENCES users(id),
  recipient_id    INTEGER NOT NULL DEFAULT 0,
  client_msg_id   BLOB    NOT NULL,
  server_time     INTEGER NOT NULL,
  text            TEXT    NOT NULL,
  UNIQUE (conversation_id, seq),
  UNIQUE (sender_id, client_msg_id)
);

CREATE TABLE user_log (
  user_id    INTEGER NOT NULL,
  user_seq   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  kind       INTEGER NOT NULL,
  message_id INTEGER REFERENCES messages(id),
  payload    BLOB,
  PRIMARY KEY (user_id, user_seq)
) WITHOUT ROWID;
)sql";

// Groups (issue 9). A group is a conversation of kind 2 with a group_conversations row; its
// current members are its conversation_members rows (role 1-3, joined_seq = the join point), so
// every membership check written for direct conversations holds for groups unchanged. Members
// who left or were removed move to former_group_members: they are refused everything but
// GetGroup. See docs/store-schema.md.
constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE group_conversations (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
  name            TEXT    NOT NULL,
  owner_id        INTEGER NOT NULL REFERENCES users(id),
  creator_id      INTEGER NOT NULL REFERENCES users(id),
  client_group_id BLOB,
  created_at      INTEGER NOT NULL,
  dissolved       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX groups_by_client_id ON group_conversations(creator_id, client_group_id)
  WHERE client_group_id IS NOT NULL;

ALTER TABLE conversation_members ADD COLUMN role INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ADD COLUMN joined_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE former_group_members (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  user_id         INTEGER NOT NULL REFERENCES users(id),
  left_at         INTEGER NOT NULL,
  left_seq        INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
)sql";

// A user's log head is the newest user_seq of their log (the user_log primary key gives it):
// keeping it in `users` as well cost a write to a scattered users page for every log entry.
constexpr std::string_view kVersion3 = R"sql(
ALTER TABLE users DROP COLUMN log_head;
)sql";

constexpr std::array kMigrations = {
    store::Migration{1, kVersion1},
    store::Migration{2, kVersion2},
    store::Migration{3, kVersion3},
};

}  // namespace

Status migrate_server_schema(store::Database& db) { return store::migrate(db, kMigrations); }

std::span<const store::Migration> server_schema_migrations() { return kMigrations; }

}  // namespace wechat::server
