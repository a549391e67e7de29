// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLIENT_H_
#define WECHAT_CLIENT_H_

/// @file
/// The client SDK: one account's session with a wechat-server, an offline-first local store,
/// an outbox that delivers every message exactly once, and a sync engine.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wechat/events.h"
#include "wechat/export.h"
#include "wechat/log.h"
#include "wechat/status.h"
#include "wechat/types.h"

namespace wechat {

/// Where a server listens.
struct ServerAddress {
  std::string host;
  std::uint16_t port = 7600;
};

struct ClientOptions {
  std::string host = "127.0.0.1";  ///< Server name or address. Default: loopback.
  std::uint16_t port = 7600;       ///< Default: 7600, wechat-server's default.
  /// More addresses of the same service, tried in turn after host:port when one cannot be
  /// reached: a cluster's other gates. A gate sends the client on to a chat node by itself, and
  /// losing that node brings the client back through a gate to another one; the app sees only
  /// the connection state. Default: none.
  std::vector<ServerAddress> more_servers;

  /// TLS is on and the server's certificate is verified unless `plaintext`. Trust, in order:
  /// `pinned_sha256` (exactly that certificate), else `ca_file`, else the system's trust store.
  bool plaintext = false;          ///< Only for loopback testing.
  std::string ca_file;
  std::string pinned_sha256;       ///< Hex, colons allowed (what wechat-server prints).

  /// REQUIRED. Local data lives here, one folder per account (`<data_dir>/<user id>/`).
  std::string data_dir;
  /// This install's name on the account (one session per device name: logging in again under
  /// the same name ends the older session). Default: empty, meaning a name generated once and
  /// kept in data_dir, so each install is its own device.
  std::string device_name;
  LogOptions log;

  std::chrono::milliseconds request_timeout{15000};    ///< Per request, once sent.
  std::chrono::milliseconds reconnect_initial{250};    ///< First retry delay after a drop.
  /// Backoff cap (with jitter). A server that refused with RATE_LIMITED is not asked again
  /// before its Status::retry_after_ms(), even when that is longer.
  std::chrono::milliseconds reconnect_max{30000};
};

enum class CodePurpose { kRegister = 1, kReset = 2 };

/// A client session. Create with `Client::create`; destroying it disconnects, and completes
/// every pending callback with kCancelled.
///
/// @par Thread Safety
/// Every method is safe from any thread, including from inside a callback or event handler.
/// Asynchronous calls return at once; their callbacks and all events run in order on the
/// client's own event thread, never inside the call that started them, exactly once each. Do not
/// block in them for long: they hold up the session. Local reads (`conversations()` and the
/// like) block only on the local database and never need the network.
///
/// @code
///   wechat::ClientOptions options;
///   options.data_dir = "/home/me/.local/share/myapp";
///   options.ca_file = "server-cert.pem";
///   auto client = wechat::Client::create(options).value();
///   client->set_event_handler([](const wechat::Event& e) {
///     if (auto* m = std::get_if<wechat::MessageReceived>(&e)) show(m->message);
///   });
///   auto me = client->login("alice", "secret").get();          // future convenience
///   client->send_text(bob_id, "hello", [](wechat::Result<wechat::Message> m) { ... });
///   auto group = client->create_group("hiking", {bob_id, carol_id}).get();
///   client->send_group_text(group->id, "saturday?", nullptr);
/// @endcode
class WECHAT_API Client {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;
  using Done = std::function<void(Status)>;

  /// Errors: kInvalidArgument (no data_dir, bad fingerprint), kTls (unusable CA file),
  /// kIo (data_dir cannot be created).
  static Result<std::unique_ptr<Client>> create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- Events -------------------------------------------------------------------------------
  /// Delivers every event to `handler` on the event thread, in order. With no handler set,
  /// events queue up for poll_event() instead.
  void set_event_handler(std::function<void(const Event&)> handler);
  /// The next queued event, waiting up to `timeout`. For bindings that pull (C ABI, Python).
  std::optional<Event> poll_event(std::chrono::milliseconds timeout);

  // --- Account --------------------------------------------------------------------------------
  void request_code(const std::string& email, CodePurpose purpose, Done done);
  void register_account(const std::string& username, const std::string& email,
                        const std::string& password, const std::string& code,
                        Callback<User> done);
  /// Logs in by username or email, saves the session token in the account's folder, then syncs
  /// and stays connected (reconnecting with backoff) until logout or destruction.
  void login(const std::string& login, const std::string& password, Callback<User> done);
  /// Resumes the last account's saved session without the password (e.g. after an app
  /// restart). Error kSessionExpired if there is none or the server no longer accepts it.
  void resume(Callback<User> done);
  /// Ends the session on the server, forgets the token and disconnects. Local data stays.
  void logout(Done done);
  void reset_password(const std::string& email, const std::string& code,
                      const std::string& new_password, Done done);

  /// The logged-in account, if any (also while offline).
  std::optional<User> current_user() const;
  ConnectionState connection_state() const;

  // --- Friends ------------------------------------------------------------------------------
  void search_users(const std::string& query, Callback<std::vector<User>> done);
  void send_friend_request(UserId to, const std::string& note, Callback<FriendRequest> done);
  void answer_friend_request(std::uint64_t request_id, bool accept, Done done);
  void remove_friend(UserId user, Done done);
  /// Fetches the friend list (with presence) from the server and caches it locally.
  void refresh_friends(Callback<std::vector<Friend>> done);
  /// Fetches pending friend requests, both directions, and caches them.
  void refresh_friend_requests(Callback<std::vector<FriendRequest>> done);

  // --- Messages -----------------------------------------------------------------------------
  /// Stores the message in the local outbox first (works offline) and answers with it, state
  /// kQueued; it is sent as soon as the session is online, exactly once, across reconnects and
  /// app restarts. Later states arrive as MessageStateChanged and ReceiptUpdated events.
  void send_text(UserId to, const std::string& text, Callback<Message> done);
  /// Older messages of a conversation from the server, cached locally, newest first.
  void load_history(ConversationId conversation, std::uint64_t before_seq, std::uint32_t limit,
                    Callback<std::vector<Message>> done);
  /// Marks the conversation read up to `up_to_seq` (0: everything). Unread counts drop on every
  /// device of this account; the peer sees a read receipt.
  void mark_read(ConversationId conversation, std::uint64_t up_to_seq, Done done);
  /// Tells the peer (or, in a group, the other members) this user is (or stopped) typing. Best
  /// effort: nothing is queued offline.
  void set_typing(ConversationId conversation, bool typing);
  /// "Read by N of M" for the message at `seq` of a conversation (direct or group): who of the
  /// other current members has read it, and whose devices have it. Asks the server.
  /// Errors: kPermissionDenied or kNotGroupMember (not a conversation of this account).
  void get_read_receipts(ConversationId conversation, std::uint64_t seq,
                         Callback<ReadReceipts> done);

  // --- Groups -------------------------------------------------------------------------------
  // A group is a conversation (Group::id == its conversation id): load_history, mark_read,
  // set_typing and messages() work on it as on a direct conversation, and it is listed by
  // conversations() with its unread count. Changes reach every member's devices as
  // GroupChanged events, in log order. Errors common to these calls: kNotGroupMember (no such
  // group, or this account is not in it any more), kGroupDissolved, kPermissionDenied (the
  // role does not allow it), kInvalidArgument (a bad name or role), kUnauthenticated.

  /// Creates a group owned by this account with `members` (friends; this account's own id,
  /// repeats and 0 are ignored) and answers with it, members included; it is stored locally
  /// at once, so send_group_text may follow straight away. Errors: kNotFriends, kGroupFull.
  void create_group(const std::string& name, const std::vector<UserId>& members,
                    Callback<Group> done);
  /// Owner or admin: adds friends of this account. Errors: kNotFriends, kAlreadyExists (one
  /// of them is a member already), kGroupFull.
  void invite_to_group(ConversationId group, const std::vector<UserId>& users, Done done);
  /// Leaves the group (the owner must transfer ownership or dissolve it first). The local
  /// history stays; messages still queued to the group fail with kNotGroupMember.
  void leave_group(ConversationId group, Done done);
  /// The owner removes anyone but itself; an admin removes plain members.
  void remove_group_member(ConversationId group, UserId user, Done done);
  /// Owner or admin.
  void rename_group(ConversationId group, const std::string& name, Done done);
  /// Owner only: makes a member an admin or an admin a member (kAdmin or kMember).
  void set_group_role(ConversationId group, UserId user, GroupRole role, Done done);
  /// Owner only: `new_owner` (a member) becomes the owner, this account an admin.
  void transfer_group_ownership(ConversationId group, UserId new_owner, Done done);
  /// Owner only. The history stays; nothing new is accepted.
  void dissolve_group(ConversationId group, Done done);
  /// Fetches the group with its members from the server and caches it. A former member gets
  /// the group without members.
  void get_group(ConversationId group, Callback<Group> done);
  /// Fetches the groups this account is in (without members) and caches them.
  void refresh_groups(Callback<std::vector<Group>> done);
  /// As send_text, to a group: stored in the outbox first (works offline), sent exactly once.
  /// Fails at once with kNotGroupMember or kGroupDissolved when this device already knows
  /// the account cannot send there; a queued message the server refuses for that reason
  /// becomes kFailed (it is never retried).
  void send_group_text(ConversationId group, const std::string& text, Callback<Message> done);

  // --- Local reads (no network) -------------------------------------------------------------
  /// Errors: kUnauthenticated before login/resume (no account folder is open).
  Result<std::vector<Conversation>> conversations() const;
  Result<std::vector<Message>> messages(ConversationId conversation, std::uint64_t before_seq = 0,
                                        std::uint32_t limit = 50) const;
  Result<std::vector<Message>> messages_with(UserId peer, std::uint64_t before_seq = 0,
                                             std::uint32_t limit = 50) const;
  Result<std::vector<Friend>> friends() const;
  Result<std::vector<FriendRequest>> friend_requests() const;
  /// Full-text search of the local message cache (words in English, substrings in Chinese).
  Result<std::vector<Message>> search_messages(const std::string& text,
                                               std::uint32_t limit = 50) const;
  /// Every group this device knows of, also those left or dissolved (see Group::membership),
  /// by name; without members.
  Result<std::vector<Group>> groups() const;
  /// The cached group, with its members when this device knows the whole list (after
  /// create_group, get_group, or having seen the group created). kNotFound if unknown.
  Result<Group> group(ConversationId group) const;

  // --- Future conveniences (block only when .get() is called) --------------------------------
  std::future<Result<User>> login(const std::string& login, const std::string& password);
  std::future<Result<User>> resume();
  std::future<Result<Message>> send_text(UserId to, const std::string& text);
  std::future<Result<Group>> create_group(const std::string& name,
                                          const std::vector<UserId>& members);
  std::future<Result<Message>> send_group_text(ConversationId group, const std::string& text);

  class Impl;

 private:
  explicit Client(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace wechat

#endif  // WECHAT_CLIENT_H_
