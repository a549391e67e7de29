// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "support/client_harness.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

/// Waits until `pred` holds, polling.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

/// Bob, and Alice's app sending to him through a server that refuses (never queues) requests
/// over `per_second` per user, after a burst of `burst`; `refused` counts the refusals of
/// Alice's sends, from her client's debug log.
struct SendingOverTheRate {
  std::unique_ptr<LocalServer> server;
  std::unique_ptr<ClientHarness> bob_app;
  User bob;
  std::shared_ptr<std::atomic<int>> refused = std::make_shared<std::atomic<int>>(0);
  std::unique_ptr<Client> alice;

  SendingOverTheRate(int per_second, int burst) {
    LocalServer::Options server_options;
    server_options.allow_strangers = true;
    server_options.tweak = [per_second, burst](ServerOptions& o) {
      o.rate_limits.requests_per_user_per_second = per_second;
      o.rate_limits.request_burst_per_user = burst;
      o.rate_limits.max_request_delay = 0ms;
    };
    server = LocalServer::start(server_options).value();
    bob_app = std::make_unique<ClientHarness>(*server);
    bob = bob_app->sign_up(*server, "bob");
    ClientHarness alice_app(*server);
    alice_app.sign_up(*server, "alice");
    alice_app.destroy();

    auto options = server->client_options(alice_app.data_dir());
    options.log.min_level = LogLevel::kDebug;
    options.log.sink = [refused = refused](LogLevel, std::string_view component,
                                           std::string_view message) {
      if (component == "client" && message.starts_with("outbox:") &&
          message.find("rate_limited") != std::string_view::npos) {
        ++*refused;
      }
    };
    alice = Client::create(options).value();
    REQUIRE(await<User>([&](auto cb) { alice->resume(cb); }).ok());
    REQUIRE(eventually([&] { return alice->connection_state() == ConnectionState::kOnline; }));
  }

  /// Sends `n` messages at once and waits until the server has taken them all; they come back
  /// in server order.
  std::vector<Message> send_all(int n) {
    for (int i = 0; i < n; ++i) {
      REQUIRE(alice->send_text(bob.id, "m" + std::to_string(i)).get().ok());
    }
    REQUIRE(eventually([&] {
      auto list = alice->messages_with(bob.id);
      return list.ok() && list->size() == static_cast<std::size_t>(n) &&
             std::none_of(list->begin(), list->end(),
                          [](const Message& m) { return m.state == MessageState::kQueued; });
    }));
    auto sent = alice->messages_with(bob.id).value();
    std::sort(sent.begin(), sent.end(),
              [](const Message& a, const Message& b) { return a.seq < b.seq; });
    return sent;
  }
};

}  // namespace

TEST_CASE("outbox: sends refused over the rate go again after the server's retry_after_ms") {
  // A token every 200 ms per user, and a request over the rate is refused at once instead of
  // waiting its turn: every refusal asks for about 200 ms, and only the outbox's retries can
  // bring a refused message in.
  SendingOverTheRate sending(5, 5);
  std::this_thread::sleep_for(1500ms);  // the bucket refills (5 tokens at 5/s)

  // Twice the burst at once: 5 go through, the others are refused.
  constexpr int kMessages = 10;
  const auto sent = sending.send_all(kMessages);
  CHECK(sending.bob_app->wait_until([&] {
    return sending.bob_app->count([](const Event& e) {
      return std::holds_alternative<MessageReceived>(e);
    }) == kMessages;
  }));

  // Each retry waits for the server's retry_after_ms, about 200 ms, not a fixed second: once the
  // burst is spent the server admits one message per token, and none waits a second for its
  // turn. (The old fixed second showed as gaps of at least 1000 ms between server times.)
  UnixMillis longest_gap = 0;
  for (std::size_t i = 1; i < sent.size(); ++i) {
    longest_gap = std::max(longest_gap, sent[i].time_ms - sent[i - 1].time_ms);
  }
  CHECK(longest_gap < 750);

  // And never sooner: a retry before retry_after_ms is refused again. Each round after the
  // server's wait admits at least one of the refused messages, so 5 refused at first cost at
  // most 5 + 4 + 3 + 2 + 1 refusals; sends that went again at once (after every ack, say)
  // would about double that.
  CHECK(sending.refused->load() >= 5);
  CHECK(sending.refused->load() <= 20);
}

TEST_CASE("outbox: a backlog over the rate is refused about once per message, not per retry") {
  // A token every 50 ms per user, refused at once when there is none.
  SendingOverTheRate sending(20, 5);
  std::this_thread::sleep_for(500ms);  // the bucket refills

  // Six times the burst at once: 25 wait for tokens that come one per 50 ms.
  constexpr int kMessages = 30;
  const auto sent = sending.send_all(kMessages);
  // After a refusal one message goes, then one more with each the server takes: about two
  // refusals for each of the 25, against 25 + 24 + ... + 1 = 325 when each retry resent the
  // whole backlog (the server admitting one per round).
  INFO("refusals: " << sending.refused->load());
  CHECK(sending.refused->load() >= 25);
  CHECK(sending.refused->load() <= 3 * kMessages);
  // And in the order they were written.
  for (int i = 0; i < kMessages; ++i) CHECK(sent[i].text == "m" + std::to_string(i));
}

TEST_CASE("client account: a resume refused with rate_limited waits retry_after_ms to reconnect") {
  LocalServer::Options server_options;
  server_options.tweak = [](ServerOptions& o) { o.rate_limits.login_failures_per_address = 2; };
  auto server = LocalServer::start(server_options).value();
  ClientHarness app(*server);
  app.sign_up(*server, "alice");
  app.destroy();
  // Failed logins lock this address out for the rest of the 15-minute window, resumes included.
  ClientHarness other(*server);
  for (int i = 0; i < 2; ++i) {
    CHECK(await<User>([&](auto cb) { other->login("nobody", "wrong-password", cb); }).code() ==
          Error::kWrongCredentials);
  }

  // Alice's app restarts with a backoff that would retry every few tens of milliseconds.
  auto options = server->client_options(app.data_dir());
  options.reconnect_initial = 20ms;
  options.reconnect_max = 40ms;
  std::mutex mutex;  // before the client: its handler may run until the client is gone
  int attempts = 0;
  Status refusal;
  auto client = Client::create(options).value();
  client->set_event_handler([&](const Event& e) {
    auto* changed = std::get_if<ConnectionStateChanged>(&e);
    if (!changed) return;
    std::lock_guard lock(mutex);
    if (changed->state == ConnectionState::kConnecting) ++attempts;
    if (changed->reason.code() == Error::kRateLimited) refusal = changed->reason;
  });
  client->resume([](Result<User>) {});  // answered kCancelled when the client goes
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return refusal.code() == Error::kRateLimited;
  }));
  std::this_thread::sleep_for(1s);
  std::lock_guard lock(mutex);
  CHECK(refusal.retry_after_ms() > 60'000);  // the lockout's end, minutes away
  CHECK(attempts == 1);  // the backoff alone would have tried again dozens of times
}
