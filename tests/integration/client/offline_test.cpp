// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <set>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

std::multiset<std::string> received_texts(ClientHarness& app) {
  std::multiset<std::string> texts;
  for (const auto& e : app.events()) {
    if (auto* m = std::get_if<MessageReceived>(&e)) texts.insert(m->message.text);
  }
  return texts;
}

struct Setup {
  std::unique_ptr<LocalServer> server = LocalServer::start().value();
  ClientHarness alice_app{*server};
  ClientHarness bob_app{*server};
  User alice = alice_app.sign_up(*server, "alice");
  User bob = bob_app.sign_up(*server, "bob");
  Setup() { befriend(alice_app, alice, bob_app, bob); }
};

}  // namespace

TEST_CASE("offline: a recipient who was offline gets everything once when back") {
  Setup s;
  s.bob_app.destroy();
  for (int i = 0; i < 20; ++i) REQUIRE(s.alice_app->send_text(s.bob.id, "m" + std::to_string(i)).get().ok());
  s.bob_app.restart_app(*s.server);
  REQUIRE(await<User>([&](auto cb) { s.bob_app->resume(cb); }).ok());
  REQUIRE(s.bob_app.wait_until([&] { return received_texts(s.bob_app).size() == 20; }));
  auto texts = received_texts(s.bob_app);
  for (int i = 0; i < 20; ++i) CHECK(texts.count("m" + std::to_string(i)) == 1);
}

TEST_CASE("offline: messages sent while the server is down wait in the outbox and go once") {
  Setup s;
  s.server->stop();
  REQUIRE(s.alice_app.wait_state(ConnectionState::kDisconnected));
  for (int i = 0; i < 5; ++i) {
    auto queued = s.alice_app->send_text(s.bob.id, "offline " + std::to_string(i)).get();
    REQUIRE(queued.ok());
    CHECK(queued->state == MessageState::kQueued);
  }
  // Visible locally, in order, while offline.
  auto local = s.alice_app->messages_with(s.bob.id);
  REQUIRE(local.ok());
  CHECK(local->size() == 5);
  REQUIRE(s.server->restart().ok());
  REQUIRE(s.bob_app.wait_until([&] { return received_texts(s.bob_app).size() == 5; }, 20s));
  CHECK(s.alice_app.wait_until([&] {
    auto list = s.alice_app->messages_with(s.bob.id);
    if (!list.ok() || list->size() != 5) return false;
    for (const auto& m : *list) {
      if (m.state == MessageState::kQueued) return false;
    }
    return true;
  }));
  std::this_thread::sleep_for(300ms);
  CHECK(received_texts(s.bob_app).size() == 5);  // and never twice
}

TEST_CASE("offline: an app restarted with a non-empty outbox sends it, exactly once") {
  Setup s;
  s.server->stop();
  REQUIRE(s.alice_app.wait_state(ConnectionState::kDisconnected));
  REQUIRE(s.alice_app->send_text(s.bob.id, "written before the crash").get().ok());
  s.alice_app.destroy();  // the app dies with the message unsent
  REQUIRE(s.server->restart().ok());
  s.alice_app.restart_app(*s.server);
  REQUIRE(await<User>([&](auto cb) { s.alice_app->resume(cb); }).ok());
  REQUIRE(s.bob_app.wait_until([&] { return received_texts(s.bob_app).count("written before the crash") == 1; }, 20s));
  std::this_thread::sleep_for(300ms);
  CHECK(received_texts(s.bob_app).count("written before the crash") == 1);
}

TEST_CASE("offline: a server restart mid-conversation loses nothing") {
  Setup s;
  for (int i = 0; i < 10; ++i) REQUIRE(s.alice_app->send_text(s.bob.id, "a" + std::to_string(i)).get().ok());
  REQUIRE(s.server->restart().ok());
  for (int i = 0; i < 10; ++i) REQUIRE(s.alice_app->send_text(s.bob.id, "b" + std::to_string(i)).get().ok());
  REQUIRE(s.bob_app.wait_until([&] { return received_texts(s.bob_app).size() == 20; }, 20s));
  auto texts = received_texts(s.bob_app);
  CHECK(texts.size() == 20);
  CHECK(std::set<std::string>(texts.begin(), texts.end()).size() == 20);
}
