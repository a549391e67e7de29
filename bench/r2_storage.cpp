// SPDX-License-Identifier: MIT
// R2: the storage ceilings, with the exact schemas and PRAGMAs of the library.
//
//  r2_storage server ...: group-committed SendMessage transactions on the server schema
//    (migrate_server_schema, opened by store::Database like SqliteServerStore::open does: WAL,
//    synchronous NORMAL (D1) or FULL (D2), foreign_keys ON). Each message runs the statements
//    the server runs for it, in the same order, as raw prepared sqlite3 statements:
//      variant "exact": SAVEPOINT, duplicate check, recipient lookup, friendship check,
//        conversation lookup, seq allocation, message insert, sender's read marker, and for
//        both users log_head allocation + user_log insert, RELEASE;
//      variant "writes": only the writes (seq, message, read marker, 2 x log).
//    Batches of B messages per BEGIN IMMEDIATE ... COMMIT (the server's group commit).
//  r2_storage client ...: the W4 reference: N message log entries applied to a fresh client
//    store (ClientStore::apply) in pages of the SDK's sync page size.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "client/store/client_store.h"
#include "results.h"
#include "server/store/sqlite_server_store.h"
#include "store/database.h"

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

struct Stmt {
  sqlite3_stmt* st = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
      die(std::string("prepare: ") + sqlite3_errmsg(db) + " in " + sql);
    }
  }
  ~Stmt() { sqlite3_finalize(st); }
  Stmt& i(int n, std::int64_t v) {
    sqlite3_bind_int64(st, n, v);
    return *this;
  }
  Stmt& blob(int n, const void* p, int len) {
    sqlite3_bind_blob(st, n, p, len, SQLITE_STATIC);
    return *this;
  }
  Stmt& text(int n, const std::string& s) {
    sqlite3_bind_text(st, n, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  /// Steps to the end; returns the first column of the first row (or -1).
  std::int64_t run(sqlite3* db) {
    std::int64_t first = -1;
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        if (first == -1) first = sqlite3_column_int64(st, 0);
        continue;
      }
      if (rc != SQLITE_DONE) die(std::string("step: ") + sqlite3_errmsg(db));
      break;
    }
    sqlite3_reset(st);
    return first;
  }
};

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    die(std::string(sql) + ": " + (err ? err : "?"));
  }
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
  store::OpenOptions options;
  options.synchronous = full ? store::OpenOptions::Sync::kFull : store::OpenOptions::Sync::kNormal;
  options.statement_cache_capacity = 128;
  auto opened = store::Database::open(dir + "/server.db", options);
  if (!opened.ok()) die(opened.status().to_string());
  store::Database database = std::move(*opened);
  check(server::migrate_server_schema(database), "migrate");
  sqlite3* db = database.raw();

  // Users 1..2P, pairs (2k-1, 2k) friends with a direct conversation k.
  exec(db, "BEGIN");
  {
    Stmt user(db,
              "INSERT INTO users (id, username, email, password_hash, created_at) "
              "VALUES (?, ?, ?, 'x', 0)");
    Stmt friendship(db, "INSERT INTO friendships (user_id, friend_id, since) VALUES (?, ?, 0)");
    Stmt conv(db, "INSERT INTO conversations (id, kind, created_at) VALUES (?, 1, 0)");
    Stmt direct(db,
                "INSERT INTO direct_conversations (user_lo, user_hi, conversation_id) "
                "VALUES (?, ?, ?)");
    Stmt member(db, "INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?)");
    for (int u = 1; u <= 2 * pairs; ++u) {
      const std::string name = "u" + std::to_string(u);
      const std::string email = name + "@x";
      user.i(1, u).text(2, name).text(3, email).run(db);
    }
    for (int k = 1; k <= pairs; ++k) {
      const int a = 2 * k - 1, b = 2 * k;
      friendship.i(1, a).i(2, b).run(db);
      friendship.i(1, b).i(2, a).run(db);
      conv.i(1, k).run(db);
      direct.i(1, a).i(2, b).i(3, k).run(db);
      member.i(1, k).i(2, a).run(db);
      member.i(1, k).i(2, b).run(db);
    }
  }
  exec(db, "COMMIT");

  Stmt savepoint(db, "SAVEPOINT request");
  Stmt release(db, "RELEASE request");
  Stmt dup(db,
           "SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.client_msg_id, "
           "m.server_time, m.text, c.kind, u.username FROM messages m JOIN conversations c ON "
           "c.id = m.conversation_id JOIN users u ON u.id = m.sender_id WHERE m.sender_id = ? AND "
           "m.client_msg_id = ?");
  Stmt user_by_id(db,
                  "SELECT id, username, email, password_hash, created_at, last_seen FROM "
                  "users WHERE id = ?");
  Stmt are_friends(db, "SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?");
  Stmt direct(db,
              "SELECT conversation_id FROM direct_conversations WHERE user_lo = ? AND "
              "user_hi = ?");
  Stmt next_seq(db,
                "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING "
                "last_seq");
  Stmt insert_message(db,
                      "INSERT INTO messages (conversation_id, seq, sender_id, recipient_id, "
                      "client_msg_id, server_time, text) VALUES (?, ?, ?, ?, ?, ?, ?)");
  Stmt read_marker(db,
                   "UPDATE conversation_members SET read_seq = ? WHERE conversation_id = ? "
                   "AND user_id = ? AND read_seq < ?");
  Stmt log_head(db, "UPDATE users SET log_head = log_head + 1 WHERE id = ? RETURNING log_head");
  Stmt insert_log(db,
                  "INSERT INTO user_log (user_id, user_seq, created_at, kind, message_id, "
                  "payload) VALUES (?, ?, ?, ?, ?, NULL)");
  const std::string text(100, 'x');
  std::uint64_t counter = 0;

  auto one_message = [&](std::uint64_t n) {
    const int k = static_cast<int>(n % pairs) + 1;
    const bool flip = (n / pairs) % 2 == 1;
    const std::int64_t from = flip ? 2 * k : 2 * k - 1, to = flip ? 2 * k - 1 : 2 * k;
    char cid[16] = {};
    std::memcpy(cid, &n, 8);
    const std::int64_t now = static_cast<std::int64_t>(n);
    if (exact) {
      savepoint.run(db);
      dup.i(1, from).blob(2, cid, 16).run(db);
      user_by_id.i(1, to).run(db);
      are_friends.i(1, from).i(2, to).run(db);
      direct.i(1, std::min(from, to)).i(2, std::max(from, to)).run(db);
    }
    const std::int64_t seq = next_seq.i(1, k).run(db);
    insert_message.i(1, k)
        .i(2, seq)
        .i(3, from)
        .i(4, to)
        .blob(5, cid, 16)
        .i(6, now)
        .text(7, text)
        .run(db);
    const std::int64_t message_id = sqlite3_last_insert_rowid(db);
    read_marker.i(1, seq).i(2, k).i(3, from).i(4, seq).run(db);
    for (std::int64_t user : {to, from}) {
      const std::int64_t user_seq = log_head.i(1, user).run(db);
      insert_log.i(1, user).i(2, user_seq).i(3, now).i(4, 10).i(5, message_id).run(db);
    }
    if (exact) release.run(db);
  };

  for (int batch : batches) {
    // Warm up briefly, then measure.
    const double warm_end = now_s() + std::min(0.3, seconds / 4);
    while (now_s() < warm_end) {
      exec(db, "BEGIN IMMEDIATE");
      for (int i = 0; i < batch; ++i) one_message(counter++);
      exec(db, "COMMIT");
    }
    const double t0 = now_s();
    std::uint64_t messages = 0, commits = 0;
    while (now_s() - t0 < seconds) {
      exec(db, "BEGIN IMMEDIATE");
      for (int i = 0; i < batch; ++i) one_message(counter++);
      exec(db, "COMMIT");
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
