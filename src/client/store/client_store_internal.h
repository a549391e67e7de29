// SPDX-License-Identifier: MIT
// Shared by the client store's .cpp files only: the schema, row readers, and the Writer that
// carries the working set of one write transaction.
#ifndef WECHAT_CLIENT_STORE_CLIENT_STORE_INTERNAL_H_
#define WECHAT_CLIENT_STORE_CLIENT_STORE_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/database.h"
#include "store/statement.h"
#include "wechat/events.h"
#include "wechat/status.h"
#include "wechat/types.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::client::internal {

inline std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
inline std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

/// Creates or upgrades the client schema (client_schema.cpp).
[[nodiscard]] Status migrate_client_schema(store::Database& db);

/// The columns read_message() expects, from column 0, with the join that supplies the sender's
/// username. Append a WHERE/ORDER BY clause.
inline constexpr std::string_view kMessageSelect =
    "SELECT m.client_msg_id, m.message_id, m.conversation_id, m.seq, m.sender_id, u.username, "
    "m.peer_id, m.text, m.time_ms, m.outgoing, m.state, m.failure_code, m.failure_message, "
    "m.kind FROM messages m LEFT JOIN users u ON u.id = m.sender_id ";

/// The public Message of the current row of a kMessageSelect statement.
Message read_message(const store::Statement& st);

/// Reads every row of a prepared kMessageSelect statement (already bound) into `out`.
[[nodiscard]] Status read_messages(store::Statement& st, std::vector<Message>& out);

/// The stored message with local row id `row`.
[[nodiscard]] Result<Message> message_by_row(store::Database& db, std::int64_t row);

/// The values of a new messages row.
struct NewMessage {
  std::string_view client_msg_id;  ///< 16 raw bytes.
  std::uint64_t message_id = 0;
  ConversationId conversation_id = 0;
  std::uint64_t seq = 0;  ///< 0: not yet assigned by the server (stored as NULL).
  UserId sender_id = 0;
  UserId peer_id = 0;  ///< 0 for a group message.
  ConversationKind kind = ConversationKind::kDirect;
  bool outgoing = false;
  MessageState state = MessageState::kQueued;
  UnixMillis time_ms = 0;
  std::string_view text;
};

/// Inserts a message and its full-text entry (the only way rows enter `messages`, which keeps
/// the two in step). Returns the new row id, or 0 when (conversation_id, seq) is stored
/// already.
[[nodiscard]] Result<std::int64_t> insert_message(store::Database& db, const NewMessage& m);

/// A conversation row as one write transaction sees it. Loaded once per transaction, changed
/// in memory, written back by Writer::flush().
struct ConvState {
  ConversationId id = 0;
  ConversationKind kind = ConversationKind::kDirect;
  UserId peer_id = 0;  ///< Direct conversations; always 0 for a group.
  std::uint64_t last_seq = 0;
  std::uint64_t read_seq = 0;
  std::uint64_t peer_read_seq = 0;
  std::uint64_t peer_delivered_seq = 0;
  bool dirty = false;

  std::uint64_t unread() const { return last_seq > read_seq ? last_seq - read_seq : 0; }
  bool is_group() const { return kind == ConversationKind::kGroup; }
};

/// The state an outgoing message with server `seq` has from the receipts of `conv` alone.
MessageState receipt_state(std::uint64_t seq, const ConvState& conv);

/// The working set of one write transaction: conversation rows and usernames are read once,
/// changed in memory and written once by flush(), however many entries touch them (a sync page
/// of 1,000 messages in one conversation updates its row once, not 1,000 times).
///
/// REQUIRES: a transaction is open on `db` for the Writer's whole life, and flush() runs
/// before it commits. Not thread-safe (the ClientStore mutex is held).
class Writer {
 public:
  Writer(store::Database& db, UserId me) : db_(db), me_(me) {}

  /// The conversation `id`, loaded on first use; a new (not yet stored) row when unknown.
  /// The pointer stays valid for the Writer's life.
  [[nodiscard]] Result<ConvState*> conversation(ConversationId id);

  /// Remembers a username to upsert at flush (ignored when id is 0 or the name empty).
  void note_user(UserId id, const std::string& username);

  /// What store_message found and did.
  struct Stored {
    enum class Kind {
      kInserted,  ///< A new row: a peer's message, or an own one sent from another device.
      kUpdated,   ///< An own message of this device, now with the server's values.
      kExisting,  ///< Stored already (e.g. by a history page): nothing changed.
    };
    Kind kind = Kind::kInserted;
    bool state_changed = false;  ///< For kUpdated.
    Message message;             ///< As stored now.
  };

  /// Stores a server message (from the log, a history page or a conversation summary): an own
  /// message of this device is matched by client_msg_id and updated (and leaves the outbox);
  /// anything else is inserted unless (conversation_id, seq) is stored. Updates the
  /// conversation (peer or group kind, last_seq; read_seq for own messages). Errors: kProtocol
  /// when the message lacks a conversation, seq, sender, a 16-byte client_msg_id, or (direct
  /// messages) a peer.
  [[nodiscard]] Result<Stored> store_message(const v1::Message& m);

  /// Moves this account's read marker forward; false when `up_to` is not ahead of it.
  bool advance_read(ConvState& conv, std::uint64_t up_to);
  /// Moves the peer's read marker forward and marks outgoing messages up to it kRead.
  [[nodiscard]] Result<bool> advance_peer_read(ConvState& conv, std::uint64_t up_to);
  /// Moves the peer's delivery marker forward and marks kSent outgoing messages up to it
  /// kDelivered.
  [[nodiscard]] Result<bool> advance_peer_delivered(ConvState& conv, std::uint64_t up_to);

  /// Writes the changed conversations and the noted usernames.
  [[nodiscard]] Status flush();

  UserId me() const { return me_; }
  store::Database& db() { return db_; }

 private:
  store::Database& db_;
  UserId me_;
  std::unordered_map<ConversationId, ConvState> conversations_;  // Node-based: stable pointers.
  std::unordered_map<UserId, std::string> users_;
};

/// The public form of a wire friend request (an unspecified state reads as pending).
FriendRequest request_from_wire(const v1::FriendRequest& r);

/// Inserts or replaces a friend request, and notes both usernames in `writer`.
[[nodiscard]] Status put_friend_request(Writer& writer, const FriendRequest& r);

/// Inserts or replaces a friend, and notes the username in `writer`.
[[nodiscard]] Status put_friend(Writer& writer, const Friend& f);

/// The id of the conversation with `peer`, or 0.
[[nodiscard]] Result<ConversationId> conversation_id_with(store::Database& db, UserId peer);

// ---- Groups (client_groups.cpp).

/// The columns read_group() expects, from column 0. Append a WHERE/ORDER BY clause.
inline constexpr std::string_view kGroupSelect =
    "SELECT g.id, g.name, g.owner_id, g.member_count, g.created_ms, g.dissolved, g.my_role, "
    "g.membership FROM groups g ";

/// The public Group (without members) of the current row of a kGroupSelect statement.
Group read_group(const store::Statement& st, int first_column = 0);

/// The stored group `id` (with its cached members if `with_members` and they are complete).
[[nodiscard]] Result<std::optional<Group>> load_group(store::Database& db, ConversationId id,
                                                      bool with_members);

/// What a server GroupInfo says about this account's place in the group.
enum class MemberInfo {
  kUnknown,  ///< The info has no member list: keep what is stored.
  kListed,   ///< The info lists its members and this account is one of them.
  kAbsent,   ///< The info lists its members and this account is not one of them.
};

/// Creates or updates the group row from a server GroupInfo (name, owner, count, dissolved) and
/// its conversation (kind group), notes the usernames, and replaces the cached member list
/// when the info carries one. A new row starts with membership "member"; a stored membership
/// is never changed here (the log decides it), only the role follows the owner and the list.
/// Returns what the info said about this account.
[[nodiscard]] Result<MemberInfo> put_group_info(Writer& writer, const v1::GroupInfo& info);

/// Applies one group_event log entry (see docs/client-store-schema.md) and appends its
/// GroupChanged (and any MessageStateChanged of outbox entries it fails) to `events`.
[[nodiscard]] Status apply_group_event(Writer& writer, const v1::GroupEvent& event,
                                       std::vector<Event>& events);

/// The public form of a wire role (unknown values read as kNone).
GroupRole role_from_wire(v1::GroupRole role);

}  // namespace wechat::client::internal

#endif  // WECHAT_CLIENT_STORE_CLIENT_STORE_INTERNAL_H_
