// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLIENT_STORE_CLIENT_STORE_H_
#define WECHAT_CLIENT_STORE_CLIENT_STORE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/database.h"
#include "store/transaction.h"
#include "wechat/events.h"
#include "wechat/status.h"
#include "wechat/types.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::client {

/// The login this device resumes without the password.
struct SavedSession {
  UserId user_id = 0;
  std::string username;
  std::string token;  ///< 32 raw bytes.
  std::uint64_t device_id = 0;
};

/// A message written locally and not yet acknowledged by the server: the Client sends (or
/// re-sends, after a reconnect or a restart) every item until mark_sent or mark_failed.
struct OutboxItem {
  std::string client_msg_id;  ///< 16 raw bytes, as on the wire.
  UserId peer_id = 0;         ///< A direct message's recipient; 0 for a group message.
  ConversationId group_id = 0;  ///< A group message's group; 0 for a direct message.
  std::string text;
  UnixMillis queued_at = 0;
};

/// What one ClientStore::apply call did.
struct ApplyResult {
  /// What the app must be told, in log order. Only produced once the call committed.
  std::vector<Event> events;
  /// The sync position after this call (the last user_seq applied).
  std::uint64_t applied_user_seq = 0;
  /// An entry after applied_user_seq + 1 was seen and not applied: the caller must sync.
  bool gap = false;
  /// Per conversation (in order of first appearance): the highest seq of an incoming message
  /// this call stored or found stored. The caller sends MarkDelivered for each.
  std::vector<std::pair<ConversationId, std::uint64_t>> delivered;
};

/// The client's local database: session, sync position, friends, friend requests,
/// conversations, groups, cached messages, the outbox and a full-text index. One file per account:
/// the store does not separate the data of different users (see docs/client-store-schema.md).
///
/// Every write runs in one SQLite transaction, so an app killed at any moment reopens to a
/// consistent state: in particular the sync position advances in the same transaction as the
/// effects of the log entries it covers, and a message is in the outbox exactly when it is
/// stored as queued.
///
/// Errors: kStorage (and kUnavailable when another process holds the file locked) from SQLite,
/// as described in store/database.h; kProtocol for a log entry or server value that breaks the
/// protocol (the whole call is rolled back); kInvalidArgument for bad arguments.
///
/// @par Thread Safety
/// Thread-safe: every public method locks one internal mutex for its whole duration (apps read
/// from their UI thread while the event thread writes). Calls are short; none does I/O other
/// than to the database file.
///
/// @code
///   WECHAT_ASSIGN_OR_RETURN(auto store, ClientStore::open(dir + "/alice.db"));
///   WECHAT_ASSIGN_OR_RETURN(std::uint64_t after, store->applied_user_seq());
///   // ... Sync{after_user_seq = after} ...
///   WECHAT_ASSIGN_OR_RETURN(ApplyResult applied, store->apply(me, entries));
///   for (auto& event : applied.events) deliver(std::move(event));
///   if (applied.gap) resync();
/// @endcode
class ClientStore {
 public:
  /// Opens the database at `path`, creating the file if it is missing (an empty file is fine),
  /// in WAL mode with synchronous=NORMAL, and brings its schema up to date (PRAGMA
  /// user_version). The directory must exist. Errors: kStorage when the file cannot be opened
  /// or is not a database, or its schema is newer than this build.
  [[nodiscard]] static Result<std::unique_ptr<ClientStore>> open(const std::string& path);

  ClientStore(const ClientStore&) = delete;
  ClientStore& operator=(const ClientStore&) = delete;
  ~ClientStore();

  // ---- Session and sync position.

  /// The saved login, or nullopt when there is none (never saved, or cleared).
  [[nodiscard]] Result<std::optional<SavedSession>> saved_session();
  /// Replaces the saved login.
  [[nodiscard]] Status save_session(const SavedSession& session);
  /// Forgets the token (saved_session() returns nullopt afterwards); every other piece of data
  /// stays.
  [[nodiscard]] Status clear_session();
  /// The user_seq of the last log entry applied (0 for a new store).
  [[nodiscard]] Result<std::uint64_t> applied_user_seq();

  // ---- The log.

  /// Applies log entries in user_seq order, in ONE transaction for the whole call. Entries at or
  /// below the current position are skipped; an entry after position + 1 stops the call with
  /// gap = true (what came before it is applied). Entries of a kind this build does not know
  /// are passed over (the position moves past them). The rules per entry are in
  /// docs/client-store-schema.md. Errors: kProtocol for a malformed entry ("log entry N: ...");
  /// on any error nothing of the call is stored and the position is unchanged.
  [[nodiscard]] Result<ApplyResult> apply(UserId me, const std::vector<v1::LogEntry>& entries);

  // ---- Sending.

  /// Stores a new outgoing message to `peer` with a fresh random client_msg_id, as kQueued,
  /// both in the messages and in the outbox, in one transaction: call it BEFORE any network
  /// I/O. Its conversation_id is that of the known conversation with `peer`, or 0; seq and
  /// message_id are 0 and time_ms is `now` until the server acknowledges it.
  /// Errors: kInvalidArgument when `peer` is 0.
  [[nodiscard]] Result<Message> enqueue(UserId me, const std::string& my_username, UserId peer,
                                        const std::string& text, UnixMillis now);
  /// As enqueue, to the group `group` (conversation_id = the group; peer_id 0; kind kGroup).
  /// Errors: kNotGroupMember when the store knows this account left or was removed,
  /// kGroupDissolved when it knows the group was dissolved (nothing is stored then), and
  /// kInvalidArgument when `group` is 0. A group not stored yet is accepted: the server decides.
  [[nodiscard]] Result<Message> enqueue_group(UserId me, const std::string& my_username,
                                              ConversationId group, const std::string& text,
                                              UnixMillis now);
  /// The messages waiting for an acknowledgement, oldest first, at most `limit` of them.
  [[nodiscard]] Result<std::vector<OutboxItem>> outbox(
      std::size_t limit = std::numeric_limits<std::size_t>::max());
  /// Records the server's acknowledgement of an own message (`client_msg_id_raw`: 16 bytes):
  /// message_id, conversation, seq and time, state kSent (or further along when receipts
  /// already cover it), and takes it out of the outbox. Also creates/updates the conversation
  /// (sending implies having read it). Returns the message as now stored; nullopt when no own
  /// message has that id, or when its state did not change (its log entry came first).
  /// Idempotent. Errors: kProtocol when the ack has no conversation or seq.
  [[nodiscard]] Result<std::optional<Message>> mark_sent(const std::string& client_msg_id_raw,
                                                         const v1::SendMessageOk& ack);
  /// The server refused an own message for good: takes it out of the outbox and, if it was
  /// still queued, sets kFailed with `why`. Returns the message as now stored; nullopt when
  /// unknown, or when it was not queued any more (failed already, e.g. when the log said this
  /// account left its group, or stored by the server).
  [[nodiscard]] Result<std::optional<Message>> mark_failed(const std::string& client_msg_id_raw,
                                                           const Status& why);

  // ---- Friends.

  /// Replaces the whole friend list (from ListFriends). Presence is stored as given: it is a
  /// snapshot, which the Client overrides with live presence events.
  [[nodiscard]] Status replace_friends(const std::vector<Friend>& friends);
  /// Ordered by username. conversation_id is filled from the known conversations when the list
  /// did not carry it.
  [[nodiscard]] Result<std::vector<Friend>> friends();
  /// Replaces every stored friend request (from ListFriendRequests: the pending ones, both
  /// directions).
  [[nodiscard]] Status replace_friend_requests(const std::vector<FriendRequest>& requests);
  /// Every stored request, pending or answered since, to or from this account; newest first.
  [[nodiscard]] Result<std::vector<FriendRequest>> friend_requests();

  // ---- Conversations and history.

  /// Merges a ListConversations answer: creates or updates each conversation (markers only move
  /// forward; receipts update the states of outgoing messages) and stores its last_message.
  /// Errors: kProtocol for a summary without an id, or a malformed last_message.
  [[nodiscard]] Status merge_conversations(UserId me,
                                           const std::vector<v1::ConversationSummary>& list);
  /// Caches a page of history (any order). Idempotent: messages stored already are kept once.
  /// Emits nothing. Errors: kProtocol for a malformed message.
  [[nodiscard]] Status store_history(UserId me, const std::vector<v1::Message>& page);
  /// Every conversation with a known peer, and every group conversation, newest activity first
  /// (the time of its last message, or of a newer unsent one), with unread and last_message
  /// (which may be an unsent message of this device); groups carry their Group (no members).
  [[nodiscard]] Result<std::vector<Conversation>> conversations();
  /// The conversation with `peer`, if one is known.
  [[nodiscard]] Result<std::optional<ConversationId>> conversation_with(UserId peer);

  // ---- Groups.

  /// Caches a group from CreateGroupOk or GetGroupOk: creates or updates its row and
  /// conversation, and replaces its member list when `info` carries members. A group stored for
  /// the first time counts this account as a member; a stored membership (left, removed) is
  /// changed only by the log. Errors: kProtocol for a group without an id.
  [[nodiscard]] Status store_group(UserId me, const v1::GroupInfo& info);
  /// store_group for each group of a ListGroups answer, in one transaction.
  [[nodiscard]] Status store_groups(UserId me, const std::vector<v1::GroupInfo>& list);
  /// Every stored group (also those left, or dissolved), by name then id; without members.
  [[nodiscard]] Result<std::vector<Group>> groups();
  /// The stored group, with its members when the whole list is known; nullopt if unknown.
  [[nodiscard]] Result<std::optional<Group>> group(ConversationId id);

  // ---- Messages.

  /// Up to `limit` cached messages of a conversation with seq < before_seq (0: from the newest),
  /// newest first. The first page (before_seq == 0) also starts with this device's unsent
  /// messages to the conversation's peer or group (queued or failed, newest first), which do
  /// not count against `limit`: page on with the seq of the last element.
  [[nodiscard]] Result<std::vector<Message>> messages(ConversationId id, std::uint64_t before_seq,
                                                      std::uint32_t limit);
  /// As messages(), for the conversation with `peer`; before the conversation is known it
  /// returns the unsent messages to `peer` only.
  [[nodiscard]] Result<std::vector<Message>> messages_with(UserId peer, std::uint64_t before_seq,
                                                           std::uint32_t limit);
  /// Up to `limit` cached messages whose text contains `text` (case-insensitive for ASCII),
  /// newest first (by time). 3 characters or more use the FTS5 trigram index (completed first
  /// with whatever index_for_search has not added yet); 1 or 2 (common in Chinese) scan the
  /// messages. An empty `text` finds nothing.
  [[nodiscard]] Result<std::vector<Message>> search(const std::string& text, std::uint32_t limit);
  /// Adds up to `max_rows` stored messages that the search index does not have yet, oldest
  /// first, in one transaction, and returns how many (0: the index is complete). Storing a
  /// message does not index it: the SDK calls this in chunks once a sync is done, so catching up
  /// on a long log is not slowed by the index, and search() completes the index first, so no
  /// search misses a stored message.
  [[nodiscard]] Result<std::size_t> index_for_search(std::size_t max_rows);

 private:
  explicit ClientStore(store::Database db);
  /// REQUIRES: mu_ held, `tx` open. Writes the queued message and its outbox entry, commits.
  Result<Message> queue_locked(store::Transaction& tx, UserId me, const std::string& my_username,
                               ConversationId conversation, UserId peer, ConversationKind kind,
                               const std::string& text, UnixMillis now);

  /// REQUIRES: mu_ held, no transaction open.
  Result<std::size_t> index_locked(std::size_t max_rows);

  std::mutex mu_;
  store::Database db_;  // Guarded by mu_.
};

}  // namespace wechat::client

#endif  // WECHAT_CLIENT_STORE_CLIENT_STORE_H_
