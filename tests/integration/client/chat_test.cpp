// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <thread>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

struct TwoUsers {
  std::unique_ptr<LocalServer> server = LocalServer::start().value();
  ClientHarness alice_app{*server};
  ClientHarness bob_app{*server};
  User alice = alice_app.sign_up(*server, "alice");
  User bob = bob_app.sign_up(*server, "bob");
  TwoUsers() { befriend(alice_app, alice, bob_app, bob); }
};

bool received(ClientHarness& app, const std::string& text) {
  return app
      .wait_for([&](const Event& e) {
        auto* m = std::get_if<MessageReceived>(&e);
        return m && m->message.text == text;
      })
      .has_value();
}

}  // namespace

TEST_CASE("client: two clients chat both ways and see sent, delivered and read") {
  TwoUsers t;
  auto queued = t.alice_app->send_text(t.bob.id, "hi bob").get();
  REQUIRE(queued.ok());
  CHECK(queued->state == MessageState::kQueued);
  CHECK(queued->outgoing);
  CHECK(received(t.bob_app, "hi bob"));
  // Bob's client stored it and said so: delivered, then read after bob reads it.
  CHECK(t.alice_app.wait_for([](const Event& e) {
    auto* r = std::get_if<ReceiptUpdated>(&e);
    return r && r->state == MessageState::kDelivered;
  }));
  auto bob_view = t.bob_app->conversations();
  REQUIRE(bob_view.ok());
  REQUIRE(bob_view->size() == 1);
  CHECK((*bob_view)[0].unread == 1);
  CHECK((*bob_view)[0].peer.username == "alice");
  REQUIRE(await_done([&](auto cb) { t.bob_app->mark_read((*bob_view)[0].id, 0, cb); }).ok());
  CHECK(t.alice_app.wait_for([](const Event& e) {
    auto* r = std::get_if<ReceiptUpdated>(&e);
    return r && r->state == MessageState::kRead;
  }));
  CHECK(t.bob_app.wait_until([&] {
    auto list = t.bob_app->conversations();
    return list.ok() && list->size() == 1 && (*list)[0].unread == 0;
  }));
  auto alice_messages = t.alice_app->messages((*bob_view)[0].id);
  REQUIRE(alice_messages.ok());
  REQUIRE(alice_messages->size() == 1);
  CHECK((*alice_messages)[0].state == MessageState::kRead);

  REQUIRE(t.bob_app->send_text(t.alice.id, "hello alice").get().ok());
  CHECK(received(t.alice_app, "hello alice"));
}

TEST_CASE("client: a second device of the sender shows what the first one sent") {
  TwoUsers t;
  ClientHarness alice_phone(*t.server);
  auto me = await<User>([&](auto cb) { alice_phone->login("alice", "password-alice", cb); });
  REQUIRE(me.ok());
  REQUIRE(alice_phone.wait_state(ConnectionState::kOnline));
  REQUIRE(t.alice_app->send_text(t.bob.id, "from the laptop").get().ok());
  auto seen = alice_phone.wait_for([](const Event& e) {
    auto* m = std::get_if<MessageReceived>(&e);
    return m && m->message.text == "from the laptop";
  });
  REQUIRE(seen.has_value());
  CHECK(std::get<MessageReceived>(*seen).message.outgoing);
  CHECK(received(t.bob_app, "from the laptop"));
}

TEST_CASE("client: local search finds English words and Chinese substrings") {
  TwoUsers t;
  REQUIRE(t.alice_app->send_text(t.bob.id, "let us say hello world").get().ok());
  REQUIRE(t.alice_app->send_text(t.bob.id, "你好世界").get().ok());
  REQUIRE(received(t.bob_app, "你好世界"));
  auto english = t.bob_app->search_messages("HELLO");
  REQUIRE(english.ok());
  REQUIRE(english->size() == 1);
  CHECK((*english)[0].text == "let us say hello world");
  auto chinese = t.bob_app->search_messages("世界");
  REQUIRE(chinese.ok());
  REQUIRE(chinese->size() == 1);
  CHECK((*chinese)[0].text == "你好世界");
}

TEST_CASE("client: friends, requests and search through the client API") {
  auto server = LocalServer::start().value();
  ClientHarness a(*server);
  ClientHarness b(*server);
  auto alice = a.sign_up(*server, "alice");
  auto bob = b.sign_up(*server, "bob");
  auto found = await<std::vector<User>>([&](auto cb) { a->search_users("bo", cb); });
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].id == bob.id);
  befriend(a, alice, b, bob);
  auto friends = await<std::vector<Friend>>([&](auto cb) { a->refresh_friends(cb); });
  REQUIRE(friends.ok());
  REQUIRE(friends->size() == 1);
  CHECK((*friends)[0].presence.online);
  auto cached = a->friends();
  REQUIRE(cached.ok());
  CHECK(cached->size() == 1);
  auto self = await<FriendRequest>([&](auto cb) { a->send_friend_request(alice.id, "", cb); });
  CHECK(self.code() == Error::kSelfRequest);
  REQUIRE(await_done([&](auto cb) { a->remove_friend(bob.id, cb); }).ok());
  CHECK(b.wait_for([&](const Event& e) {
    auto* r = std::get_if<FriendRemoved>(&e);
    return r && r->user_id == alice.id;
  }));
  auto refused = a->send_text(bob.id, "still there?").get();
  REQUIRE(refused.ok());  // queued locally...
  CHECK(a.wait_for([](const Event& e) {  // ...then refused for good by the server
    auto* s = std::get_if<MessageStateChanged>(&e);
    return s && s->message.state == MessageState::kFailed &&
           s->message.failure.code() == Error::kNotFriends;
  }));
}

TEST_CASE("client: calls from several threads at once are all answered") {
  TwoUsers t;
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kEach; ++k) {
        if (t.alice_app->send_text(t.bob.id, "t" + std::to_string(i) + "-" + std::to_string(k))
                .get()
                .ok()) {
          ++ok;
        }
        (void)t.alice_app->conversations();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == kThreads * kEach);
  CHECK(t.bob_app.wait_until([&] {
    auto list = t.bob_app->conversations();
    return list.ok() && !list->empty() && (*list)[0].last_seq == kThreads * kEach;
  }, 20s));
}

TEST_CASE("client: history pages come from the server into the local cache") {
  TwoUsers t;
  for (int i = 1; i <= 30; ++i) {
    REQUIRE(t.alice_app->send_text(t.bob.id, "m" + std::to_string(i)).get().ok());
  }
  REQUIRE(received(t.bob_app, "m30"));
  // A fresh device of bob's syncs everything; history still pages by sequence number.
  ClientHarness bob_tablet(*t.server);
  REQUIRE(await<User>([&](auto cb) { bob_tablet->login("bob", "password-bob", cb); }).ok());
  REQUIRE(bob_tablet.wait_state(ConnectionState::kOnline));
  auto conversation = bob_tablet->conversations();
  REQUIRE(conversation.ok());
  REQUIRE(conversation->size() == 1);
  auto page = await<std::vector<Message>>(
      [&](auto cb) { bob_tablet->load_history((*conversation)[0].id, 11, 5, cb); });
  REQUIRE(page.ok());
  REQUIRE(page->size() == 5);
  CHECK(page->front().seq == 10);
  CHECK(page->back().seq == 6);
}

TEST_CASE("client: a reply tells the sender their messages were read") {
  TwoUsers t;
  REQUIRE(t.alice_app->send_text(t.bob.id, "are you there?").get().ok());
  REQUIRE(received(t.bob_app, "are you there?"));
  REQUIRE(t.bob_app->send_text(t.alice.id, "yes").get().ok());  // no explicit mark_read
  CHECK(t.alice_app.wait_for([](const Event& e) {
    auto* r = std::get_if<ReceiptUpdated>(&e);
    return r && r->state == MessageState::kRead && r->up_to_seq >= 2;
  }));
  auto mine = t.alice_app->messages_with(t.bob.id);
  REQUIRE(mine.ok());
  for (const auto& m : *mine) {
    if (m.outgoing) CHECK(m.state == MessageState::kRead);
  }
}
