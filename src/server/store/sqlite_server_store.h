// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_
#define WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_

#include <memory>
#include <span>
#include <string>

#include "server/store/server_store.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/wal_checkpointer.h"

namespace wechat::server {

/// The embedded backend: one SQLite file in WAL mode. The schema is in docs/store-schema.md
/// and sqlite_schema.cpp.
class SqliteServerStore final : public ServerStore {
 public:
  struct Options {
    std::string path;     ///< The database file (":memory:" for throwaway stores).
    bool synced = false;  ///< synchronous=FULL (D2) instead of NORMAL (D1).
  };

  static Result<std::unique_ptr<SqliteServerStore>> open(const Options& options);

  Status begin_batch() override;
  Status commit_batch() override;
  void rollback_batch() override;
  Status savepoint() override;
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
  explicit SqliteServerStore(store::Database db) : db_(std::move(db)) {}
  Result<v1::FriendRequest> read_friend_request(std::uint64_t request_id);
  /// Binds a user_log insert's parameters ?1..?5: `key` (a user or a conversation), then the
  /// entry's created_at, kind, message id or payload. One by one: the statement may have more
  /// parameters, which the caller binds.
  static Status bind_log_insert(store::Statement& st, std::uint64_t key,
                                const v1::LogEntry& entry);
  Result<std::optional<UserRow>> user_where(std::string_view sql, std::string_view key);
  /// Moves a marker column forward to min(seq, last_seq): `read_sql` selects (marker,
  /// last_seq) for (conversation, user), `write_sql` sets it to ?1 for (?2, ?3). Returns the new
  /// value, or nullopt when it did not move (or the user is not a member).
  Result<std::optional<std::uint64_t>> advance_marker(std::string_view read_sql,
                                                      std::string_view write_sql,
                                                      std::uint64_t conversation_id,
                                                      std::uint64_t user_id, std::uint64_t seq);

  store::Database db_;
  /// Copies the log into the database off the store thread (file databases only).
  std::unique_ptr<store::WalCheckpointer> checkpointer_;
};

/// The schema migrations of the server database (sqlite_schema.cpp).
Status migrate_server_schema(store::Database& db);

/// Every migration of the server schema, oldest first (for upgrade tests).
std::span<const store::Migration> server_schema_migrations();

}  // namespace wechat::server

#endif  // WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_
