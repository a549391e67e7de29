// SPDX-License-Identifier: MIT
// Shared by the C ABI's translation units: the structs behind the opaque handles, the mapping
// between borrowed C pointers and the C++ values they view, and the exception boundary.
#ifndef WECHAT_BINDINGS_C_WC_INTERNAL_H_
#define WECHAT_BINDINGS_C_WC_INTERNAL_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wechat/c.h"
#include "wechat/client.h"
#include "wechat/events.h"
#include "wechat/status.h"
#include "wechat/types.h"

// Value handles (wc_user, wc_message, ...) are never defined: a `const wc_message*` is the
// address of a wechat::Message owned by an event or list, cast to an incomplete type and cast
// back before any access. So views cost nothing and nested values (the peer of a conversation)
// are just addresses of members.
namespace wechat::cabi {

inline const wc_user* to_c(const User& v) { return reinterpret_cast<const wc_user*>(&v); }
inline const wc_message* to_c(const Message& v) { return reinterpret_cast<const wc_message*>(&v); }
inline const wc_conversation* to_c(const Conversation& v) {
  return reinterpret_cast<const wc_conversation*>(&v);
}
inline const wc_presence* to_c(const Presence& v) {
  return reinterpret_cast<const wc_presence*>(&v);
}
inline const wc_friend* to_c(const Friend& v) { return reinterpret_cast<const wc_friend*>(&v); }
inline const wc_friend_request* to_c(const FriendRequest& v) {
  return reinterpret_cast<const wc_friend_request*>(&v);
}

inline const wc_group* to_c(const Group& v) { return reinterpret_cast<const wc_group*>(&v); }
inline const wc_group_member* to_c(const GroupMember& v) {
  return reinterpret_cast<const wc_group_member*>(&v);
}
inline const wc_read_receipts* to_c(const ReadReceipts& v) {
  return reinterpret_cast<const wc_read_receipts*>(&v);
}

inline const User* from_c(const wc_user* p) { return reinterpret_cast<const User*>(p); }
inline const Message* from_c(const wc_message* p) { return reinterpret_cast<const Message*>(p); }
inline const Conversation* from_c(const wc_conversation* p) {
  return reinterpret_cast<const Conversation*>(p);
}
inline const Presence* from_c(const wc_presence* p) {
  return reinterpret_cast<const Presence*>(p);
}
inline const Friend* from_c(const wc_friend* p) { return reinterpret_cast<const Friend*>(p); }
inline const FriendRequest* from_c(const wc_friend_request* p) {
  return reinterpret_cast<const FriendRequest*>(p);
}
inline const Group* from_c(const wc_group* p) { return reinterpret_cast<const Group*>(p); }
inline const GroupMember* from_c(const wc_group_member* p) {
  return reinterpret_cast<const GroupMember*>(p);
}
inline const ReadReceipts* from_c(const wc_read_receipts* p) {
  return reinterpret_cast<const ReadReceipts*>(p);
}

/// A std::string's bytes for the C side, with the length stored when asked for.
inline const char* out_string(const std::string& s, size_t* len) noexcept {
  if (len != nullptr) *len = s.size();
  return s.c_str();
}
inline const char* empty_string(size_t* len) noexcept {
  if (len != nullptr) *len = 0;
  return "";
}

/// Copies an app-supplied (pointer, length) string. NULL is allowed only with length 0.
bool in_string(const char* s, size_t len, std::string& out);

/// Records `status` as this thread's last error and returns its code.
wc_status fail(const Status& status) noexcept;
wc_status fail(Error code, const char* message) noexcept;

/// Runs `body` (returning wc_status), turning any exception into WC_ERROR_INTERNAL.
template <typename Body>
wc_status guard(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(Error::kResourceExhausted, "out of memory");
  } catch (const std::exception& e) {
    return fail(Status(Error::kInternal, std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return fail(Error::kInternal, "unexpected exception");
  }
}

/// Builds the wc_event for a client event (moving its items into the event's vectors).
std::unique_ptr<wc_event> make_event(Event event);
/// Builds the WC_EVENT_RESULT for a completed call.
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Status status);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<User> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<User>> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<FriendRequest> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag,
                                      Result<std::vector<FriendRequest>> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Friend>> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<Message> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Message>> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<Group> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<std::vector<Group>> result);
std::unique_ptr<wc_event> make_result(std::uint64_t tag, Result<ReadReceipts> result);

/// Where a client's events and results go: the poll queue, or the app's callback. Shared by the
/// wc_client and every handler given to the C++ client, so late completions never dangle.
class EventSink {
 public:
  /// Called on the client's event thread only, so events keep their order.
  void push(std::unique_ptr<wc_event> event);
  std::unique_ptr<wc_event> pop(int timeout_ms);
  void set_callback(wc_event_callback callback, void* user_data);
  /// Stops delivery to the callback; events are dropped from now on.
  void close();
  /// True while this thread runs this sink's callback.
  bool in_callback() const;

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<wc_event>> queue_;
  wc_event_callback callback_ = nullptr;
  void* user_data_ = nullptr;
  bool closed_ = false;
};

}  // namespace wechat::cabi

/// One event or one result. Items of any kind live in the vectors (a MessageReceived's message
/// is messages[0]), so the indexed accessors read the same place for events and results.
struct wc_event {
  int type = 0;
  std::uint64_t tag = 0;
  int result_kind = WC_RESULT_NONE;
  wechat::Status status;
  std::vector<wechat::User> users;
  std::vector<wechat::Message> messages;
  std::vector<wechat::Friend> friends;
  std::vector<wechat::FriendRequest> requests;
  std::vector<wechat::Group> groups;
  std::vector<wechat::ReadReceipts> receipts;
  std::optional<wechat::Event> event;  ///< For the scalar accessors; items moved out above.
};

struct wc_client_options {
  wechat::ClientOptions options;
};

struct wc_client {
  std::shared_ptr<wechat::cabi::EventSink> sink;
  std::unique_ptr<wechat::Client> client;
};

struct wc_message_list {
  std::vector<wechat::Message> items;
};
struct wc_conversation_list {
  std::vector<wechat::Conversation> items;
};
struct wc_friend_list {
  std::vector<wechat::Friend> items;
};
struct wc_friend_request_list {
  std::vector<wechat::FriendRequest> items;
};
struct wc_group_list {
  std::vector<wechat::Group> items;
};

#endif  // WECHAT_BINDINGS_C_WC_INTERNAL_H_
