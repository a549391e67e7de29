// SPDX-License-Identifier: MIT
// The kill check (BENCH.md: "a D1/D2 figure counts only if kill -9 of the server under load
// loses no acknowledged message"). `w1 --acked-out F` records every message the server
// acknowledged until it was killed; after a restart on the same data directory, `verify`
// resumes each sender and syncs its whole log (a sender's own messages are in its log) and
// counts the acknowledged messages that are not there.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "blocking_client.h"
#include "results.h"
#include "users.h"
#include "workloads.h"

namespace wechat::bench {

int run_verify(const VerifyOptions& o) {
  auto users = load_users(o.common.users_file);
  if (!users.ok()) {
    std::fprintf(stderr, "verify: %s\n", users.status().to_string().c_str());
    return 2;
  }
  std::ifstream in(o.acked_file);
  std::string nonce_hex;
  if (!(in >> nonce_hex)) {
    std::fprintf(stderr, "verify: cannot read %s\n", o.acked_file.c_str());
    return 2;
  }
  const std::uint64_t nonce = std::stoull(nonce_hex, nullptr, 16);
  std::map<std::uint32_t, std::set<std::uint64_t>> acked;
  std::uint32_t sender = 0;
  std::uint64_t id = 0, total = 0;
  while (in >> sender >> id) {
    acked[sender].insert(id);
    ++total;
  }

  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  Target target;
  target.host = o.common.host;
  target.port = o.common.port;
  std::uint64_t lost = 0, checked_users = 0;
  Status failure;
  for (auto& [index, ids] : acked) {
    if (index >= users->size()) continue;
    Credentials c;
    c.token = (*users)[index].token;
    auto client = BlockingClient::open(io, target, c);
    if (!client.ok()) {
      failure = client.status();
      break;
    }
    const std::uint64_t me = (*users)[index].user_id;
    std::set<std::uint64_t> found;
    std::uint64_t after = 0;
    for (;;) {
      v1::Request request;
      request.mutable_sync()->set_after_user_seq(after);
      request.mutable_sync()->set_limit(1000);
      auto page = (*client)->call(request);
      if (!page.ok()) {
        failure = page.status();
        break;
      }
      for (const auto& e : page->sync().entries()) {
        after = e.user_seq();
        if (!e.has_message() || e.message().sender_id() != me) continue;
        const auto& cid = e.message().client_msg_id();
        if (cid.size() != 16) continue;
        std::uint64_t mid = 0, n = 0;
        std::memcpy(&mid, cid.data(), 8);
        std::memcpy(&n, cid.data() + 8, 8);
        if (n == nonce) found.insert(mid);
      }
      if (!page->sync().has_more()) break;
    }
    if (!failure.ok()) break;
    for (auto m : ids) lost += found.count(m) == 0 ? 1 : 0;
    ++checked_users;
  }
  work.reset();
  io.stop();
  loop.join();
  if (!failure.ok()) {
    std::fprintf(stderr, "verify: %s\n", failure.to_string().c_str());
    return 2;
  }
  Record rec;
  rec.labels(o.common.labels)
      .set("kind", "killcheck")
      .set("acked", total)
      .set("lost", lost)
      .set("senders", checked_users);
  rec.emit(o.common.out);
  return 0;
}

}  // namespace wechat::bench
