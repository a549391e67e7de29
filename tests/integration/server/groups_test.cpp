// SPDX-License-Identifier: MIT
// Groups over the wire: membership, roles, events, messages, markers and receipts.
#include <doctest/doctest.h>

#include <set>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// Every log entry after `after`, paging through sync.
std::vector<v1::LogEntry> sync_all(TestClient& client, std::uint64_t after = 0,
                                   std::uint32_t page = 0) {
  std::vector<v1::LogEntry> out;
  for (;;) {
    auto ok = call_ok(client, req::sync(after, page)).sync();
    for (const auto& e : ok.entries()) {
      out.push_back(e);
      after = e.user_seq();
    }
    if (!ok.has_more()) return out;
  }
}

std::uint64_t head_of(TestClient& client) {
  return call_ok(client, req::sync(0, 1)).sync().head_user_seq();
}

v1::SendMessageOk send_group(TestClient& client, std::uint64_t group, const std::string& text) {
  return call_ok(client, req::send_group_text(group, text, req::new_client_msg_id()))
      .send_message();
}

/// The next pushed log entry, REQUIREd to be a group event of `kind`.
v1::GroupEvent next_group_event(TestClient& client, v1::GroupEventKind kind) {
  auto entry = client.next_log();
  REQUIRE(entry.has_value());
  REQUIRE_MESSAGE(entry->has_group_event(), entry->ShortDebugString());
  CHECK(entry->group_event().kind() == kind);
  return entry->group_event();
}

std::set<std::uint64_t> ids_of(const google::protobuf::RepeatedPtrField<v1::UserInfo>& users) {
  std::set<std::uint64_t> out;
  for (const auto& u : users) out.insert(u.user_id());
  return out;
}

/// alice owns a group with bob and carol (all three friends of alice); dave is alice's friend
/// but not in the group; eve is nobody's friend.
struct Group {
  TestServer server;
  TestServer::User alice = server.create_user("alice");
  TestServer::User bob = server.create_user("bob");
  TestServer::User carol = server.create_user("carol");
  TestServer::User dave = server.create_user("dave");
  TestServer::User eve = server.create_user("eve");
  std::uint64_t id = 0;

  explicit Group(TestServer::Tweak tweak = {}) : server(std::move(tweak)) {
    server.befriend(alice, bob);
    server.befriend(alice, carol);
    server.befriend(alice, dave);
    auto created =
        call_ok(*alice.client, req::create_group("team", {bob.id, carol.id})).create_group();
    id = created.group().group_id();
    drain_all();
  }
  void drain_all() {
    for (auto* u : {&alice, &bob, &carol, &dave, &eve}) u->client->drain(50ms);
  }
};

}  // namespace

TEST_CASE("groups: creating makes the creator owner, answers the members and logs CREATED to all") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  auto carol = server.create_user("carol");
  server.befriend(alice, bob);
  server.befriend(alice, carol);
  // The creator's own id, repeats and 0 are ignored.
  auto ok = call_ok(*alice.client,
                    req::create_group("周末 hikers", {bob.id, carol.id, bob.id, 0, alice.id}))
                .create_group()
                .group();
  CHECK(ok.group_id() != 0);
  CHECK(ok.name() == "周末 hikers");
  CHECK(ok.owner_id() == alice.id);
  CHECK(ok.member_count() == 3);
  CHECK_FALSE(ok.dissolved());
  REQUIRE(ok.members_size() == 3);
  for (const auto& m : ok.members()) {
    CHECK(m.role() ==
          (m.user().user_id() == alice.id ? v1::GROUP_ROLE_OWNER : v1::GROUP_ROLE_MEMBER));
    CHECK(m.joined_seq() == 0);
    CHECK_FALSE(m.user().username().empty());
  }
  for (auto* user : {&alice, &bob, &carol}) {
    auto event = next_group_event(*user->client, v1::GROUP_EVENT_KIND_CREATED);
    CHECK(event.group().group_id() == ok.group_id());
    CHECK(event.group().name() == "周末 hikers");
    CHECK(event.group().members_size() == 0);
    CHECK(event.actor().user_id() == alice.id);
    CHECK(ids_of(event.subjects()) == std::set<std::uint64_t>{bob.id, carol.id});
  }
  // The event is durable: a sync replays it.
  auto entries = sync_all(*bob.client);
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().group_event().kind() == v1::GROUP_EVENT_KIND_CREATED);
}

TEST_CASE("groups: a retried CreateGroup with the same client_group_id returns the same group") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  const std::string cgid = req::new_client_msg_id();
  auto first = call_ok(*alice.client, req::create_group("once", {bob.id}, cgid)).create_group();
  auto again = call_ok(*alice.client, req::create_group("once", {bob.id}, cgid)).create_group();
  CHECK(again.group().group_id() == first.group().group_id());
  CHECK(again.group().members_size() == 2);
  // A different id makes a different group; no id never de-duplicates.
  auto other = call_ok(*alice.client, req::create_group("once", {bob.id}, req::new_client_msg_id()))
                   .create_group();
  CHECK(other.group().group_id() != first.group().group_id());
  auto plain1 = call_ok(*alice.client, req::create_group("plain", {bob.id})).create_group();
  auto plain2 = call_ok(*alice.client, req::create_group("plain", {bob.id})).create_group();
  CHECK(plain1.group().group_id() != plain2.group().group_id());
  // bob heard of the first group once.
  int created = 0;
  for (const auto& e : sync_all(*bob.client)) {
    created +=
        e.has_group_event() && e.group_event().group().group_id() == first.group().group_id();
  }
  CHECK(created == 1);
  CHECK(call_ok(*bob.client, req::list_groups()).list_groups().groups_size() == 4);
}

TEST_CASE("groups: only friends of the creator or the inviter can be added") {
  Group g;
  CHECK(call_error(*g.alice.client, req::create_group("x", {g.bob.id, g.eve.id})) ==
        Error::kNotFriends);
  CHECK(call_error(*g.alice.client, req::create_group("x", {987654})) == Error::kNotFriends);
  CHECK(call_error(*g.alice.client, req::invite_to_group(g.id, {g.eve.id})) == Error::kNotFriends);
  // Promoted bob may invite, but only his own friends: dave is alice's friend, not bob's.
  call_ok(*g.alice.client, req::set_group_role(g.id, g.bob.id, v1::GROUP_ROLE_ADMIN));
  CHECK(call_error(*g.bob.client, req::invite_to_group(g.id, {g.dave.id})) == Error::kNotFriends);
  // Nothing was created or changed by the refusals.
  CHECK(call_ok(*g.eve.client, req::list_groups()).list_groups().groups_size() == 0);
  CHECK(call_ok(*g.alice.client, req::get_group(g.id)).get_group().group().member_count() == 3);
}

TEST_CASE("groups: a message is stored once and reaches every member's devices once") {
  Group g;
  auto alice_phone = g.server.login(g.alice, "phone");
  auto carol_phone = g.server.login(g.carol, "phone");
  alice_phone->drain(50ms);
  carol_phone->drain(50ms);
  auto ack = send_group(*g.bob.client, g.id, "hello team");
  CHECK(ack.conversation_id() == g.id);
  CHECK(ack.seq() == 1);
  CHECK(send_group(*g.alice.client, g.id, "hi bob").seq() == 2);  // per-group seq
  for (TestClient* device : {g.alice.client.get(), alice_phone.get(), g.carol.client.get(),
                             carol_phone.get(), g.bob.client.get()}) {
    auto first = device->next_log();
    REQUIRE(first.has_value());
    REQUIRE(first->has_message());
    CHECK(first->message().message_id() == ack.message_id());
    CHECK(first->message().text() == "hello team");
    CHECK(first->message().kind() == v1::CONVERSATION_KIND_GROUP);
    CHECK(first->message().recipient_id() == 0);
    CHECK(first->message().sender_username() == "bob");
    auto second = device->next_log();
    REQUIRE(second.has_value());
    CHECK(second->message().seq() == 2);
    CHECK(second->user_seq() == first->user_seq() + 1);
    CHECK_FALSE(device->next_log(150ms).has_value());
  }
  CHECK_FALSE(g.dave.client->next_log(100ms).has_value());
  auto history = call_ok(*g.carol.client, req::history(g.id, 0)).history();
  REQUIRE(history.messages_size() == 2);
  CHECK(history.messages(0).text() == "hi bob");
  CHECK(history.messages(1).text() == "hello team");
}

TEST_CASE("groups: a resent client_msg_id in a group is answered with the original ack") {
  Group g;
  const auto cid = req::new_client_msg_id();
  auto first = call_ok(*g.bob.client, req::send_group_text(g.id, "once", cid)).send_message();
  auto again = call_ok(*g.bob.client, req::send_group_text(g.id, "once", cid)).send_message();
  CHECK(again.duplicate());
  CHECK(again.message_id() == first.message_id());
  CHECK(again.seq() == first.seq());
  CHECK(call_ok(*g.alice.client, req::history(g.id, 0)).history().messages_size() == 1);
  int pushes = 0;
  for (auto& e : g.carol.client->drain()) pushes += e.has_log() && e.log().has_message();
  CHECK(pushes == 1);
}

TEST_CASE("groups: SendMessage needs exactly one of to_user_id and group_id") {
  Group g;
  v1::Request both = req::send_group_text(g.id, "both", req::new_client_msg_id());
  both.mutable_send_message()->set_to_user_id(g.bob.id);
  CHECK(call_error(*g.alice.client, both) == Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::send_group_text(0, "none", req::new_client_msg_id())) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::send_group_text(g.id, "x", "short")) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::send_group_text(g.id, " \n", req::new_client_msg_id())) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::send_group_text(g.id, std::string(16 * 1024 + 1, 'x'),
                                                         req::new_client_msg_id())) ==
        Error::kMessageTooLarge);
  // A direct conversation's id is not a group.
  auto direct = call_ok(*g.alice.client, req::send_text(g.bob.id, "hi", req::new_client_msg_id()))
                    .send_message();
  CHECK(call_error(*g.alice.client, req::send_group_text(direct.conversation_id(), "no",
                                                         req::new_client_msg_id())) ==
        Error::kNotGroupMember);
  CHECK(call_ok(*g.alice.client, req::history(g.id, 0)).history().messages_size() == 0);
}

TEST_CASE("groups: someone who never was a member can neither read, write nor see the group") {
  Group g;
  send_group(*g.bob.client, g.id, "members only");
  auto& eve = *g.eve.client;
  CHECK(call_error(eve, req::send_group_text(g.id, "let me in", req::new_client_msg_id())) ==
        Error::kNotGroupMember);
  CHECK(call_error(eve, req::history(g.id, 0)) == Error::kPermissionDenied);
  CHECK(call_error(eve, req::mark_read(g.id, 1)) == Error::kPermissionDenied);
  CHECK(call_error(eve, req::mark_delivered(g.id, 1)) == Error::kPermissionDenied);
  CHECK(call_error(eve, req::set_typing(g.id, true)) == Error::kPermissionDenied);
  CHECK(call_error(eve, req::read_receipts(g.id, 1)) == Error::kPermissionDenied);
  CHECK(call_error(eve, req::get_group(g.id)) == Error::kNotGroupMember);
  CHECK(call_error(eve, req::leave_group(g.id)) == Error::kNotGroupMember);
  CHECK(call_error(eve, req::rename_group(g.id, "mine")) == Error::kNotGroupMember);
  CHECK(call_error(eve, req::invite_to_group(g.id, {g.eve.id})) == Error::kNotGroupMember);
  CHECK(call_error(eve, req::dissolve_group(g.id)) == Error::kNotGroupMember);
  // Unknown group ids answer the same as groups of other people.
  for (std::uint64_t unknown : {std::uint64_t{424242}, ~std::uint64_t{0}}) {
    CHECK(call_error(*g.alice.client, req::get_group(unknown)) == Error::kNotGroupMember);
    CHECK(
        call_error(*g.alice.client, req::send_group_text(unknown, "?", req::new_client_msg_id())) ==
        Error::kNotGroupMember);
    CHECK(call_error(*g.alice.client, req::invite_to_group(unknown, {g.dave.id})) ==
          Error::kNotGroupMember);
  }
  CHECK_FALSE(eve.next_log(100ms).has_value());
}

TEST_CASE("groups: roles decide who may invite, rename, remove, set roles and transfer") {
  Group g;
  // A plain member may do none of it.
  CHECK(call_error(*g.bob.client, req::invite_to_group(g.id, {g.dave.id})) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::rename_group(g.id, "bob's")) == Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::remove_group_member(g.id, g.carol.id)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::set_group_role(g.id, g.bob.id, v1::GROUP_ROLE_ADMIN)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::transfer_group_ownership(g.id, g.bob.id)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::dissolve_group(g.id)) == Error::kPermissionDenied);

  // The owner makes bob an admin: everyone hears of it.
  call_ok(*g.alice.client, req::set_group_role(g.id, g.bob.id, v1::GROUP_ROLE_ADMIN));
  for (auto* u : {&g.alice, &g.bob, &g.carol}) {
    auto event = next_group_event(*u->client, v1::GROUP_EVENT_KIND_ROLE_CHANGED);
    CHECK(event.role() == v1::GROUP_ROLE_ADMIN);
    CHECK(ids_of(event.subjects()) == std::set<std::uint64_t>{g.bob.id});
    CHECK(event.actor().user_id() == g.alice.id);
  }
  // An admin renames and invites (own friends), but does not set roles, transfer or dissolve.
  call_ok(*g.bob.client, req::rename_group(g.id, "bob's team"));
  auto renamed = next_group_event(*g.carol.client, v1::GROUP_EVENT_KIND_RENAMED);
  CHECK(renamed.group().name() == "bob's team");
  g.server.befriend(g.bob, g.dave);
  g.drain_all();
  call_ok(*g.bob.client, req::invite_to_group(g.id, {g.dave.id}));
  CHECK(call_error(*g.bob.client, req::set_group_role(g.id, g.carol.id, v1::GROUP_ROLE_ADMIN)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::transfer_group_ownership(g.id, g.bob.id)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::dissolve_group(g.id)) == Error::kPermissionDenied);
  // An admin removes plain members, not other admins and not the owner.
  call_ok(*g.alice.client, req::set_group_role(g.id, g.carol.id, v1::GROUP_ROLE_ADMIN));
  CHECK(call_error(*g.bob.client, req::remove_group_member(g.id, g.carol.id)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*g.bob.client, req::remove_group_member(g.id, g.alice.id)) ==
        Error::kPermissionDenied);
  call_ok(*g.bob.client, req::remove_group_member(g.id, g.dave.id));
  // The owner removes admins too, and demotes them.
  call_ok(*g.alice.client, req::set_group_role(g.id, g.carol.id, v1::GROUP_ROLE_MEMBER));
  call_ok(*g.alice.client, req::remove_group_member(g.id, g.bob.id));
  auto group = call_ok(*g.alice.client, req::get_group(g.id)).get_group().group();
  CHECK(group.member_count() == 2);
  CHECK(group.name() == "bob's team");
  // Bad targets and roles.
  CHECK(call_error(*g.alice.client, req::remove_group_member(g.id, g.alice.id)) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::remove_group_member(g.id, g.eve.id)) == Error::kNotFound);
  CHECK(call_error(*g.alice.client, req::set_group_role(g.id, g.carol.id, v1::GROUP_ROLE_OWNER)) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client,
                   req::set_group_role(g.id, g.carol.id, v1::GROUP_ROLE_UNSPECIFIED)) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::set_group_role(g.id, g.alice.id, v1::GROUP_ROLE_ADMIN)) ==
        Error::kInvalidArgument);
  CHECK(call_error(*g.alice.client, req::set_group_role(g.id, g.eve.id, v1::GROUP_ROLE_ADMIN)) ==
        Error::kNotFound);
  CHECK(call_error(*g.alice.client, req::invite_to_group(g.id, {g.carol.id})) ==
        Error::kAlreadyExists);
}

TEST_CASE("groups: the owner leaves only after transferring ownership, then as an admin") {
  Group g;
  CHECK(call_error(*g.alice.client, req::leave_group(g.id)) == Error::kPermissionDenied);
  CHECK(call_error(*g.alice.client, req::transfer_group_ownership(g.id, g.dave.id)) ==
        Error::kNotFound);
  CHECK(call_error(*g.alice.client, req::transfer_group_ownership(g.id, g.alice.id)) ==
        Error::kInvalidArgument);
  call_ok(*g.alice.client, req::transfer_group_ownership(g.id, g.bob.id));
  auto event = next_group_event(*g.carol.client, v1::GROUP_EVENT_KIND_OWNER_CHANGED);
  CHECK(ids_of(event.subjects()) == std::set<std::uint64_t>{g.bob.id});
  CHECK(event.group().owner_id() == g.bob.id);
  auto group = call_ok(*g.carol.client, req::get_group(g.id)).get_group().group();
  CHECK(group.owner_id() == g.bob.id);
  for (const auto& m : group.members()) {
    if (m.user().user_id() == g.alice.id) CHECK(m.role() == v1::GROUP_ROLE_ADMIN);
    if (m.user().user_id() == g.bob.id) CHECK(m.role() == v1::GROUP_ROLE_OWNER);
  }
  // The old owner no longer owns: no dissolving; but may leave now.
  CHECK(call_error(*g.alice.client, req::dissolve_group(g.id)) == Error::kPermissionDenied);
  g.drain_all();
  call_ok(*g.alice.client, req::leave_group(g.id));
  for (auto* u : {&g.alice, &g.bob, &g.carol}) {
    auto left = next_group_event(*u->client, v1::GROUP_EVENT_KIND_MEMBER_LEFT);
    CHECK(ids_of(left.subjects()) == std::set<std::uint64_t>{g.alice.id});
    CHECK(left.group().member_count() == 2);
  }
  CHECK(call_error(*g.alice.client, req::leave_group(g.id)) == Error::kNotGroupMember);
  CHECK(call_ok(*g.alice.client, req::list_groups()).list_groups().groups_size() == 0);
}

TEST_CASE("groups: a removed member gets the removal and nothing after it, and is refused") {
  Group g;
  auto a1 = send_group(*g.alice.client, g.id, "before");
  g.drain_all();
  call_ok(*g.alice.client, req::remove_group_member(g.id, g.carol.id));
  auto removal = next_group_event(*g.carol.client, v1::GROUP_EVENT_KIND_MEMBER_REMOVED);
  CHECK(ids_of(removal.subjects()) == std::set<std::uint64_t>{g.carol.id});
  CHECK(removal.actor().user_id() == g.alice.id);
  CHECK(removal.at_seq() == a1.seq());
  const auto carol_head = head_of(*g.carol.client);

  // The conversation goes on without carol.
  send_group(*g.bob.client, g.id, "after 1");
  send_group(*g.alice.client, g.id, "after 2");
  call_ok(*g.alice.client, req::rename_group(g.id, "carol-free"));
  call_ok(*g.bob.client, req::set_typing(g.id, true));
  CHECK_FALSE(g.carol.client->next_event(200ms).has_value());
  CHECK(head_of(*g.carol.client) == carol_head);
  auto entries = sync_all(*g.carol.client);
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().group_event().kind() == v1::GROUP_EVENT_KIND_MEMBER_REMOVED);

  auto& carol = *g.carol.client;
  CHECK(call_error(carol, req::history(g.id, 0)) == Error::kNotGroupMember);
  CHECK(call_error(carol, req::send_group_text(g.id, "hey", req::new_client_msg_id())) ==
        Error::kNotGroupMember);
  CHECK(call_error(carol, req::mark_read(g.id, 1)) == Error::kNotGroupMember);
  CHECK(call_error(carol, req::mark_delivered(g.id, 1)) == Error::kNotGroupMember);
  CHECK(call_error(carol, req::set_typing(g.id, true)) == Error::kNotGroupMember);
  CHECK(call_error(carol, req::read_receipts(g.id, 1)) == Error::kNotGroupMember);
  CHECK(call_error(carol, req::leave_group(g.id)) == Error::kNotGroupMember);
  // She may still see what the group is, but not who is in it.
  auto seen = call_ok(carol, req::get_group(g.id)).get_group().group();
  CHECK(seen.name() == "carol-free");
  CHECK(seen.members_size() == 0);
  CHECK(call_ok(carol, req::list_groups()).list_groups().groups_size() == 0);
  const auto carol_list = call_ok(carol, req::list_conversations()).list_conversations();
  for (const auto& c : carol_list.conversations()) CHECK(c.conversation_id() != g.id);
}

TEST_CASE("groups: a new member sees only what comes after joining; a re-invite is a new start") {
  Group g;
  send_group(*g.alice.client, g.id, "old 1");
  send_group(*g.bob.client, g.id, "old 2");
  g.drain_all();
  call_ok(*g.alice.client, req::invite_to_group(g.id, {g.dave.id}));
  auto added = next_group_event(*g.dave.client, v1::GROUP_EVENT_KIND_MEMBERS_ADDED);
  CHECK(ids_of(added.subjects()) == std::set<std::uint64_t>{g.dave.id});
  CHECK(added.at_seq() == 2);
  next_group_event(*g.bob.client, v1::GROUP_EVENT_KIND_MEMBERS_ADDED);

  auto& dave = *g.dave.client;
  CHECK(call_ok(dave, req::history(g.id, 0)).history().messages_size() == 0);
  auto listed = call_ok(dave, req::list_conversations()).list_conversations();
  const v1::ConversationSummary* summary = nullptr;
  for (const auto& c : listed.conversations()) {
    if (c.conversation_id() == g.id) summary = &c;
  }
  REQUIRE(summary != nullptr);
  CHECK(summary->last_seq() - summary->read_seq() == 0);  // nothing unread from before
  CHECK_FALSE(summary->has_last_message());               // and nothing from before shown
  CHECK(call_error(dave, req::read_receipts(g.id, 2)) == Error::kNotFound);

  send_group(*g.bob.client, g.id, "new 3");
  auto pushed = dave.next_log();
  REQUIRE(pushed.has_value());
  CHECK(pushed->message().text() == "new 3");
  auto history = call_ok(dave, req::history(g.id, 0)).history();
  REQUIRE(history.messages_size() == 1);
  CHECK(history.messages(0).seq() == 3);
  CHECK_FALSE(history.has_more());

  // Out and back in: the join point moves to the new moment.
  call_ok(dave, req::leave_group(g.id));
  send_group(*g.bob.client, g.id, "while dave was out");
  call_ok(*g.alice.client, req::invite_to_group(g.id, {g.dave.id}));
  history = call_ok(dave, req::history(g.id, 0)).history();
  CHECK(history.messages_size() == 0);
  auto group = call_ok(dave, req::get_group(g.id)).get_group().group();
  for (const auto& m : group.members()) {
    if (m.user().user_id() == g.dave.id) {
      CHECK(m.joined_seq() == 4);
      CHECK(m.read_seq() == 4);
      CHECK(m.role() == v1::GROUP_ROLE_MEMBER);
    }
  }
  int dave_messages = 0;
  for (const auto& e : sync_all(dave)) dave_messages += e.has_message();
  CHECK(dave_messages == 1);  // "new 3" only
}

TEST_CASE("groups: a member offline during a burst syncs every message exactly once") {
  Group g;
  const auto carol_position = head_of(*g.carol.client);
  g.carol.client.reset();
  constexpr int kBurst = 120;
  // Two senders pipelining at once, so the burst spans many store batches.
  std::vector<std::pair<TestClient*, std::uint64_t>> pending;
  for (int i = 0; i < kBurst; ++i) {
    TestClient* sender = (i % 2 == 0) ? g.alice.client.get() : g.bob.client.get();
    pending.emplace_back(sender,
                         sender->send(req::send_group_text(g.id, "burst " + std::to_string(i),
                                                           req::new_client_msg_id())));
  }
  std::vector<std::uint64_t> sent;
  for (auto [sender, id] : pending) {
    auto response = sender->wait_response(id);
    REQUIRE(response.ok());
    REQUIRE(error_of(*response) == Error::kOk);
    sent.push_back(response->send_message().message_id());
  }
  auto carol = g.server.login(g.carol, "laptop");
  auto entries = sync_all(*carol, carol_position, 17);
  std::vector<std::uint64_t> received;
  std::uint64_t last = carol_position;
  for (const auto& e : entries) {
    CHECK(e.user_seq() == last + 1);
    last = e.user_seq();
    if (e.has_message()) received.push_back(e.message().message_id());
  }
  CHECK(received.size() == static_cast<std::size_t>(kBurst));
  CHECK(std::set<std::uint64_t>(received.begin(), received.end()).size() == received.size());
  CHECK(std::set<std::uint64_t>(received.begin(), received.end()) ==
        std::set<std::uint64_t>(sent.begin(), sent.end()));
  // In seq order, and the seqs are dense.
  for (std::size_t i = 0; i < entries.size(); ++i) CHECK(entries[i].message().seq() == i + 1);
}

TEST_CASE("groups: a dissolved group keeps its history and accepts nothing new") {
  Group g;
  send_group(*g.bob.client, g.id, "last words");
  g.drain_all();
  call_ok(*g.alice.client, req::dissolve_group(g.id));
  for (auto* u : {&g.alice, &g.bob, &g.carol}) {
    auto event = next_group_event(*u->client, v1::GROUP_EVENT_KIND_DISSOLVED);
    CHECK(event.group().dissolved());
  }
  CHECK(call_error(*g.bob.client, req::send_group_text(g.id, "hello?", req::new_client_msg_id())) ==
        Error::kGroupDissolved);
  CHECK(call_error(*g.alice.client, req::invite_to_group(g.id, {g.dave.id})) ==
        Error::kGroupDissolved);
  CHECK(call_error(*g.alice.client, req::rename_group(g.id, "again")) == Error::kGroupDissolved);
  CHECK(call_error(*g.alice.client, req::dissolve_group(g.id)) == Error::kGroupDissolved);
  CHECK(call_error(*g.bob.client, req::leave_group(g.id)) == Error::kGroupDissolved);
  CHECK(call_error(*g.alice.client, req::remove_group_member(g.id, g.bob.id)) ==
        Error::kGroupDissolved);
  CHECK(call_error(*g.bob.client, req::set_typing(g.id, true)) == Error::kGroupDissolved);
  // Reading goes on.
  CHECK(call_ok(*g.carol.client, req::history(g.id, 0)).history().messages_size() == 1);
  call_ok(*g.carol.client, req::mark_read(g.id, 1));
  auto group = call_ok(*g.carol.client, req::get_group(g.id)).get_group().group();
  CHECK(group.dissolved());
  CHECK(group.members_size() == 3);
  auto listed = call_ok(*g.carol.client, req::list_groups()).list_groups();
  REQUIRE(listed.groups_size() == 1);
  CHECK(listed.groups(0).dissolved());
}

TEST_CASE("groups: creating or inviting beyond the member limit answers GROUP_FULL") {
  Group g([](ServerOptions& o) { o.max_group_members = 4; });
  auto frank = g.server.create_user("frank");
  g.server.befriend(g.alice, frank);
  g.drain_all();
  // alice + 4 others is 5 > 4.
  CHECK(call_error(*g.alice.client, req::create_group("big", {g.bob.id, g.carol.id, g.dave.id,
                                                              frank.id})) == Error::kGroupFull);
  // The group has 3; one more fits, then it is full.
  CHECK(call_error(*g.alice.client, req::invite_to_group(g.id, {g.dave.id, frank.id})) ==
        Error::kGroupFull);
  call_ok(*g.alice.client, req::invite_to_group(g.id, {g.dave.id}));
  CHECK(call_error(*g.alice.client, req::invite_to_group(g.id, {frank.id})) == Error::kGroupFull);
  CHECK(call_ok(*g.alice.client, req::get_group(g.id)).get_group().group().member_count() == 4);
  // Someone leaving makes room again.
  call_ok(*g.dave.client, req::leave_group(g.id));
  call_ok(*g.alice.client, req::invite_to_group(g.id, {frank.id}));
}

TEST_CASE("groups: malformed and oversized requests get clear errors and change nothing") {
  Group g;
  auto& alice = *g.alice.client;
  for (const std::string& bad :
       {std::string(), std::string(65, 'n'), std::string("   "), std::string("tab\there"),
        std::string("nul\0x", 5), std::string("c1 \xc2\x85 control"), std::string("bell\x07")}) {
    CHECK(call_error(alice, req::create_group(bad, {g.bob.id})) == Error::kInvalidArgument);
    CHECK(call_error(alice, req::rename_group(g.id, bad)) == Error::kInvalidArgument);
  }
  // 64 bytes is fine, multi-byte characters count as bytes.
  CHECK(call_error(alice, req::rename_group(g.id, std::string(64, 'n'))) == Error::kOk);
  CHECK(call_error(alice, req::rename_group(
                              g.id, std::string(22, 'x') + "群群群群群群群群群群群群群" + "群")) ==
        Error::kOk);  // 22 + 42 = 64
  CHECK(call_error(alice, req::create_group("ok", {g.bob.id}, "short-id")) ==
        Error::kInvalidArgument);
  // Far more member ids than any group may have: refused before any lookup.
  std::vector<std::uint64_t> many(20000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = 1000 + i;
  CHECK(call_error(alice, req::create_group("huge", many)) == Error::kGroupFull);
  CHECK(call_error(alice, req::invite_to_group(g.id, many)) == Error::kGroupFull);
  // Zero ids.
  CHECK(call_error(alice, req::invite_to_group(g.id, {})) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::invite_to_group(g.id, {0, 0})) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::invite_to_group(0, {g.dave.id})) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::leave_group(0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::remove_group_member(g.id, 0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::remove_group_member(0, g.bob.id)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::rename_group(0, "x")) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::set_group_role(g.id, 0, v1::GROUP_ROLE_ADMIN)) ==
        Error::kInvalidArgument);
  CHECK(call_error(alice, req::transfer_group_ownership(g.id, 0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::dissolve_group(0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::get_group(0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::read_receipts(0, 1)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::read_receipts(g.id, 0)) == Error::kInvalidArgument);
  CHECK(call_error(alice, req::read_receipts(g.id, 99)) == Error::kNotFound);
  auto group = call_ok(alice, req::get_group(g.id)).get_group().group();
  CHECK(group.member_count() == 3);
  CHECK(call_ok(alice, req::list_groups()).list_groups().groups_size() == 1);
}

TEST_CASE("groups: read markers go to the reader's own devices; receipts are pulled") {
  Group g;
  auto bob_phone = g.server.login(g.bob, "phone");
  auto m1 = send_group(*g.alice.client, g.id, "one");
  send_group(*g.alice.client, g.id, "two");
  g.drain_all();
  bob_phone->drain(50ms);

  call_ok(*g.bob.client, req::mark_read(g.id, 2));
  for (TestClient* device : {g.bob.client.get(), bob_phone.get()}) {
    auto marker = device->next_log();
    REQUIRE(marker.has_value());
    REQUIRE(marker->has_read_marker());
    CHECK(marker->read_marker().reader_id() == g.bob.id);
    CHECK(marker->read_marker().up_to_seq() == 2);
  }
  call_ok(*g.carol.client, req::mark_delivered(g.id, 1));
  auto delivered = g.carol.client->next_log();
  REQUIRE(delivered.has_value());
  CHECK(delivered->has_delivered_marker());
  // Neither marker reaches the other members' logs.
  CHECK_FALSE(g.alice.client->next_log(200ms).has_value());

  auto receipts = call_ok(*g.alice.client, req::read_receipts(g.id, m1.seq())).get_read_receipts();
  CHECK(receipts.member_count() == 2);
  CHECK(ids_of(receipts.read_by()) == std::set<std::uint64_t>{g.bob.id});
  CHECK(ids_of(receipts.delivered_to()) == std::set<std::uint64_t>{g.carol.id});
  receipts = call_ok(*g.bob.client, req::read_receipts(g.id, 2)).get_read_receipts();
  CHECK(receipts.member_count() == 2);
  CHECK(receipts.read_by_size() == 1);
  CHECK(receipts.delivered_to_size() == 0);

  // Unread counts: last_seq - read_seq, and sending implies reading.
  auto unread = [&](TestClient& c) {
    const auto list = call_ok(c, req::list_conversations()).list_conversations();
    for (const auto& s : list.conversations()) {
      if (s.conversation_id() == g.id) return s.last_seq() - s.read_seq();
    }
    FAIL("group not listed");
    return std::uint64_t{0};
  };
  CHECK(unread(*g.bob.client) == 0);
  CHECK(unread(*g.carol.client) == 2);
  CHECK(unread(*g.alice.client) == 0);
  send_group(*g.carol.client, g.id, "three");
  CHECK(unread(*g.carol.client) == 0);
  CHECK(unread(*g.bob.client) == 1);
}

TEST_CASE("receipts: in a direct conversation GetReadReceipts reads as 'read by 1 of 1'") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  server.befriend(alice, bob);
  auto ack =
      call_ok(*alice.client, req::send_text(bob.id, "hi", req::new_client_msg_id())).send_message();
  auto receipts = call_ok(*alice.client, req::read_receipts(ack.conversation_id(), ack.seq()))
                      .get_read_receipts();
  CHECK(receipts.member_count() == 1);
  CHECK(receipts.read_by_size() == 0);
  CHECK(receipts.delivered_to_size() == 0);
  call_ok(*bob.client, req::mark_delivered(ack.conversation_id(), 1));
  receipts = call_ok(*alice.client, req::read_receipts(ack.conversation_id(), ack.seq()))
                 .get_read_receipts();
  CHECK(ids_of(receipts.delivered_to()) == std::set<std::uint64_t>{bob.id});
  call_ok(*bob.client, req::mark_read(ack.conversation_id(), 1));
  receipts = call_ok(*alice.client, req::read_receipts(ack.conversation_id(), ack.seq()))
                 .get_read_receipts();
  CHECK(receipts.member_count() == 1);
  CHECK(ids_of(receipts.read_by()) == std::set<std::uint64_t>{bob.id});
  CHECK(receipts.delivered_to_size() == 0);
  auto eve = server.create_user("eve");
  CHECK(call_error(*eve.client, req::read_receipts(ack.conversation_id(), 1)) ==
        Error::kPermissionDenied);
}

TEST_CASE("groups: ListConversations and ListGroups show the group with its summary") {
  Group g;
  send_group(*g.bob.client, g.id, "latest");
  auto listed = call_ok(*g.carol.client, req::list_conversations()).list_conversations();
  const v1::ConversationSummary* summary = nullptr;
  for (const auto& c : listed.conversations()) {
    if (c.conversation_id() == g.id) summary = &c;
  }
  REQUIRE(summary != nullptr);
  CHECK(summary->kind() == v1::CONVERSATION_KIND_GROUP);
  CHECK_FALSE(summary->has_peer());
  CHECK(summary->group().group_id() == g.id);
  CHECK(summary->group().name() == "team");
  CHECK(summary->group().owner_id() == g.alice.id);
  CHECK(summary->group().member_count() == 3);
  CHECK(summary->group().last_seq() == 1);
  CHECK(summary->group().members_size() == 0);
  CHECK(summary->last_seq() == 1);
  CHECK(summary->read_seq() == 0);
  CHECK(summary->last_message().text() == "latest");
  // Direct conversations keep their shape next to groups.
  const auto alice_list = call_ok(*g.alice.client, req::list_conversations()).list_conversations();
  for (const auto& c : alice_list.conversations()) {
    if (c.kind() == v1::CONVERSATION_KIND_DIRECT) {
      CHECK(c.has_peer());
      CHECK_FALSE(c.has_group());
    }
  }
  auto groups = call_ok(*g.bob.client, req::list_groups()).list_groups();
  REQUIRE(groups.groups_size() == 1);
  CHECK(groups.groups(0).group_id() == g.id);
  CHECK(groups.groups(0).members_size() == 0);
  CHECK(groups.groups(0).member_count() == 3);
}

TEST_CASE("groups: typing in a group reaches the other members' devices only") {
  Group g;
  call_ok(*g.bob.client, req::set_typing(g.id, true));
  for (TestClient* device : {g.alice.client.get(), g.carol.client.get()}) {
    auto event = device->next_event();
    REQUIRE(event.has_value());
    REQUIRE(event->has_typing());
    CHECK(event->typing().conversation_id() == g.id);
    CHECK(event->typing().user_id() == g.bob.id);
  }
  CHECK_FALSE(g.bob.client->next_event(150ms).has_value());
  CHECK_FALSE(g.dave.client->next_event(50ms).has_value());
}

TEST_CASE("groups: groups and their members survive a server restart") {
  Group g;
  send_group(*g.bob.client, g.id, "durable");
  g.server.restart();
  auto carol = g.server.login(g.carol, "laptop");
  auto group = call_ok(*carol, req::get_group(g.id)).get_group().group();
  CHECK(group.member_count() == 3);
  CHECK(group.last_seq() == 1);
  CHECK(call_ok(*carol, req::history(g.id, 0)).history().messages(0).text() == "durable");
}
