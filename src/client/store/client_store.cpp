// SPDX-License-Identifier: MIT
// ClientStore: opening, the saved session, the sync position, the outbox (enqueue, mark_sent,
// mark_failed) and the friend lists.
#include "client/store/client_store.h"

#include <algorithm>
#include <limits>

#include <utility>

#include "client/store/client_store_internal.h"
#include "common/random.h"
#include "store/transaction.h"

namespace wechat::client {

using internal::i64;
using internal::u64;
using store::Transaction;

namespace {

// The local row of this account's own message with raw client id `cid`, if any.
Result<std::optional<std::int64_t>> own_message_row(store::Database& db, std::string_view cid) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db.prepare_cached("SELECT id FROM messages WHERE client_msg_id = ? AND outgoing = 1"));
  return st->query_int64(store::Blob{cid});
}

}  // namespace

ClientStore::ClientStore(store::Database db) : db_(std::move(db)) {}
ClientStore::~ClientStore() = default;

Result<std::unique_ptr<ClientStore>> ClientStore::open(const std::string& path) {
  store::OpenOptions options;
  options.create = true;
  options.wal = true;
  options.synchronous = store::OpenOptions::Sync::kNormal;
  options.statement_cache_capacity = 128;
  WECHAT_ASSIGN_OR_RETURN(auto db, store::Database::open(path, options));
  WECHAT_TRY(internal::migrate_client_schema(db));
  return std::unique_ptr<ClientStore>(new ClientStore(std::move(db)));
}

// ---- Session and sync position.

Result<std::optional<SavedSession>> ClientStore::saved_session() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT user_id, username, token, device_id FROM session "
                                  "WHERE id = 1 AND token IS NOT NULL"));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<SavedSession>();
  SavedSession s;
  s.user_id = u64(st->int64(0));
  s.username = std::string(st->text(1));
  s.token = std::string(st->blob(2));
  s.device_id = u64(st->int64(3));
  return std::optional<SavedSession>(std::move(s));
}

Status ClientStore::save_session(const SavedSession& s) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("INSERT OR REPLACE INTO session (id, user_id, username, token, "
                                  "device_id) VALUES (1, ?, ?, ?, ?)"));
  return st->run(s.user_id, s.username, store::Blob{s.token}, s.device_id);
}

Status ClientStore::clear_session() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(auto st, db_.prepare_cached("UPDATE session SET token = NULL"));
  return st->run();
}

Result<std::uint64_t> ClientStore::applied_user_seq() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT applied_user_seq FROM sync_state WHERE id = 1"));
  WECHAT_ASSIGN_OR_RETURN(auto seq, st->query_int64());
  return seq ? u64(*seq) : 0;
}

// ---- Sending.

Result<Message> ClientStore::enqueue(UserId me, const std::string& my_username, UserId peer,
                                     const std::string& text, UnixMillis now) {
  if (peer == 0) return Status(Error::kInvalidArgument, "no recipient");
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  WECHAT_ASSIGN_OR_RETURN(ConversationId conversation, internal::conversation_id_with(db_, peer));
  return queue_locked(tx, me, my_username, conversation, peer, ConversationKind::kDirect, text,
                      now);
}

Result<Message> ClientStore::enqueue_group(UserId me, const std::string& my_username,
                                           ConversationId group, const std::string& text,
                                           UnixMillis now) {
  if (group == 0) return Status(Error::kInvalidArgument, "no group");
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  {
    // Refused here what the server would refuse for good: this device knows already.
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT membership, dissolved FROM groups WHERE id = ?"));
    WECHAT_TRY(st->bind(1, group));
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (row) {
      const auto membership = st->int64(0);
      const bool dissolved = st->int64(1) != 0;
      if (membership == static_cast<int>(GroupMembership::kLeft)) {
        return Status(Error::kNotGroupMember, "you left this group");
      }
      if (membership == static_cast<int>(GroupMembership::kRemoved)) {
        return Status(Error::kNotGroupMember, "you were removed from this group");
      }
      if (dissolved) return Status(Error::kGroupDissolved, "the group was dissolved");
    }
  }
  return queue_locked(tx, me, my_username, group, 0, ConversationKind::kGroup, text, now);
}

Result<Message> ClientStore::queue_locked(Transaction& tx, UserId me,
                                          const std::string& my_username,
                                          ConversationId conversation, UserId peer,
                                          ConversationKind kind, const std::string& text,
                                          UnixMillis now) {
  const auto id = wechat::detail::Id128::random();
  internal::NewMessage row;
  row.client_msg_id = id.as_bytes();
  row.conversation_id = conversation;
  row.sender_id = me;
  row.peer_id = peer;
  row.kind = kind;
  row.outgoing = true;
  row.state = MessageState::kQueued;
  row.time_ms = now;
  row.text = text;
  WECHAT_ASSIGN_OR_RETURN(const std::int64_t inserted, internal::insert_message(db_, row));
  if (inserted == 0) return Status(Error::kInternal, "a queued message conflicted");
  {
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached("INSERT INTO outbox (message_row) VALUES (?)"));
    WECHAT_TRY(st->run(inserted));
  }
  internal::Writer writer(db_, me);
  writer.note_user(me, my_username);
  WECHAT_TRY(writer.flush());
  WECHAT_TRY(tx.commit());

  Message m;
  m.client_msg_id = id.to_hex();
  m.conversation_id = conversation;
  m.sender_id = me;
  m.sender_username = my_username;
  m.peer_id = peer;
  m.text = text;
  m.time_ms = now;
  m.outgoing = true;
  m.state = MessageState::kQueued;
  m.kind = kind;
  return m;
}

Result<std::vector<OutboxItem>> ClientStore::outbox(std::size_t limit) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached("SELECT m.client_msg_id, m.peer_id, m.text, m.time_ms, "
                                  "m.kind, m.conversation_id "
                                  "FROM outbox o JOIN messages m ON m.id = o.message_row "
                                  "ORDER BY o.message_row LIMIT ?"));
  WECHAT_TRY(st->bind(1, static_cast<std::int64_t>(
                             std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()))));
  std::vector<OutboxItem> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    OutboxItem item;
    item.client_msg_id = std::string(st->blob(0));
    item.peer_id = u64(st->int64(1));
    item.text = std::string(st->text(2));
    item.queued_at = st->int64(3);
    if (st->int64(4) == static_cast<int>(ConversationKind::kGroup)) {
      item.group_id = u64(st->int64(5));
    }
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::optional<Message>> ClientStore::mark_sent(const std::string& client_msg_id_raw,
                                                      const v1::SendMessageOk& ack) {
  if (ack.conversation_id() == 0 || ack.seq() == 0) {
    return Status(Error::kProtocol, "acknowledgement without a conversation or seq");
  }
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  WECHAT_ASSIGN_OR_RETURN(auto row, own_message_row(db_, client_msg_id_raw));
  if (!row) return std::optional<Message>();
  WECHAT_ASSIGN_OR_RETURN(Message stored, internal::message_by_row(db_, *row));

  // The ack carries what a log entry of this message would: store it the same way, so the ack
  // and the entry may arrive in either order (or only one of them) with the same result.
  v1::Message m;
  m.set_message_id(ack.message_id());
  m.set_conversation_id(ack.conversation_id());
  m.set_seq(ack.seq());
  m.set_sender_id(stored.sender_id);
  m.set_recipient_id(stored.peer_id);
  m.set_client_msg_id(client_msg_id_raw);
  m.set_server_time_ms(ack.server_time_ms());
  m.set_text(stored.text);
  m.set_sender_username(stored.sender_username);
  m.set_kind(stored.kind == ConversationKind::kGroup ? v1::CONVERSATION_KIND_GROUP
                                                     : v1::CONVERSATION_KIND_DIRECT);
  internal::Writer writer(db_, stored.sender_id);
  WECHAT_ASSIGN_OR_RETURN(auto result, writer.store_message(m));
  WECHAT_TRY(writer.flush());
  WECHAT_ASSIGN_OR_RETURN(Message now, internal::message_by_row(db_, *row));
  WECHAT_TRY(tx.commit());
  // The log entry of this message may have arrived first and said it all already.
  if (!result.state_changed) return std::optional<Message>();
  return std::optional<Message>(std::move(now));
}

Result<std::optional<Message>> ClientStore::mark_failed(const std::string& client_msg_id_raw,
                                                        const Status& why) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  WECHAT_ASSIGN_OR_RETURN(auto row, own_message_row(db_, client_msg_id_raw));
  if (!row) return std::optional<Message>();
  bool changed = false;
  {
    // Only a message still queued can fail: one the server stored (through the log) stays.
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached("UPDATE messages SET state = ?, failure_code = ?, "
                                               "failure_message = ? WHERE id = ? AND state = ?"));
    WECHAT_TRY(st->run(static_cast<int>(MessageState::kFailed), static_cast<int>(why.code()),
                       why.message(), *row, static_cast<int>(MessageState::kQueued)));
    changed = db_.changes() > 0;
  }
  {
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached("DELETE FROM outbox WHERE message_row = ?"));
    WECHAT_TRY(st->run(*row));
  }
  WECHAT_ASSIGN_OR_RETURN(Message now, internal::message_by_row(db_, *row));
  WECHAT_TRY(tx.commit());
  if (!changed) return std::optional<Message>();  // Said already (failed, or stored).
  return std::optional<Message>(std::move(now));
}

// ---- Friends.

Status ClientStore::replace_friends(const std::vector<Friend>& friends) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  WECHAT_TRY(db_.exec("DELETE FROM friends"));
  internal::Writer writer(db_, 0);
  for (const auto& f : friends) WECHAT_TRY(internal::put_friend(writer, f));
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

Status ClientStore::replace_friend_requests(const std::vector<FriendRequest>& requests) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(db_));
  WECHAT_TRY(db_.exec("DELETE FROM friend_requests"));
  internal::Writer writer(db_, 0);
  for (const auto& r : requests) WECHAT_TRY(internal::put_friend_request(writer, r));
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

}  // namespace wechat::client
