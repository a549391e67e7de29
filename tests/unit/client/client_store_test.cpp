// SPDX-License-Identifier: MIT
// The client store on real files: the apply rules of the delivery contract, the outbox,
// friends, conversations, history and search.
#include "client/store/client_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "client_store_fixtures.h"
#include "common/random.h"
#include "store/database.h"
#include "support/temp_dir.h"

using namespace wechat;                   // NOLINT(google-build-using-namespace): test brevity
using namespace wechat::client;           // NOLINT
using namespace wechat::client::testing;  // NOLINT
using wechat::testing::TempDir;

namespace {

constexpr UserId kMe = 1;
constexpr UserId kBob = 2;
constexpr UserId kCarol = 3;
constexpr ConversationId kWithBob = 10;
constexpr ConversationId kWithCarol = 11;

std::string hex(const std::string& raw) { return wechat::detail::to_hex(raw); }

ApplyResult apply(ClientStore& s, std::vector<v1::LogEntry> entries) {
  return must(s.apply(kMe, entries));
}

Conversation conversation(ClientStore& s, ConversationId id) {
  for (auto& c : must(s.conversations())) {
    if (c.id == id) return c;
  }
  FAIL("no conversation " << id);
  return {};
}

std::string raw_id(const Message& m) {
  auto id = wechat::detail::Id128::from_hex(m.client_msg_id);
  REQUIRE(id.has_value());
  return std::string(id->as_bytes());
}

v1::SendMessageOk ack(ConversationId conversation, std::uint64_t seq, std::int64_t time) {
  v1::SendMessageOk ok;
  ok.set_message_id(conversation * 1'000'000 + seq);
  ok.set_conversation_id(conversation);
  ok.set_seq(seq);
  ok.set_server_time_ms(time);
  return ok;
}

}  // namespace

// ---- Opening.

TEST_CASE("client store: a new store starts empty at sync position 0") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  CHECK(must(store->applied_user_seq()) == 0);
  CHECK_FALSE(must(store->saved_session()).has_value());
  CHECK(must(store->outbox()).empty());
  CHECK(must(store->conversations()).empty());
  CHECK(must(store->friends()).empty());
  CHECK(must(store->search("hello", 10)).empty());
}

TEST_CASE("client store: an existing empty file opens as a new store") {
  TempDir dir;
  const auto path = dir.file("empty.db");
  { std::ofstream(path).flush(); }
  auto store = open_store(path);
  CHECK(must(store->applied_user_seq()) == 0);
}

TEST_CASE("client store: reopening an existing store keeps its data") {
  TempDir dir;
  const auto path = dir.file("client.db");
  {
    auto store = open_store(path);
    apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "hello"))});
  }
  auto store = open_store(path);
  CHECK(must(store->applied_user_seq()) == 1);
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].text == "hello");
}

TEST_CASE("client store: a file that is not a database is refused") {
  TempDir dir;
  const auto path = dir.file("junk.db");
  {
    std::ofstream out(path);
    out << std::string(4096, 'x');
  }
  auto opened = ClientStore::open(path);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Error::kStorage);
}

// ---- Session.

TEST_CASE("client store: a saved session is kept until cleared, and clearing keeps the data") {
  TempDir dir;
  const auto path = dir.file("client.db");
  {
    auto store = open_store(path);
    must_ok(store->save_session({kMe, "alice", std::string(32, '\x07'), 42}));
    apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "hello"))});
  }
  auto store = open_store(path);
  auto saved = must(store->saved_session());
  REQUIRE(saved.has_value());
  CHECK(saved->user_id == kMe);
  CHECK(saved->username == "alice");
  CHECK(saved->token == std::string(32, '\x07'));
  CHECK(saved->device_id == 42);

  must_ok(store->save_session({kMe, "alice", std::string(32, '\x08'), 43}));
  CHECK(must(store->saved_session())->token == std::string(32, '\x08'));

  must_ok(store->clear_session());
  CHECK_FALSE(must(store->saved_session()).has_value());
  CHECK(must(store->applied_user_seq()) == 1);
  CHECK(must(store->messages(kWithBob, 0, 10)).size() == 1);
}

// ---- Applying the log: order.

TEST_CASE("client store: a peer's message is stored, announced and reported for delivery") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto r = apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "hi"))});
  CHECK(r.applied_user_seq == 1);
  CHECK_FALSE(r.gap);
  auto received = events_of<MessageReceived>(r);
  REQUIRE(received.size() == 1);
  const Message& m = received[0].message;
  CHECK(m.client_msg_id == hex(cid(1)));
  CHECK(m.message_id == kWithBob * 1'000'000 + 1);
  CHECK(m.conversation_id == kWithBob);
  CHECK(m.seq == 1);
  CHECK(m.sender_id == kBob);
  CHECK(m.sender_username == "user2");
  CHECK(m.peer_id == kBob);
  CHECK(m.text == "hi");
  CHECK(m.time_ms == 1000);
  CHECK_FALSE(m.outgoing);
  CHECK(m.state == MessageState::kReceived);
  CHECK(r.delivered == std::vector<std::pair<ConversationId, std::uint64_t>>{{kWithBob, 1}});

  CHECK(must(store->conversation_with(kBob)) == kWithBob);
  auto c = conversation(*store, kWithBob);
  CHECK(c.peer.id == kBob);
  CHECK(c.peer.username == "user2");
  CHECK(c.last_seq == 1);
  CHECK(c.unread == 1);
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].sender_username == "user2");
  CHECK(page[0].state == MessageState::kReceived);
}

TEST_CASE("client store: entries already applied are skipped silently") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  std::vector<v1::LogEntry> entries = {
      message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "one")),
      message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "two")),
  };
  CHECK(apply(*store, entries).events.size() == 2);
  // The same entries again (a push that a sync also brought), and one new.
  entries.push_back(message_entry(3, wire_message(kWithBob, 3, kBob, kMe, cid(3), "three")));
  auto r = apply(*store, entries);
  CHECK(r.applied_user_seq == 3);
  CHECK_FALSE(r.gap);
  REQUIRE(r.events.size() == 1);
  CHECK(std::get<MessageReceived>(r.events[0]).message.text == "three");
  CHECK(r.delivered == std::vector<std::pair<ConversationId, std::uint64_t>>{{kWithBob, 3}});

  auto again = apply(*store, entries);
  CHECK(again.events.empty());
  CHECK(again.delivered.empty());
  CHECK(again.applied_user_seq == 3);
  CHECK(must(store->messages(kWithBob, 0, 10)).size() == 3);
}

TEST_CASE("client store: applying stops at a gap and reports it") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto r = apply(*store, {
                             message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "1")),
                             message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "2")),
                             message_entry(4, wire_message(kWithBob, 4, kBob, kMe, cid(4), "4")),
                             message_entry(5, wire_message(kWithBob, 5, kBob, kMe, cid(5), "5")),
                         });
  CHECK(r.gap);
  CHECK(r.applied_user_seq == 2);
  CHECK(r.events.size() == 2);
  CHECK(must(store->applied_user_seq()) == 2);
  CHECK(must(store->messages(kWithBob, 0, 10)).size() == 2);

  // A gap right at the start applies nothing.
  auto none = apply(*store, {message_entry(4, wire_message(kWithBob, 4, kBob, kMe, cid(4), "4"))});
  CHECK(none.gap);
  CHECK(none.applied_user_seq == 2);
  CHECK(none.events.empty());

  // The sync fills the hole.
  auto filled =
      apply(*store, {
                        message_entry(3, wire_message(kWithBob, 3, kBob, kMe, cid(3), "3")),
                        message_entry(4, wire_message(kWithBob, 4, kBob, kMe, cid(4), "4")),
                        message_entry(5, wire_message(kWithBob, 5, kBob, kMe, cid(5), "5")),
                    });
  CHECK_FALSE(filled.gap);
  CHECK(filled.applied_user_seq == 5);
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 5);
  CHECK(page[0].seq == 5);
  CHECK(page[4].seq == 1);
}

TEST_CASE("client store: an entry of a kind this build does not know moves the position on") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  v1::LogEntry unknown;
  unknown.set_user_seq(1);
  auto r = apply(*store, {unknown, marker_entry(2, kWithBob, kMe, 0, true)});
  CHECK(r.applied_user_seq == 2);
  CHECK(r.events.empty());
}

// ---- Atomicity.

TEST_CASE("client store: a malformed entry rolls back the whole call") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "kept"))});

  auto broken = wire_message(kWithBob, 3, kBob, kMe, cid(3), "broken");
  broken.set_client_msg_id("short");
  auto r =
      store->apply(kMe, {
                            message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "lost")),
                            marker_entry(3, kWithBob, kMe, 2, true),
                            message_entry(4, broken),
                        });
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Error::kProtocol);
  CHECK(r.status().message().find("log entry 4") != std::string::npos);

  CHECK(must(store->applied_user_seq()) == 1);
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].text == "kept");
  auto c = conversation(*store, kWithBob);
  CHECK(c.last_seq == 1);
  CHECK(c.read_seq == 0);
  CHECK(must(store->search("lost", 10)).empty());
}

TEST_CASE("client store: a database error half-way through a call leaves nothing behind") {
  TempDir dir;
  const auto path = dir.file("client.db");
  auto store = open_store(path);
  apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "kept"))});
  {
    // Another connection plants a trigger that fails on one particular message.
    auto db = must(store::Database::open(path));
    must_ok(
        db.exec("CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.text = 'boom' "
                "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"));
  }
  auto r =
      store->apply(kMe, {
                            message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "a")),
                            message_entry(3, wire_message(kWithCarol, 1, kCarol, kMe, cid(3), "b")),
                            message_entry(4, wire_message(kWithBob, 3, kBob, kMe, cid(4), "boom")),
                        });
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Error::kStorage);
  CHECK(must(store->applied_user_seq()) == 1);
  CHECK(must(store->messages(kWithBob, 0, 10)).size() == 1);
  CHECK_FALSE(must(store->conversation_with(kCarol)).has_value());
  CHECK(conversation(*store, kWithBob).last_seq == 1);

  // Once the fault is gone, the same entries apply.
  {
    auto db = must(store::Database::open(path));
    must_ok(db.exec("DROP TRIGGER boom"));
  }
  auto ok =
      apply(*store, {
                        message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "a")),
                        message_entry(3, wire_message(kWithCarol, 1, kCarol, kMe, cid(3), "b")),
                        message_entry(4, wire_message(kWithBob, 3, kBob, kMe, cid(4), "boom")),
                    });
  CHECK(ok.applied_user_seq == 4);
  CHECK(ok.events.size() == 3);
}

// ---- The outbox and own messages.

TEST_CASE("client store: a queued message survives closing the store and stays in the outbox") {
  TempDir dir;
  const auto path = dir.file("client.db");
  Message queued;
  {
    auto store = open_store(path);
    queued = must(store->enqueue(kMe, "alice", kBob, "are you there?", 5'000));
    CHECK(queued.client_msg_id.size() == 32);
    CHECK(queued.state == MessageState::kQueued);
    CHECK(queued.conversation_id == 0);
    CHECK(queued.seq == 0);
    CHECK(queued.message_id == 0);
    CHECK(queued.outgoing);
    CHECK(queued.time_ms == 5'000);
  }
  auto store = open_store(path);
  auto outbox = must(store->outbox());
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].client_msg_id == raw_id(queued));
  CHECK(outbox[0].client_msg_id.size() == 16);
  CHECK(outbox[0].peer_id == kBob);
  CHECK(outbox[0].text == "are you there?");
  CHECK(outbox[0].queued_at == 5'000);

  auto shown = must(store->messages_with(kBob, 0, 20));
  REQUIRE(shown.size() == 1);
  CHECK(shown[0].client_msg_id == queued.client_msg_id);
  CHECK(shown[0].state == MessageState::kQueued);
  CHECK(shown[0].sender_username == "alice");
}

TEST_CASE("client store: the outbox lists messages oldest first, each with its own id") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto a = must(store->enqueue(kMe, "alice", kBob, "first", 1));
  auto b = must(store->enqueue(kMe, "alice", kCarol, "second", 2));
  auto c = must(store->enqueue(kMe, "alice", kBob, "third", 3));
  CHECK(a.client_msg_id != b.client_msg_id);
  auto outbox = must(store->outbox());
  REQUIRE(outbox.size() == 3);
  CHECK(outbox[0].text == "first");
  CHECK(outbox[1].text == "second");
  CHECK(outbox[2].text == "third");
  // Queued messages to a peer show newest first, like the rest of a page.
  auto shown = must(store->messages_with(kBob, 0, 20));
  REQUIRE(shown.size() == 2);
  CHECK(shown[0].client_msg_id == c.client_msg_id);
  CHECK(shown[1].client_msg_id == a.client_msg_id);
}

TEST_CASE("client store: a message queued to a known peer carries the conversation id") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "hi"))});
  auto queued = must(store->enqueue(kMe, "alice", kBob, "hello back", 9'000));
  CHECK(queued.conversation_id == kWithBob);
  // The first page shows it after the newest server message.
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 2);
  CHECK(page[0].client_msg_id == queued.client_msg_id);
  CHECK(page[1].seq == 1);
  // Later pages do not repeat it.
  CHECK(must(store->messages(kWithBob, 2, 10)).size() == 1);
}

TEST_CASE("client store: an own message pushed after the ack is not shown twice") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto queued = must(store->enqueue(kMe, "alice", kBob, "ping", 1'000));
  auto sent = must(store->mark_sent(raw_id(queued), ack(kWithBob, 1, 1'500)));
  REQUIRE(sent.has_value());
  CHECK(sent->state == MessageState::kSent);
  CHECK(sent->conversation_id == kWithBob);
  CHECK(sent->seq == 1);
  CHECK(sent->message_id == kWithBob * 1'000'000 + 1);
  CHECK(sent->time_ms == 1'500);
  CHECK(sent->client_msg_id == queued.client_msg_id);
  CHECK(must(store->outbox()).empty());
  // The conversation is known from the ack on.
  CHECK(must(store->conversation_with(kBob)) == kWithBob);

  // The same message through this account's log.
  auto r = apply(
      *store,
      {message_entry(1, wire_message(kWithBob, 1, kMe, kBob, raw_id(queued), "ping", 1'500))});
  CHECK(r.events.empty());  // Neither received (it is ours) nor a state change (sent already).
  CHECK(r.delivered.empty());
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].state == MessageState::kSent);
  CHECK(page[0].outgoing);

  // A duplicate ack (a resend answered from the server's de-duplication) changes nothing, so
  // there is nothing to announce.
  auto again = must(store->mark_sent(raw_id(queued), ack(kWithBob, 1, 1'500)));
  CHECK_FALSE(again.has_value());
  auto after = must(store->messages(kWithBob, 0, 10));
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq == 1);
  CHECK(after[0].state == MessageState::kSent);
}

TEST_CASE("client store: an own message pushed before its ack moves it to sent once") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto queued = must(store->enqueue(kMe, "alice", kBob, "ping", 1'000));
  auto r = apply(
      *store,
      {message_entry(1, wire_message(kWithBob, 1, kMe, kBob, raw_id(queued), "ping", 1'500))});
  auto changed = events_of<MessageStateChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(r.events.size() == 1);
  CHECK(changed[0].message.client_msg_id == queued.client_msg_id);
  CHECK(changed[0].message.state == MessageState::kSent);
  CHECK(changed[0].message.seq == 1);
  CHECK(must(store->outbox()).empty());

  // The ack that follows says nothing new: no second "sent" for the app.
  auto late = must(store->mark_sent(raw_id(queued), ack(kWithBob, 1, 1'500)));
  CHECK_FALSE(late.has_value());
  auto after = must(store->messages(kWithBob, 0, 10));
  REQUIRE(after.size() == 1);
  CHECK(after[0].state == MessageState::kSent);
}

TEST_CASE("client store: a message sent from another device of mine shows once") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "question"))});
  CHECK(conversation(*store, kWithBob).unread == 1);

  const auto own = message_entry(2, wire_message(kWithBob, 2, kMe, kBob, cid(2), "answer"));
  auto r = apply(*store, {own});
  auto received = events_of<MessageReceived>(r);
  REQUIRE(received.size() == 1);
  CHECK(received[0].message.outgoing);
  CHECK(received[0].message.state == MessageState::kSent);
  CHECK(received[0].message.peer_id == kBob);
  CHECK(r.delivered.empty());
  // Sending implies having read: the question no longer counts as unread.
  auto read = events_of<ConversationRead>(r);
  REQUIRE(read.size() == 1);
  CHECK(read[0].read_seq == 2);
  CHECK(read[0].unread == 0);
  auto c = conversation(*store, kWithBob);
  CHECK(c.read_seq == 2);
  CHECK(c.unread == 0);

  CHECK(apply(*store, {own}).events.empty());
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 2);
  CHECK(page[0].outgoing);
  CHECK(page[0].text == "answer");
  CHECK(must(store->outbox()).empty());
}

TEST_CASE("client store: a refused message is marked failed and leaves the outbox") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto queued = must(store->enqueue(kMe, "alice", kBob, "spam", 1'000));
  auto failed = must(store->mark_failed(raw_id(queued), Status(Error::kNotFriends, "not friends")));
  REQUIRE(failed.has_value());
  CHECK(failed->state == MessageState::kFailed);
  CHECK(failed->failure.code() == Error::kNotFriends);
  CHECK(failed->failure.message() == "not friends");
  CHECK(must(store->outbox()).empty());
  auto shown = must(store->messages_with(kBob, 0, 10));
  REQUIRE(shown.size() == 1);
  CHECK(shown[0].state == MessageState::kFailed);

  CHECK_FALSE(must(store->mark_failed(cid(99), Status(Error::kInternal, "x"))).has_value());
  CHECK_FALSE(must(store->mark_sent(cid(99), ack(kWithBob, 1, 1))).has_value());
}

// ---- Markers.

TEST_CASE("client store: my read marker moves read_seq and unread, forward only") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  std::vector<v1::LogEntry> entries;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    entries.push_back(message_entry(i, wire_message(kWithBob, i, kBob, kMe, cid(i), "m")));
  }
  apply(*store, entries);
  CHECK(conversation(*store, kWithBob).unread == 5);

  auto r = apply(*store, {marker_entry(6, kWithBob, kMe, 3, true)});
  auto read = events_of<ConversationRead>(r);
  REQUIRE(read.size() == 1);
  CHECK(read[0].conversation_id == kWithBob);
  CHECK(read[0].read_seq == 3);
  CHECK(read[0].unread == 2);
  CHECK(conversation(*store, kWithBob).unread == 2);

  // An older marker (from a slower device) changes nothing and says nothing.
  auto older = apply(*store, {marker_entry(7, kWithBob, kMe, 2, true)});
  CHECK(older.events.empty());
  CHECK(older.applied_user_seq == 7);
  CHECK(conversation(*store, kWithBob).read_seq == 3);

  apply(*store, {marker_entry(8, kWithBob, kMe, 5, true)});
  CHECK(conversation(*store, kWithBob).unread == 0);
}

TEST_CASE("client store: the peer's markers turn my messages delivered then read") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  std::vector<v1::LogEntry> entries;
  for (std::uint64_t i = 1; i <= 4; ++i) {
    entries.push_back(message_entry(i, wire_message(kWithBob, i, kMe, kBob, cid(i), "mine")));
  }
  apply(*store, entries);
  auto state_of = [&](std::uint64_t seq) {
    for (auto& m : must(store->messages(kWithBob, 0, 10))) {
      if (m.seq == seq) return m.state;
    }
    FAIL("no message " << seq);
    return MessageState::kQueued;
  };

  auto delivered = apply(*store, {marker_entry(5, kWithBob, kBob, 3, false)});
  auto receipts = events_of<ReceiptUpdated>(delivered);
  REQUIRE(receipts.size() == 1);
  CHECK(receipts[0].conversation_id == kWithBob);
  CHECK(receipts[0].peer_id == kBob);
  CHECK(receipts[0].up_to_seq == 3);
  CHECK(receipts[0].state == MessageState::kDelivered);
  CHECK(state_of(1) == MessageState::kDelivered);
  CHECK(state_of(3) == MessageState::kDelivered);
  CHECK(state_of(4) == MessageState::kSent);

  auto read = apply(*store, {marker_entry(6, kWithBob, kBob, 2, true)});
  receipts = events_of<ReceiptUpdated>(read);
  REQUIRE(receipts.size() == 1);
  CHECK(receipts[0].up_to_seq == 2);
  CHECK(receipts[0].state == MessageState::kRead);
  CHECK(state_of(2) == MessageState::kRead);
  CHECK(state_of(3) == MessageState::kDelivered);
  CHECK(conversation(*store, kWithBob).peer_read_seq == 2);

  // Older markers are ignored; a later delivery marker never downgrades a read message.
  CHECK(apply(*store, {marker_entry(7, kWithBob, kBob, 1, true)}).events.empty());
  CHECK(apply(*store, {marker_entry(8, kWithBob, kBob, 2, false)}).events.empty());
  apply(*store, {marker_entry(9, kWithBob, kBob, 4, false)});
  CHECK(state_of(1) == MessageState::kRead);
  CHECK(state_of(4) == MessageState::kDelivered);

  // A message of mine stored after a marker that covers it starts at that state.
  apply(*store, {marker_entry(10, kWithBob, kBob, 6, true),
                 message_entry(11, wire_message(kWithBob, 5, kMe, kBob, cid(5), "late"))});
  CHECK(state_of(5) == MessageState::kRead);
}

TEST_CASE("client store: an ack after the receipts keeps the message at its receipt state") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto queued = must(store->enqueue(kMe, "alice", kBob, "quick", 1'000));
  // The log brings the peer's delivery marker for seq 1 before this device got the ack.
  apply(*store, {message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "x")),
                 marker_entry(2, kWithBob, kBob, 2, false)});
  auto sent = must(store->mark_sent(raw_id(queued), ack(kWithBob, 2, 1'100)));
  REQUIRE(sent.has_value());
  CHECK(sent->state == MessageState::kDelivered);
}

TEST_CASE("client store: unread counts only the peer's messages") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto r =
      apply(*store, {
                        message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "a")),
                        message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "b")),
                        message_entry(3, wire_message(kWithBob, 3, kMe, kBob, cid(3), "c")),
                        message_entry(4, wire_message(kWithBob, 4, kBob, kMe, cid(4), "d")),
                        message_entry(5, wire_message(kWithCarol, 1, kCarol, kMe, cid(5), "e")),
                    });
  CHECK(conversation(*store, kWithBob).unread == 1);
  CHECK(conversation(*store, kWithCarol).unread == 1);
  CHECK(r.delivered ==
        std::vector<std::pair<ConversationId, std::uint64_t>>{{kWithBob, 4}, {kWithCarol, 1}});
}

// ---- Friends.

TEST_CASE("client store: friend requests, answers and removals update the lists") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto request = [](std::uint64_t seq, const v1::FriendRequest& req, bool answer) {
    v1::LogEntry e;
    e.set_user_seq(seq);
    e.set_created_at_ms(100 * static_cast<std::int64_t>(seq));
    *(answer ? e.mutable_friend_answer() : e.mutable_friend_request()) = req;
    return e;
  };

  // Bob asks me; I ask Carol.
  auto r = apply(
      *store,
      {request(1, wire_request(7, kBob, kMe, v1::FRIEND_REQUEST_STATE_PENDING, 100), false),
       request(2, wire_request(8, kMe, kCarol, v1::FRIEND_REQUEST_STATE_PENDING, 200), false)});
  auto updates = events_of<FriendRequestUpdated>(r);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].incoming);
  CHECK(updates[0].request.id == 7);
  CHECK(updates[0].request.from.username == "user2");
  CHECK(updates[0].request.state == FriendRequestState::kPending);
  CHECK_FALSE(updates[1].incoming);
  auto requests = must(store->friend_requests());
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].id == 8);  // Newest first.
  CHECK(requests[1].note == "hi, it's user2");

  // I accept Bob; Carol rejects me.
  r = apply(
      *store,
      {request(3, wire_request(7, kBob, kMe, v1::FRIEND_REQUEST_STATE_ACCEPTED, 100, 300), true),
       request(4, wire_request(8, kMe, kCarol, v1::FRIEND_REQUEST_STATE_REJECTED, 200, 400),
               true)});
  updates = events_of<FriendRequestUpdated>(r);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].request.state == FriendRequestState::kAccepted);
  CHECK(updates[1].request.state == FriendRequestState::kRejected);
  auto added = events_of<FriendAdded>(r);
  REQUIRE(added.size() == 1);
  CHECK(added[0].added.user.id == kBob);
  CHECK(added[0].added.user.username == "user2");
  CHECK(added[0].added.since_ms == 300);
  auto friends = must(store->friends());
  REQUIRE(friends.size() == 1);
  CHECK(friends[0].user.id == kBob);
  requests = must(store->friend_requests());
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].state == FriendRequestState::kAccepted);
  CHECK(requests[1].answered_ms == 300);

  // Bob removes me.
  v1::LogEntry removed;
  removed.set_user_seq(5);
  removed.mutable_friend_removed()->set_user_id(kBob);
  removed.mutable_friend_removed()->set_by_user_id(kBob);
  r = apply(*store, {removed});
  auto gone = events_of<FriendRemoved>(r);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].user_id == kBob);
  CHECK(must(store->friends()).empty());
}

TEST_CASE("client store: replaced friend lists read back ordered by username") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {message_entry(1, wire_message(kWithCarol, 1, kCarol, kMe, cid(1), "hi"))});
  Friend zed{{5, "zed"}, 10, 0, {5, true, 0}};
  Friend carol{{kCarol, "carol"}, 20, 0, {kCarol, false, 777}};
  Friend bob{{kBob, "bob"}, 30, kWithBob, {kBob, false, 0}};
  must_ok(store->replace_friends({zed, carol, bob}));
  auto friends = must(store->friends());
  REQUIRE(friends.size() == 3);
  CHECK(friends[0].user.username == "bob");
  CHECK(friends[0].conversation_id == kWithBob);
  CHECK(friends[1].user.username == "carol");
  CHECK(friends[1].conversation_id == kWithCarol);  // Filled from the known conversation.
  CHECK(friends[1].presence.last_seen_ms == 777);
  CHECK(friends[1].since_ms == 20);
  CHECK(friends[2].user.username == "zed");
  CHECK(friends[2].presence.online);
  CHECK(friends[2].conversation_id == 0);

  must_ok(store->replace_friends({carol}));
  friends = must(store->friends());
  REQUIRE(friends.size() == 1);
  CHECK(friends[0].user.id == kCarol);

  FriendRequest pending{9, {kBob, "bob"}, {kMe, "alice"}, "hello", FriendRequestState::kPending, 50,
                        0};
  must_ok(store->replace_friend_requests({pending}));
  auto requests = must(store->friend_requests());
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].id == 9);
  CHECK(requests[0].from.username == "bob");
  CHECK(requests[0].to.username == "alice");
  CHECK(requests[0].note == "hello");
  must_ok(store->replace_friend_requests({}));
  CHECK(must(store->friend_requests()).empty());
}

// ---- Conversations and history.

TEST_CASE("client store: conversations come newest activity first with their last message") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store,
        {
            message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "old", 1'000)),
            message_entry(2, wire_message(kWithCarol, 1, kCarol, kMe, cid(2), "new", 2'000)),
        });
  auto list = must(store->conversations());
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == kWithCarol);
  REQUIRE(list[0].last_message.has_value());
  CHECK(list[0].last_message->text == "new");
  CHECK(list[1].id == kWithBob);

  apply(*store, {message_entry(3, wire_message(kWithBob, 2, kMe, kBob, cid(3), "newer", 3'000))});
  list = must(store->conversations());
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == kWithBob);
  CHECK(list[0].last_message->text == "newer");
  CHECK(list[0].last_message->outgoing);

  // A message still in the outbox is the newest activity of its conversation.
  must(store->enqueue(kMe, "alice", kCarol, "typing offline", 4'000));
  list = must(store->conversations());
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == kWithCarol);
  CHECK(list[0].last_message->text == "typing offline");
  CHECK(list[0].last_message->state == MessageState::kQueued);
}

TEST_CASE("client store: merging conversation summaries moves markers forward only") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto summary = [](std::uint64_t last, std::uint64_t read, std::uint64_t peer_read,
                    std::uint64_t peer_delivered, const v1::Message& last_message) {
    v1::ConversationSummary s;
    s.set_conversation_id(kWithBob);
    s.set_kind(v1::CONVERSATION_KIND_DIRECT);
    s.mutable_peer()->set_user_id(kBob);
    s.mutable_peer()->set_username(username_of(kBob));
    s.set_last_seq(last);
    s.set_read_seq(read);
    s.set_peer_read_seq(peer_read);
    s.set_peer_delivered_seq(peer_delivered);
    *s.mutable_last_message() = last_message;
    return s;
  };
  must_ok(store->store_history(kMe, {wire_message(kWithBob, 7, kMe, kBob, cid(7), "mine")}));
  must_ok(store->merge_conversations(
      kMe, {summary(8, 6, 7, 7, wire_message(kWithBob, 8, kBob, kMe, cid(8), "last"))}));
  auto c = conversation(*store, kWithBob);
  CHECK(c.peer.username == "user2");
  CHECK(c.last_seq == 8);
  CHECK(c.read_seq == 7);  // My own message at 7 counts as read.
  CHECK(c.peer_read_seq == 7);
  CHECK(c.unread == 1);
  REQUIRE(c.last_message.has_value());
  CHECK(c.last_message->text == "last");
  auto page = must(store->messages(kWithBob, 0, 10));
  REQUIRE(page.size() == 2);
  CHECK(page[1].state == MessageState::kRead);

  // An older list (fetched before, answered after) does not move anything back.
  must_ok(store->merge_conversations(
      kMe, {summary(5, 2, 1, 1, wire_message(kWithBob, 5, kBob, kMe, cid(5), "older"))}));
  c = conversation(*store, kWithBob);
  CHECK(c.last_seq == 8);
  CHECK(c.read_seq == 7);
  CHECK(c.peer_read_seq == 7);
  CHECK(c.last_message->text == "last");
}

TEST_CASE("client store: caching a history page twice stores each message once") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  std::vector<v1::Message> page;
  for (std::uint64_t seq = 10; seq >= 1; --seq) {
    page.push_back(wire_message(kWithBob, seq, seq % 2 ? kBob : kMe, seq % 2 ? kMe : kBob, cid(seq),
                                "history " + std::to_string(seq)));
  }
  must_ok(store->store_history(kMe, page));
  must_ok(store->store_history(kMe, page));
  auto first = must(store->messages(kWithBob, 0, 4));
  REQUIRE(first.size() == 4);
  CHECK(first[0].seq == 10);
  CHECK(first[3].seq == 7);
  auto second = must(store->messages(kWithBob, first.back().seq, 100));
  REQUIRE(second.size() == 6);
  CHECK(second[0].seq == 6);
  CHECK(second[5].seq == 1);
  CHECK(must(store->search("history 1", 50)).size() == 2);  // "history 1" and "history 10".

  // The log later brings one of them: it is shown already, so not announced again, but its
  // delivery is still reported.
  auto r = apply(*store, {message_entry(1, page[0])});
  CHECK(r.events.empty());
  CHECK(r.delivered.empty());  // page[0] (seq 10) is mine.
  r = apply(*store, {message_entry(2, page[1])});
  // Not announced again; but bob writing seq 9 means he has read up to it (replying implies
  // reading), so my earlier messages become read.
  auto receipts = events_of<ReceiptUpdated>(r);
  REQUIRE(receipts.size() == 1);
  CHECK(r.events.size() == 1);
  CHECK(receipts[0].state == MessageState::kRead);
  CHECK(receipts[0].up_to_seq == 9);
  CHECK(r.delivered == std::vector<std::pair<ConversationId, std::uint64_t>>{{kWithBob, 9}});
  CHECK(must(store->messages(kWithBob, 0, 100)).size() == 10);
}

// ---- Search.

TEST_CASE("client store: search finds English text, case-insensitively, newest first") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(
      *store,
      {
          message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "say hello world", 1'000)),
          message_entry(2, wire_message(kWithBob, 2, kMe, kBob, cid(2), "Hello again", 2'000)),
          message_entry(3, wire_message(kWithCarol, 1, kCarol, kMe, cid(3), "goodbye", 3'000)),
      });
  auto found = must(store->search("hello", 10));
  REQUIRE(found.size() == 2);
  CHECK(found[0].text == "Hello again");
  CHECK(found[1].text == "say hello world");
  CHECK(must(store->search("HELLO", 10)).size() == 2);
  CHECK(must(store->search("lo wor", 10)).size() == 1);
  CHECK(must(store->search("hello", 1)).size() == 1);
  CHECK(must(store->search("missing", 10)).empty());
  // Short queries take the scan path, also case-insensitive for ASCII.
  CHECK(must(store->search("GO", 10)).size() == 1);
  CHECK(must(store->search("o", 10)).size() == 3);
  CHECK(must(store->search("", 10)).empty());
  // Queued messages are searchable too.
  must(store->enqueue(kMe, "alice", kBob, "hello from the outbox", 4'000));
  CHECK(must(store->search("hello", 10)).size() == 3);
}

TEST_CASE("client store: search finds Chinese text of one, two and more characters") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store,
        {
            message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "你好世界", 1'000)),
            message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "世界和平", 2'000)),
            message_entry(3, wire_message(kWithBob, 3, kBob, kMe, cid(3), "早上好", 3'000)),
        });
  auto two = must(store->search("世界", 10));  // Two characters: the scan.
  REQUIRE(two.size() == 2);
  CHECK(two[0].text == "世界和平");
  CHECK(two[1].text == "你好世界");
  CHECK(must(store->search("好", 10)).size() == 2);
  auto three = must(store->search("好世界", 10));  // Three: the trigram index.
  REQUIRE(three.size() == 1);
  CHECK(three[0].text == "你好世界");
  CHECK(must(store->search("你好世界", 10)).size() == 1);
  CHECK(must(store->search("和平的", 10)).empty());
}

namespace {
/// How many times the search index holds the trigram "chu": once per indexed message of these
/// tests, so a message missing from the index or indexed twice shows.
std::int64_t indexed_chu(const std::string& path) {
  auto db = must(store::Database::open(path, store::OpenOptions{}));
  must_ok(db.exec("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, message_search, "
                  "instance)"));
  auto st = must(db.prepare("SELECT count(*) FROM temp.vocab WHERE term = 'chu'"));
  return must(st.query_int64()).value_or(-1);
}
}  // namespace

TEST_CASE("client store: the search index trails the messages and catches up in chunks") {
  TempDir dir;
  const auto path = dir.file("client.db");
  auto store = open_store(path);
  std::vector<v1::LogEntry> entries;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    entries.push_back(message_entry(
        i, wire_message(kWithBob, i, kBob, kMe, cid(i), "chunk " + std::to_string(i))));
  }
  apply(*store, entries);
  // Stored, not indexed yet.
  CHECK(indexed_chu(path) == 0);
  CHECK(must(store->index_for_search(2)) == 2);
  CHECK(must(store->index_for_search(2)) == 2);
  CHECK(must(store->index_for_search(2)) == 1);
  CHECK(must(store->index_for_search(2)) == 0);
  CHECK(indexed_chu(path) == 5);

  // A search completes the index itself first: nothing stored is ever missed.
  apply(*store, {message_entry(6, wire_message(kWithBob, 6, kBob, kMe, cid(6), "chunk six"))});
  must(store->enqueue(kMe, "alice", kBob, "chunk from the outbox", 9'000));
  CHECK(must(store->search("chunk", 10)).size() == 7);
  CHECK(must(store->index_for_search(100)) == 0);
  CHECK(indexed_chu(path) == 7);
  // A message stored again (a history page repeating a synced one) is not indexed twice.
  apply(*store, {message_entry(7, wire_message(kWithBob, 6, kBob, kMe, cid(6), "chunk six"))});
  CHECK(must(store->index_for_search(100)) == 0);
  CHECK(indexed_chu(path) == 7);
}

TEST_CASE("client store: search text is never read as FTS5 query syntax") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(
      *store,
      {
          message_entry(1, wire_message(kWithBob, 1, kBob, kMe, cid(1), "she said \"yes\" OR no")),
          message_entry(2, wire_message(kWithBob, 2, kBob, kMe, cid(2), "text: NEAR(a b)*")),
      });
  CHECK(must(store->search("\"yes\" OR", 10)).size() == 1);
  CHECK(must(store->search("OR no", 10)).size() == 1);
  CHECK(must(store->search("NEAR(a", 10)).size() == 1);
  CHECK(must(store->search("b)*", 10)).size() == 1);
  CHECK(must(store->search("text:", 10)).size() == 1);
  CHECK(must(store->search("\"\"\"", 10)).empty());
}

// ---- Threads.

TEST_CASE("client store: the UI thread reads while the event thread applies") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::thread reader([&] {
    while (!done.load()) {
      if (!store->conversations().ok()) ++read_errors;
      if (!store->messages(kWithBob, 0, 20).ok()) ++read_errors;
      if (!store->search("message", 5).ok()) ++read_errors;
      if (!store->applied_user_seq().ok()) ++read_errors;
    }
  });
  std::uint64_t user_seq = 0;
  for (int page = 0; page < 20; ++page) {
    std::vector<v1::LogEntry> entries;
    for (int i = 0; i < 50; ++i) {
      ++user_seq;
      entries.push_back(message_entry(
          user_seq, wire_message(kWithBob, user_seq, kBob, kMe, cid(user_seq), "message")));
    }
    auto r = store->apply(kMe, entries);
    CHECK(r.ok());
    auto queued = store->enqueue(kMe, "alice", kBob, "reply", 1);
    CHECK(queued.ok());
  }
  done = true;
  reader.join();
  CHECK(read_errors.load() == 0);
  CHECK(must(store->applied_user_seq()) == 1000);
  CHECK(must(store->outbox()).size() == 20);
}

// ---- Names.

TEST_CASE("client store: state names are stable") {
  CHECK(std::string(message_state_name(MessageState::kQueued)) == "queued");
  CHECK(std::string(message_state_name(MessageState::kSent)) == "sent");
  CHECK(std::string(message_state_name(MessageState::kDelivered)) == "delivered");
  CHECK(std::string(message_state_name(MessageState::kRead)) == "read");
  CHECK(std::string(message_state_name(MessageState::kFailed)) == "failed");
  CHECK(std::string(message_state_name(MessageState::kReceived)) == "received");
  CHECK(std::string(message_state_name(static_cast<MessageState>(99))) == "unknown");
  CHECK(std::string(connection_state_name(ConnectionState::kDisconnected)) == "disconnected");
  CHECK(std::string(connection_state_name(ConnectionState::kConnecting)) == "connecting");
  CHECK(std::string(connection_state_name(ConnectionState::kAuthenticating)) == "authenticating");
  CHECK(std::string(connection_state_name(ConnectionState::kSyncing)) == "syncing");
  CHECK(std::string(connection_state_name(ConnectionState::kOnline)) == "online");
}
