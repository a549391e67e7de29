// SPDX-License-Identifier: MIT
// The checker. Truth comes from the records (who set out to send what, and which of those were
// surely queued); each device's dump must then hold every message of its user exactly once, at
// the same conversation position as on every other device, with the read position and unread
// count the recorded mark-reads and own messages imply.
#include "checker.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace wechat::chaos {

namespace {

constexpr std::size_t kMaxProblems = 40;

struct Sent {
  UserId peer = 0;
  ConversationId group = 0;  // a group message: every member must have it
  bool queued = false;
  bool refused = false;
  std::string client_msg_id;
};

/// Where a message sits: its conversation, position and server id.
struct Place {
  ConversationId conversation = 0;
  std::uint64_t seq = 0;
  std::uint64_t message_id = 0;
  friend bool operator==(const Place&, const Place&) = default;
};

class Checker {
 public:
  Checker(const std::vector<DeviceTruth>& devices, const GroupTable& groups)
      : devices_(devices), groups_(groups), stored_(devices.size()), unsent_(devices.size()) {}

  CheckReport run() {
    collect_sent();
    read_contents();
    check_complete();
    check_order();
    check_events();
    check_unread();
    report_.stored = canonical_.size();
    return std::move(report_);
  }

 private:
  void problem(std::uint64_t& counter, const std::string& text) {
    ++counter;
    if (report_.problems.size() < kMaxProblems) report_.problems.push_back(text);
  }
  std::string name(std::size_t i) const {
    return "user " + std::to_string(devices_[i].user) + " device " +
           std::to_string(devices_[i].device);
  }

  void collect_sent();
  void read_contents();
  void check_complete();
  void check_order();
  void check_events();
  void check_unread();

  /// Who must hold a message: both users of a direct one, every member of a group's.
  std::set<UserId> recipients(const MessageKey& key, const Sent& sent) const {
    if (sent.group == 0) return {key.sender, sent.peer};
    const auto it = groups_.find(sent.group);
    return it == groups_.end() ? std::set<UserId>{key.sender} : it->second;
  }

  const std::vector<DeviceTruth>& devices_;
  const GroupTable& groups_;
  CheckReport report_;
  std::map<MessageKey, Sent> sent_;
  std::vector<std::map<MessageKey, Place>> stored_;  // per device: acknowledged messages
  std::vector<std::set<MessageKey>> unsent_;         // per device: still queued or failed
  std::map<MessageKey, Place> canonical_;            // the first place each message was seen at
  std::map<std::pair<ConversationId, std::uint64_t>, MessageKey> slots_;
  std::set<MessageKey> stored_twice_;
};

void Checker::collect_sent() {
  for (const auto& d : devices_) {
    for (const auto& [n, intent] : d.record.intents) {
      sent_[MessageKey{d.user, d.device, n}] =
          Sent{intent.peer, intent.group, intent.queued, intent.refused, intent.client_msg_id};
      ++report_.intents;
      if (intent.queued) ++report_.queued;
      if (intent.group != 0) {
        ++report_.group_intents;
        if (intent.queued) ++report_.group_queued;
      }
    }
    report_.received_events += d.record.received.size();
    report_.outbox_at_kills += d.record.outbox_at_kills;
    report_.incarnations += static_cast<std::uint64_t>(d.record.incarnations);
  }
}

void Checker::read_contents() {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const DeviceTruth& d = devices_[i];
    if (!d.dump.present) {
      problem(report_.missing_dumps, name(i) + ": no dump of its local store");
      continue;
    }
    std::map<MessageKey, int> copies;
    for (const auto& m : d.dump.messages) {
      const auto key = parse_message_text(m.text);
      const auto it = key ? sent_.find(*key) : sent_.end();
      const std::string where = name(i) + ": conversation " + std::to_string(m.conversation) +
                                " seq " + std::to_string(m.seq) + " holds '" + m.text + "'";
      if (it == sent_.end() || it->second.refused) {
        problem(report_.phantom, where + ", which no worker sent");
        continue;
      }
      const Sent& sent = it->second;
      if (sent.group != 0) {
        // A group message: in that group's conversation, from its sender, on a member's device.
        const auto members = recipients(*key, sent);
        if (m.sender != key->sender || m.peer != 0 || !members.count(d.user) ||
            (m.seq != 0 && m.conversation != sent.group)) {
          problem(report_.phantom, where + " outside group " + std::to_string(sent.group) +
                                       " or on a non-member's device");
          continue;
        }
      } else {
        const std::set<UserId> parties = {d.user, m.peer};
        if (m.sender != key->sender || parties != std::set<UserId>{key->sender, sent.peer}) {
          problem(report_.phantom, where + " between the wrong users");
          continue;
        }
      }
      if (sent.queued && m.client_msg_id != sent.client_msg_id) {
        problem(report_.phantom, where + " under another client_msg_id");
        continue;
      }
      if (m.seq == 0) {
        unsent_[i].insert(*key);
        continue;
      }
      const Place place{m.conversation, m.seq, m.message_id};
      if (++copies[*key] > 1) {
        problem(report_.duplicated, where + " a second time");
        continue;
      }
      stored_[i][*key] = place;
      auto [first, inserted] = canonical_.emplace(*key, place);
      if (!inserted && !(first->second == place)) {
        if (first->second.message_id != place.message_id) {
          if (stored_twice_.insert(*key).second) {
            problem(report_.duplicated, where + ": stored twice on the server (message ids " +
                                            std::to_string(first->second.message_id) + " and " +
                                            std::to_string(place.message_id) + ")");
          }
        } else {
          problem(report_.reordered,
                  where + ", which another device has at seq " + std::to_string(first->second.seq));
        }
      }
      auto [slot, fresh] = slots_.emplace(std::make_pair(m.conversation, m.seq), *key);
      if (!fresh && slot->second != *key) {
        problem(report_.reordered,
                where + ", where another device has '" + message_text(slot->second) + "'");
      }
    }
  }
}

void Checker::check_complete() {
  // What each user must have: every message surely queued, and every message that exists
  // although its queueing was not recorded (a kill between the two lines).
  std::map<UserId, std::set<MessageKey>> expected;
  for (const auto& [key, sent] : sent_) {
    if (!sent.queued && !canonical_.count(key)) continue;
    for (UserId user : recipients(key, sent)) expected[user].insert(key);
  }
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (!devices_[i].dump.present) continue;
    for (const MessageKey& key : expected[devices_[i].user]) {
      if (stored_[i].count(key)) {
        if (sent_[key].group != 0) ++report_.group_copies;
        continue;
      }
      if (unsent_[i].count(key)) {
        problem(report_.unacked,
                name(i) + ": '" + message_text(key) + "' is still unacknowledged in its outbox");
      } else {
        problem(report_.lost, name(i) + ": lacks '" + message_text(key) + "'");
      }
    }
    for (const MessageKey& key : unsent_[i]) {
      if (!expected[devices_[i].user].count(key)) {
        problem(report_.unacked, name(i) + ": '" + message_text(key) + "' is still unsent");
      }
    }
  }
}

void Checker::check_order() {
  // Per sending device and conversation, the outbox goes out oldest first: later counters,
  // later seqs. (A direct conversation is named by its peer, a group by its id.)
  std::map<std::tuple<UserId, int, bool, std::uint64_t>, std::map<std::uint64_t, std::uint64_t>>
      streams;
  for (const auto& [key, place] : canonical_) {
    const Sent& sent = sent_[key];
    const bool group = sent.group != 0;
    streams[{key.sender, key.device, group, group ? sent.group : sent.peer}][key.n] = place.seq;
  }
  for (const auto& [stream, seqs] : streams) {
    std::uint64_t previous_n = 0;
    std::uint64_t previous_seq = 0;
    for (const auto& [n, seq] : seqs) {
      if (previous_seq != 0 && seq < previous_seq) {
        problem(report_.reordered,
                "user " + std::to_string(std::get<0>(stream)) + " device " +
                    std::to_string(std::get<1>(stream)) + " queued #" + std::to_string(previous_n) +
                    " before #" + std::to_string(n) +
                    (std::get<2>(stream) ? " to group " : " to user ") +
                    std::to_string(std::get<3>(stream)) + ", but they got seq " +
                    std::to_string(previous_seq) + " and " + std::to_string(seq));
      }
      previous_n = n;
      previous_seq = seq;
    }
  }
  // Every device shows each conversation as a gap-free run 1..last: a missing seq is a message
  // that exists on the server and reached none of this user's devices.
  std::map<ConversationId, std::uint64_t> last;
  std::map<ConversationId, std::uint64_t> count;
  for (const auto& [slot, key] : slots_) {
    last[slot.first] = std::max(last[slot.first], slot.second);
    ++count[slot.first];
  }
  for (const auto& [conversation, top] : last) {
    if (count[conversation] != top) {
      problem(report_.lost, "conversation " + std::to_string(conversation) + " has " +
                                std::to_string(count[conversation]) +
                                " messages on the devices but seqs up to " + std::to_string(top));
    }
  }
}

void Checker::check_events() {
  // Events are announced once each, per conversation in seq order, across restarts.
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    for (const auto& id : devices_[i].record.repeated_acks) {
      problem(report_.duplicated, name(i) + ": MessageStateChanged to sent twice for " + id);
    }
    std::set<std::uint64_t> seen;
    std::map<ConversationId, std::uint64_t> last_seq;
    for (const auto& r : devices_[i].record.received) {
      const std::string what = name(i) + ": MessageReceived '" + r.text + "' (conversation " +
                               std::to_string(r.conversation) + " seq " + std::to_string(r.seq) +
                               ")";
      const auto key = parse_message_text(r.text);
      if (!key || !sent_.count(*key)) {
        problem(report_.phantom, what + " that no worker sent");
        continue;
      }
      if (!seen.insert(r.message_id).second) {
        problem(report_.duplicated, what + " a second time");
        continue;
      }
      auto& previous = last_seq[r.conversation];
      if (r.seq <= previous) {
        problem(report_.reordered, what + " after seq " + std::to_string(previous));
      }
      previous = std::max(previous, r.seq);
    }
  }
}

void Checker::check_unread() {
  // The truth per conversation: its last seq, and each member's newest own message.
  std::map<ConversationId, std::uint64_t> last;
  std::map<std::pair<UserId, ConversationId>, std::uint64_t> own;
  for (const auto& [key, place] : canonical_) {
    last[place.conversation] = std::max(last[place.conversation], place.seq);
    auto& mine = own[{key.sender, place.conversation}];
    mine = std::max(mine, place.seq);
  }
  // Recorded mark-reads, over all devices of a user.
  std::map<std::pair<UserId, ConversationId>, std::uint64_t> acked;
  std::map<std::pair<UserId, ConversationId>, std::uint64_t> intended;
  for (const auto& d : devices_) {
    for (const auto& [c, seq] : d.record.read_acked) {
      acked[{d.user, c}] = std::max(acked[{d.user, c}], seq);
    }
    for (const auto& [c, seq] : d.record.read_intent) {
      intended[{d.user, c}] = std::max(intended[{d.user, c}], seq);
    }
  }
  std::map<std::pair<UserId, ConversationId>, std::uint64_t> agreed;  // read_seq, per user
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    const DeviceTruth& d = devices_[i];
    if (!d.dump.present) continue;
    for (const auto& c : d.dump.conversations) {
      const std::uint64_t top = last.count(c.id) ? last[c.id] : 0;
      const std::pair<UserId, ConversationId> who{d.user, c.id};
      const std::uint64_t mine = own.count(who) ? own[who] : 0;
      // A mark-read whose answer was lost may or may not have moved the marker: a range.
      const std::uint64_t low = std::max(mine, std::min(acked[who], top));
      const std::uint64_t high = std::max(mine, std::min(intended[who], top));
      const std::string where = name(i) + ": conversation " + std::to_string(c.id);
      if (c.last_seq != top) {
        problem(report_.unread, where + " ends at seq " + std::to_string(c.last_seq) +
                                    " instead of " + std::to_string(top));
      } else if (c.read_seq < low || c.read_seq > high) {
        problem(report_.unread, where + " is read up to " + std::to_string(c.read_seq) +
                                    ", not within [" + std::to_string(low) + ", " +
                                    std::to_string(high) + "]");
      } else if (c.unread != c.last_seq - c.read_seq) {
        problem(report_.unread, where + " counts " + std::to_string(c.unread) + " unread, not " +
                                    std::to_string(c.last_seq - c.read_seq));
      } else if (auto [it, first] = agreed.emplace(who, c.read_seq);
                 !first && it->second != c.read_seq) {
        problem(report_.unread, where + " is read up to " + std::to_string(c.read_seq) +
                                    " while another device of the user says " +
                                    std::to_string(it->second));
      }
    }
    // A conversation with messages that the device does not list at all.
    for (const auto& [c, top] : last) {
      bool member = false;
      for (const auto& [key, place] : stored_[i]) member |= place.conversation == c;
      if (!member) continue;
      const bool listed = std::any_of(d.dump.conversations.begin(), d.dump.conversations.end(),
                                      [&](const Dump::Conversation& x) { return x.id == c; });
      if (!listed) {
        problem(report_.unread,
                name(i) + ": conversation " + std::to_string(c) + " is missing from its list");
      }
    }
  }
}

}  // namespace

CheckReport check(const std::vector<DeviceTruth>& devices, const GroupTable& groups) {
  CheckReport report = Checker(devices, groups).run();
  report.groups = groups.size();
  return report;
}

void print_report(const CheckReport& r, std::FILE* out) {
  auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::fprintf(out,
               "messages: %llu set out, %llu surely queued, %llu stored on the devices, %llu "
               "MessageReceived events\n",
               u(r.intents), u(r.queued), u(r.stored), u(r.received_events));
  std::fprintf(out,
               "outbox: %llu unacknowledged entries carried across client kills; %llu worker "
               "processes in all\n",
               u(r.outbox_at_kills), u(r.incarnations));
  if (r.groups + r.group_intents > 0) {
    std::fprintf(out,
                 "groups: %llu groups, %llu group messages set out, %llu surely queued, %llu "
                 "copies verified on member devices\n",
                 u(r.groups), u(r.group_intents), u(r.group_queued), u(r.group_copies));
  }
  std::fprintf(out,
               "result: lost %llu, duplicated %llu, reordered %llu, phantom %llu, unacked %llu, "
               "unread %llu, missing dumps %llu\n",
               u(r.lost), u(r.duplicated), u(r.reordered), u(r.phantom), u(r.unacked), u(r.unread),
               u(r.missing_dumps));
  for (const auto& p : r.problems) std::fprintf(out, "  %s\n", p.c_str());
}

}  // namespace wechat::chaos
