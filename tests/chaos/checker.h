// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_CHECKER_H_
#define WECHAT_TESTS_CHAOS_CHECKER_H_

// The verdict: the workers' records (what was sent, acknowledged, received) against what every
// device's local store holds at the end (its dump).

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "record.h"

namespace wechat::chaos {

/// The groups of a run (--groups) and their members, by group (conversation) id.
using GroupTable = std::map<ConversationId, std::set<UserId>>;

struct DeviceTruth {
  UserId user = 0;
  int device = 0;
  WorkerRecord record;
  Dump dump;
};

struct CheckReport {
  // Figures.
  std::uint64_t intents = 0;          ///< "I" lines: messages a worker set out to send
  std::uint64_t queued = 0;           ///< of those, surely in an outbox ("Q")
  std::uint64_t stored = 0;           ///< distinct messages found on the devices
  std::uint64_t received_events = 0;  ///< MessageReceived events recorded
  std::uint64_t outbox_at_kills = 0;  ///< unacknowledged outbox entries at client kills
  std::uint64_t incarnations = 0;     ///< worker processes started (restarts included)
  std::uint64_t groups = 0;           ///< groups of the run
  std::uint64_t group_intents = 0;    ///< of the intents, group messages
  std::uint64_t group_queued = 0;     ///< of those, surely queued
  std::uint64_t group_copies = 0;     ///< copies of group messages verified on member devices

  // Violations.
  std::uint64_t lost = 0;        ///< a device lacks a message it must have
  std::uint64_t duplicated = 0;  ///< a message stored or announced twice on one device
  std::uint64_t reordered = 0;   ///< not in conversation order, or devices disagree on it
  std::uint64_t phantom = 0;     ///< a message nobody sent (or not as it was sent)
  std::uint64_t unacked = 0;     ///< still in an outbox, or refused, at the end
  std::uint64_t unread = 0;      ///< an unread count or read position that is not the truth
  std::uint64_t missing_dumps = 0;

  std::vector<std::string> problems;  ///< the first few, spelled out

  bool ok() const {
    return lost + duplicated + reordered + phantom + unacked + unread + missing_dumps == 0;
  }
};

/// Checks every device. Pure: reads only its arguments.
CheckReport check(const std::vector<DeviceTruth>& devices, const GroupTable& groups = {});

/// The figures, the violation counts and the first problems, for people.
void print_report(const CheckReport& report, std::FILE* out);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_CHECKER_H_
