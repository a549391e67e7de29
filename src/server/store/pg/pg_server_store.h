// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_PG_PG_SERVER_STORE_H_
#define WECHAT_SERVER_STORE_PG_PG_SERVER_STORE_H_

#include <memory>
#include <string>

#include "server/store/pg/pg_connection.h"
#include "server/store/server_store.h"

namespace wechat::server {

/// The cluster backend: PostgreSQL through libpq. Behaves like SqliteServerStore (same
/// ServerStore contract); the schema and what differs are in docs/cluster.md.
///
/// Several server processes may share one database: per-conversation and per-user sequence
/// numbers are taken with UPDATE ... RETURNING inside the batch transaction, so the row lock
/// serialises concurrent writers and the numbers stay dense and unique.
///
/// A lost connection fails the running batch (kUnavailable, reported by the executor as
/// kStorage); the next begin_batch() reconnects.
///
/// One connection, used by the one store thread. A pool would go here, once reads move off the
/// store thread (the executor would then own N stores, or this class N connections).
///
/// @par Thread Safety
/// Not thread-safe: one thread (the store thread) uses a store.
class PgServerStore final : public ServerStore {
 public:
  /// Connects to `url` ("postgresql://user@host:port/db?...") and migrates the schema.
  /// Errors: kUnavailable if the server cannot be reached, kStorage if the migration fails.
  static Result<std::unique_ptr<PgServerStore>> open(const std::string& url);

  Status begin_batch() override;
  Status commit_batch() override;
  void rollback_batch() override;
  Status savepoint() override;
  bool take_conflict() override { return db_.take_conflict(); }
  bool locks_users() const override { return true; }
  Status lock_users(const std::vector<std::uint64_t>& sorted_user_ids) override;
  Status release_savepoint() override;
  void rollback_to_savepoint() override;

  Result<std::optional<UserRow>> user_by_id(std::uint64_t user_id) override;
  Result<std::optional<UserRow>> user_by_username(const std::string& username) override;
  Result<std::optional<UserRow>> user_by_email(const std::string& email) override;
  Result<std::uint64_t> create_user(const UserRow& user) override;
  Status set_password_hash(std::uint64_t user_id, const std::string& hash) override;
  Status set_last_seen(std::uint64_t user_id, UnixMillis when) override;

  Result<std::optional<CodeRow>> code(const std::string& email, CodePurpose purpose) override;
  Status put_code(const CodeRow& code) override;
  Status add_code_attempt(const std::string& email, CodePurpose purpose) override;
  Status delete_code(const std::string& email, CodePurpose purpose) override;

  Result<std::uint64_t> create_session(const SessionRow& session,
                                       std::vector<std::uint64_t>& replaced) override;
  Result<std::optional<SessionRow>> session_by_token_hash(const std::string& hash) override;
  Status delete_session(std::uint64_t device_id) override;
  Status delete_sessions_of_user(std::uint64_t user_id) override;
  Result<std::uint64_t> sweep_expired(UnixMillis now) override;

  Result<std::vector<v1::UserInfo>> search_users_by_prefix(const std::string& prefix,
                                                          std::uint32_t limit,
                                                          std::uint64_t except_user) override;
  Result<v1::FriendRequest> create_friend_request(std::uint64_t from, std::uint64_t to,
                                                  const std::string& note,
                                                  UnixMillis now) override;
  Result<std::optional<v1::FriendRequest>> friend_request(std::uint64_t request_id) override;
  Result<std::optional<v1::FriendRequest>> pending_request(std::uint64_t from,
                                                           std::uint64_t to) override;
  Result<v1::FriendRequest> answer_friend_request(std::uint64_t request_id, bool accept,
                                                  UnixMillis now) override;
  Result<std::vector<v1::FriendRequest>> pending_requests(std::uint64_t user_id,
                                                          bool incoming) override;
  Result<bool> are_friends(std::uint64_t a, std::uint64_t b) override;
  Result<std::uint64_t> add_friendship(std::uint64_t a, std::uint64_t b, UnixMillis now) override;
  Result<bool> remove_friendship(std::uint64_t a, std::uint64_t b) override;
  Result<std::vector<FriendRow>> friends(std::uint64_t user_id) override;
  Result<std::vector<std::uint64_t>> friend_ids(std::uint64_t user_id) override;

  Result<DirectRoute> direct_route(std::uint64_t sender, std::uint64_t recipient) override;
  Result<std::optional<std::uint64_t>> direct_conversation(std::uint64_t a, std::uint64_t b,
                                                           bool create, UnixMillis now) override;
  Result<std::optional<Membership>> membership(std::uint64_t conversation_id,
                                               std::uint64_t user_id,
                                               bool with_group_members) override;
  Result<std::optional<v1::Message>> message_by_client_id(
      std::uint64_t sender, const std::string& client_msg_id) override;
  Result<v1::Message> append_message(v1::Message message) override;
  Result<v1::LogEntry> append_log(std::uint64_t user_id, v1::LogEntry entry) override;
  Result<SyncPage> sync(std::uint64_t user_id, std::uint64_t after_user_seq,
                        std::uint32_t limit) override;
  Result<std::vector<v1::Message>> history(std::uint64_t conversation_id, std::uint64_t before_seq,
                                           std::uint32_t limit, std::uint64_t after_seq) override;
  Result<std::optional<std::uint64_t>> advance_read_marker(std::uint64_t conversation_id,
                                                           std::uint64_t user_id,
                                                           std::uint64_t seq) override;
  Result<std::optional<std::uint64_t>> advance_delivered_marker(std::uint64_t conversation_id,
                                                                std::uint64_t user_id,
                                                                std::uint64_t seq) override;
  Result<std::vector<v1::ConversationSummary>> conversations(std::uint64_t user_id) override;
  Result<std::uint64_t> log_head(std::uint64_t user_id) override;

  Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> append_log_to_members(
      std::uint64_t conversation_id, const v1::LogEntry& entry) override;
  Result<std::vector<v1::GroupMember>> members(std::uint64_t conversation_id) override;
  Result<std::optional<v1::Message>> message_at(std::uint64_t conversation_id,
                                                std::uint64_t seq) override;
  Result<std::optional<std::uint64_t>> group_by_client_id(
      std::uint64_t creator, const std::string& client_group_id) override;
  Result<std::uint64_t> create_group(const std::string& name, std::uint64_t owner,
                                     const std::string& client_group_id, UnixMillis now) override;
  Result<std::optional<v1::GroupInfo>> group(std::uint64_t group_id) override;
  Result<std::optional<v1::GroupMember>> group_member(std::uint64_t group_id,
                                                      std::uint64_t user_id) override;
  Result<bool> former_group_member(std::uint64_t group_id, std::uint64_t user_id) override;
  Status add_group_members(std::uint64_t group_id, const std::vector<std::uint64_t>& user_ids,
                           v1::GroupRole role, UnixMillis now) override;
  Status remove_group_member(std::uint64_t group_id, std::uint64_t user_id,
                             UnixMillis now) override;
  Status set_group_role(std::uint64_t group_id, std::uint64_t user_id,
                        v1::GroupRole role) override;
  Status set_group_owner(std::uint64_t group_id, std::uint64_t owner_id) override;
  Status rename_group(std::uint64_t group_id, const std::string& name) override;
  Status dissolve_group(std::uint64_t group_id) override;
  Result<std::vector<v1::GroupInfo>> groups_of(std::uint64_t user_id) override;

 private:
  explicit PgServerStore(std::string url) : db_(std::move(url)) {}
  Status migrate();
  Result<v1::FriendRequest> read_friend_request(std::uint64_t request_id);
  Result<std::optional<UserRow>> user_where(const std::string& sql, std::string_view key);
  Result<std::optional<std::uint64_t>> advance_marker(const std::string& sql,
                                                      std::uint64_t conversation_id,
                                                      std::uint64_t user_id, std::uint64_t seq);
  /// Runs a user_log insert whose $2..$5 are the entry's created_at, kind, message id and
  /// payload (a message entry refers to its row; any other entry is stored serialized) and
  /// whose $1 is `key`.
  Result<pg::PgResult> run_log_insert(const std::string& sql, std::uint64_t key,
                                      const v1::LogEntry& entry);

  pg::PgConnection db_;
  bool in_batch_ = false;
};

/// True if `url` names a PostgreSQL database (postgresql:// or postgres://).
bool is_postgresql_url(std::string_view url);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_STORE_PG_PG_SERVER_STORE_H_
