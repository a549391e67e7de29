// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_RECORD_H_
#define WECHAT_TESTS_CHAOS_RECORD_H_

// What a worker writes down and what the checker reads back: the truth of the run.
//
// Record file (one per device, append-only, one line per fact, across every incarnation of the
// worker; a SIGKILL loses at most the line not yet written, never an earlier one):
//
//   S <pid>                                   an incarnation started
//   I <n> <peer_id>                           about to queue message n (text: message_text())
//   G <n> <group_id>                          about to queue message n to a group (--groups)
//   Q <n> <client_msg_id>                     message n is in the local outbox (durable)
//   E <n> <error>                             message n was refused locally: it was never queued
//   A <client_msg_id> <conversation> <seq>    the server acknowledged it
//   F <client_msg_id> <error>                 the server refused it for good
//   R <message_id> <conversation> <seq> <sender_id> <text>   a MessageReceived event
//   m <conversation> <up_to_seq>              about to mark read
//   M <conversation> <up_to_seq>              the server accepted that mark read
//
// "I" comes before the message can exist and "Q" after it surely does: a worker killed in
// between leaves an "I" alone, and that message may or may not exist (at most once).
//
// A group message is "G" instead of "I"; "Q", "E", "A", "F" are the same for both.
//
// Dump file (one per device, rewritten whole by rename: the device's local store as the public
// API shows it):
//
//   H <connection_state> <unsent_count>
//   C <conversation> <peer_id> <last_seq> <read_seq> <unread>
//   W <conversation> <seq> <message_id> <sender> <peer> <outgoing> <state> <client_msg_id> <text>
//
// (In a group conversation "C" and "W" have peer 0.) Groups file (groups.txt, by the driver):
//
//   <group_id> <member user id> <member user id> ...

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wechat/types.h"

namespace wechat::chaos {

/// Who sent a chaos message: the sending user, their device index, and that device's counter.
struct MessageKey {
  UserId sender = 0;
  int device = 0;
  std::uint64_t n = 0;
  friend auto operator<=>(const MessageKey&, const MessageKey&) = default;
};

/// "chaos:<sender>:<device>:<n>": the text a worker sends, so that every message names its
/// origin and a message nobody sent cannot pass for one that was.
std::string message_text(const MessageKey& key);
std::optional<MessageKey> parse_message_text(std::string_view text);
std::string to_string(const MessageKey& key);

/// Appends lines to a record file with one write(2) each (no user-space buffer to lose on
/// SIGKILL). Thread-safe.
class Recorder {
 public:
  explicit Recorder(const std::string& path);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  bool ok() const { return fd_ >= 0; }
  void line(const std::string& text);

 private:
  int fd_ = -1;
  std::mutex mutex_;
};

/// One device's record file, parsed.
struct WorkerRecord {
  struct Intent {
    UserId peer = 0;
    ConversationId group = 0;  ///< A group message ("G"): peer is 0.
    bool queued = false;
    bool refused = false;
    std::string client_msg_id;
  };
  struct Ack {
    ConversationId conversation = 0;
    std::uint64_t seq = 0;
  };
  struct Received {
    std::uint64_t message_id = 0;
    ConversationId conversation = 0;
    std::uint64_t seq = 0;
    UserId sender = 0;
    std::string text;
  };

  int incarnations = 0;
  std::map<std::uint64_t, Intent> intents;              ///< by counter n
  std::map<std::string, Ack> acks;                      ///< by client_msg_id
  std::vector<std::string> repeated_acks;               ///< "A" lines for an id acknowledged before
  std::set<std::string> failed;                         ///< client_msg_ids refused by the server
  std::vector<Received> received;                       ///< in arrival order, across incarnations
  std::map<ConversationId, std::uint64_t> read_intent;  ///< highest "m" per conversation
  std::map<ConversationId, std::uint64_t> read_acked;   ///< highest "M" per conversation
  /// Messages queued and not yet acknowledged when an incarnation ended (a kill): the outbox
  /// entries the next incarnation had to send (a lower bound: an ack may be unrecorded).
  std::uint64_t outbox_at_kills = 0;
  std::uint64_t next_counter() const { return intents.empty() ? 1 : intents.rbegin()->first + 1; }
};

/// Reads a record file; a missing file reads as empty.
WorkerRecord read_record(const std::string& path);

/// One device's dump, parsed.
struct Dump {
  struct Conversation {
    ConversationId id = 0;
    UserId peer = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t read_seq = 0;
    std::uint64_t unread = 0;
  };
  struct Message {
    ConversationId conversation = 0;
    std::uint64_t seq = 0;  ///< 0: not acknowledged (still in the outbox, or failed)
    std::uint64_t message_id = 0;
    UserId sender = 0;
    UserId peer = 0;
    bool outgoing = false;
    int state = 0;
    std::string client_msg_id;
    std::string text;
  };
  bool present = false;
  std::string connection_state;
  std::uint64_t unsent = 0;
  std::vector<Conversation> conversations;
  std::vector<Message> messages;
};

Dump read_dump(const std::string& path);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_RECORD_H_
