// SPDX-License-Identifier: MIT
// How long a fresh client store takes to catch up on a long log: 100,000 message entries in
// sync pages of 1,000 (the server's largest page). Prints the time; asserts only correctness,
// since machines differ.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "client/store/client_store.h"
#include "client_store_fixtures.h"
#include "support/temp_dir.h"

using namespace wechat;                   // NOLINT(google-build-using-namespace): test brevity
using namespace wechat::client;           // NOLINT
using namespace wechat::client::testing;  // NOLINT
using wechat::testing::TempDir;

TEST_CASE("client store: applying 100,000 messages in pages of 1,000 (timing)") {
  constexpr UserId kMe = 1;
  constexpr std::uint64_t kEntries = 100'000;
  constexpr std::uint64_t kPage = 1'000;
  constexpr std::uint64_t kPeers = 50;

  // Fifty conversations; one message in five is this account's own, from another device.
  std::vector<std::vector<v1::LogEntry>> pages;
  std::vector<std::uint64_t> next_seq(kPeers, 1);
  for (std::uint64_t user_seq = 1; user_seq <= kEntries; ++user_seq) {
    if ((user_seq - 1) % kPage == 0) pages.emplace_back().reserve(kPage);
    const std::uint64_t peer_index = (user_seq * 7) % kPeers;
    const UserId peer = 100 + peer_index;
    const ConversationId conversation = 1'000 + peer_index;
    const bool own = user_seq % 5 == 0;
    const std::uint64_t seq = next_seq[peer_index]++;
    pages.back().push_back(message_entry(
        user_seq,
        wire_message(conversation, seq, own ? kMe : peer, own ? peer : kMe, cid(user_seq),
                     "message " + std::to_string(user_seq) + ": the quick brown fox 你好世界",
                     static_cast<std::int64_t>(user_seq))));
  }

  TempDir dir;
  auto store = open_store(dir.file("client.db"));
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();  // CPU time too: the machine may be shared.
  std::size_t events = 0;
  for (const auto& page : pages) {
    auto r = must(store->apply(kMe, page));
    REQUIRE_FALSE(r.gap);
    events += r.events.size();
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf(
      "client store: applied %llu message entries in %.3f s wall, %.3f s CPU "
      "(%.1f us/entry wall)\n",
      static_cast<unsigned long long>(kEntries), elapsed.count(), cpu,
      elapsed.count() * 1e6 / static_cast<double>(kEntries));
  MESSAGE("applied " << kEntries << " entries in " << elapsed.count() << " s");

  CHECK(must(store->applied_user_seq()) == kEntries);
  CHECK(events == kEntries);
  CHECK(must(store->conversations()).size() == kPeers);
  CHECK(must(store->search("message 99999:", 10)).size() == 1);
  CHECK(must(store->search("你好", 10)).size() == 10);
  CHECK(must(store->messages(1'000, 0, 50)).size() == 50);
}
