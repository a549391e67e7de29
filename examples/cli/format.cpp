// SPDX-License-Identifier: MIT
#include "format.h"

#include <ctime>

namespace wechat::cli {

namespace {

const char* presence_word(bool online) { return online ? "online" : "offline"; }

const char* request_state_word(FriendRequestState state) {
  switch (state) {
    case FriendRequestState::kPending:
      return "pending";
    case FriendRequestState::kAccepted:
      return "accepted";
    case FriendRequestState::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string error_text(const Status& status) {
  return std::string(error_name(status.code())) + ": " + one_line(status.message());
}

/// "ok login alice 42" / "error login wrong_credentials: ...".
std::string final_line(const CommandResult& r) {
  if (!r.status.ok()) {
    // An unknown command has no name: "error unknown command /foo; did you mean /find?".
    if (r.command.empty()) return "error " + one_line(r.status.message());
    return "error " + r.command + " " + error_text(r.status);
  }
  std::string line = "ok " + r.command;
  for (const auto& d : r.details) line += " " + one_line(d);
  return line;
}

std::string seq_text(const Message& m) { return m.seq == 0 ? "-" : std::to_string(m.seq); }

/// Groups appear in line mode as "#<id>": unambiguous (usernames never start with '#'), one
/// field whatever the name, and what every command accepts back.
std::string group_ref(ConversationId id) { return "#" + std::to_string(id); }

/// The peer field of a line about a message: the other user, or the group.
std::string message_peer(const Message& m, Names& names) {
  if (m.kind == ConversationKind::kGroup) return group_ref(m.conversation_id);
  return names.username(m.peer_id);
}

/// "owner", "admin", "member", or why this account cannot write there any more.
std::string group_state_word(const Group& g) {
  if (g.membership == GroupMembership::kLeft) return "left";
  if (g.membership == GroupMembership::kRemoved) return "removed";
  if (g.dissolved) return "dissolved";
  return group_role_name(g.my_role);
}

/// "members-added" for kMembersAdded: the event kinds in line mode.
std::string kind_word(GroupEventKind kind) {
  std::string word = group_event_kind_name(kind);
  for (char& c : word) {
    if (c == '_') c = '-';
  }
  return word;
}

std::string user_list(const std::vector<User>& users, Names& names) {
  std::string out;
  for (const auto& u : users) {
    out += (out.empty() ? "" : " ") + (u.username.empty() ? names.username(u.id) : u.username);
  }
  return out;
}

/// "bob, carol and dave".
std::string people(const std::vector<User>& users, Names& names) {
  std::string out;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (i > 0) out += i + 1 == users.size() ? " and " : ", ";
    out += users[i].username.empty() ? names.username(users[i].id) : users[i].username;
  }
  return out;
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\xE2\x90\xA4";  // U+2424 SYMBOL FOR NEWLINE
    } else if (c < 0x20 || c == 0x7F) {
      out += "\xEF\xBF\xBD";  // U+FFFD: no escape sequence reaches the terminal
    } else {
      out += ch;
    }
  }
  return out;
}

std::string utc_time(UnixMillis ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string short_local_time(UnixMillis ms, UnixMillis now_ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  const std::time_t now = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  std::tm today{};
  localtime_r(&seconds, &tm);
  localtime_r(&now, &today);
  char text[32];
  const bool same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
  std::strftime(text, sizeof text, same_day ? "%H:%M" : "%m-%d %H:%M", &tm);
  return text;
}

std::vector<std::string> format_result(const CommandResult& r, Names& names) {
  std::vector<std::string> lines;
  for (const auto& u : r.users) {
    lines.push_back("user " + u.username + " " + std::to_string(u.id));
  }
  for (const auto& f : r.friends) {
    lines.push_back("friend " + f.user.user.username + " " + presence_word(f.user.presence.online) +
                    " " + std::to_string(f.unread));
  }
  for (const auto& q : r.requests) {
    const User& other = q.incoming ? q.request.from : q.request.to;
    std::string line = std::string("request ") + (q.incoming ? "incoming " : "outgoing ") +
                       other.username + " " + request_state_word(q.request.state);
    if (!q.request.note.empty()) line += " " + one_line(q.request.note);
    lines.push_back(std::move(line));
  }
  for (const auto& g : r.groups) {
    // group <#id> <state> <members> <unread> <name>
    lines.push_back("group " + group_ref(g.group.id) + " " + group_state_word(g.group) + " " +
                    std::to_string(g.group.member_count) + " " + std::to_string(g.unread) + " " +
                    one_line(g.group.name));
  }
  for (const auto& m : r.members) {
    // member <#id> <username> <role>
    lines.push_back("member " + group_ref(r.group) + " " +
                    (m.user.username.empty() ? names.username(m.user.id) : m.user.username) + " " +
                    group_role_name(m.role));
  }
  const bool is_history = r.command == "history";
  for (const auto& m : r.messages) {
    // history <peer> <seq> <time> <sender> <state> <text>
    // found <peer> <seq> <time> <sender> <text>
    std::string line = is_history ? "history " : "found ";
    line += message_peer(m, names) + " " + seq_text(m) + " " + utc_time(m.time_ms) + " " +
            (m.sender_username.empty() ? names.username(m.sender_id) : m.sender_username) + " ";
    if (is_history) line += std::string(message_state_name(m.state)) + " ";
    line += one_line(m.text);
    lines.push_back(std::move(line));
  }
  for (const CommandSpec* spec : r.help) {
    lines.push_back("help " + std::string(spec->usage) + " -- " + std::string(spec->summary));
  }
  lines.push_back(final_line(r));
  return lines;
}

std::string format_event(const Event& event, Names& names) {
  return std::visit(
      [&](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, MessageReceived>) {
          const Message& m = e.message;
          const std::string from =
              m.sender_username.empty() ? names.username(m.sender_id) : m.sender_username;
          if (m.kind == ConversationKind::kGroup) {
            if (m.outgoing) {
              return "group-outgoing " + group_ref(m.conversation_id) + " " + one_line(m.text);
            }
            return "group-message " + group_ref(m.conversation_id) + " " + from + " " +
                   one_line(m.text);
          }
          // A copy of what this account sent from another device names the recipient.
          if (m.outgoing) return "outgoing " + names.username(m.peer_id) + " " + one_line(m.text);
          return "message " + from + " " + one_line(m.text);
        } else if constexpr (std::is_same_v<E, MessageStateChanged>) {
          const Message& m = e.message;
          std::string line = std::string(message_state_name(m.state)) + " " +
                             message_peer(m, names) + " " + m.client_msg_id;
          if (m.state == MessageState::kFailed) return line + " " + error_text(m.failure);
          return line + " " + seq_text(m);
        } else if constexpr (std::is_same_v<E, ReceiptUpdated>) {
          if (names.group_name(e.conversation_id)) {
            // read #12 5 bob: bob's reply says he read the group up to 5.
            return std::string(message_state_name(e.state)) + " " +
                   group_ref(e.conversation_id) + " " + std::to_string(e.up_to_seq) + " " +
                   names.username(e.peer_id);
          }
          return std::string(message_state_name(e.state)) + " " + names.username(e.peer_id) + " " +
                 std::to_string(e.up_to_seq);
        } else if constexpr (std::is_same_v<E, ConversationRead>) {
          const std::string where = names.group_name(e.conversation_id)
                                        ? group_ref(e.conversation_id)
                                        : names.conversation_peer(e.conversation_id);
          return "unread " + where + " " + std::to_string(e.unread);
        } else if constexpr (std::is_same_v<E, FriendRequestUpdated>) {
          const User& other = e.incoming ? e.request.from : e.request.to;
          std::string line = std::string("friend-request ") +
                             (e.incoming ? "incoming " : "outgoing ") + other.username + " " +
                             request_state_word(e.request.state);
          if (!e.request.note.empty()) line += " " + one_line(e.request.note);
          return line;
        } else if constexpr (std::is_same_v<E, FriendAdded>) {
          return "friend-added " + e.added.user.username;
        } else if constexpr (std::is_same_v<E, FriendRemoved>) {
          return "friend-removed " + names.username(e.user_id);
        } else if constexpr (std::is_same_v<E, PresenceChanged>) {
          return "presence " + names.username(e.presence.user_id) + " " +
                 presence_word(e.presence.online);
        } else if constexpr (std::is_same_v<E, TypingChanged>) {
          std::string line = "typing " + names.username(e.user_id) + (e.typing ? " on" : " off");
          if (names.group_name(e.conversation_id)) line += " " + group_ref(e.conversation_id);
          return line;
        } else if constexpr (std::is_same_v<E, ConnectionStateChanged>) {
          std::string line = std::string("state ") + connection_state_name(e.state);
          if (!e.reason.ok()) line += " " + error_text(e.reason);
          return line;
        } else if constexpr (std::is_same_v<E, SyncProgress>) {
          return "sync " + std::to_string(e.applied) + " " + std::to_string(e.head);
        } else if constexpr (std::is_same_v<E, SessionEnded>) {
          return "session-ended " + error_text(e.reason);
        } else {
          static_assert(std::is_same_v<E, GroupChanged>);
          // group-changed <#id> <kind> <actor> [subjects | <subject> <role> | <new name>]
          std::string line = "group-changed " + group_ref(e.group.id) + " " + kind_word(e.kind) +
                             " " +
                             (e.actor.username.empty() ? names.username(e.actor.id)
                                                       : e.actor.username);
          switch (e.kind) {
            case GroupEventKind::kRenamed:
              return line + " " + one_line(e.group.name);
            case GroupEventKind::kRoleChanged:
              return line + " " + user_list(e.subjects, names) + " " + group_role_name(e.role);
            case GroupEventKind::kDissolved:
              return line;
            default:
              return e.subjects.empty() ? line : line + " " + user_list(e.subjects, names);
          }
        }
      },
      event);
}

std::vector<std::string> describe_result(const CommandResult& r, Names& names) {
  std::vector<std::string> lines;
  if (!r.status.ok()) {
    if (r.command.empty()) return {one_line(r.status.message())};
    return {"/" + r.command + " failed: " + one_line(r.status.message()) + " (" +
            error_name(r.status.code()) + ")"};
  }
  auto detail = [&](std::size_t i) { return i < r.details.size() ? one_line(r.details[i]) : ""; };
  if (r.command == "code") {
    lines.push_back("A code is on its way to " + detail(0) + ".");
  } else if (r.command == "register") {
    lines.push_back("Account " + detail(0) + " created. Now /login " + detail(0) + " <password>.");
  } else if (r.command == "login" || r.command == "resume") {
    lines.push_back("Logged in as " + detail(0) + (detail(2) == "offline" ? " (offline)." : "."));
  } else if (r.command == "logout") {
    lines.push_back("Logged out. Your messages stay on this computer.");
  } else if (r.command == "reset") {
    lines.push_back("Password changed; /login with the new one.");
  } else if (r.command == "search") {
    if (r.users.empty()) lines.push_back("Nobody found.");
    for (const auto& u : r.users)
      lines.push_back("  " + u.username + "   (/add " + u.username + ")");
  } else if (r.command == "add") {
    lines.push_back("Friend request sent to " + detail(0) + ".");
  } else if (r.command == "accept") {
    lines.push_back(detail(0) + " is now your friend.");
  } else if (r.command == "reject") {
    lines.push_back("Declined " + detail(0) + "'s request.");
  } else if (r.command == "friends") {
    if (r.friends.empty()) lines.push_back("No friends yet: /search, then /add <username>.");
    for (const auto& f : r.friends) {
      std::string line =
          std::string(f.user.presence.online ? "  \u25CF " : "  \u25CB ") + f.user.user.username;
      if (f.unread != 0) line += "  (" + std::to_string(f.unread) + " unread)";
      lines.push_back(std::move(line));
    }
  } else if (r.command == "requests") {
    if (r.requests.empty()) lines.push_back("No pending friend requests.");
    for (const auto& q : r.requests) {
      std::string line = q.incoming ? "  from " + q.request.from.username + " (/accept " +
                                          q.request.from.username + ")"
                                    : "  to " + q.request.to.username + " (waiting)";
      if (!q.request.note.empty()) line += ": " + one_line(q.request.note);
      lines.push_back(std::move(line));
    }
  } else if (r.command == "find") {
    if (r.messages.empty()) lines.push_back("No message matches.");
    const UnixMillis now = static_cast<UnixMillis>(std::time(nullptr)) * 1000;
    for (const auto& m : r.messages) {
      lines.push_back("  [" + names.username(m.peer_id) + "] " + short_local_time(m.time_ms, now) +
                      " " + m.sender_username + ": " + one_line(m.text));
    }
  } else if (r.command == "help") {
    if (r.help.size() > 1) lines.push_back("Commands (Tab completes, PageUp scrolls back):");
    for (const CommandSpec* spec : r.help) {
      lines.push_back("  " + std::string(spec->usage) + " - " + std::string(spec->summary));
    }
    if (r.help.size() > 1) {
      lines.push_back(
          "  Plain lines go to the open conversation; Ctrl-N/Ctrl-P switch "
          "conversations.");
    }
  } else if (r.command == "read") {
    lines.push_back("Marked " + detail(0) + " read.");
  } else if (r.command == "groups") {
    if (r.groups.empty()) lines.push_back("No groups yet: /group create <name> <friend>...");
    for (const auto& g : r.groups) {
      std::string line = "  " + one_line(g.group.name) + "  " + group_ref(g.group.id) + ", " +
                         std::to_string(g.group.member_count) + " members, " +
                         group_state_word(g.group);
      if (g.unread != 0) line += "  (" + std::to_string(g.unread) + " unread)";
      lines.push_back(std::move(line));
    }
  } else if (r.command == "group") {
    const std::string sub = detail(0);
    const std::string group =
        names.group_name(r.group).value_or(group_ref(r.group)) + " (" + group_ref(r.group) + ")";
    if (sub == "create") {
      lines.push_back("Group " + group + " created: /open " + group_ref(r.group) +
                      " or /g " + group_ref(r.group) + " <text>.");
    } else if (sub == "invite") {
      std::vector<User> invited;
      for (std::size_t i = 2; i < r.details.size(); ++i) invited.push_back(User{0, r.details[i]});
      lines.push_back("Invited " + people(invited, names) + " to " + group + ".");
    } else if (sub == "leave") {
      lines.push_back("You left " + group + ". Its messages stay here.");
    } else if (sub == "kick") {
      lines.push_back("Removed " + detail(2) + " from " + group + ".");
    } else if (sub == "members") {
      lines.push_back(group + ": " + detail(2) + " members");
      for (const auto& m : r.members) {
        std::string line = "  " + m.user.username;
        if (m.role != GroupRole::kMember) line += " (" + std::string(group_role_name(m.role)) + ")";
        lines.push_back(std::move(line));
      }
    } else if (sub == "read") {
      lines.push_back("Marked " + group + " read.");
    }
  } else if (r.command == "wait") {
    lines.push_back("Waited " + detail(0) + " s.");
  }
  return lines;
}

std::optional<std::string> describe_event(const Event& event, Names& names) {
  return std::visit(
      [&](const auto& e) -> std::optional<std::string> {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, FriendRequestUpdated>) {
          const std::string note =
              e.request.note.empty() ? "" : " (\"" + one_line(e.request.note) + "\")";
          switch (e.request.state) {
            case FriendRequestState::kPending:
              if (e.incoming) {
                return e.request.from.username + " wants to be your friend" + note + ": /accept " +
                       e.request.from.username + " or /reject " + e.request.from.username;
              }
              return "Friend request sent to " + e.request.to.username + ".";
            case FriendRequestState::kAccepted:
              return e.incoming ? std::nullopt
                                : std::optional<std::string>(e.request.to.username +
                                                             " accepted your friend request.");
            case FriendRequestState::kRejected:
              return e.incoming ? std::nullopt
                                : std::optional<std::string>(e.request.to.username +
                                                             " declined your friend request.");
          }
          return std::nullopt;
        } else if constexpr (std::is_same_v<E, FriendAdded>) {
          return e.added.user.username + " is now your friend: /open " + e.added.user.username;
        } else if constexpr (std::is_same_v<E, FriendRemoved>) {
          return names.username(e.user_id) + " is no longer your friend.";
        } else if constexpr (std::is_same_v<E, MessageStateChanged>) {
          if (e.message.state != MessageState::kFailed) return std::nullopt;
          const std::string to =
              e.message.kind == ConversationKind::kGroup
                  ? names.group_name(e.message.conversation_id)
                        .value_or(group_ref(e.message.conversation_id))
                  : names.username(e.message.peer_id);
          return "Message to " + to + " not sent: " + one_line(e.message.failure.message());
        } else if constexpr (std::is_same_v<E, GroupChanged>) {
          const std::string group = one_line(e.group.name);
          const std::string actor =
              e.actor.username.empty() ? names.username(e.actor.id) : e.actor.username;
          switch (e.kind) {
            case GroupEventKind::kCreated:
              return actor + " created the group " + group + " with " + people(e.subjects, names) +
                     ".";
            case GroupEventKind::kMembersAdded:
              return actor + " added " + people(e.subjects, names) + " to " + group + ".";
            case GroupEventKind::kMemberLeft:
              if (e.group.membership == GroupMembership::kLeft) return "You left " + group + ".";
              return people(e.subjects, names) + " left " + group + ".";
            case GroupEventKind::kMemberRemoved:
              if (e.group.membership == GroupMembership::kRemoved) {
                return actor + " removed you from " + group + ". Its messages stay here.";
              }
              return actor + " removed " + people(e.subjects, names) + " from " + group + ".";
            case GroupEventKind::kRenamed:
              return actor + " renamed the group to " + group + ".";
            case GroupEventKind::kRoleChanged:
              return actor + " made " + people(e.subjects, names) + " " +
                     (e.role == GroupRole::kAdmin ? "an admin" : "a member") + " of " + group +
                     ".";
            case GroupEventKind::kOwnerChanged:
              return people(e.subjects, names) + " now owns " + group + ".";
            case GroupEventKind::kDissolved:
              return actor + " dissolved " + group + ". Its messages stay here.";
          }
          return std::nullopt;
        } else if constexpr (std::is_same_v<E, SessionEnded>) {
          return "The server ended this session (" + one_line(e.reason.message()) +
                 "): /login again.";
        } else if constexpr (std::is_same_v<E, ConnectionStateChanged>) {
          if (e.state != ConnectionState::kDisconnected || e.reason.ok() ||
              e.reason.code() == Error::kCancelled) {
            return std::nullopt;
          }
          return "Disconnected: " + one_line(e.reason.message()) + "; retrying.";
        } else {
          return std::nullopt;
        }
      },
      event);
}

}  // namespace wechat::cli
