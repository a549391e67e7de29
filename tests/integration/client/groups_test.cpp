// SPDX-License-Identifier: MIT
// Groups through wechat::Client against a real server: several members and devices, offline
// catch-up, removal, unread counts, read receipts, roles, and the errors an app sees.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// alice is friends with bob and carol; all three are online.
struct ThreeUsers {
  std::unique_ptr<LocalServer> server = LocalServer::start().value();
  ClientHarness alice_app{*server};
  ClientHarness bob_app{*server};
  ClientHarness carol_app{*server};
  User alice = alice_app.sign_up(*server, "alice");
  User bob = bob_app.sign_up(*server, "bob");
  User carol = carol_app.sign_up(*server, "carol");
  ThreeUsers() {
    befriend(alice_app, alice, bob_app, bob);
    befriend(alice_app, alice, carol_app, carol);
  }
};

std::function<bool(const Event&)> received(const std::string& text) {
  return [text](const Event& e) {
    auto* m = std::get_if<MessageReceived>(&e);
    return m && m->message.text == text;
  };
}

std::optional<Conversation> conversation_of(ClientHarness& app, ConversationId id) {
  auto list = app->conversations();
  if (!list.ok()) return std::nullopt;
  for (auto& c : *list) {
    if (c.id == id) return c;
  }
  return std::nullopt;
}

std::uint64_t unread_in(ClientHarness& app, ConversationId id) {
  auto c = conversation_of(app, id);
  return c ? c->unread : ~std::uint64_t{0};
}

/// The seq the server gave an own message, once its ack arrived.
std::uint64_t sent_seq(ClientHarness& app, const std::string& client_msg_id) {
  auto found = app.wait_for([&](const Event& e) {
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.client_msg_id == client_msg_id && s->message.seq != 0;
  });
  REQUIRE(found.has_value());
  return std::get<MessageStateChanged>(*found).message.seq;
}

Result<ReadReceipts> receipts(ClientHarness& app, ConversationId group, std::uint64_t seq) {
  return await<ReadReceipts>([&](auto cb) { app->get_read_receipts(group, seq, cb); });
}

}  // namespace

TEST_CASE(
    "groups: created, joined and chatted in, each device of each member gets a message once") {
  ThreeUsers t;
  ClientHarness bob_phone(*t.server);
  bob_phone.log_in("bob");

  const Group g = create_group(t.alice_app, "hiking", {t.bob.id});
  CHECK(g.name == "hiking");
  CHECK(g.owner_id == t.alice.id);
  CHECK(g.my_role == GroupRole::kOwner);
  CHECK(g.member_count == 2);
  CHECK(g.members.size() == 2);
  auto created = wait_group_change(t.bob_app, GroupEventKind::kCreated, g.id);
  REQUIRE(created);
  CHECK(created->actor.id == t.alice.id);
  CHECK(created->group.my_role == GroupRole::kMember);
  REQUIRE(wait_group_change(bob_phone, GroupEventKind::kCreated, g.id));
  CHECK(wait_group_change(t.alice_app, GroupEventKind::kCreated, g.id));  // the owner's devices too

  auto first = t.alice_app->send_group_text(g.id, "hello group").get();
  REQUIRE(first.ok());
  CHECK(first->state == MessageState::kQueued);
  CHECK(first->kind == ConversationKind::kGroup);
  CHECK(first->conversation_id == g.id);
  auto at_bob = wait_message(t.bob_app, "hello group");
  REQUIRE(at_bob);
  CHECK(at_bob->kind == ConversationKind::kGroup);
  CHECK(at_bob->sender_username == "alice");
  CHECK(at_bob->peer_id == 0);
  REQUIRE(wait_message(bob_phone, "hello group"));

  // carol joins later: she sees what comes after, not before.
  REQUIRE(await_done([&](auto cb) { t.alice_app->invite_to_group(g.id, {t.carol.id}, cb); }).ok());
  auto added = wait_group_change(t.carol_app, GroupEventKind::kMembersAdded, g.id);
  REQUIRE(added);
  CHECK(added->group.membership == GroupMembership::kMember);
  CHECK(added->group.member_count == 3);
  CHECK(wait_group_change(t.bob_app, GroupEventKind::kMembersAdded, g.id));

  REQUIRE(bob_phone->send_group_text(g.id, "welcome carol").get().ok());
  REQUIRE(wait_message(t.alice_app, "welcome carol"));
  REQUIRE(wait_message(t.carol_app, "welcome carol"));
  auto mirrored = wait_message(t.bob_app, "welcome carol");  // sent from bob's other device
  REQUIRE(mirrored);
  CHECK(mirrored->outgoing);

  // Once each, on every device; carol has only what came after she joined.
  for (ClientHarness* app : {&t.bob_app, &bob_phone}) {
    CHECK(app->count(received("hello group")) == 1);
  }
  CHECK(t.bob_app.count(received("welcome carol")) == 1);
  CHECK(bob_phone.count(received("welcome carol")) == 0);  // it sent it
  CHECK(t.alice_app.count(received("welcome carol")) == 1);
  CHECK(t.carol_app.count(received("hello group")) == 0);
  CHECK(t.alice_app.count(received("hello group")) == 0);  // her own, from this device
  auto at_carol = t.carol_app->messages(g.id);
  REQUIRE(at_carol.ok());
  REQUIRE(at_carol->size() == 1);
  CHECK((*at_carol)[0].text == "welcome carol");
  CHECK(unread_in(t.carol_app, g.id) == 1);
  auto at_alice = t.alice_app->messages(g.id);
  REQUIRE(at_alice.ok());
  CHECK(at_alice->size() == 2);

  // Typing goes to the other members.
  t.carol_app->set_typing(g.id, true);
  CHECK(t.alice_app.wait_for([&](const Event& e) {
    auto* typing = std::get_if<TypingChanged>(&e);
    return typing && typing->conversation_id == g.id && typing->user_id == t.carol.id;
  }));
}

TEST_CASE("groups: a member offline during a burst syncs every message exactly once") {
  ThreeUsers t;
  const Group g = create_group(t.alice_app, "burst", {t.bob.id, t.carol.id});
  REQUIRE(wait_group_change(t.bob_app, GroupEventKind::kCreated, g.id));
  t.bob_app.destroy();  // the app is closed; its data stays

  constexpr int kBurst = 40;
  for (int i = 1; i <= kBurst; ++i) {
    REQUIRE(t.alice_app->send_group_text(g.id, "m" + std::to_string(i)).get().ok());
  }
  REQUIRE(wait_message(t.carol_app, "m" + std::to_string(kBurst), 20s));

  t.bob_app.restart_app(*t.server);
  REQUIRE(t.bob_app->resume().get().ok());
  REQUIRE(t.bob_app.wait_state(ConnectionState::kOnline, 20s));
  REQUIRE(wait_message(t.bob_app, "m" + std::to_string(kBurst), 20s));
  std::set<std::string> texts;
  std::size_t got = 0;
  for (const auto& e : t.bob_app.events()) {
    if (auto* m = std::get_if<MessageReceived>(&e)) {
      ++got;
      texts.insert(m->message.text);
    }
  }
  CHECK(got == kBurst);
  CHECK(texts.size() == kBurst);
  auto stored = t.bob_app->messages(g.id, 0, 200);
  REQUIRE(stored.ok());
  CHECK(stored->size() == kBurst);
  std::set<std::uint64_t> seqs;
  for (const auto& m : *stored) seqs.insert(m.seq);
  CHECK(seqs.size() == kBurst);
  CHECK(unread_in(t.bob_app, g.id) == kBurst);
}

TEST_CASE("groups: a removed member stops receiving, keeps its history, its queued message fails") {
  ThreeUsers t;
  const Group g = create_group(t.alice_app, "club", {t.bob.id, t.carol.id});
  REQUIRE(t.alice_app->send_group_text(g.id, "before").get().ok());
  REQUIRE(wait_message(t.carol_app, "before"));

  // carol writes while the server is away, and her app is closed with it still queued.
  t.server->stop();
  REQUIRE(t.carol_app.wait_state(ConnectionState::kDisconnected));
  auto queued = t.carol_app->send_group_text(g.id, "am I still in?").get();
  REQUIRE(queued.ok());
  CHECK(queued->state == MessageState::kQueued);
  t.carol_app.destroy();
  REQUIRE(t.server->restart().ok());

  // Meanwhile alice removes her and writes on.
  REQUIRE(t.alice_app.wait_state(ConnectionState::kOnline, 20s));
  REQUIRE(
      await_done([&](auto cb) { t.alice_app->remove_group_member(g.id, t.carol.id, cb); }).ok());
  REQUIRE(wait_group_change(t.bob_app, GroupEventKind::kMemberRemoved, g.id, 20s));
  REQUIRE(t.alice_app->send_group_text(g.id, "after").get().ok());
  REQUIRE(wait_message(t.bob_app, "after", 20s));

  // carol comes back: she learns she is out, her message fails for good, "after" never comes.
  t.carol_app.restart_app(*t.server);
  REQUIRE(t.carol_app->resume().get().ok());
  auto removed = wait_group_change(t.carol_app, GroupEventKind::kMemberRemoved, g.id, 20s);
  REQUIRE(removed);
  CHECK(removed->group.membership == GroupMembership::kRemoved);
  CHECK(removed->group.my_role == GroupRole::kNone);
  CHECK(removed->actor.id == t.alice.id);
  auto failed = t.carol_app.wait_for([&](const Event& e) {
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.client_msg_id == queued->client_msg_id;
  });
  REQUIRE(failed);
  const Message& m = std::get<MessageStateChanged>(*failed).message;
  CHECK(m.state == MessageState::kFailed);
  CHECK(m.failure.code() == Error::kNotGroupMember);
  REQUIRE(t.carol_app.wait_state(ConnectionState::kOnline, 20s));
  std::this_thread::sleep_for(1500ms);  // long enough for a retry, had there been one
  CHECK(t.carol_app.count([&](const Event& e) {
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.client_msg_id == queued->client_msg_id;
  }) == 1);
  CHECK(t.carol_app.count(received("after")) == 0);
  CHECK(t.bob_app.count(received("am I still in?")) == 0);

  // Her history stays; nothing new can be queued; the group is listed as removed.
  auto history = t.carol_app->messages(g.id);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);  // her failed message and "before"
  CHECK((*history)[0].state == MessageState::kFailed);
  CHECK((*history)[1].text == "before");
  auto refused = t.carol_app->send_group_text(g.id, "hello?").get();
  CHECK(refused.code() == Error::kNotGroupMember);
  auto cached = t.carol_app->group(g.id);
  REQUIRE(cached.ok());
  CHECK(cached->membership == GroupMembership::kRemoved);
  auto listed = conversation_of(t.carol_app, g.id);
  REQUIRE(listed);
  CHECK(listed->kind == ConversationKind::kGroup);
  REQUIRE(listed->group);
  CHECK(listed->group->membership == GroupMembership::kRemoved);
}

TEST_CASE("groups: unread counts follow messages and reads on every device of a member") {
  ThreeUsers t;
  ClientHarness bob_phone(*t.server);
  bob_phone.log_in("bob");
  const Group g = create_group(t.alice_app, "news", {t.bob.id});
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(t.alice_app->send_group_text(g.id, "n" + std::to_string(i)).get().ok());
  }
  REQUIRE(wait_message(t.bob_app, "n3"));
  REQUIRE(wait_message(bob_phone, "n3"));
  CHECK(unread_in(t.bob_app, g.id) == 3);
  CHECK(unread_in(bob_phone, g.id) == 3);
  CHECK(unread_in(t.alice_app, g.id) == 0);  // her own messages

  // Read on the phone: the laptop's count drops too.
  REQUIRE(await_done([&](auto cb) { bob_phone->mark_read(g.id, 0, cb); }).ok());
  auto read = t.bob_app.wait_for([&](const Event& e) {
    auto* r = std::get_if<ConversationRead>(&e);
    return r && r->conversation_id == g.id;
  });
  REQUIRE(read);
  CHECK(std::get<ConversationRead>(*read).unread == 0);
  CHECK(unread_in(t.bob_app, g.id) == 0);

  REQUIRE(t.alice_app->send_group_text(g.id, "n4").get().ok());
  REQUIRE(wait_message(t.bob_app, "n4"));
  CHECK(unread_in(t.bob_app, g.id) == 1);
  // Writing implies having read.
  REQUIRE(t.bob_app->send_group_text(g.id, "got them").get().ok());
  CHECK(t.bob_app.wait_until([&] { return unread_in(t.bob_app, g.id) == 0; }));
  CHECK(bob_phone.wait_until([&] { return unread_in(bob_phone, g.id) == 0; }));
  // The group is in the list with its last message.
  auto c = conversation_of(t.alice_app, g.id);
  REQUIRE(c);
  CHECK(c->group->name == "news");
  CHECK(t.alice_app.wait_until([&] {
    auto now = conversation_of(t.alice_app, g.id);
    return now && now->last_message && now->last_message->text == "got them";
  }));
}

TEST_CASE("groups: read receipts say who read a message, N of M") {
  ThreeUsers t;
  const Group g = create_group(t.alice_app, "receipts", {t.bob.id, t.carol.id});
  auto sent = t.alice_app->send_group_text(g.id, "did you read this?").get();
  REQUIRE(sent.ok());
  const std::uint64_t seq = sent_seq(t.alice_app, sent->client_msg_id);
  REQUIRE(wait_message(t.bob_app, "did you read this?"));
  REQUIRE(wait_message(t.carol_app, "did you read this?"));

  auto before = receipts(t.alice_app, g.id, seq);
  REQUIRE(before.ok());
  CHECK(before->member_count == 2);
  CHECK(before->read_by.empty());
  CHECK(before->conversation_id == g.id);
  CHECK(before->seq == seq);
  // Both devices stored it and said so (MarkDelivered): delivered to 2, read by 0.
  CHECK(t.alice_app.wait_until([&] {
    auto r = receipts(t.alice_app, g.id, seq);
    return r.ok() && r->delivered_to.size() == 2;
  }));

  REQUIRE(await_done([&](auto cb) { t.bob_app->mark_read(g.id, 0, cb); }).ok());
  auto one = receipts(t.alice_app, g.id, seq);
  REQUIRE(one.ok());
  REQUIRE(one->read_by.size() == 1);  // read by 1 of 2
  CHECK(one->read_by[0].id == t.bob.id);
  CHECK(one->member_count == 2);
  REQUIRE(one->delivered_to.size() == 1);
  CHECK(one->delivered_to[0].id == t.carol.id);

  // carol's reply means she read it: alice sees the message read (by at least one member).
  REQUIRE(t.carol_app->send_group_text(g.id, "yes").get().ok());
  auto receipt = t.alice_app.wait_for([&](const Event& e) {
    auto* r = std::get_if<ReceiptUpdated>(&e);
    return r && r->conversation_id == g.id && r->state == MessageState::kRead;
  });
  REQUIRE(receipt);
  CHECK(std::get<ReceiptUpdated>(*receipt).peer_id == t.carol.id);
  auto mine = t.alice_app->messages(g.id);
  REQUIRE(mine.ok());
  for (const auto& m : *mine) {
    if (m.outgoing) CHECK(m.state == MessageState::kRead);
  }
  auto two = receipts(t.alice_app, g.id, seq);
  REQUIRE(two.ok());
  CHECK(two->read_by.size() == 2);

  // A stranger to the group may not ask.
  ClientHarness dave_app(*t.server);
  dave_app.sign_up(*t.server, "dave");
  auto refused = receipts(dave_app, g.id, seq);
  CHECK_FALSE(refused.ok());
}

TEST_CASE("groups: roles, renames, ownership and dissolving reach every member") {
  ThreeUsers t;
  const Group g = create_group(t.alice_app, "team", {t.bob.id, t.carol.id});
  REQUIRE(wait_group_change(t.carol_app, GroupEventKind::kCreated, g.id));

  REQUIRE(await_done([&](auto cb) {
            t.alice_app->set_group_role(g.id, t.bob.id, GroupRole::kAdmin, cb);
          }).ok());
  auto role = wait_group_change(t.bob_app, GroupEventKind::kRoleChanged, g.id);
  REQUIRE(role);
  CHECK(role->role == GroupRole::kAdmin);
  CHECK(role->group.my_role == GroupRole::kAdmin);
  // An admin renames; setting roles is for the owner.
  REQUIRE(await_done([&](auto cb) { t.bob_app->rename_group(g.id, "team two", cb); }).ok());
  auto renamed = wait_group_change(t.carol_app, GroupEventKind::kRenamed, g.id);
  REQUIRE(renamed);
  CHECK(renamed->group.name == "team two");
  CHECK(await_done([&](auto cb) {
          t.bob_app->set_group_role(g.id, t.carol.id, GroupRole::kAdmin, cb);
        }).code() == Error::kPermissionDenied);
  CHECK(await_done([&](auto cb) {
          t.alice_app->set_group_role(g.id, t.carol.id, GroupRole::kOwner, cb);
        }).code() == Error::kInvalidArgument);

  // The members, fetched, and then from the cache.
  auto fetched = await<Group>([&](auto cb) { t.carol_app->get_group(g.id, cb); });
  REQUIRE(fetched.ok());
  REQUIRE(fetched->members.size() == 3);
  for (const auto& m : fetched->members) {
    if (m.user.id == t.alice.id) CHECK(m.role == GroupRole::kOwner);
    if (m.user.id == t.bob.id) CHECK(m.role == GroupRole::kAdmin);
    if (m.user.id == t.carol.id) CHECK(m.role == GroupRole::kMember);
  }
  auto cached = t.carol_app->group(g.id);
  REQUIRE(cached.ok());
  CHECK(cached->members.size() == 3);
  CHECK(cached->name == "team two");
  auto listed = await<std::vector<Group>>([&](auto cb) { t.carol_app->refresh_groups(cb); });
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].name == "team two");

  // The owner hands over, then may leave.
  CHECK_FALSE(await_done([&](auto cb) { t.alice_app->leave_group(g.id, cb); }).ok());
  REQUIRE(
      await_done([&](auto cb) { t.alice_app->transfer_group_ownership(g.id, t.bob.id, cb); }).ok());
  auto owner = wait_group_change(t.alice_app, GroupEventKind::kOwnerChanged, g.id);
  REQUIRE(owner);
  CHECK(owner->group.my_role == GroupRole::kAdmin);
  CHECK(owner->group.owner_id == t.bob.id);
  auto bob_owner = wait_group_change(t.bob_app, GroupEventKind::kOwnerChanged, g.id);
  REQUIRE(bob_owner);
  CHECK(bob_owner->group.my_role == GroupRole::kOwner);
  REQUIRE(await_done([&](auto cb) { t.alice_app->leave_group(g.id, cb); }).ok());
  auto left = wait_group_change(t.alice_app, GroupEventKind::kMemberLeft, g.id);
  REQUIRE(left);
  CHECK(left->group.membership == GroupMembership::kLeft);
  CHECK(t.alice_app->send_group_text(g.id, "bye").get().code() == Error::kNotGroupMember);
  REQUIRE(wait_group_change(t.carol_app, GroupEventKind::kMemberLeft, g.id));

  // Dissolved: everyone keeps the history, nobody can write.
  REQUIRE(t.carol_app->send_group_text(g.id, "last one").get().ok());
  REQUIRE(wait_message(t.bob_app, "last one"));
  REQUIRE(await_done([&](auto cb) { t.bob_app->dissolve_group(g.id, cb); }).ok());
  auto dissolved = wait_group_change(t.carol_app, GroupEventKind::kDissolved, g.id);
  REQUIRE(dissolved);
  CHECK(dissolved->group.dissolved);
  CHECK(t.carol_app->send_group_text(g.id, "hello?").get().code() == Error::kGroupDissolved);
  auto kept = t.carol_app->messages(g.id);
  REQUIRE(kept.ok());
  CHECK(kept->size() == 1);
}

TEST_CASE("groups: the errors an app sees are the group codes, and refused sends are not retried") {
  auto server =
      LocalServer::start(
          LocalServer::Options{false, false, 4, [](ServerOptions& o) { o.max_group_members = 2; }})
          .value();
  ClientHarness a(*server);
  ClientHarness b(*server);
  ClientHarness c(*server);
  auto alice = a.sign_up(*server, "alice");
  auto bob = b.sign_up(*server, "bob");
  auto carol = c.sign_up(*server, "carol");

  // Only friends, and no more than the server allows.
  auto strangers = await<Group>([&](auto cb) { a->create_group("strangers", {bob.id}, cb); });
  CHECK(strangers.code() == Error::kNotFriends);
  befriend(a, alice, b, bob);
  befriend(a, alice, c, carol);
  auto crowded = await<Group>([&](auto cb) { a->create_group("crowded", {bob.id, carol.id}, cb); });
  CHECK(crowded.code() == Error::kGroupFull);
  const Group g = create_group(a, "pair", {bob.id});
  CHECK(await_done([&](auto cb) { a->invite_to_group(g.id, {carol.id}, cb); }).code() ==
        Error::kGroupFull);
  CHECK(await_done([&](auto cb) { a->invite_to_group(g.id, {bob.id}, cb); }).code() ==
        Error::kAlreadyExists);

  // carol is no member: what she asks is refused; a message she queues fails once, for good.
  CHECK(await<Group>([&](auto cb) { c->get_group(g.id, cb); }).code() == Error::kNotGroupMember);
  CHECK(await_done([&](auto cb) { c->leave_group(g.id, cb); }).code() == Error::kNotGroupMember);
  auto queued = c->send_group_text(g.id, "let me in").get();
  REQUIRE(queued.ok());
  auto failed = c.wait_for([&](const Event& e) {
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.client_msg_id == queued->client_msg_id;
  });
  REQUIRE(failed);
  CHECK(std::get<MessageStateChanged>(*failed).message.state == MessageState::kFailed);
  CHECK(std::get<MessageStateChanged>(*failed).message.failure.code() == Error::kNotGroupMember);
  std::this_thread::sleep_for(1500ms);
  CHECK(c.count([&](const Event& e) {
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.client_msg_id == queued->client_msg_id;
  }) == 1);
  CHECK(b.count(received("let me in")) == 0);
  // Before login nothing works, locally or remotely.
  ClientHarness fresh(*server);
  CHECK(fresh->groups().code() == Error::kUnauthenticated);
  CHECK(await<std::vector<Group>>([&](auto cb) { fresh->refresh_groups(cb); }).code() ==
        Error::kUnauthenticated);
}
