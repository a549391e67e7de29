// SPDX-License-Identifier: MIT
// W5, group chat: G groups of M members, every member online on its own connection, open-loop
// Poisson arrivals of group messages in steps of offered load; each arrival is one message from
// a random member of a random group. A group message is stored once and pushed to every
// member (docs/protocol.md §7.4), so one arrival is M - 1 deliveries to the other members (plus
// the sender's own copy, counted apart as the echo).
//
// Setup, before any step and not measured: users 0 .. G*M-1 of users.tsv, group g being users
// g*M .. g*M+M-1 with the first as owner. `wechat-bench setup` only befriends pairs (2k, 2k+1),
// and CreateGroup needs the initial members to be friends of the creator, so the owner sends a
// friend request to each member and the member accepts it, over the protocol, on the sessions
// the workload then uses. On a data directory where this ran before, the friendships exist and
// the requests answer ALREADY_FRIENDS; every run creates new groups.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <unordered_map>

#include "arrivals.h"
#include "chat_adapter.h"
#include "histogram.h"
#include "proc_stats.h"
#include "results.h"
#include "users.h"
#include "wire_session.h"
#include "workloads.h"

namespace wechat::bench {
namespace {

constexpr std::size_t kConnectWindow = 64;
constexpr std::size_t kSetupWindow = 64;  // friend requests (and answers) in flight
constexpr std::size_t kMaxSockets = 19000;

struct GroupMsg {
  std::int64_t intended = 0;
  std::uint32_t group = 0;
  std::uint32_t sender = 0;  // member position in the group
  std::uint32_t copies = 0;  // distinct recipients (sender excluded) that got it
  std::uint8_t acked = 0;
  std::uint8_t echoes = 0;
  bool in_window = false;
  bool failed = false;
};

struct Step {
  double rate = 0;
  std::uint64_t base_id = 1;  // ids of this step: base_id .. base_id + recs.size() - 1
  std::vector<GroupMsg> recs;
  std::vector<std::uint64_t> seen;  // words_ bits per message: recipients that got a copy
  std::int64_t window_start = 0, window_end = 0, send_end = 0;
  Histogram e2e;       // per delivered copy
  Histogram complete;  // per message: until its last recipient got it
  Histogram ack;
  std::uint64_t errors = 0, late_other = 0, misrouted = 0, copies_in_window_time = 0;
  std::uint64_t duplicate_copies = 0;
  std::uint64_t outstanding = 0;  // copies and acks still expected (drain ends early at 0)
  std::map<int, std::uint64_t> error_codes;
  // --timeline: per 100 ms of arrival time since the step started, copies and the worst e2e.
  std::vector<std::pair<std::uint64_t, std::int64_t>> timeline;
  std::int64_t start = 0;
  double server_cpu0 = NAN, server_cpu1 = NAN, self_cpu0 = 0, self_cpu1 = 0;
};

class W5Runner {
 public:
  W5Runner(const W5Options& o, asio::io_context& io, std::vector<BenchUser> users, Target target)
      : o_(o),
        io_(io),
        target_(std::move(target)),
        users_(std::move(users)),
        timer_(io),
        text_(payload_text()),
        words_((o.members + 63) / 64) {
    sessions_.resize(users_.size());
    nonce_ =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }

  /// Connects every member, befriends, creates the groups. Runs the loop until done.
  Status prepare() {
    const std::int64_t t0 = now_ns();
    connect_done_ = false;
    for (std::size_t i = 0; i < kConnectWindow && next_connect_ < users_.size(); ++i) {
      connect_next();
    }
    if (!pump_until([this] { return connect_done_; }, 180)) {
      return Status(Error::kTimeout, "connecting the members took over 180 s");
    }
    if (!connect_status_.ok()) return connect_status_;
    std::fprintf(stderr, "w5: %zu members connected in %.2f s\n", users_.size(),
                 (now_ns() - t0) / 1e9);

    const std::int64_t t1 = now_ns();
    for (std::size_t g = 0; g < o_.groups; ++g) {
      const std::size_t owner = g * o_.members;
      for (std::size_t j = 1; j < o_.members; ++j) {
        const std::size_t member = owner + j;
        if (users_[owner].friend_index == member) continue;  // the pair from `setup`
        friend_todo_.push_back({owner, member});
      }
    }
    friends_left_ = friend_todo_.size();
    for (std::size_t i = 0; i < kSetupWindow; ++i) befriend_next();
    if (!pump_until([this] { return friends_left_ == 0 || !setup_status_.ok(); }, 300)) {
      return Status(Error::kTimeout, "befriending took over 300 s");
    }
    if (!setup_status_.ok()) return setup_status_;
    std::fprintf(stderr, "w5: %zu friendships (%zu new) in %.2f s\n", friend_todo_.size(),
                 new_friendships_, (now_ns() - t1) / 1e9);

    const std::int64_t t2 = now_ns();
    group_ids_.assign(o_.groups, 0);
    std::size_t created = 0;
    for (std::size_t g = 0; g < o_.groups; ++g) {
      const std::size_t owner = g * o_.members;
      v1::Request request;
      auto* create = request.mutable_create_group();
      create->set_name("w5 group " + std::to_string(g));
      for (std::size_t j = 1; j < o_.members; ++j) {
        create->add_member_ids(users_[owner + j].user_id);
      }
      call(owner, std::move(request), [this, g, &created](v1::Response&& r) {
        if (r.has_error()) {
          fail_setup(Status(static_cast<Error>(r.error().code()),
                            "CreateGroup " + std::to_string(g) + ": " + r.error().message()));
          return;
        }
        const auto& info = r.create_group().group();
        if (info.member_count() != o_.members) {
          fail_setup(Status(Error::kInternal, "group " + std::to_string(g) + " has " +
                                                  std::to_string(info.member_count()) +
                                                  " members"));
          return;
        }
        group_ids_[g] = info.group_id();
        ++created;
      });
    }
    if (!pump_until([&] { return created == o_.groups || !setup_status_.ok(); }, 120)) {
      return Status(Error::kTimeout, "creating the groups took over 120 s");
    }
    if (!setup_status_.ok()) return setup_status_;
    // Let the CREATED events (one per member, each naming every member) reach the members
    // before the first step starts.
    pump_until([] { return false; }, 0.5);
    std::fprintf(stderr, "w5: %zu groups of %zu members created in %.2f s\n", o_.groups, o_.members,
                 (now_ns() - t2) / 1e9);
    return Status();
  }

  /// Runs every step; returns false when the harness failed (not when the server was slow).
  bool run() {
    std::uint64_t next_id = 1;
    for (double rate : o_.rates) {
      step_ = std::make_unique<Step>();
      step_->rate = rate;
      step_->base_id = next_id;
      const auto expected =
          static_cast<std::size_t>(rate * (o_.warmup_s + o_.measure_s) * 1.2 + 1000);
      step_->recs.reserve(expected);
      step_->seen.reserve(expected * words_);
      run_step();
      next_id = step_->base_id + step_->recs.size() + 1;
      const bool ok = report();
      if (!ok && o_.stop_on_fail) break;
    }
    return true;
  }

 private:
  // ---- sessions ---------------------------------------------------------------------------

  bool pump_until(const std::function<bool()>& done, double timeout_s) {
    const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
    while (!done() && now_ns() < deadline) io_.run_for(std::chrono::milliseconds(20));
    return done();
  }

  void connect_next() {
    const std::size_t i = next_connect_++;
    Credentials creds;
    creds.token = users_[i].token;
    open_session(io_.get_executor(), target_, creds,
                 [this, i](Result<std::shared_ptr<WireSession>> r, v1::LoginOk) {
                   if (connect_done_) return;
                   if (!r.ok()) {
                     connect_status_ = Status(
                         r.code(), "user " + std::to_string(i) + ": " + r.status().message());
                     connect_done_ = true;
                     return;
                   }
                   attach(i, *r);
                   if (++connected_ == users_.size()) {
                     connect_done_ = true;
                   } else if (next_connect_ < users_.size()) {
                     connect_next();
                   }
                 });
  }

  void attach(std::size_t i, std::shared_ptr<WireSession> s) {
    sessions_[i] = s;
    s->on_frame = [this, i](v1::Frame&& frame) { on_frame(i, std::move(frame)); };
    s->on_close = [this, i](const Status& status) {
      ++lost_connections_;
      if (lost_connections_ <= 3) {
        std::fprintf(stderr, "w5: connection lost: user %zu: %s\n", i, status.to_string().c_str());
      }
    };
  }

  void on_frame(std::size_t user, v1::Frame&& frame) {
    if (frame.has_response()) {
      const std::uint64_t id = frame.request_id();
      if (id >= kControlIdBase) {
        auto it = control_.find(id);
        if (it == control_.end()) return;
        auto callback = std::move(it->second);
        control_.erase(it);
        callback(std::move(*frame.mutable_response()));
        return;
      }
      if (frame.response().has_error()) {
        on_error(id, frame.response().error().code());
      } else {
        on_ack(id);
      }
      return;
    }
    if (!frame.has_event() || !frame.event().has_log()) return;
    const auto& entry = frame.event().log();
    if (!entry.has_message()) return;
    const auto& m = entry.message();
    if (m.client_msg_id().size() != 16) return;
    std::uint64_t id = 0, nonce = 0;
    std::memcpy(&id, m.client_msg_id().data(), 8);
    std::memcpy(&nonce, m.client_msg_id().data() + 8, 8);
    if (nonce != nonce_) return;  // a message of an earlier run
    on_deliver(user, id, m.conversation_id());
  }

  /// A setup request on `user`'s session; `done` gets the response (error or not).
  void call(std::size_t user, v1::Request request, std::function<void(v1::Response&&)> done) {
    const std::uint64_t id = next_control_++;
    control_[id] = std::move(done);
    sessions_[user]->send_request(id, std::move(request));
  }

  void fail_setup(Status s) {
    if (setup_status_.ok()) setup_status_ = std::move(s);
  }

  // ---- setup: friendships ------------------------------------------------------------------

  void befriend_next() {
    if (next_friend_ >= friend_todo_.size() || !setup_status_.ok()) return;
    const auto [owner, member] = friend_todo_[next_friend_++];
    v1::Request ask;
    ask.mutable_send_friend_request()->set_to_user_id(users_[member].user_id);
    call(owner, std::move(ask), [this, owner, member](v1::Response&& r) {
      if (!r.has_error()) {
        ++new_friendships_;
        accept(member, r.send_friend_request().request().request_id());
      } else if (r.error().code() == static_cast<int>(Error::kAlreadyFriends)) {
        befriended();
      } else if (r.error().code() == static_cast<int>(Error::kRequestPending)) {
        accept_pending(owner, member);  // an earlier run stopped between request and answer
      } else {
        fail_setup(Status(static_cast<Error>(r.error().code()),
                          "friend request " + std::to_string(owner) + " -> " +
                              std::to_string(member) + ": " + r.error().message()));
      }
    });
  }

  void accept(std::size_t who, std::uint64_t request_id) {
    v1::Request answer;
    answer.mutable_answer_friend_request()->set_request_id(request_id);
    answer.mutable_answer_friend_request()->set_accept(true);
    call(who, std::move(answer), [this, who](v1::Response&& r) {
      if (r.has_error()) {
        fail_setup(Status(static_cast<Error>(r.error().code()),
                          "accepting as user " + std::to_string(who) + ": " + r.error().message()));
        return;
      }
      befriended();
    });
  }

  /// A pending request between owner and member exists: whoever received it accepts it.
  void accept_pending(std::size_t owner, std::size_t member) {
    v1::Request list;
    list.mutable_list_friend_requests();
    call(member, list, [this, owner, member, list](v1::Response&& r) {
      for (const auto& fr : r.list_friend_requests().incoming()) {
        if (fr.from().user_id() == users_[owner].user_id) return accept(member, fr.request_id());
      }
      call(owner, list, [this, owner, member](v1::Response&& r2) {
        for (const auto& fr : r2.list_friend_requests().incoming()) {
          if (fr.from().user_id() == users_[member].user_id) return accept(owner, fr.request_id());
        }
        fail_setup(Status(Error::kNotFound, "pending friend request not found"));
      });
    });
  }

  void befriended() {
    --friends_left_;
    befriend_next();
  }

  // ---- the measured steps ------------------------------------------------------------------

  GroupMsg* rec_of(std::uint64_t id) {
    if (!step_ || id < step_->base_id) return nullptr;
    const std::uint64_t i = id - step_->base_id;
    return i < step_->recs.size() ? &step_->recs[i] : nullptr;
  }

  void on_ack(std::uint64_t id) {
    GroupMsg* r = rec_of(id);
    if (!r) return;
    if (r->acked++ == 0) {
      if (!r->failed) --step_->outstanding;
      if (r->in_window) step_->ack.record(now_ns() - r->intended);
    }
  }

  void on_deliver(std::size_t user, std::uint64_t id, std::uint64_t conversation_id) {
    GroupMsg* r = rec_of(id);
    if (!r) {
      if (step_) ++step_->late_other;
      return;
    }
    Step& s = *step_;
    const std::size_t group = user / o_.members;
    const std::size_t pos = user % o_.members;
    if (group != r->group || conversation_id != group_ids_[r->group]) {
      ++s.misrouted;
      return;
    }
    if (pos == r->sender) {
      ++r->echoes;
      return;
    }
    const std::int64_t now = now_ns();
    const std::size_t i = static_cast<std::size_t>(r - s.recs.data());
    std::uint64_t& word = s.seen[i * words_ + pos / 64];
    const std::uint64_t bit = std::uint64_t{1} << (pos % 64);
    if (word & bit) {
      if (r->in_window) ++s.duplicate_copies;
      return;
    }
    word |= bit;
    ++r->copies;
    if (!r->failed) --s.outstanding;
    if (r->in_window) {
      s.e2e.record(now - r->intended);
      if (r->copies == o_.members - 1) s.complete.record(now - r->intended);
    }
    if (now >= s.window_start && now < s.window_end) ++s.copies_in_window_time;
    if (!o_.timeline.empty()) {
      const auto slot =
          static_cast<std::size_t>(std::max<std::int64_t>(0, now - s.start) / 100'000'000);
      if (slot >= s.timeline.size()) s.timeline.resize(slot + 1);
      ++s.timeline[slot].first;
      s.timeline[slot].second = std::max(s.timeline[slot].second, now - r->intended);
    }
  }

  void on_error(std::uint64_t id, int code) {
    if (!step_) return;
    ++step_->error_codes[code];
    ++step_->errors;
    GroupMsg* r = rec_of(id);
    if (r && !r->failed) {
      r->failed = true;
      step_->outstanding -= (o_.members - 1 - r->copies) + (r->acked ? 0 : 1);
    }
  }

  void send(std::size_t group, std::size_t pos, std::uint64_t id) {
    auto& s = sessions_[group * o_.members + pos];
    if (!s || s->closed) {
      on_error(id, static_cast<int>(Error::kUnavailable));
      return;
    }
    v1::Frame frame;
    frame.set_request_id(id);
    auto* send = frame.mutable_request()->mutable_send_message();
    char cid[16];
    std::memcpy(cid, &id, 8);
    std::memcpy(cid + 8, &nonce_, 8);
    send->set_client_msg_id(cid, 16);
    send->set_group_id(group_ids_[group]);
    send->set_text(text_);
    s->conn->send(frame);
  }

  void run_step() {
    Step& s = *step_;
    const std::int64_t start = now_ns() + 20'000'000;
    s.start = start;
    s.window_start = start + static_cast<std::int64_t>(o_.warmup_s * 1e9);
    s.window_end = s.window_start + static_cast<std::int64_t>(o_.measure_s * 1e9);
    s.send_end = s.window_end;
    arrivals_ =
        std::make_unique<PoissonArrivals>(s.rate, start, o_.common.seed * 104729 + s.base_id);
    window_open_ = window_closed_ = false;
    sending_ = true;
    tick();
    std::int64_t drain_deadline = 0;
    while (sending_ || now_ns() < drain_deadline) {
      io_.run_for(std::chrono::milliseconds(20));
      if (!sending_ && drain_deadline == 0) {
        drain_deadline = now_ns() + static_cast<std::int64_t>(o_.drain_s * 1e9);
      }
      if (!sending_ && s.outstanding == 0) break;
    }
  }

  void tick() {
    Step& s = *step_;
    const std::int64_t now = now_ns();
    if (!window_open_ && now >= s.window_start) {
      window_open_ = true;
      s.server_cpu0 = process_cpu_us(o_.common.server_pid).value_or(NAN);
      s.self_cpu0 = self_cpu_us();
    }
    if (!window_closed_ && now >= s.window_end) {
      window_closed_ = true;
      s.server_cpu1 = process_cpu_us(o_.common.server_pid).value_or(NAN);
      s.self_cpu1 = self_cpu_us();
    }
    auto& rng = arrivals_->rng();
    while (arrivals_->peek() <= now && arrivals_->peek() < s.send_end) {
      const std::int64_t intended = arrivals_->pop();
      const std::uint64_t id = s.base_id + s.recs.size();
      GroupMsg rec;
      rec.intended = intended;
      rec.in_window = intended >= s.window_start && intended < s.window_end;
      rec.group = static_cast<std::uint32_t>(rng() % o_.groups);
      rec.sender = static_cast<std::uint32_t>(rng() % o_.members);
      s.recs.push_back(rec);
      s.seen.resize(s.seen.size() + words_, 0);
      s.outstanding += o_.members;  // M - 1 copies and the ack
      send(rec.group, rec.sender, id);
    }
    if (arrivals_->peek() >= s.send_end && window_closed_) {
      sending_ = false;
      return;
    }
    std::int64_t next = std::min(arrivals_->peek(), s.send_end);
    if (!window_open_) next = std::min(next, s.window_start);
    if (!window_closed_) next = std::min(next, s.window_end);
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)));
    timer_.async_wait([this](const std::error_code& ec) {
      if (!ec) tick();
    });
  }

  /// Writes the step's record; true when the step is sustainable.
  bool report() {
    Step& s = *step_;
    const std::uint64_t fanout = o_.members - 1;
    std::uint64_t sent = 0, acked = 0, failed = 0, copies = 0, complete = 0, echoes = 0;
    for (const auto& r : s.recs) {
      if (!r.in_window) continue;
      ++sent;
      if (r.acked > 0) ++acked;
      if (r.failed) ++failed;
      copies += r.copies;
      if (r.copies == fanout) ++complete;
      if (r.echoes > 0) ++echoes;
    }
    const std::uint64_t expected = sent * fanout;
    const double window = o_.measure_s;
    const double fraction = expected ? static_cast<double>(copies) / expected : 0;
    const double server_cpu = s.server_cpu1 - s.server_cpu0;
    const double gen_cpu = s.self_cpu1 - s.self_cpu0;
    const auto us = [](std::int64_t ns) { return static_cast<double>(ns) / 1000.0; };
    const bool sustainable = sent > 0 && fraction >= 0.999 && s.e2e.quantile(0.99) <= 100'000'000 &&
                             s.errors == 0 && lost_connections_ == 0;
    Record rec;
    rec.labels(o_.common.labels)
        .set("kind", "w5")
        .set("tls", o_.common.tls)
        .set("groups", static_cast<std::uint64_t>(o_.groups))
        .set("members", static_cast<std::uint64_t>(o_.members))
        .set("fanout", fanout)
        .set("offered_rate", s.rate)
        .set("warmup_s", o_.warmup_s)
        .set("measure_s", window)
        .set("sent", sent)
        .set("acked", acked)
        .set("failed", failed)
        .set("expected_copies", expected)
        .set("delivered_copies", copies)
        .set("delivered_fraction", fraction)
        .set("complete_msgs", complete)
        .set("echoes", echoes)
        .set("msg_rate", static_cast<double>(acked) / window)
        .set("complete_msg_rate", static_cast<double>(complete) / window)
        .set("delivery_rate", static_cast<double>(copies) / window)
        .set("delivery_in_window_rate", static_cast<double>(s.copies_in_window_time) / window)
        .set("missing_copies", expected - copies)
        .set("duplicate_copies", s.duplicate_copies)
        .set("misrouted", s.misrouted)
        .set("late_other", s.late_other)
        .set("errors", s.errors)
        .set("lost_connections", static_cast<std::uint64_t>(lost_connections_))
        .set("e2e_p50_us", us(s.e2e.quantile(0.5)))
        .set("e2e_p99_us", us(s.e2e.quantile(0.99)))
        .set("e2e_p999_us", us(s.e2e.quantile(0.999)))
        .set("e2e_max_us", us(s.e2e.max()))
        .set("complete_p50_us", us(s.complete.quantile(0.5)))
        .set("complete_p99_us", us(s.complete.quantile(0.99)))
        .set("ack_p50_us", us(s.ack.quantile(0.5)))
        .set("ack_p99_us", us(s.ack.quantile(0.99)))
        .set("ack_p999_us", us(s.ack.quantile(0.999)))
        .set("server_cpu_us_per_msg", acked ? server_cpu / acked : NAN)
        .set("server_cpu_us_per_copy", copies ? server_cpu / copies : NAN)
        .set("server_cpu_pct", server_cpu / (window * 1e6) * 100)
        .set("gen_cpu_pct", gen_cpu / (window * 1e6) * 100)
        .set("sustainable", sustainable);
    std::string codes;
    for (auto& [code, count] : s.error_codes) {
      codes += (codes.empty() ? "" : " ") + std::to_string(code) + ":" + std::to_string(count);
    }
    rec.set("error_codes", codes);
    rec.emit(o_.common.out);
    if (!o_.timeline.empty()) write_timeline();
    return sustainable;
  }

  /// Appends "rate t_s copies max_e2e_ms" lines: where in the step the latency spikes are.
  void write_timeline() {
    std::FILE* f = std::fopen(o_.timeline.c_str(), "a");
    if (f == nullptr) return;
    const Step& s = *step_;
    for (std::size_t i = 0; i < s.timeline.size(); ++i) {
      std::fprintf(f, "%g %.1f %llu %.2f\n", s.rate, i / 10.0,
                   static_cast<unsigned long long>(s.timeline[i].first),
                   s.timeline[i].second / 1e6);
    }
    std::fclose(f);
  }

  const W5Options& o_;
  asio::io_context& io_;
  Target target_;
  std::vector<BenchUser> users_;
  std::vector<std::shared_ptr<WireSession>> sessions_;
  asio::steady_timer timer_;
  std::string text_;
  const std::size_t words_;
  std::uint64_t nonce_ = 0;

  std::size_t next_connect_ = 0, connected_ = 0;
  bool connect_done_ = false;
  Status connect_status_;

  std::unordered_map<std::uint64_t, std::function<void(v1::Response&&)>> control_;
  std::uint64_t next_control_ = kControlIdBase + 16;
  std::vector<std::pair<std::size_t, std::size_t>> friend_todo_;  // (owner, member)
  std::size_t next_friend_ = 0, friends_left_ = 0, new_friendships_ = 0;
  Status setup_status_;
  std::vector<std::uint64_t> group_ids_;

  std::unique_ptr<Step> step_;
  std::unique_ptr<PoissonArrivals> arrivals_;
  bool sending_ = false, window_open_ = false, window_closed_ = false;
  std::size_t lost_connections_ = 0;
};

}  // namespace

int run_w5(const W5Options& o) {
  if (o.groups == 0 || o.members < 2) {
    std::fprintf(stderr, "w5: need at least one group of two members\n");
    return 2;
  }
  if (o.groups * o.members > kMaxSockets) {
    std::fprintf(stderr, "w5: %zu members would need more than %zu sockets in one process\n",
                 o.groups * o.members, kMaxSockets);
    return 2;
  }
  auto users = load_users(o.common.users_file);
  if (!users.ok()) {
    std::fprintf(stderr, "w5: %s\n", users.status().to_string().c_str());
    return 2;
  }
  if (users->size() < o.groups * o.members) {
    std::fprintf(stderr, "w5: %zu groups of %zu need %zu accounts; %s has %zu\n", o.groups,
                 o.members, o.groups * o.members, o.common.users_file.c_str(), users->size());
    return 2;
  }
  users->resize(o.groups * o.members);
  Target target;
  target.host = o.common.host;
  target.port = o.common.port;
  if (o.common.tls) target.tls = bench_client_tls();

  asio::io_context io(1);
  // run_for() must never find the loop out of work: a stopped io_context stays stopped.
  auto keep_running = asio::make_work_guard(io);
  W5Runner runner(o, io, std::move(*users), std::move(target));
  Status prepared = runner.prepare();
  if (!prepared.ok()) {
    std::fprintf(stderr, "w5: setup failed: %s\n", prepared.to_string().c_str());
    std::fflush(nullptr);
    std::_Exit(2);
  }
  const bool ok = runner.run();
  // As in W1: leave without tearing the sessions down; the kernel closes the sockets.
  std::fflush(nullptr);
  std::_Exit(ok ? 0 : 2);
}

}  // namespace wechat::bench
