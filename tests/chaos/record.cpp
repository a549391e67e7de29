// SPDX-License-Identifier: MIT
#include "record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace wechat::chaos {

namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Splits off the first `count` space-separated fields; the rest of the line (which may hold
/// spaces, for a text nobody should have sent) goes to `rest`.
std::vector<std::string_view> fields(std::string_view line, std::size_t count,
                                     std::string_view* rest = nullptr) {
  std::vector<std::string_view> out;
  while (out.size() < count) {
    const auto space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) {
      line = {};
      break;
    }
    line.remove_prefix(space + 1);
  }
  if (rest) *rest = line;
  return out;
}

std::uint64_t num(std::string_view s) { return to_u64(s).value_or(0); }

}  // namespace

std::string message_text(const MessageKey& key) {
  return "chaos:" + std::to_string(key.sender) + ":" + std::to_string(key.device) + ":" +
         std::to_string(key.n);
}

std::optional<MessageKey> parse_message_text(std::string_view text) {
  constexpr std::string_view kPrefix = "chaos:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto a = text.find(':');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = text.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto sender = to_u64(text.substr(0, a));
  auto device = to_u64(text.substr(a + 1, b - a - 1));
  auto n = to_u64(text.substr(b + 1));
  if (!sender || !device || !n || *device > 1000) return std::nullopt;
  return MessageKey{*sender, static_cast<int>(*device), *n};
}

std::string to_string(const MessageKey& key) { return message_text(key); }

Recorder::Recorder(const std::string& path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

Recorder::~Recorder() {
  if (fd_ >= 0) ::close(fd_);
}

void Recorder::line(const std::string& text) {
  std::string buffer = text + "\n";
  std::lock_guard lock(mutex_);
  // O_APPEND and one write per line: the file holds whole lines, in the order they were made.
  std::string_view rest = buffer;
  while (!rest.empty() && fd_ >= 0) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

WorkerRecord read_record(const std::string& path) {
  WorkerRecord r;
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The last line may be incomplete only if a write was cut short; ignore it then.
  std::set<std::string> unacked;  // queued, not yet acknowledged: the outbox as recorded
  std::size_t start = 0;
  while (start < content.size()) {
    const auto end = content.find('\n', start);
    if (end == std::string::npos) break;
    const std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (line.size() < 2) continue;
    std::string_view rest;
    const auto f = fields(line.substr(2), 5, &rest);
    auto at = [&](std::size_t i) { return i < f.size() ? f[i] : std::string_view(); };
    switch (line[0]) {
      case 'S':
        if (r.incarnations > 0) r.outbox_at_kills += unacked.size();
        ++r.incarnations;
        break;
      case 'I':
        r.intents[num(at(0))].peer = num(at(1));
        break;
      case 'G':
        r.intents[num(at(0))].group = num(at(1));
        break;
      case 'Q': {
        auto& intent = r.intents[num(at(0))];
        intent.queued = true;
        intent.client_msg_id = std::string(at(1));
        if (!r.acks.count(intent.client_msg_id)) unacked.insert(intent.client_msg_id);
        break;
      }
      case 'E':
        r.intents[num(at(0))].refused = true;
        break;
      case 'A':
        // The app hears "sent" once per message: from the ack or from the log entry, whichever
        // comes first, never from both.
        if (r.acks.count(std::string(at(0)))) r.repeated_acks.emplace_back(at(0));
        r.acks[std::string(at(0))] = WorkerRecord::Ack{num(at(1)), num(at(2))};
        unacked.erase(std::string(at(0)));
        break;
      case 'F':
        r.failed.insert(std::string(at(0)));
        unacked.erase(std::string(at(0)));
        break;
      case 'R': {
        // The text is the rest of the line after four numbers.
        const auto g = fields(line.substr(2), 4, &rest);
        if (g.size() < 4) break;
        r.received.push_back(
            WorkerRecord::Received{num(g[0]), num(g[1]), num(g[2]), num(g[3]), std::string(rest)});
        break;
      }
      case 'm': {
        auto& v = r.read_intent[num(at(0))];
        v = std::max(v, num(at(1)));
        break;
      }
      case 'M': {
        auto& v = r.read_acked[num(at(0))];
        v = std::max(v, num(at(1)));
        break;
      }
      default:
        break;
    }
  }
  return r;
}

Dump read_dump(const std::string& path) {
  Dump d;
  std::ifstream in(path);
  if (!in) return d;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 2) continue;
    std::string_view rest;
    const std::string_view body = std::string_view(line).substr(2);
    switch (line[0]) {
      case 'H': {
        const auto f = fields(body, 2);
        if (f.size() < 2) break;
        d.present = true;
        d.connection_state = std::string(f[0]);
        d.unsent = num(f[1]);
        break;
      }
      case 'C': {
        const auto f = fields(body, 5);
        if (f.size() < 5) break;
        d.conversations.push_back(
            Dump::Conversation{num(f[0]), num(f[1]), num(f[2]), num(f[3]), num(f[4])});
        break;
      }
      case 'W': {
        const auto f = fields(body, 8, &rest);
        if (f.size() < 8) break;
        Dump::Message m;
        m.conversation = num(f[0]);
        m.seq = num(f[1]);
        m.message_id = num(f[2]);
        m.sender = num(f[3]);
        m.peer = num(f[4]);
        m.outgoing = f[5] == "1";
        m.state = static_cast<int>(num(f[6]));
        m.client_msg_id = std::string(f[7]);
        m.text = std::string(rest);
        d.messages.push_back(std::move(m));
        break;
      }
      default:
        break;
    }
  }
  return d;
}

}  // namespace wechat::chaos
