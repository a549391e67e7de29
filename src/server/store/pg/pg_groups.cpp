// SPDX-License-Identifier: MIT
// PgServerStore: groups (membership, roles, former members) and the log fan-out that group
// messages and group events use.
#include "server/store/pg/pg_server_store.h"

namespace wechat::server {

using pg::Bytes;
using pg::i64;
using pg::u64;

namespace {

// Columns read by read_member(), from 0.
const std::string kMemberSelect =
    "SELECT m.user_id, u.username, m.role, m.joined_at, m.joined_seq, m.read_seq, "
    "m.delivered_seq FROM conversation_members m JOIN users u ON u.id = m.user_id ";

void read_member(const pg::PgResult& r, int row, v1::GroupMember& m) {
  m.mutable_user()->set_user_id(u64(r.int64(row, 0)));
  m.mutable_user()->set_username(std::string(r.text(row, 1)));
  m.set_role(static_cast<v1::GroupRole>(r.int64(row, 2)));
  m.set_joined_at_ms(r.int64(row, 3));
  m.set_joined_seq(u64(r.int64(row, 4)));
  m.set_read_seq(u64(r.int64(row, 5)));
  m.set_delivered_seq(u64(r.int64(row, 6)));
}

// Columns read by read_group(), from 0: a group without its members.
const std::string kGroupColumns =
    "g.conversation_id, g.name, g.owner_id, g.created_at, g.dissolved, c.last_seq, "
    "(SELECT count(*) FROM conversation_members x WHERE x.conversation_id = g.conversation_id)";

void read_group(const pg::PgResult& r, int row, v1::GroupInfo& g) {
  g.set_group_id(u64(r.int64(row, 0)));
  g.set_name(std::string(r.text(row, 1)));
  g.set_owner_id(u64(r.int64(row, 2)));
  g.set_created_at_ms(r.int64(row, 3));
  g.set_dissolved(r.flag(row, 4));
  g.set_last_seq(u64(r.int64(row, 5)));
  g.set_member_count(static_cast<std::uint32_t>(r.int64(row, 6)));
}

}  // namespace

// The fan-out in one statement: lock the members' user rows in id order (two nodes fanning out
// to overlapping groups then queue instead of deadlocking), bump each log_head, and write every
// member's row from the bumped values. Being one statement, the member set cannot change
// between allocating the seqs and writing the rows, even with other nodes writing.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> PgServerStore::append_log_to_members(
    std::uint64_t conversation_id, const v1::LogEntry& entry) {
  const std::string sql =
      "WITH locked AS (SELECT id FROM users WHERE id IN (SELECT user_id FROM "
      "conversation_members WHERE conversation_id = $1) ORDER BY id FOR NO KEY UPDATE), "
      "bumped AS (UPDATE users SET log_head = log_head + 1 WHERE id IN (SELECT id FROM locked) "
      "RETURNING id, log_head), "
      "written AS (INSERT INTO user_log (user_id, user_seq, created_at, kind, message_id, "
      "payload) SELECT id, log_head, $2::bigint, $3::smallint, $4::bigint, $5::bytea "
      "FROM bumped RETURNING user_id) "
      "SELECT b.id, b.log_head, (SELECT count(*) FROM written) FROM bumped b";
  auto r = run_log_insert(sql, conversation_id, entry);
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seqs;
  for (int i = 0; i < r->rows(); ++i) seqs.emplace_back(u64(r->int64(i, 0)), u64(r->int64(i, 1)));
  if (!seqs.empty() && static_cast<std::size_t>(r->int64(0, 2)) != seqs.size()) {
    return Status(Error::kStorage, "the log fan-out wrote an unexpected number of rows");
  }
  return seqs;
}

Result<std::vector<v1::GroupMember>> PgServerStore::members(std::uint64_t conversation_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run(kMemberSelect + "WHERE m.conversation_id = $1 ORDER BY m.user_id",
                      i64(conversation_id)));
  std::vector<v1::GroupMember> out;
  for (int i = 0; i < r.rows(); ++i) read_member(r, i, out.emplace_back());
  return out;
}

Result<std::optional<std::uint64_t>> PgServerStore::group_by_client_id(
    std::uint64_t creator, const std::string& client_group_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT conversation_id FROM group_conversations "
                      "WHERE creator_id = $1 AND client_group_id = $2",
                      i64(creator), Bytes{client_group_id}));
  if (r.empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(u64(r.int64(0, 0)));
}

Result<std::uint64_t> PgServerStore::create_group(const std::string& name, std::uint64_t owner,
                                                  const std::string& client_group_id,
                                                  UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto made, db_.run("INSERT INTO conversations (kind, created_at) VALUES ($1, $2) RETURNING id",
                         static_cast<int>(v1::CONVERSATION_KIND_GROUP), now));
  const auto id = made.int64(0, 0);
  const std::string sql =
      "INSERT INTO group_conversations (conversation_id, name, owner_id, creator_id, "
      "client_group_id, created_at) VALUES ($1, $2, $3, $3, $4, $5)";
  if (client_group_id.empty()) {
    WECHAT_TRY(db_.run(sql, id, name, i64(owner), nullptr, now));
  } else {
    WECHAT_TRY(db_.run(sql, id, name, i64(owner), Bytes{client_group_id}, now));
  }
  return u64(id);
}

Result<std::optional<v1::GroupInfo>> PgServerStore::group(std::uint64_t group_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT " + kGroupColumns +
                          " FROM group_conversations g JOIN conversations c ON c.id = "
                          "g.conversation_id WHERE g.conversation_id = $1",
                      i64(group_id)));
  if (r.empty()) return std::optional<v1::GroupInfo>();
  v1::GroupInfo g;
  read_group(r, 0, g);
  return std::optional<v1::GroupInfo>(std::move(g));
}

Result<std::optional<v1::GroupMember>> PgServerStore::group_member(std::uint64_t group_id,
                                                                   std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run(kMemberSelect + "WHERE m.conversation_id = $1 AND m.user_id = $2",
                      i64(group_id), i64(user_id)));
  if (r.empty()) return std::optional<v1::GroupMember>();
  v1::GroupMember m;
  read_member(r, 0, m);
  return std::optional<v1::GroupMember>(std::move(m));
}

Result<bool> PgServerStore::former_group_member(std::uint64_t group_id, std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT 1 FROM former_group_members WHERE conversation_id = $1 AND "
                      "user_id = $2",
                      i64(group_id), i64(user_id)));
  return !r.empty();
}

// The join point is read with the conversation row locked (FOR UPDATE): a group message being
// sent on another node either committed before (and is before the join point) or waits (and is
// after it), never in between.
Status PgServerStore::add_group_members(std::uint64_t group_id,
                                        const std::vector<std::uint64_t>& user_ids,
                                        v1::GroupRole role, UnixMillis now) {
  WECHAT_ASSIGN_OR_RETURN(
      auto last, db_.run("SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE",
                         i64(group_id)));
  if (last.empty()) return Status(Error::kNotFound, "no such group");
  const auto join_point = last.int64(0, 0);
  for (auto user : user_ids) {
    WECHAT_TRY(db_.run("DELETE FROM former_group_members WHERE conversation_id = $1 AND "
                       "user_id = $2",
                       i64(group_id), i64(user)));
    // Markers start at the join point: nothing from before it is unread (or readable).
    WECHAT_TRY(db_.run("INSERT INTO conversation_members (conversation_id, user_id, read_seq, "
                       "delivered_seq, joined_seq, role, joined_at) "
                       "VALUES ($1, $2, $3, $3, $3, $4, $5)",
                       i64(group_id), i64(user), join_point, static_cast<int>(role), now));
  }
  return {};
}

Status PgServerStore::remove_group_member(std::uint64_t group_id, std::uint64_t user_id,
                                          UnixMillis now) {
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto r, db_.run("DELETE FROM conversation_members WHERE conversation_id = $1 AND "
                        "user_id = $2",
                        i64(group_id), i64(user_id)));
    if (r.affected() == 0) return Status(Error::kNotFound, "not a member of this group");
  }
  return status_of(db_.run(
      "INSERT INTO former_group_members (conversation_id, user_id, left_at, left_seq) "
      "SELECT $1::bigint, $2::bigint, $3::bigint, last_seq FROM conversations WHERE id = $1 "
      "ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = EXCLUDED.left_at, "
      "left_seq = EXCLUDED.left_seq",
      i64(group_id), i64(user_id), now));
}

Status PgServerStore::set_group_role(std::uint64_t group_id, std::uint64_t user_id,
                                     v1::GroupRole role) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("UPDATE conversation_members SET role = $1 WHERE conversation_id = $2 AND "
                      "user_id = $3",
                      static_cast<int>(role), i64(group_id), i64(user_id)));
  if (r.affected() == 0) return Status(Error::kNotFound, "not a member of this group");
  return {};
}

Status PgServerStore::set_group_owner(std::uint64_t group_id, std::uint64_t owner_id) {
  return status_of(db_.run("UPDATE group_conversations SET owner_id = $1 WHERE conversation_id = $2",
                           i64(owner_id), i64(group_id)));
}

Status PgServerStore::rename_group(std::uint64_t group_id, const std::string& name) {
  return status_of(db_.run("UPDATE group_conversations SET name = $1 WHERE conversation_id = $2",
                           name, i64(group_id)));
}

Status PgServerStore::dissolve_group(std::uint64_t group_id) {
  return status_of(db_.run(
      "UPDATE group_conversations SET dissolved = true WHERE conversation_id = $1", i64(group_id)));
}

Result<std::vector<v1::GroupInfo>> PgServerStore::groups_of(std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto r, db_.run("SELECT " + kGroupColumns +
                          " FROM conversation_members me"
                          " JOIN group_conversations g ON g.conversation_id = me.conversation_id"
                          " JOIN conversations c ON c.id = g.conversation_id"
                          " WHERE me.user_id = $1 ORDER BY g.conversation_id",
                      i64(user_id)));
  std::vector<v1::GroupInfo> out;
  for (int i = 0; i < r.rows(); ++i) read_group(r, i, out.emplace_back());
  return out;
}

}  // namespace wechat::server
