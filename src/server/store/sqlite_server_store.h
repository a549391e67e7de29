// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_
#define WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_

#include <memory>
#include <string>

#include "server/store/server_store.h"
#include "store/database.h"

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

  Result<std::optional<std::uint64_t>> direct_conversation(std::uint64_t a, std::uint64_t b,
                                                           bool create, UnixMillis now) override;
  Result<std::optional<Membership>> membership(std::uint64_t conversation_id,
                                               std::uint64_t user_id) override;
  Result<std::optional<v1::Message>> message_by_client_id(
      std::uint64_t sender, const std::string& client_msg_id) override;
  Result<v1::Message> append_message(v1::Message message) override;
  Result<v1::LogEntry> append_log(std::uint64_t user_id, v1::LogEntry entry) override;
  Result<SyncPage> sync(std::uint64_t user_id, std::uint64_t after_user_seq,
                        std::uint32_t limit) override;
  Result<std::vector<v1::Message>> history(std::uint64_t conversation_id, std::uint64_t before_seq,
                                           std::uint32_t limit) override;
  Result<std::optional<std::uint64_t>> advance_read_marker(std::uint64_t conversation_id,
                                                           std::uint64_t user_id,
                                                           std::uint64_t seq) override;
  Result<std::optional<std::uint64_t>> advance_delivered_marker(std::uint64_t conversation_id,
                                                                std::uint64_t user_id,
                                                                std::uint64_t seq) override;
  Result<std::vector<v1::ConversationSummary>> conversations(std::uint64_t user_id) override;
  Result<std::uint64_t> log_head(std::uint64_t user_id) override;

 private:
  explicit SqliteServerStore(store::Database db) : db_(std::move(db)) {}
  Result<v1::FriendRequest> read_friend_request(std::uint64_t request_id);
  Result<std::optional<UserRow>> user_where(std::string_view sql, std::string_view key);
  Result<std::optional<std::uint64_t>> advance_marker(std::string_view sql,
                                                      std::uint64_t conversation_id,
                                                      std::uint64_t user_id, std::uint64_t seq);

  store::Database db_;
};

/// The schema migrations of the server database (sqlite_schema.cpp).
Status migrate_server_schema(store::Database& db);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_STORE_SQLITE_SERVER_STORE_H_
