// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_COMMANDS_H_
#define WECHAT_CLI_COMMANDS_H_

/// @file
/// Running commands against a wechat::Client, shared by line mode and the full-screen UI.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "command_parser.h"
#include "wechat/client.h"

namespace wechat::cli {

/// A friend as /friends lists it.
struct FriendLine {
  Friend user;
  std::uint64_t unread = 0;
};

/// A friend request as /requests lists it.
struct RequestLine {
  FriendRequest request;
  bool incoming = false;
};

/// A group as /groups lists it.
struct GroupLine {
  Group group;
  std::uint64_t unread = 0;
};

/// What a command did: its status, and the rows it lists (at most one kind is filled).
struct CommandResult {
  std::string command;  ///< The command's name ("login"); "" for an unknown command.
  Status status;
  std::vector<std::string> details;      ///< Fields of the `ok` line, e.g. {"alice", "42"}.
  std::vector<User> users;               ///< /search
  std::vector<FriendLine> friends;       ///< /friends
  std::vector<RequestLine> requests;     ///< /requests
  std::vector<Message> messages;         ///< /history (oldest first), /find (newest first)
  std::vector<const CommandSpec*> help;  ///< /help
  std::vector<GroupLine> groups;         ///< /groups
  std::vector<GroupMember> members;      ///< /group members
  ConversationId group = 0;              ///< /group ..., /g: the group it was about
  std::optional<User> opened;            ///< /open: the conversation now open
  std::optional<Group> opened_group;     ///< /open: the group now open
  bool closed = false;                   ///< /open with no name: none is open now
  bool quit = false;                     ///< /quit
};

/// A parse error as a failed command ("unknown command ..." has no command name).
CommandResult parse_error_result(const ParseError& error);

/// Resolves user ids to names for display.
class Names {
 public:
  virtual ~Names() = default;
  /// The username of `id`, or "#<id>" if it is not known.
  virtual std::string username(UserId id) = 0;
  /// The username of the peer of a conversation, or "#c<id>" if it is not known.
  virtual std::string conversation_peer(ConversationId id) = 0;
  /// The name of group `id`, or nullopt when `id` is not a group this client knows.
  virtual std::optional<std::string> group_name(ConversationId id) {
    (void)id;
    return std::nullopt;
  }
};

/// The command layer: owns the Client, resolves usernames, runs each command to completion.
///
/// @par Thread Safety
/// execute() and resume() run on one thread at a time (they block until the command is done,
/// bounded by the client's request timeout). observe() runs on the client's event thread.
/// username(), open_peer(), set_open_peer(), cancel() and the outbox checks are safe from any
/// thread.
class Commands : public Names {
 public:
  explicit Commands(std::unique_ptr<Client> client);
  ~Commands() override;
  Commands(const Commands&) = delete;
  Commands& operator=(const Commands&) = delete;

  Client& client() { return *client_; }

  /// Resumes the saved session, if any (startup). Waits up to `wait` for the server; after
  /// that the session goes on connecting in the background and the result says "offline".
  /// Nothing when there is no saved session; error kSessionExpired when the server refused it.
  std::optional<CommandResult> resume(std::chrono::milliseconds wait = std::chrono::seconds(5));
  /// Runs one parsed command and waits for its outcome.
  CommandResult execute(const Command& command);

  /// Keeps the name caches current and notices failed sends. Call it from the event handler,
  /// before formatting the event. False when the event repeats news already observed (the
  /// client may report a message's state change twice: from the ack and from the sync log).
  bool observe(const Event& event);
  std::string username(UserId id) override;
  std::string conversation_peer(ConversationId id) override;
  std::optional<std::string> group_name(ConversationId id) override;

  /// Live presence of `user` as last heard (nullopt: not heard since start).
  std::optional<bool> online(UserId user) const;

  /// The conversation plain lines go to: a peer, or a group (at most one of them).
  std::optional<User> open_peer() const;
  void set_open_peer(std::optional<User> peer);
  std::optional<ConversationId> open_group() const;
  void set_open_group(std::optional<ConversationId> group);

  /// The group a command names: "#<id>"; else a group of that name (if several have it, the
  /// only one this account is still active in, or an error listing their ids); else digits
  /// as an id. Local first; the server's list when nothing here matches.
  Result<Group> resolve_group(const std::string& name);

  /// Messages of this account still waiting in the local outbox (not acknowledged).
  std::size_t queued_messages();
  /// Waits until the outbox is empty, up to `timeout`. True if it is.
  bool wait_outbox_empty(std::chrono::milliseconds timeout);
  /// True once a message sent by this process was refused for good.
  bool any_send_failed() const { return send_failed_; }

  /// Makes running and future waits give up at once (kCancelled): for quitting.
  void cancel();

 private:
  template <typename T, typename Start>
  Result<T> await(Start start);
  template <typename Start>
  Status await_done(Start start);
  bool sleep_for(std::chrono::milliseconds duration);
  void wake();
  bool wait_online(std::chrono::milliseconds timeout);

  Result<User> resolve(const std::string& username, bool friends_only_first = true);
  std::optional<ConversationId> conversation_with(UserId peer);
  void remember(const User& user);
  void refresh_names();
  void refresh_friends_quietly();

  CommandResult run(const Command& command);
  CommandResult login(const Command& command);
  CommandResult answer(const Command& command, bool accept);
  CommandResult friends();
  CommandResult requests();
  CommandResult send(const std::string& command_name, const std::string& username,
                     const std::string& text);
  CommandResult history(const Command& command);
  CommandResult read(const Command& command);
  CommandResult group(const Command& command);
  CommandResult groups();
  CommandResult send_group(const std::string& command_name, const std::string& group,
                           const std::string& text);
  CommandResult open(const Command& command);
  /// A group of this name or id among the stored ones (no network); kNotFound if none.
  Result<Group> find_group(const std::string& name);

  // Owned through owner_; client_ stays valid until ~Client has returned, so the event
  // handler (which reads it) never sees it change.
  std::unique_ptr<Client> owner_;
  Client* client_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<UserId, std::string> names_;
  std::unordered_map<ConversationId, UserId> peers_;  // conversation -> peer
  std::optional<User> open_peer_;
  std::optional<ConversationId> open_group_;
  std::unordered_map<ConversationId, std::string> group_names_;
  std::unordered_map<UserId, bool> presence_;
  std::unordered_map<std::string, MessageState> states_;  // client_msg_id -> last state seen
  std::set<UserId> sent_to_;  // peers this process sent to (outbox checks)
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> send_failed_{false};
};

}  // namespace wechat::cli

#endif  // WECHAT_CLI_COMMANDS_H_
