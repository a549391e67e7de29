// SPDX-License-Identifier: MIT
// R2: the storage ceilings, with the exact schemas and PRAGMAs of the library.
//
//  r2_storage server ...: group-committed SendMessage transactions on the server's own store
//    (SqliteServerStore::open: its schema, PRAGMAs, page cache and background checkpoints;
//    synchronous NORMAL (D1) or FULL (D2)). Each message makes the store calls the server's
//    SendMessage makes, in the same order, so the reference cannot drift from the server:
//      variant "exact": savepoint, duplicate check (message_by_client_id), direct_route,
//        append_message, append_log for the recipient and the sender, release;
//      variant "writes": only append_message and the two append_log calls.
//    Batches of B messages per begin_batch ... commit_batch (the server's group commit).
//  r2_storage client ...: the W4 reference: N message log entries applied to a fresh client
//    store (ClientStore::apply) in pages of the SDK's sync page size.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "client/store/client_store.h"
#include "results.h"
#include "server/store/sqlite_server_store.h"

using namespace wechat;  // NOLINT(google-build-using-namespace): a small tool

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "r2_storage: %s\n", what.c_str());
  std::exit(2);
}

void check(const Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.to_string());
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

int run_server(const std::string& dir, bool full, const std::vector<int>& batches, double seconds,
               int pairs, bool exact, const std::string& out, const std::string& labels) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  server::SqliteServerStore::Options options;
  options.path = dir + "/server.db";
  options.synced = full;
  auto opened = server::SqliteServerStore::open(options);
  if (!opened.ok()) die(opened.status().to_string());
  server::ServerStore& store = **opened;

  // Users 1..2P, pairs (2k-1, 2k) friends with a direct conversation.
  check(store.begin_batch(), "begin");
  for (int u = 1; u <= 2 * pairs; ++u) {
    server::UserRow user;
    user.username = "u" + std::to_string(u);
    user.email = user.username + "@x";
    user.password_hash = "x";
    if (!store.create_user(user).ok()) die("create_user");
  }
  std::vector<std::uint64_t> conversation_of(static_cast<std::size_t>(pairs) + 1);
  for (int k = 1; k <= pairs; ++k) {
    auto conversation = store.add_friendship(2 * k - 1, 2 * k, 0);
    if (!conversation.ok()) die("add_friendship: " + conversation.status().to_string());
    conversation_of[static_cast<std::size_t>(k)] = *conversation;
  }
  check(store.commit_batch(), "commit");

  const std::string text(100, 'x');
  std::uint64_t counter = 0;
  auto must = [](const auto& result, const char* what) {
    if (!result.ok()) die(std::string(what) + ": " + result.status().to_string());
  };

  auto one_message = [&](std::uint64_t n) {
    const std::uint64_t k = n % static_cast<std::uint64_t>(pairs) + 1;
    const bool flip = (n / static_cast<std::uint64_t>(pairs)) % 2 == 1;
    const std::uint64_t from = flip ? 2 * k : 2 * k - 1, to = flip ? 2 * k - 1 : 2 * k;
    std::string cid(16, '\0');
    std::memcpy(cid.data(), &n, 8);
    const auto now = static_cast<std::int64_t>(n);
    std::optional<std::uint64_t> conversation;
    if (exact) {
      check(store.savepoint(), "savepoint");
      auto earlier = store.message_by_client_id(from, cid);
      must(earlier, "message_by_client_id");
      auto route = store.direct_route(from, to);
      must(route, "direct_route");
      conversation = route->conversation_id;
    } else {
      conversation = conversation_of[k];
    }
    if (!conversation) die("no conversation");
    v1::Message m;
    m.set_conversation_id(*conversation);
    m.set_sender_id(from);
    m.set_recipient_id(to);
    m.set_client_msg_id(cid);
    m.set_server_time_ms(now);
    m.set_text(text);
    m.set_kind(v1::CONVERSATION_KIND_DIRECT);
    auto stored = store.append_message(std::move(m));
    must(stored, "append_message");
    v1::LogEntry entry;
    entry.set_created_at_ms(now);
    *entry.mutable_message() = std::move(*stored);
    for (std::uint64_t user : {to, from}) must(store.append_log(user, entry), "append_log");
    if (exact) check(store.release_savepoint(), "release");
  };

  for (int batch : batches) {
    // Warm up briefly, then measure.
    const double warm_end = now_s() + std::min(0.3, seconds / 4);
    while (now_s() < warm_end) {
      check(store.begin_batch(), "begin");
      for (int i = 0; i < batch; ++i) one_message(counter++);
      check(store.commit_batch(), "commit");
    }
    const double t0 = now_s();
    std::uint64_t messages = 0, commits = 0;
    while (now_s() - t0 < seconds) {
      check(store.begin_batch(), "begin");
      for (int i = 0; i < batch; ++i) one_message(counter++);
      check(store.commit_batch(), "commit");
      messages += static_cast<std::uint64_t>(batch);
      ++commits;
    }
    const double elapsed = now_s() - t0;
    bench::Record rec;
    rec.labels(labels)
        .set("kind", "r2")
        .set("schema", "server")
        .set("variant", exact ? "exact" : "writes")
        .set("synchronous", full ? "FULL" : "NORMAL")
        .set("batch", batch)
        .set("msgs_per_s", messages / elapsed)
        .set("commits_per_s", commits / elapsed)
        .set("us_per_msg", elapsed * 1e6 / messages);
    rec.emit(out);
  }
  return 0;
}

int run_client(const std::string& dir, int entries, int page, const std::string& out,
               const std::string& labels) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto opened = client::ClientStore::open(dir + "/client.db");
  if (!opened.ok()) die(opened.status().to_string());
  auto& store = *opened;
  constexpr UserId kMe = 1, kPeer = 2;
  std::vector<std::vector<v1::LogEntry>> pages;
  for (int n = 1; n <= entries; ++n) {
    if ((n - 1) % page == 0) pages.emplace_back().reserve(static_cast<std::size_t>(page));
    v1::LogEntry e;
    e.set_user_seq(static_cast<std::uint64_t>(n));
    e.set_created_at_ms(n);
    auto* m = e.mutable_message();
    m->set_message_id(static_cast<std::uint64_t>(n));
    m->set_conversation_id(1);
    m->set_seq(static_cast<std::uint64_t>(n));
    m->set_sender_id(kPeer);
    m->set_recipient_id(kMe);
    char cid[16] = {};
    std::memcpy(cid, &n, sizeof n);
    m->set_client_msg_id(cid, 16);
    m->set_server_time_ms(n);
    m->set_text("w4 " + std::string(97, 'y'));
    m->set_kind(v1::CONVERSATION_KIND_DIRECT);
    m->set_sender_username("bench1");
    pages.back().push_back(std::move(e));
  }
  const double t0 = now_s();
  for (const auto& p : pages) {
    auto r = store->apply(kMe, p);
    if (!r.ok()) die(r.status().to_string());
  }
  const double elapsed = now_s() - t0;
  bench::Record rec;
  rec.labels(labels)
      .set("kind", "r2")
      .set("schema", "client")
      .set("entries", entries)
      .set("page", page)
      .set("seconds", elapsed)
      .set("msgs_per_s", entries / elapsed);
  rec.emit(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  std::string dir = "r2-data", out, labels, sync = "normal", batches = "1,16,64,256",
              variant = "exact";
  double seconds = 2;
  int pairs = 5000, entries = 100000, page = 500;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir")
      dir = v;
    else if (k == "--out")
      out = v;
    else if (k == "--labels")
      labels = v;
    else if (k == "--sync")
      sync = v;
    else if (k == "--batches")
      batches = v;
    else if (k == "--variant")
      variant = v;
    else if (k == "--seconds")
      seconds = std::stod(v);
    else if (k == "--pairs")
      pairs = std::stoi(v);
    else if (k == "--entries")
      entries = std::stoi(v);
    else if (k == "--page")
      page = std::stoi(v);
    else
      die("unknown option " + k);
  }
  if (mode == "server") {
    return run_server(dir, sync == "full", parse_list(batches), seconds, pairs, variant == "exact",
                      out, labels);
  }
  if (mode == "client") return run_client(dir, entries, page, out, labels);
  std::fprintf(stderr,
               "usage: r2_storage server [--sync normal|full] [--batches 1,16,64] "
               "[--variant exact|writes] [--seconds S] [--pairs P] [--dir D] [--out F]\n"
               "       r2_storage client [--entries N] [--page 500] [--dir D] [--out F]\n");
  return 2;
}
