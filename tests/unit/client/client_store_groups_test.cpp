// SPDX-License-Identifier: MIT
// Groups in the client store: group_event log entries, group messages, the outbox to a group,
// membership (left, removed, dissolved), roles, the cached member list, markers and receipts,
// and the schema migration that added them.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client/store/client_store.h"
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
constexpr UserId kDave = 4;
constexpr ConversationId kWithBob = 10;
constexpr ConversationId kTeam = 100;

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

Group group(ClientStore& s, ConversationId id) {
  auto g = must(s.group(id));
  REQUIRE_MESSAGE(g.has_value(), "no group " << id);
  return *g;
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

std::vector<UserId> member_ids(const Group& g) {
  std::vector<UserId> ids;
  for (const auto& m : g.members) ids.push_back(m.user.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

GroupRole role_of(const Group& g, UserId user) {
  for (const auto& m : g.members) {
    if (m.user.id == user) return m.role;
  }
  return GroupRole::kNone;
}

/// Bob created kTeam with me and carol in it (entry 1).
v1::LogEntry bob_created_team(std::uint64_t user_seq = 1) {
  return group_entry(user_seq, v1::GROUP_EVENT_KIND_CREATED, group_info(kTeam, "team", kBob, 3),
                     kBob, {kMe, kCarol});
}

}  // namespace

TEST_CASE("client store groups: a group I create is stored, listed and announced") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto r = apply(*store, {group_entry(1, v1::GROUP_EVENT_KIND_CREATED,
                                      group_info(kTeam, "hiking", kMe, 3), kMe, {kBob, kCarol})});
  auto changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].kind == GroupEventKind::kCreated);
  CHECK(changed[0].group.id == kTeam);
  CHECK(changed[0].group.name == "hiking");
  CHECK(changed[0].group.my_role == GroupRole::kOwner);
  CHECK(changed[0].group.membership == GroupMembership::kMember);
  CHECK(changed[0].actor.id == kMe);
  REQUIRE(changed[0].subjects.size() == 2);
  CHECK(changed[0].subjects[1].username == "user3");
  CHECK(changed[0].group.members.empty());

  auto listed = must(store->groups());
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].member_count == 3);
  CHECK(listed[0].owner_id == kMe);
  CHECK(listed[0].created_ms == 500);
  CHECK(listed[0].members.empty());

  // The created event names everybody: the cached list is whole, with usernames.
  const Group g = group(*store, kTeam);
  CHECK(member_ids(g) == std::vector<UserId>{kMe, kBob, kCarol});
  CHECK(role_of(g, kMe) == GroupRole::kOwner);
  CHECK(role_of(g, kBob) == GroupRole::kMember);
  CHECK(g.members.front().role == GroupRole::kOwner);  // the owner first
  CHECK(g.members.back().user.username == "user3");

  const Conversation c = conversation(*store, kTeam);
  CHECK(c.kind == ConversationKind::kGroup);
  CHECK(c.peer.id == 0);
  REQUIRE(c.group.has_value());
  CHECK(c.group->name == "hiking");
  CHECK(c.unread == 0);
  CHECK_FALSE(c.last_message.has_value());
  CHECK_FALSE(must(store->group(999)).has_value());
}

TEST_CASE("client store groups: messages from several members are unread and reported delivered") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto r = apply(*store, {bob_created_team(),
                          message_entry(2, group_message(kTeam, 1, kBob, cid(1), "hi all")),
                          message_entry(3, group_message(kTeam, 2, kCarol, cid(2), "hey"))});
  CHECK(events_of<GroupChanged>(r).size() == 1);
  auto received = events_of<MessageReceived>(r);
  REQUIRE(received.size() == 2);
  CHECK(received[0].message.kind == ConversationKind::kGroup);
  CHECK(received[0].message.conversation_id == kTeam);
  CHECK(received[0].message.peer_id == 0);
  CHECK(received[1].message.sender_username == "user3");
  CHECK(received[1].message.state == MessageState::kReceived);
  REQUIRE(r.delivered.size() == 1);
  CHECK(r.delivered[0] == std::pair<ConversationId, std::uint64_t>{kTeam, 2});

  Conversation c = conversation(*store, kTeam);
  CHECK(c.unread == 2);
  CHECK(c.last_seq == 2);
  REQUIRE(c.last_message.has_value());
  CHECK(c.last_message->text == "hey");
  CHECK(c.group->my_role == GroupRole::kMember);

  // My own message, sent from another device, reads the group up to it.
  r = apply(*store, {message_entry(4, group_message(kTeam, 3, kMe, cid(3), "hello"))});
  auto read = events_of<ConversationRead>(r);
  REQUIRE(read.size() == 1);
  CHECK(read[0].unread == 0);
  auto page = must(store->messages(kTeam, 0, 10));
  REQUIRE(page.size() == 3);
  CHECK(page[0].outgoing);
  CHECK(page[0].kind == ConversationKind::kGroup);
  CHECK(page[0].state == MessageState::kSent);  // nobody else got past seq 2 yet
  CHECK(page[2].text == "hi all");
  CHECK(must(store->search("hi all", 10)).size() == 1);
}

TEST_CASE(
    "client store groups: a message queued to a group goes out with its group and shows once") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team()});
  auto queued = must(store->enqueue_group(kMe, "alice", kTeam, "see you at 8", 7'000));
  CHECK(queued.kind == ConversationKind::kGroup);
  CHECK(queued.conversation_id == kTeam);
  CHECK(queued.peer_id == 0);
  CHECK(queued.state == MessageState::kQueued);

  auto outbox = must(store->outbox());
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].group_id == kTeam);
  CHECK(outbox[0].peer_id == 0);
  CHECK(outbox[0].text == "see you at 8");

  // Unsent, it is the group's newest message and heads its first page.
  Conversation c = conversation(*store, kTeam);
  REQUIRE(c.last_message.has_value());
  CHECK(c.last_message->client_msg_id == queued.client_msg_id);
  auto page = must(store->messages(kTeam, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].state == MessageState::kQueued);
  // ...and never on a direct conversation's page.
  CHECK(must(store->messages_with(kBob, 0, 10)).empty());

  auto sent = must(store->mark_sent(raw_id(queued), ack(kTeam, 1, 8'000)));
  REQUIRE(sent.has_value());
  CHECK(sent->state == MessageState::kSent);
  CHECK(sent->kind == ConversationKind::kGroup);
  CHECK(must(store->outbox()).empty());

  // Its log entry after the ack changes nothing and announces nothing.
  v1::Message own = group_message(kTeam, 1, kMe, raw_id(queued), "see you at 8");
  own.set_server_time_ms(8'000);
  auto r = apply(*store, {message_entry(2, own)});
  CHECK(events_of<MessageReceived>(r).empty());
  CHECK(events_of<MessageStateChanged>(r).empty());
  CHECK(must(store->messages(kTeam, 0, 10)).size() == 1);
  CHECK(conversation(*store, kTeam).read_seq == 1);
}

TEST_CASE(
    "client store groups: a removed member keeps its history, its queue fails, sends refused") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store,
        {bob_created_team(), message_entry(2, group_message(kTeam, 1, kBob, cid(1), "welcome"))});
  auto queued = must(store->enqueue_group(kMe, "alice", kTeam, "thanks!", 7'000));

  auto r = apply(*store, {group_entry(3, v1::GROUP_EVENT_KIND_MEMBER_REMOVED,
                                      group_info(kTeam, "team", kBob, 2, 1), kBob, {kMe}, 1)});
  // The queued message fails for good, first; then the change itself.
  REQUIRE(r.events.size() == 2);
  auto failed = std::get<MessageStateChanged>(r.events[0]).message;
  CHECK(failed.client_msg_id == queued.client_msg_id);
  CHECK(failed.state == MessageState::kFailed);
  CHECK(failed.failure.code() == Error::kNotGroupMember);
  auto changed = std::get<GroupChanged>(r.events[1]);
  CHECK(changed.kind == GroupEventKind::kMemberRemoved);
  CHECK(changed.group.membership == GroupMembership::kRemoved);
  CHECK(changed.group.my_role == GroupRole::kNone);
  CHECK(changed.group.member_count == 2);
  CHECK(must(store->outbox()).empty());

  // The answer to the send that was in flight then is no news.
  CHECK_FALSE(
      must(store->mark_failed(raw_id(queued), Status(Error::kNotGroupMember, "x"))).has_value());

  // The history stays, the group stays listed, and nothing new can be queued.
  auto page = must(store->messages(kTeam, 0, 10));
  REQUIRE(page.size() == 2);
  CHECK(page[0].state == MessageState::kFailed);
  CHECK(page[1].text == "welcome");
  CHECK(conversation(*store, kTeam).group->membership == GroupMembership::kRemoved);
  auto refused = store->enqueue_group(kMe, "alice", kTeam, "hello?", 9'000);
  CHECK(refused.code() == Error::kNotGroupMember);
  CHECK(must(store->outbox()).empty());
  CHECK(group(*store, kTeam).members.empty());  // no longer known
}

TEST_CASE(
    "client store groups: leaving, then being invited back, and earlier messages are not unread") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team(), group_entry(2, v1::GROUP_EVENT_KIND_MEMBER_LEFT,
                                                 group_info(kTeam, "team", kBob, 2), kMe, {kMe})});
  CHECK(group(*store, kTeam).membership == GroupMembership::kLeft);
  CHECK(store->enqueue_group(kMe, "alice", kTeam, "x", 1).code() == Error::kNotGroupMember);

  // Ten messages later bob invites me again: those ten are before my time.
  auto r = apply(*store, {group_entry(3, v1::GROUP_EVENT_KIND_MEMBERS_ADDED,
                                      group_info(kTeam, "team", kBob, 3, 10), kBob, {kMe}, 10)});
  auto changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].group.membership == GroupMembership::kMember);
  CHECK(changed[0].group.my_role == GroupRole::kMember);
  Conversation c = conversation(*store, kTeam);
  CHECK(c.unread == 0);
  CHECK(c.last_seq == 10);
  // Who else is in it is not known from an invitation.
  CHECK(group(*store, kTeam).members.empty());

  apply(*store, {message_entry(4, group_message(kTeam, 11, kCarol, cid(11), "welcome back"))});
  CHECK(conversation(*store, kTeam).unread == 1);
  CHECK(must(store->enqueue_group(kMe, "alice", kTeam, "thanks", 2)).state ==
        MessageState::kQueued);

  // A fetched list (GetGroup) makes it whole again.
  v1::GroupInfo info = group_info(kTeam, "team", kBob, 3, 11);
  add_member(info, kBob, v1::GROUP_ROLE_OWNER);
  add_member(info, kCarol, v1::GROUP_ROLE_ADMIN, 11);
  add_member(info, kMe, v1::GROUP_ROLE_MEMBER, 10);
  must_ok(store->store_group(kMe, info));
  const Group g = group(*store, kTeam);
  CHECK(member_ids(g) == std::vector<UserId>{kMe, kBob, kCarol});
  CHECK(role_of(g, kCarol) == GroupRole::kAdmin);
  CHECK(g.members.front().user.id == kBob);
  for (const auto& m : g.members) {
    if (m.user.id == kCarol) CHECK(m.read_seq == 11);
  }
}

TEST_CASE("client store groups: a dissolved group keeps its history and refuses sends") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team(),
                 message_entry(2, group_message(kTeam, 1, kBob, cid(1), "last words"))});
  auto queued = must(store->enqueue_group(kMe, "alice", kTeam, "wait!", 7'000));
  auto r = apply(*store, {group_entry(3, v1::GROUP_EVENT_KIND_DISSOLVED,
                                      group_info(kTeam, "team", kBob, 3, 1, true), kBob, {}, 1)});
  auto failed = events_of<MessageStateChanged>(r);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].message.failure.code() == Error::kGroupDissolved);
  auto changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].group.dissolved);
  CHECK(changed[0].group.membership == GroupMembership::kMember);
  CHECK(store->enqueue_group(kMe, "alice", kTeam, "x", 1).code() == Error::kGroupDissolved);
  CHECK(must(store->messages(kTeam, 0, 10)).size() == 2);
  (void)queued;

  // An answer listing the group as not dissolved (stale) does not undo it.
  must_ok(store->store_group(kMe, group_info(kTeam, "team", kBob, 3)));
  CHECK(group(*store, kTeam).dissolved);
}

TEST_CASE("client store groups: renames, roles and ownership follow the log") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team()});
  auto r = apply(
      *store,
      {group_entry(2, v1::GROUP_EVENT_KIND_RENAMED, group_info(kTeam, "team 2", kBob, 3), kBob, {}),
       group_entry(3, v1::GROUP_EVENT_KIND_ROLE_CHANGED, group_info(kTeam, "team 2", kBob, 3), kBob,
                   {kMe}, 0, v1::GROUP_ROLE_ADMIN)});
  auto changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 2);
  CHECK(changed[0].kind == GroupEventKind::kRenamed);
  CHECK(changed[0].group.name == "team 2");
  CHECK(changed[1].kind == GroupEventKind::kRoleChanged);
  CHECK(changed[1].role == GroupRole::kAdmin);
  CHECK(changed[1].group.my_role == GroupRole::kAdmin);
  CHECK(role_of(group(*store, kTeam), kMe) == GroupRole::kAdmin);

  // Bob hands the group to me: I own it, he is an admin.
  r = apply(*store, {group_entry(4, v1::GROUP_EVENT_KIND_OWNER_CHANGED,
                                 group_info(kTeam, "team 2", kMe, 3), kBob, {kMe})});
  changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].group.my_role == GroupRole::kOwner);
  CHECK(changed[0].group.owner_id == kMe);
  Group g = group(*store, kTeam);
  CHECK(role_of(g, kMe) == GroupRole::kOwner);
  CHECK(role_of(g, kBob) == GroupRole::kAdmin);

  // ...and I hand it to carol: I am an admin again.
  apply(*store, {group_entry(5, v1::GROUP_EVENT_KIND_OWNER_CHANGED,
                             group_info(kTeam, "team 2", kCarol, 3), kMe, {kCarol})});
  g = group(*store, kTeam);
  CHECK(g.my_role == GroupRole::kAdmin);
  CHECK(role_of(g, kCarol) == GroupRole::kOwner);
  CHECK(role_of(g, kMe) == GroupRole::kAdmin);
}

TEST_CASE("client store groups: other members joining and going update the cached list") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team(),
                 group_entry(2, v1::GROUP_EVENT_KIND_MEMBERS_ADDED,
                             group_info(kTeam, "team", kBob, 4), kBob, {kDave}),
                 group_entry(3, v1::GROUP_EVENT_KIND_MEMBER_LEFT,
                             group_info(kTeam, "team", kBob, 3), kCarol, {kCarol})});
  Group g = group(*store, kTeam);
  CHECK(member_ids(g) == std::vector<UserId>{kMe, kBob, kDave});
  CHECK(g.member_count == 3);
  auto r = apply(*store, {group_entry(4, v1::GROUP_EVENT_KIND_MEMBER_REMOVED,
                                      group_info(kTeam, "team", kBob, 2), kBob, {kDave})});
  auto changed = events_of<GroupChanged>(r);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].actor.id == kBob);
  CHECK(changed[0].subjects.at(0).id == kDave);
  CHECK(changed[0].group.membership == GroupMembership::kMember);  // not me
  CHECK(member_ids(group(*store, kTeam)) == std::vector<UserId>{kMe, kBob});
}

TEST_CASE("client store groups: members' markers make my messages delivered and read, each told") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team(), message_entry(2, group_message(kTeam, 1, kMe, cid(1), "one")),
                 message_entry(3, group_message(kTeam, 2, kMe, cid(2), "two"))});
  auto r = apply(*store,
                 {marker_entry(4, kTeam, kBob, 2, false), marker_entry(5, kTeam, kCarol, 1, false),
                  marker_entry(6, kTeam, kCarol, 1, true)});
  auto receipts = events_of<ReceiptUpdated>(r);
  REQUIRE(receipts.size() == 3);  // one per member's marker, even when the furthest stays
  CHECK(receipts[0].peer_id == kBob);
  CHECK(receipts[0].state == MessageState::kDelivered);
  CHECK(receipts[1].peer_id == kCarol);
  CHECK(receipts[1].up_to_seq == 1);
  CHECK(receipts[2].state == MessageState::kRead);
  auto page = must(store->messages(kTeam, 0, 10));
  REQUIRE(page.size() == 2);
  CHECK(page[0].state == MessageState::kDelivered);  // "two": on bob's device
  CHECK(page[1].state == MessageState::kRead);       // "one": carol read it
  Conversation c = conversation(*store, kTeam);
  CHECK(c.peer_read_seq == 1);
  CHECK(c.peer.id == 0);  // a marker never makes a group a direct conversation

  // A reply reads up to it: the receipt names who wrote.
  r = apply(*store, {message_entry(7, group_message(kTeam, 3, kBob, cid(3), "ok"))});
  receipts = events_of<ReceiptUpdated>(r);
  REQUIRE(receipts.size() == 1);
  CHECK(receipts[0].peer_id == kBob);
  CHECK(receipts[0].up_to_seq == 3);
  CHECK(must(store->messages(kTeam, 0, 10))[1].state == MessageState::kRead);
}

TEST_CASE("client store groups: answers never undo the membership the log set") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  // An answer first (the group is new here): a member.
  v1::GroupInfo info = group_info(kTeam, "team", kBob, 3);
  must_ok(store->store_groups(kMe, {info}));
  CHECK(group(*store, kTeam).membership == GroupMembership::kMember);
  CHECK(group(*store, kTeam).my_role == GroupRole::kMember);
  CHECK(conversation(*store, kTeam).kind == ConversationKind::kGroup);
  apply(*store, {bob_created_team(), group_entry(2, v1::GROUP_EVENT_KIND_MEMBER_REMOVED,
                                                 group_info(kTeam, "team", kBob, 2), kBob, {kMe})});
  // A stale ListGroups answer (sent before the removal) arrives after it.
  must_ok(store->store_groups(kMe, {info}));
  const Group g = group(*store, kTeam);
  CHECK(g.membership == GroupMembership::kRemoved);
  CHECK(g.my_role == GroupRole::kNone);
}

TEST_CASE("client store groups: malformed group events roll back, newer kinds pass") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  auto bad = store->apply(
      kMe, {bob_created_team(),
            group_entry(2, v1::GROUP_EVENT_KIND_RENAMED, group_info(0, "x", kBob, 3), kBob, {})});
  CHECK(bad.code() == Error::kProtocol);
  CHECK(must(store->applied_user_seq()) == 0);
  CHECK(must(store->groups()).empty());

  auto r =
      apply(*store, {bob_created_team(),
                     group_entry(2, static_cast<v1::GroupEventKind>(42),
                                 group_info(kTeam, "renamed by a newer kind", kBob, 3), kBob, {})});
  CHECK(r.applied_user_seq == 2);
  CHECK(events_of<GroupChanged>(r).size() == 1);
  CHECK(group(*store, kTeam).name == "renamed by a newer kind");
}

TEST_CASE("client store groups: a group and a direct conversation with its owner stay apart") {
  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  apply(*store, {bob_created_team(),
                 message_entry(2, wire_message(kWithBob, 1, kBob, kMe, cid(1), "direct")),
                 message_entry(3, group_message(kTeam, 1, kBob, cid(2), "to all"))});
  CHECK(must(store->conversation_with(kBob)) == std::optional<ConversationId>(kWithBob));
  auto with_bob = must(store->messages_with(kBob, 0, 10));
  REQUIRE(with_bob.size() == 1);
  CHECK(with_bob[0].text == "direct");
  auto queued = must(store->enqueue(kMe, "alice", kBob, "just you", 9'000));
  CHECK(queued.conversation_id == kWithBob);
  CHECK(queued.kind == ConversationKind::kDirect);
  CHECK(must(store->messages(kTeam, 0, 10)).size() == 1);
  auto list = must(store->conversations());
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == kWithBob);  // the queued message is the newest activity
  CHECK(list[1].kind == ConversationKind::kGroup);
}

TEST_CASE("client store groups: a version 1 store is migrated and keeps its data") {
  TempDir dir;
  const auto path = dir.file("client.db");
  {
    // The released version 1 schema, frozen here, with one message in it.
    auto db = must(store::Database::open(path, store::OpenOptions{}));
    must_ok(db.exec(R"sql(
CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), user_id INTEGER NOT NULL,
  username TEXT NOT NULL, token BLOB, device_id INTEGER NOT NULL);
CREATE TABLE sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), applied_user_seq INTEGER NOT NULL);
INSERT INTO sync_state (id, applied_user_seq) VALUES (1, 1);
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL);
CREATE TABLE friends (user_id INTEGER PRIMARY KEY, since_ms INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL, online INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
CREATE TABLE friend_requests (id INTEGER PRIMARY KEY, from_id INTEGER NOT NULL,
  to_id INTEGER NOT NULL, note TEXT NOT NULL, state INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, answered_ms INTEGER NOT NULL);
CREATE TABLE conversations (id INTEGER PRIMARY KEY, peer_id INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, read_seq INTEGER NOT NULL, peer_read_seq INTEGER NOT NULL,
  peer_delivered_seq INTEGER NOT NULL);
CREATE INDEX conversations_by_peer ON conversations (peer_id);
CREATE TABLE messages (id INTEGER PRIMARY KEY, client_msg_id BLOB NOT NULL,
  message_id INTEGER NOT NULL, conversation_id INTEGER NOT NULL, seq INTEGER,
  sender_id INTEGER NOT NULL, peer_id INTEGER NOT NULL, outgoing INTEGER NOT NULL,
  state INTEGER NOT NULL, time_ms INTEGER NOT NULL, text TEXT NOT NULL,
  failure_code INTEGER NOT NULL DEFAULT 0, failure_message TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_own ON messages (client_msg_id) WHERE outgoing = 1;
CREATE INDEX messages_unsent ON messages (peer_id) WHERE seq IS NULL;
CREATE TABLE outbox (message_row INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE);
CREATE VIRTUAL TABLE message_search USING fts5 (text, content = 'messages',
  content_rowid = 'id', tokenize = 'trigram');
INSERT INTO users VALUES (2, 'user2');
INSERT INTO conversations VALUES (10, 2, 1, 0, 0, 0);
INSERT INTO messages (id, client_msg_id, message_id, conversation_id, seq, sender_id, peer_id,
  outgoing, state, time_ms, text) VALUES (1, x'00112233445566778899aabbccddeeff', 5, 10, 1, 2, 2,
  0, 5, 1000, 'from before groups');
INSERT INTO message_search (rowid, text) VALUES (1, 'from before groups');
PRAGMA user_version = 1;
)sql"));
  }
  auto store = open_store(path);
  CHECK(must(store->applied_user_seq()) == 1);
  auto page = must(store->messages_with(kBob, 0, 10));
  REQUIRE(page.size() == 1);
  CHECK(page[0].kind == ConversationKind::kDirect);
  CHECK(page[0].text == "from before groups");
  const Conversation c = conversation(*store, kWithBob);
  CHECK(c.kind == ConversationKind::kDirect);
  CHECK(c.peer.username == "user2");
  CHECK(c.unread == 1);
  // And groups work in it from now on.
  apply(*store, {bob_created_team(2)});
  CHECK(must(store->groups()).size() == 1);
  // Version 1 indexed its message as it stored it: nothing is left to index (version 3).
  CHECK(must(store->index_for_search(10)) == 0);
  CHECK(must(store->search("before groups", 10)).size() == 1);
}
