// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_STORE_SERVER_STORE_H_
#define WECHAT_SERVER_STORE_SERVER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wechat/clock.h"
#include "wechat/status.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::server {

/// An account as stored. `email` is stored lowercased.
struct UserRow {
  std::uint64_t id = 0;
  std::string username;
  std::string email;
  std::string password_hash;  ///< Encoded by server/password.h: algorithm, cost, salt, hash.
  UnixMillis created_at = 0;
  UnixMillis last_seen = 0;   ///< End of the most recent session; 0 if never.
};

enum class CodePurpose { kRegister = 1, kReset = 2 };

/// The one live verification code for an (email, purpose).
struct CodeRow {
  std::string email;
  CodePurpose purpose = CodePurpose::kRegister;
  std::string code_hash;  ///< sha256(email | purpose | code): codes are never stored in clear.
  UnixMillis expires_at = 0;
  unsigned attempts = 0;  ///< Wrong guesses so far.
};

/// A logged-in device. The token is stored only as its SHA-256.
struct SessionRow {
  std::uint64_t device_id = 0;
  std::uint64_t user_id = 0;
  std::string token_hash;
  std::string device_name;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;
};

struct FriendRow {
  v1::UserInfo user;
  UnixMillis since = 0;
  UnixMillis last_seen = 0;  ///< The friend's UserRow::last_seen.
  std::uint64_t conversation_id = 0;
};

/// A user's place in a conversation.
struct Membership {
  std::uint64_t conversation_id = 0;
  v1::ConversationKind kind = v1::CONVERSATION_KIND_DIRECT;
  std::uint64_t read_seq = 0;
  /// Groups: the group's last_seq when this user (last) joined; they see messages after it.
  /// 0 for direct conversations.
  std::uint64_t joined_seq = 0;
  /// Everyone else in the conversation: always for direct conversations, and for groups only
  /// when asked (membership(..., true)), since a group has up to 499 of them.
  std::vector<std::uint64_t> other_members;
};

struct SyncPage {
  std::vector<v1::LogEntry> entries;
  bool has_more = false;
  std::uint64_t head_user_seq = 0;
};

/// Durable server state. Implementations: SQLite (embedded default); PostgreSQL later.
///
/// Every method runs on the store thread (StoreExecutor), inside a batch transaction the
/// executor opened with begin_batch(); each request's work runs inside a savepoint so that one
/// failing request does not undo the others in its batch. Methods never commit on their own.
///
/// Errors: kStorage for database failures; kAlreadyExists where a unique constraint is hit and
/// the caller is expected to map it (e.g. to kUsernameTaken); kNotFound where noted.
///
/// @par Thread Safety
/// Not thread-safe: one thread (the store thread) uses a store.
/// What a log row keeps of an entry that is not a message: the entry without the position
/// fields the row has columns for. (A message entry refers to its one message row instead.)
inline std::string log_entry_payload(const v1::LogEntry& entry) {
  v1::LogEntry payload = entry;
  payload.clear_user_seq();
  payload.clear_created_at_ms();
  return payload.SerializeAsString();
}

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // --- Batch control (used by StoreExecutor only) ---------------------------------------------
  virtual Status begin_batch() = 0;
  virtual Status commit_batch() = 0;
  virtual void rollback_batch() = 0;
  virtual Status savepoint() = 0;
  virtual Status release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  /// True (once) if a statement since the last call lost a conflict with another writer: a
  /// deadlock, a serialization failure or a lock wait past the limit (PostgreSQL, with several
  /// servers writing). The transaction then holds locks another writer waits for; the executor
  /// rolls the whole batch back and runs its requests again. SQLite has one writer: never.
  virtual bool take_conflict() { return false; }
  /// Whether lock_users() does anything: the executor gathers and sorts a batch's users only
  /// for a store that shares its rows with other servers.
  virtual bool locks_users() const { return false; }
  /// Locks the rows of `sorted_user_ids` (ascending, distinct) for the rest of the batch, so
  /// that servers sharing the store take user rows in one global order. SQLite has one writer
  /// (the whole database is locked): nothing to do.
  virtual Status lock_users(const std::vector<std::uint64_t>& sorted_user_ids) {
    (void)sorted_user_ids;
    return {};
  }

  // --- Accounts ---------------------------------------------------------------------------------
  virtual Result<std::optional<UserRow>> user_by_id(std::uint64_t user_id) = 0;
  virtual Result<std::optional<UserRow>> user_by_username(const std::string& username) = 0;
  /// REQUIRES: email lowercased.
  virtual Result<std::optional<UserRow>> user_by_email(const std::string& email) = 0;
  /// Inserts a user and returns its id. kUsernameTaken / kEmailTaken on conflicts.
  virtual Result<std::uint64_t> create_user(const UserRow& user) = 0;
  virtual Status set_password_hash(std::uint64_t user_id, const std::string& hash) = 0;
  virtual Status set_last_seen(std::uint64_t user_id, UnixMillis when) = 0;

  virtual Result<std::optional<CodeRow>> code(const std::string& email, CodePurpose purpose) = 0;
  /// Inserts or replaces the code for (email, purpose): one live code each.
  virtual Status put_code(const CodeRow& code) = 0;
  virtual Status add_code_attempt(const std::string& email, CodePurpose purpose) = 0;
  virtual Status delete_code(const std::string& email, CodePurpose purpose) = 0;

  /// Creates a session and returns its device id. Sessions of the same user with the same
  /// device name are replaced (one per device); their device ids go into `replaced`.
  virtual Result<std::uint64_t> create_session(const SessionRow& session,
                                               std::vector<std::uint64_t>& replaced) = 0;
  virtual Result<std::optional<SessionRow>> session_by_token_hash(const std::string& hash) = 0;
  virtual Status delete_session(std::uint64_t device_id) = 0;
  virtual Status delete_sessions_of_user(std::uint64_t user_id) = 0;
  /// Deletes sessions and verification codes that expired before `now` (they are refused when
  /// read anyway; this keeps them from piling up). Returns how many rows went.
  virtual Result<std::uint64_t> sweep_expired(UnixMillis now) = 0;

  // --- Users and friends ----------------------------------------------------------------------
  /// Users whose username starts with `prefix`, ordered by username, excluding `except_user`.
  virtual Result<std::vector<v1::UserInfo>> search_users_by_prefix(const std::string& prefix,
                                                                  std::uint32_t limit,
                                                                  std::uint64_t except_user) = 0;

  virtual Result<v1::FriendRequest> create_friend_request(std::uint64_t from, std::uint64_t to,
                                                          const std::string& note,
                                                          UnixMillis now) = 0;
  virtual Result<std::optional<v1::FriendRequest>> friend_request(std::uint64_t request_id) = 0;
  /// The pending request from `from` to `to`, if any.
  virtual Result<std::optional<v1::FriendRequest>> pending_request(std::uint64_t from,
                                                                   std::uint64_t to) = 0;
  /// Marks a pending request answered and returns it updated.
  virtual Result<v1::FriendRequest> answer_friend_request(std::uint64_t request_id, bool accept,
                                                          UnixMillis now) = 0;
  virtual Result<std::vector<v1::FriendRequest>> pending_requests(std::uint64_t user_id,
                                                                  bool incoming) = 0;

  virtual Result<bool> are_friends(std::uint64_t a, std::uint64_t b) = 0;
  /// Makes a and b friends and returns their direct conversation (created if new).
  virtual Result<std::uint64_t> add_friendship(std::uint64_t a, std::uint64_t b,
                                               UnixMillis now) = 0;
  /// Returns false if they were not friends. Keeps the conversation and its history.
  virtual Result<bool> remove_friendship(std::uint64_t a, std::uint64_t b) = 0;
  virtual Result<std::vector<FriendRow>> friends(std::uint64_t user_id) = 0;
  virtual Result<std::vector<std::uint64_t>> friend_ids(std::uint64_t user_id) = 0;

  // --- Conversations, messages, the per-user log ----------------------------------------------
  /// What a direct message from `sender` to `recipient` needs checked, in one lookup: the hot
  /// path of SendMessage.
  struct DirectRoute {
    bool recipient_exists = false;
    bool friends = false;
    std::optional<std::uint64_t> conversation_id;  ///< nullopt until their first message
  };
  virtual Result<DirectRoute> direct_route(std::uint64_t sender, std::uint64_t recipient) = 0;
  /// The direct conversation of a and b; created (with both as members) when `create`.
  virtual Result<std::optional<std::uint64_t>> direct_conversation(std::uint64_t a,
                                                                   std::uint64_t b,
                                                                   bool create,
                                                                   UnixMillis now) = 0;
  /// The user's current membership, or nullopt. `other_members` is filled for groups only
  /// with `with_group_members`.
  virtual Result<std::optional<Membership>> membership(std::uint64_t conversation_id,
                                                       std::uint64_t user_id,
                                                       bool with_group_members) = 0;
  /// The message `sender` sent earlier with this client_msg_id, if any (de-duplication).
  virtual Result<std::optional<v1::Message>> message_by_client_id(
      std::uint64_t sender, const std::string& client_msg_id) = 0;
  /// Appends a message: takes the conversation's next seq, stores it, and moves the sender's
  /// read marker to it. `message` has everything but message_id, seq (filled in and returned).
  virtual Result<v1::Message> append_message(v1::Message message) = 0;
  /// Appends `entry` to the user's log with the user's next user_seq (filled in and returned).
  /// A message entry stores only a reference to the message, not a copy.
  virtual Result<v1::LogEntry> append_log(std::uint64_t user_id, v1::LogEntry entry) = 0;
  virtual Result<SyncPage> sync(std::uint64_t user_id, std::uint64_t after_user_seq,
                                std::uint32_t limit) = 0;
  /// Newest first, after_seq < seq < before_seq (before_seq 0 = from the newest).
  virtual Result<std::vector<v1::Message>> history(std::uint64_t conversation_id,
                                                   std::uint64_t before_seq,
                                                   std::uint32_t limit,
                                                   std::uint64_t after_seq) = 0;
  /// Moves the read marker forward (clamping `seq` to the conversation's last seq) and returns
  /// the new marker, or nullopt if it was already at or past that point.
  virtual Result<std::optional<std::uint64_t>> advance_read_marker(std::uint64_t conversation_id,
                                                                   std::uint64_t user_id,
                                                                   std::uint64_t seq) = 0;
  /// The same for the delivery marker (messages stored on one of the user's devices).
  virtual Result<std::optional<std::uint64_t>> advance_delivered_marker(
      std::uint64_t conversation_id, std::uint64_t user_id, std::uint64_t seq) = 0;
  virtual Result<std::vector<v1::ConversationSummary>> conversations(std::uint64_t user_id) = 0;
  virtual Result<std::uint64_t> log_head(std::uint64_t user_id) = 0;

  // --- Fan-out and receipts (sqlite_groups.cpp) -----------------------------------------------
  /// Appends the same entry to the log of every current member of the conversation, set-based
  /// (two statements, whatever the number of members), and returns each member's
  /// (user_id, new user_seq), in no particular order.
  virtual Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> append_log_to_members(
      std::uint64_t conversation_id, const v1::LogEntry& entry) = 0;
  /// The conversation's current members with their markers, join points and (groups) roles,
  /// ordered by user id.
  virtual Result<std::vector<v1::GroupMember>> members(std::uint64_t conversation_id) = 0;
  /// The message with this seq, if any.
  virtual Result<std::optional<v1::Message>> message_at(std::uint64_t conversation_id,
                                                        std::uint64_t seq) = 0;

  // --- Groups (sqlite_groups.cpp) -------------------------------------------------------------
  /// The group `creator` created earlier with this client_group_id, if any.
  virtual Result<std::optional<std::uint64_t>> group_by_client_id(
      std::uint64_t creator, const std::string& client_group_id) = 0;
  /// Creates an empty group conversation owned by `owner` (members are added with
  /// add_group_members) and returns its id. An empty client_group_id is stored as none.
  virtual Result<std::uint64_t> create_group(const std::string& name, std::uint64_t owner,
                                             const std::string& client_group_id,
                                             UnixMillis now) = 0;
  /// The group without members (member_count filled in), or nullopt if there is none.
  virtual Result<std::optional<v1::GroupInfo>> group(std::uint64_t group_id) = 0;
  /// One current member (user, role, join point, markers), or nullopt.
  virtual Result<std::optional<v1::GroupMember>> group_member(std::uint64_t group_id,
                                                              std::uint64_t user_id) = 0;
  /// True if `user_id` was a member of the group and left or was removed (and is not back).
  virtual Result<bool> former_group_member(std::uint64_t group_id, std::uint64_t user_id) = 0;
  /// Adds members with `role`. Their join point, read and delivery markers are the group's
  /// current last_seq; a former membership of theirs is forgotten (kAlreadyExists if one is a
  /// member already).
  virtual Status add_group_members(std::uint64_t group_id,
                                   const std::vector<std::uint64_t>& user_ids, v1::GroupRole role,
                                   UnixMillis now) = 0;
  /// Removes a current member and remembers them as a former one.
  virtual Status remove_group_member(std::uint64_t group_id, std::uint64_t user_id,
                                     UnixMillis now) = 0;
  virtual Status set_group_role(std::uint64_t group_id, std::uint64_t user_id,
                                v1::GroupRole role) = 0;
  /// Records the owner (the member rows' roles are set separately with set_group_role).
  virtual Status set_group_owner(std::uint64_t group_id, std::uint64_t owner_id) = 0;
  virtual Status rename_group(std::uint64_t group_id, const std::string& name) = 0;
  virtual Status dissolve_group(std::uint64_t group_id) = 0;
  /// The groups `user_id` is a current member of (dissolved ones too), without members,
  /// ordered by id.
  virtual Result<std::vector<v1::GroupInfo>> groups_of(std::uint64_t user_id) = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_STORE_SERVER_STORE_H_
