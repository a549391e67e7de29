// SPDX-License-Identifier: MIT
#include "dump.h"

#include <filesystem>
#include <fstream>
#include <set>

namespace wechat::chaos {

namespace {

namespace fs = std::filesystem;

std::string message_line(const Message& m) {
  return "W " + std::to_string(m.conversation_id) + " " + std::to_string(m.seq) + " " +
         std::to_string(m.message_id) + " " + std::to_string(m.sender_id) + " " +
         std::to_string(m.peer_id) + " " + (m.outgoing ? "1" : "0") + " " +
         std::to_string(static_cast<int>(m.state)) + " " + m.client_msg_id + " " + m.text + "\n";
}

}  // namespace

bool write_dump(const Client& client, const std::vector<UserId>& peers,
                const std::vector<ConversationId>& groups, const std::string& path) {
  std::string body;
  std::uint64_t unsent = 0;
  std::set<UserId> seen_peers;
  std::set<ConversationId> seen_conversations;
  auto conversations = client.conversations();
  if (!conversations.ok()) return false;
  for (const auto& c : *conversations) {
    seen_peers.insert(c.peer.id);
    seen_conversations.insert(c.id);
    body += "C " + std::to_string(c.id) + " " + std::to_string(c.peer.id) + " " +
            std::to_string(c.last_seq) + " " + std::to_string(c.read_seq) + " " +
            std::to_string(c.unread) + "\n";
    // Pages newest first; the first one also starts with this device's unsent messages.
    std::uint64_t before = 0;
    for (;;) {
      auto page = client.messages(c.id, before, 1000);
      if (!page.ok()) return false;
      std::uint64_t lowest = 0;
      for (const auto& m : *page) {
        if (m.seq == 0) {
          if (before == 0) {
            ++unsent;
            body += message_line(m);
          }
          continue;
        }
        body += message_line(m);
        lowest = m.seq;
      }
      if (lowest <= 1) break;
      before = lowest;
    }
  }
  for (UserId peer : peers) {
    if (seen_peers.count(peer)) continue;
    auto page = client.messages_with(peer, 0, 1);
    if (!page.ok()) return false;
    for (const auto& m : *page) {
      if (m.seq != 0) continue;
      ++unsent;
      body += message_line(m);
    }
  }
  for (ConversationId group : groups) {
    if (seen_conversations.count(group)) continue;
    auto page = client.messages(group, 0, 1000);
    if (!page.ok()) continue;  // a group this device does not know: nothing queued to it
    for (const auto& m : *page) {
      if (m.seq != 0) continue;
      ++unsent;
      body += message_line(m);
    }
  }
  const std::string head = std::string("H ") + connection_state_name(client.connection_state()) +
                           " " + std::to_string(unsent) + "\n";
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << head << body;
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  return !ec;
}

}  // namespace wechat::chaos
