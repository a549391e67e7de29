// SPDX-License-Identifier: MIT
#include "worker.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "dump.h"
#include "record.h"
#include "wechat/client.h"

namespace wechat::chaos {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// Sleeps up to `duration`; true if SIGTERM (blocked, so it stays pending) came meanwhile.
bool sleep_or_term(const sigset_t& term, std::chrono::microseconds duration) {
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(duration.count() / 1000000);
  timeout.tv_nsec = static_cast<long>((duration.count() % 1000000) * 1000);
  return ::sigtimedwait(&term, nullptr, &timeout) == SIGTERM;
}

/// A line on stderr (the worker's log file) with the wall time and pid, so that the logs of
/// all workers and the server can be merged by time when a run needs explaining.
void note(std::string_view what) {
  static std::mutex mutex;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::tm tm{};
  ::gmtime_r(&now.tv_sec, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "%s.%03ld [%d] %.*s\n", stamp, now.tv_nsec / 1000000,
               static_cast<int>(::getpid()), static_cast<int>(what.size()), what.data());
}

LogSink stderr_sink() {
  return [](LogLevel level, std::string_view component, std::string_view message) {
    note(std::string(log_level_name(level)) + " " + std::string(component) + ": " +
         std::string(message));
  };
}

}  // namespace

int run_worker(const WorkerOptions& o) {
  // SIGTERM (the driver, at the end) is taken synchronously; blocked before the Client starts
  // its thread, so that thread never receives it. SIGKILL is the fault.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const WorkerRecord past = read_record(o.record_path);
  std::uint64_t counter = past.next_counter();
  Recorder record(o.record_path);
  if (!record.ok()) {
    std::fprintf(stderr, "cannot open %s\n", o.record_path.c_str());
    return 1;
  }
  record.line("S " + std::to_string(::getpid()));

  ClientOptions options;
  options.port = o.port;
  options.plaintext = true;
  options.data_dir = o.data_dir;
  options.request_timeout = 5s;
  options.reconnect_initial = 100ms;
  options.reconnect_max = 1s;
  options.log.sink = stderr_sink();
  options.log.min_level = LogLevel::kInfo;
  auto created = Client::create(options);
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().to_string().c_str());
    return 1;
  }
  // When each message of this incarnation was queued, to log slow acknowledgements (a run that
  // settles slowly can then be told from one that is stuck). Event thread only.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> queued_at;
  std::unique_ptr<Client> client = std::move(*created);
  client->set_event_handler([&record, &queued_at](const Event& e) {
    if (const auto* r = std::get_if<MessageReceived>(&e)) {
      const Message& m = r->message;
      record.line("R " + std::to_string(m.message_id) + " " + std::to_string(m.conversation_id) +
                  " " + std::to_string(m.seq) + " " + std::to_string(m.sender_id) + " " + m.text);
    } else if (const auto* c = std::get_if<ConnectionStateChanged>(&e)) {
      note(std::string("state ") + connection_state_name(c->state) +
           (c->reason.ok() ? "" : " (" + c->reason.to_string() + ")"));
    } else if (const auto* s = std::get_if<MessageStateChanged>(&e)) {
      const Message& m = s->message;
      if (m.state == MessageState::kFailed) {
        record.line("F " + m.client_msg_id + " " + error_name(m.failure.code()));
      } else if (m.outgoing && m.seq != 0) {
        record.line("A " + m.client_msg_id + " " + std::to_string(m.conversation_id) + " " +
                    std::to_string(m.seq));
        if (auto it = queued_at.find(m.client_msg_id); it != queued_at.end()) {
          const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - it->second);
          if (waited > 2s) {
            note("acknowledged after " + std::to_string(waited.count()) + " ms: " + m.text);
          }
          queued_at.erase(it);
        }
      }
    }
  });
  auto on_resumed = [](Result<User> r) {
    if (!r.ok()) note("resume: " + r.status().to_string());
  };
  client->resume(on_resumed);

  // The saved session opens the local store at once, before any network: from then on
  // send_text works (offline, into the outbox) even while the server is down.
  std::optional<User> me;
  for (int i = 0; i < 2000 && !me; ++i) {
    me = client->current_user();
    if (!me && sleep_or_term(term, 10ms)) return 0;
  }
  if (!me || o.peers.empty()) {
    std::fprintf(stderr, "no saved session in %s\n", o.data_dir.c_str());
    return 1;
  }

  std::mt19937_64 rng(o.seed * 1000003 + static_cast<std::uint64_t>(past.incarnations));
  const double total_rate = std::max(0.01, o.rate + o.mark_read_rate);
  std::exponential_distribution<double> gap(total_rate);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  // Calls whose callback has not run yet. The first dump waits for them: a dump must not be
  // older than a "Q" or "M" line of the record, or the check would miss what that line says.
  auto outstanding = std::make_shared<std::atomic<int>>(0);
  bool stopping = false;
  for (;;) {
    if (!stopping && fs::exists(o.stop_path)) {
      stopping = true;
      for (int i = 0; i < 3000 && outstanding->load() > 0; ++i) {
        if (sleep_or_term(term, 10ms)) break;
      }
    }
    if (stopping) {
      const auto began = std::chrono::steady_clock::now();
      if (!write_dump(*client, o.peers, o.groups, o.dump_path)) note("dump: a local read failed");
      const auto took = std::chrono::steady_clock::now() - began;
      if (took > 1s) {
        note("dump took " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
             " ms");
      }
      if (sleep_or_term(term, 200ms)) break;
      continue;
    }
    const auto wait = std::chrono::microseconds(static_cast<std::int64_t>(gap(rng) * 1e6));
    if (sleep_or_term(term, wait)) break;
    if (unit(rng) * total_rate >= o.rate) {
      // Read a conversation up to the newest message this device has.
      auto conversations = client->conversations();
      if (!conversations.ok()) continue;
      std::vector<Conversation> unread;
      for (const auto& c : *conversations) {
        if (c.unread > 0) unread.push_back(c);
      }
      if (unread.empty()) continue;
      const Conversation& c = unread[rng() % unread.size()];
      const std::string marker = std::to_string(c.id) + " " + std::to_string(c.last_seq);
      record.line("m " + marker);
      auto on_read = [&record, marker, outstanding](Status s) {
        if (s.ok()) record.line("M " + marker);
        --*outstanding;
      };
      ++*outstanding;
      client->mark_read(c.id, c.last_seq, on_read);
      continue;
    }
    const bool to_group = !o.groups.empty() && unit(rng) < o.group_share;
    const UserId peer = to_group ? 0 : o.peers[rng() % o.peers.size()];
    const ConversationId group = to_group ? o.groups[rng() % o.groups.size()] : 0;
    const std::uint64_t n = counter++;
    record.line(to_group ? "G " + std::to_string(n) + " " + std::to_string(group)
                         : "I " + std::to_string(n) + " " + std::to_string(peer));
    auto on_queued = [&record, &queued_at, n, outstanding](Result<Message> m) {
      if (m.ok()) {
        record.line("Q " + std::to_string(n) + " " + m->client_msg_id);
        queued_at[m->client_msg_id] = std::chrono::steady_clock::now();
      } else {
        record.line(std::string("E ") + std::to_string(n) + " " + error_name(m.code()));
      }
      --*outstanding;
    };
    ++*outstanding;
    const std::string text = message_text(MessageKey{me->id, o.device, n});
    if (to_group) {
      client->send_group_text(group, text, on_queued);
    } else {
      client->send_text(peer, text, on_queued);
    }
  }
  if (stopping && !write_dump(*client, o.peers, o.groups, o.dump_path)) note("dump: a local read failed");
  client.reset();  // completes what is pending (kCancelled) while `record` is still open
  return 0;
}

}  // namespace wechat::chaos
