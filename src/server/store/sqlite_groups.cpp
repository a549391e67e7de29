// SPDX-License-Identifier: MIT
// SqliteServerStore: groups (membership, roles, former members) and the log fan-out that group
// messages and group events use.
#include "server/store/sqlite_server_store.h"

namespace wechat::server {

namespace {

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Columns read by read_member(), from 0.
constexpr const char* kMemberSelect =
    "SELECT m.user_id, u.username, m.role, m.joined_at, m.joined_seq, m.read_seq, "
    "m.delivered_seq FROM conversation_members m JOIN users u ON u.id = m.user_id ";

void read_member(const store::Statement& st, v1::GroupMember& m) {
  m.mutable_user()->set_user_id(u64(st.int64(0)));
  m.mutable_user()->set_username(std::string(st.text(1)));
  m.set_role(static_cast<v1::GroupRole>(st.int64(2)));
  m.set_joined_at_ms(st.int64(3));
  m.set_joined_seq(u64(st.int64(4)));
  m.set_read_seq(u64(st.int64(5)));
  m.set_delivered_seq(u64(st.int64(6)));
}

// Columns read by read_group(), from 0: a group without its members.
constexpr const char* kGroupColumns =
    "g.conversation_id, g.name, g.owner_id, g.created_at, g.dissolved, c.last_seq, "
    "(SELECT count(*) FROM conversation_members x WHERE x.conversation_id = g.conversation_id)";

void read_group(const store::Statement& st, v1::GroupInfo& g) {
  g.set_group_id(u64(st.int64(0)));
  g.set_name(std::string(st.text(1)));
  g.set_owner_id(u64(st.int64(2)));
  g.set_created_at_ms(st.int64(3));
  g.set_dissolved(st.int64(4) != 0);
  g.set_last_seq(u64(st.int64(5)));
  g.set_member_count(static_cast<std::uint32_t>(st.int64(6)));
}

}  // namespace

// The fan-out, set-based: one INSERT ... SELECT gives every member the next position of their
// log (its head read through the primary key, as append_log does) and returns them, so a
// 500-member group costs one statement execution, not 500. A message entry refers to its one
// message row; any other entry is serialized once and the same payload bytes go into every
// member's row. SQLite computes the SELECT in full before inserting (it reads the table it
// writes), and every member appears once, so no row sees another's insert.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>>
SqliteServerStore::append_log_to_members(std::uint64_t conversation_id, const v1::LogEntry& entry) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("INSERT INTO user_log (user_id, user_seq, created_at, kind, message_id, "
                         "payload) SELECT m.user_id, (SELECT coalesce(max(l.user_seq), 0) + 1 "
                         "FROM user_log l WHERE l.user_id = m.user_id), ?2, ?3, ?4, ?5 "
                         "FROM conversation_members m WHERE m.conversation_id = ?1 "
                         "RETURNING user_id, user_seq"));
  WECHAT_TRY(bind_log_insert(*st, conversation_id, entry));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seqs;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    seqs.emplace_back(u64(st->int64(0)), u64(st->int64(1)));
  }
  return seqs;
}

Result<std::vector<v1::GroupMember>> SqliteServerStore::members(std::uint64_t conversation_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string(kMemberSelect) + "WHERE m.conversation_id = ? "
                                                               "ORDER BY m.user_id"));
  WECHAT_TRY(st->bind(1, i64(conversation_id)));
  std::vector<v1::GroupMember> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    read_member(*st, out.emplace_back());
  }
  return out;
}

Result<std::optional<std::uint64_t>> SqliteServerStore::group_by_client_id(
    std::uint64_t creator, const std::string& client_group_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db_.prepare_cached("SELECT conversation_id FROM group_conversations "
                                             "WHERE creator_id = ? AND client_group_id = ?"));
  WECHAT_ASSIGN_OR_RETURN(auto found, st->query_int64(i64(creator), store::Blob{client_group_id}));
  if (!found) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(u64(*found));
}

Result<std::uint64_t> SqliteServerStore::create_group(const std::string& name, std::uint64_t owner,
                                                      const std::string& client_group_id,
                                                      UnixMillis now) {
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO conversations (kind, created_at) VALUES (?, ?)"));
    WECHAT_TRY(st->run(static_cast<int>(v1::CONVERSATION_KIND_GROUP), now));
  }
  const auto id = db_.last_insert_rowid();
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT INTO group_conversations (conversation_id, name, "
                                  "owner_id, creator_id, client_group_id, created_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?)"));
  if (client_group_id.empty()) {
    WECHAT_TRY(st->run(id, name, i64(owner), i64(owner), nullptr, now));
  } else {
    WECHAT_TRY(st->run(id, name, i64(owner), i64(owner), store::Blob{client_group_id}, now));
  }
  return u64(id);
}

Result<std::optional<v1::GroupInfo>> SqliteServerStore::group(std::uint64_t group_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string("SELECT ") + kGroupColumns +
                                  " FROM group_conversations g JOIN conversations c ON c.id = "
                                  "g.conversation_id WHERE g.conversation_id = ?"));
  WECHAT_TRY(st->bind(1, i64(group_id)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::GroupInfo>();
  v1::GroupInfo g;
  read_group(*st, g);
  return std::optional<v1::GroupInfo>(std::move(g));
}

Result<std::optional<v1::GroupMember>> SqliteServerStore::group_member(std::uint64_t group_id,
                                                                       std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string(kMemberSelect) + "WHERE m.conversation_id = ? "
                                                               "AND m.user_id = ?"));
  WECHAT_TRY(st->bind_all(i64(group_id), i64(user_id)));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<v1::GroupMember>();
  v1::GroupMember m;
  read_member(*st, m);
  return std::optional<v1::GroupMember>(std::move(m));
}

Result<bool> SqliteServerStore::former_group_member(std::uint64_t group_id, std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached("SELECT 1 FROM former_group_members "
                                                      "WHERE conversation_id = ? AND user_id = ?"));
  WECHAT_ASSIGN_OR_RETURN(auto found, st->query_int64(i64(group_id), i64(user_id)));
  return found.has_value();
}

Status SqliteServerStore::add_group_members(std::uint64_t group_id,
                                            const std::vector<std::uint64_t>& user_ids,
                                            v1::GroupRole role, UnixMillis now) {
  std::int64_t join_point = 0;
  {
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached("SELECT last_seq FROM conversations WHERE id = ?"));
    WECHAT_ASSIGN_OR_RETURN(auto last, st->query_int64(i64(group_id)));
    if (!last) return Status(Error::kNotFound, "no such group");
    join_point = *last;
  }
  WECHAT_ASSIGN_OR_RETURN(auto forget,
                          db_.prepare_cached("DELETE FROM former_group_members "
                                             "WHERE conversation_id = ? AND user_id = ?"));
  // Markers start at the join point: nothing from before it is unread (or readable).
  WECHAT_ASSIGN_OR_RETURN(
      auto insert,
      db_.prepare_cached("INSERT INTO conversation_members (conversation_id, user_id, read_seq, "
                         "delivered_seq, joined_seq, role, joined_at) "
                         "VALUES (?1, ?2, ?3, ?3, ?3, ?4, ?5)"));
  for (auto user : user_ids) {
    WECHAT_TRY(forget->run(i64(group_id), i64(user)));
    WECHAT_TRY(insert->run(i64(group_id), i64(user), join_point, static_cast<int>(role), now));
  }
  return {};
}

Status SqliteServerStore::remove_group_member(std::uint64_t group_id, std::uint64_t user_id,
                                              UnixMillis now) {
  {
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached("DELETE FROM conversation_members "
                                               "WHERE conversation_id = ? AND user_id = ?"));
    WECHAT_TRY(st->run(i64(group_id), i64(user_id)));
    if (db_.changes() == 0) return Status(Error::kNotFound, "not a member of this group");
  }
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT OR REPLACE INTO former_group_members (conversation_id, "
                                  "user_id, left_at, left_seq) VALUES (?1, ?2, ?3, "
                                  "(SELECT last_seq FROM conversations WHERE id = ?1))"));
  return st->run(i64(group_id), i64(user_id), now);
}

Status SqliteServerStore::set_group_role(std::uint64_t group_id, std::uint64_t user_id,
                                         v1::GroupRole role) {
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached("UPDATE conversation_members SET role = ? "
                                                      "WHERE conversation_id = ? AND user_id = ?"));
  WECHAT_TRY(st->run(static_cast<int>(role), i64(group_id), i64(user_id)));
  if (db_.changes() == 0) return Status(Error::kNotFound, "not a member of this group");
  return {};
}

Status SqliteServerStore::set_group_owner(std::uint64_t group_id, std::uint64_t owner_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("UPDATE group_conversations SET owner_id = ? WHERE conversation_id = ?"));
  return st->run(i64(owner_id), i64(group_id));
}

Status SqliteServerStore::rename_group(std::uint64_t group_id, const std::string& name) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("UPDATE group_conversations SET name = ? WHERE conversation_id = ?"));
  return st->run(name, i64(group_id));
}

Status SqliteServerStore::dissolve_group(std::uint64_t group_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db_.prepare_cached("UPDATE group_conversations SET dissolved = 1 WHERE conversation_id = ?"));
  return st->run(i64(group_id));
}

Result<std::vector<v1::GroupInfo>> SqliteServerStore::groups_of(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db_.prepare_cached(std::string("SELECT ") + kGroupColumns +
                                             " FROM conversation_members me"
                                             " JOIN group_conversations g ON g.conversation_id = "
                                             "me.conversation_id"
                                             " JOIN conversations c ON c.id = g.conversation_id"
                                             " WHERE me.user_id = ? ORDER BY g.conversation_id"));
  WECHAT_TRY(st->bind(1, i64(user_id)));
  std::vector<v1::GroupInfo> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    read_group(*st, out.emplace_back());
  }
  return out;
}

}  // namespace wechat::server
