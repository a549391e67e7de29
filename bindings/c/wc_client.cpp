// SPDX-License-Identifier: MIT
// wc_client and wc_client_options: the C face of wechat::Client. Every completion and event goes
// through one EventSink, so results and events reach the app in the order they happened.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "bindings/c/wc_internal.h"

using wechat::cabi::fail;
using wechat::cabi::guard;
using wechat::cabi::in_string;
using wechat::cabi::make_result;

namespace wechat::cabi {
namespace {

/// The sink whose callback this thread is running, to spot wc_client_destroy from inside it.
thread_local const EventSink* t_delivering = nullptr;

}  // namespace

void EventSink::push(std::unique_ptr<wc_event> event) {
  wc_event_callback callback = nullptr;
  void* user_data = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (callback_ == nullptr) {
      queue_.push_back(std::move(event));
      ready_.notify_one();
      return;
    }
    callback = callback_;
    user_data = user_data_;
  }
  // Outside the lock: the callback may call back into the client, even set a new callback.
  const EventSink* outer = t_delivering;
  t_delivering = this;
  callback(user_data, event.release());
  t_delivering = outer;
}

std::unique_ptr<wc_event> EventSink::pop(int timeout_ms) {
  std::unique_lock lock(mutex_);
  auto has_event = [&] { return !queue_.empty(); };
  if (timeout_ms < 0) {
    ready_.wait(lock, has_event);
  } else if (!ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms), has_event)) {
    return nullptr;
  }
  auto event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void EventSink::set_callback(wc_event_callback callback, void* user_data) {
  std::lock_guard lock(mutex_);
  callback_ = callback;
  user_data_ = user_data;
}

void EventSink::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  callback_ = nullptr;
}

bool EventSink::in_callback() const { return t_delivering == this; }

}  // namespace wechat::cabi

namespace {

using wechat::cabi::EventSink;

/// The completion handed to the C++ client for a call tagged `tag`: it posts the result event.
/// Holds the sink, not the wc_client, so it is safe whenever it runs.
struct Complete {
  std::shared_ptr<EventSink> sink;
  std::uint64_t tag;

  template <typename R>
  void operator()(R result) const {
    try {
      sink->push(make_result(tag, std::move(result)));
    } catch (...) {
      // Out of memory on the event thread: nothing sensible to report the result with.
    }
  }
};

Complete complete(wc_client* client, std::uint64_t tag) { return Complete{client->sink, tag}; }

wc_status no_client() {
  return fail(wechat::Error::kInvalidArgument, "the client is NULL");
}
wc_status bad_string(const char* what) {
  return fail(wechat::Status(wechat::Error::kInvalidArgument,
                             std::string(what) + " is NULL with a non-zero length"));
}

/// Copies an app-supplied array of ids. NULL is allowed only with a count of 0.
bool in_ids(const uint64_t* ids, size_t count, std::vector<wechat::UserId>& out) {
  if (ids == nullptr) return count == 0;
  out.assign(ids, ids + count);
  return true;
}
wc_status bad_ids(const char* what) {
  return fail(wechat::Status(wechat::Error::kInvalidArgument,
                             std::string(what) + " is NULL with a non-zero count"));
}

template <typename List, typename T>
wc_status hand_out(wechat::Result<std::vector<T>> result, List** out) {
  if (!result.ok()) return fail(result.status());
  auto list = std::make_unique<List>();
  list->items = std::move(result).value();
  *out = list.release();
  return WC_OK;
}

}  // namespace

extern "C" {

// --- Options -----------------------------------------------------------------------------------

wc_client_options* wc_client_options_create(void) {
  try {
    return new wc_client_options();
  } catch (...) {
    return nullptr;
  }
}
void wc_client_options_destroy(wc_client_options* options) { delete options; }

// The setters copy a string: on bad input (NULL with a length) or out of memory they leave the
// option unchanged, and wc_client_create reports the missing or invalid value.
#define WC_SET_STRING_OPTION(field)                      \
  if (options == nullptr) return;                        \
  try {                                                  \
    std::string value;                                   \
    if (in_string(s, len, value)) options->options.field = std::move(value); \
  } catch (...) {                                        \
  }

void wc_client_options_set_host(wc_client_options* options, const char* s, size_t len) {
  WC_SET_STRING_OPTION(host)
}
void wc_client_options_set_port(wc_client_options* options, uint16_t port) {
  if (options != nullptr) options->options.port = port;
}
void wc_client_options_add_server(wc_client_options* options, const char* s, size_t len,
                                  uint16_t port) {
  if (options == nullptr) return;
  try {
    std::string host;
    if (in_string(s, len, host)) options->options.more_servers.push_back({std::move(host), port});
  } catch (...) {
  }
}
void wc_client_options_set_plaintext(wc_client_options* options, int plaintext) {
  if (options != nullptr) options->options.plaintext = plaintext != 0;
}
void wc_client_options_set_ca_file(wc_client_options* options, const char* s, size_t len) {
  WC_SET_STRING_OPTION(ca_file)
}
void wc_client_options_set_pinned_sha256(wc_client_options* options, const char* s,
                                         size_t len) {
  WC_SET_STRING_OPTION(pinned_sha256)
}
void wc_client_options_set_data_dir(wc_client_options* options, const char* s, size_t len) {
  WC_SET_STRING_OPTION(data_dir)
}
void wc_client_options_set_device_name(wc_client_options* options, const char* s, size_t len) {
  WC_SET_STRING_OPTION(device_name)
}
#undef WC_SET_STRING_OPTION

void wc_client_options_set_request_timeout_ms(wc_client_options* options, int64_t timeout_ms) {
  if (options != nullptr) options->options.request_timeout = std::chrono::milliseconds(timeout_ms);
}
void wc_client_options_set_reconnect_ms(wc_client_options* options, int64_t initial_ms,
                                        int64_t max_ms) {
  if (options == nullptr) return;
  options->options.reconnect_initial = std::chrono::milliseconds(initial_ms);
  options->options.reconnect_max = std::chrono::milliseconds(max_ms);
}
void wc_client_options_set_log_callback(wc_client_options* options, wc_log_callback callback,
                                        void* user_data, int min_level) {
  if (options == nullptr) return;
  auto& log = options->options.log;
  if (callback == nullptr) {
    log.sink = nullptr;
    log.min_level = wechat::LogLevel::kOff;
    return;
  }
  if (min_level < WC_LOG_TRACE) min_level = WC_LOG_TRACE;
  if (min_level > WC_LOG_OFF) min_level = WC_LOG_OFF;
  log.min_level = static_cast<wechat::LogLevel>(min_level);
  try {
    log.sink = [callback, user_data](wechat::LogLevel level, std::string_view component,
                                     std::string_view message) {
      // Copies so the C side gets NUL-terminated strings; a log line is not worth a crash.
      try {
        const std::string c(component);
        const std::string m(message);
        callback(user_data, static_cast<int>(level), c.c_str(), c.size(), m.c_str(), m.size());
      } catch (...) {
      }
    };
  } catch (...) {
  }
}

// --- Lifetime and events -----------------------------------------------------------------------

wc_status wc_client_create(const wc_client_options* options, wc_client** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (options == nullptr) return fail(wechat::Error::kInvalidArgument, "options is NULL");
    auto client = std::make_unique<wc_client>();
    client->sink = std::make_shared<EventSink>();
    auto created = wechat::Client::create(options->options);
    if (!created.ok()) return fail(created.status());
    client->client = std::move(created).value();
    client->client->set_event_handler([sink = client->sink](const wechat::Event& event) {
      sink->push(wechat::cabi::make_event(event));
    });
    *out = client.release();
    return WC_OK;
  });
}

void wc_client_destroy(wc_client* client) {
  if (client == nullptr) return;
  // From the app's own callback, the C++ client cannot wait for its event thread (this is it):
  // its cancellations would arrive after we return, so the callback hears nothing more.
  if (client->sink->in_callback()) client->sink->close();
  try {
    client->client.reset();  // joins the event thread after cancelling what is pending
  } catch (...) {
  }
  client->sink->close();
  delete client;
}

wc_status wc_client_poll(wc_client* client, int timeout_ms, wc_event** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    auto event = client->sink->pop(timeout_ms);
    if (!event) return WC_ERROR_TIMEOUT;  // not a failure: the last error stays as it was
    *out = event.release();
    return WC_OK;
  });
}

void wc_client_set_event_callback(wc_client* client, wc_event_callback callback,
                                  void* user_data) {
  if (client != nullptr) client->sink->set_callback(callback, user_data);
}

// --- Account -----------------------------------------------------------------------------------

wc_status wc_client_request_code(wc_client* client, uint64_t tag, const char* email,
                                 size_t email_len, int purpose) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string e;
    if (!in_string(email, email_len, e)) return bad_string("email");
    if (purpose != WC_CODE_PURPOSE_REGISTER && purpose != WC_CODE_PURPOSE_RESET) {
      return fail(wechat::Error::kInvalidArgument, "purpose is not a WC_CODE_PURPOSE_* value");
    }
    client->client->request_code(e, static_cast<wechat::CodePurpose>(purpose),
                                 complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_register_account(wc_client* client, uint64_t tag, const char* username,
                                     size_t username_len, const char* email, size_t email_len,
                                     const char* password, size_t password_len, const char* code,
                                     size_t code_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string u, e, p, c;
    if (!in_string(username, username_len, u)) return bad_string("username");
    if (!in_string(email, email_len, e)) return bad_string("email");
    if (!in_string(password, password_len, p)) return bad_string("password");
    if (!in_string(code, code_len, c)) return bad_string("code");
    client->client->register_account(u, e, p, c, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_login(wc_client* client, uint64_t tag, const char* login, size_t login_len,
                          const char* password, size_t password_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string l, p;
    if (!in_string(login, login_len, l)) return bad_string("login");
    if (!in_string(password, password_len, p)) return bad_string("password");
    client->client->login(l, p, wechat::Client::Callback<wechat::User>(complete(client, tag)));
    return WC_OK;
  });
}

wc_status wc_client_resume(wc_client* client, uint64_t tag) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->resume(wechat::Client::Callback<wechat::User>(complete(client, tag)));
    return WC_OK;
  });
}

wc_status wc_client_logout(wc_client* client, uint64_t tag) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->logout(complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_reset_password(wc_client* client, uint64_t tag, const char* email,
                                   size_t email_len, const char* code, size_t code_len,
                                   const char* new_password, size_t new_password_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string e, c, p;
    if (!in_string(email, email_len, e)) return bad_string("email");
    if (!in_string(code, code_len, c)) return bad_string("code");
    if (!in_string(new_password, new_password_len, p)) return bad_string("new_password");
    client->client->reset_password(e, c, p, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_current_user(wc_client* client, wc_user** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    auto user = client->client->current_user();
    if (!user) return fail(wechat::Error::kUnauthenticated, "no account is logged in");
    *out = reinterpret_cast<wc_user*>(new wechat::User(std::move(*user)));
    return WC_OK;
  });
}

int wc_client_connection_state(wc_client* client) {
  if (client == nullptr) return WC_CONNECTION_DISCONNECTED;
  return static_cast<int>(client->client->connection_state());
}

// --- Friends -----------------------------------------------------------------------------------

wc_status wc_client_search_users(wc_client* client, uint64_t tag, const char* query,
                                 size_t query_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string q;
    if (!in_string(query, query_len, q)) return bad_string("query");
    client->client->search_users(q, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_send_friend_request(wc_client* client, uint64_t tag, uint64_t to,
                                        const char* note, size_t note_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string n;
    if (!in_string(note, note_len, n)) return bad_string("note");
    client->client->send_friend_request(to, n, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_answer_friend_request(wc_client* client, uint64_t tag, uint64_t request_id,
                                          int accept) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->answer_friend_request(request_id, accept != 0, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_remove_friend(wc_client* client, uint64_t tag, uint64_t user_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->remove_friend(user_id, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_refresh_friends(wc_client* client, uint64_t tag) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->refresh_friends(complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_refresh_friend_requests(wc_client* client, uint64_t tag) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->refresh_friend_requests(complete(client, tag));
    return WC_OK;
  });
}

// --- Messages ----------------------------------------------------------------------------------

wc_status wc_client_send_text(wc_client* client, uint64_t tag, uint64_t to, const char* text,
                              size_t text_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string t;
    if (!in_string(text, text_len, t)) return bad_string("text");
    client->client->send_text(to, t,
                              wechat::Client::Callback<wechat::Message>(complete(client, tag)));
    return WC_OK;
  });
}

wc_status wc_client_load_history(wc_client* client, uint64_t tag, uint64_t conversation_id,
                                 uint64_t before_seq, uint32_t limit) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->load_history(conversation_id, before_seq, limit, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_mark_read(wc_client* client, uint64_t tag, uint64_t conversation_id,
                              uint64_t up_to_seq) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->mark_read(conversation_id, up_to_seq, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_set_typing(wc_client* client, uint64_t conversation_id, int typing) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->set_typing(conversation_id, typing != 0);
    return WC_OK;
  });
}

wc_status wc_client_get_read_receipts(wc_client* client, uint64_t tag, uint64_t conversation_id,
                                      uint64_t seq) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->get_read_receipts(conversation_id, seq, complete(client, tag));
    return WC_OK;
  });
}

// --- Groups ------------------------------------------------------------------------------------

wc_status wc_client_create_group(wc_client* client, uint64_t tag, const char* name,
                                 size_t name_len, const uint64_t* member_ids,
                                 size_t member_count) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string n;
    std::vector<wechat::UserId> members;
    if (!in_string(name, name_len, n)) return bad_string("name");
    if (!in_ids(member_ids, member_count, members)) return bad_ids("member_ids");
    client->client->create_group(n, members,
                                 wechat::Client::Callback<wechat::Group>(complete(client, tag)));
    return WC_OK;
  });
}

wc_status wc_client_invite_to_group(wc_client* client, uint64_t tag, uint64_t group_id,
                                    const uint64_t* user_ids, size_t user_count) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::vector<wechat::UserId> users;
    if (!in_ids(user_ids, user_count, users)) return bad_ids("user_ids");
    client->client->invite_to_group(group_id, users, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_leave_group(wc_client* client, uint64_t tag, uint64_t group_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->leave_group(group_id, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_remove_group_member(wc_client* client, uint64_t tag, uint64_t group_id,
                                        uint64_t user_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->remove_group_member(group_id, user_id, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_rename_group(wc_client* client, uint64_t tag, uint64_t group_id,
                                 const char* name, size_t name_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string n;
    if (!in_string(name, name_len, n)) return bad_string("name");
    client->client->rename_group(group_id, n, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_set_group_role(wc_client* client, uint64_t tag, uint64_t group_id,
                                   uint64_t user_id, int role) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    if (role != WC_GROUP_ROLE_ADMIN && role != WC_GROUP_ROLE_MEMBER) {
      return fail(wechat::Error::kInvalidArgument,
                  "role is WC_GROUP_ROLE_ADMIN or WC_GROUP_ROLE_MEMBER");
    }
    client->client->set_group_role(group_id, user_id, static_cast<wechat::GroupRole>(role),
                                   complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_transfer_group_ownership(wc_client* client, uint64_t tag, uint64_t group_id,
                                             uint64_t new_owner_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->transfer_group_ownership(group_id, new_owner_id, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_dissolve_group(wc_client* client, uint64_t tag, uint64_t group_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->dissolve_group(group_id, complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_get_group(wc_client* client, uint64_t tag, uint64_t group_id) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->get_group(group_id,
                              wechat::Client::Callback<wechat::Group>(complete(client, tag)));
    return WC_OK;
  });
}

wc_status wc_client_refresh_groups(wc_client* client, uint64_t tag) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    client->client->refresh_groups(complete(client, tag));
    return WC_OK;
  });
}

wc_status wc_client_send_group_text(wc_client* client, uint64_t tag, uint64_t group_id,
                                    const char* text, size_t text_len) {
  return guard([&]() -> wc_status {
    if (client == nullptr) return no_client();
    std::string t;
    if (!in_string(text, text_len, t)) return bad_string("text");
    client->client->send_group_text(
        group_id, t, wechat::Client::Callback<wechat::Message>(complete(client, tag)));
    return WC_OK;
  });
}

// --- Local reads -------------------------------------------------------------------------------

wc_status wc_client_conversations(wc_client* client, wc_conversation_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->conversations(), out);
  });
}

wc_status wc_client_messages(wc_client* client, uint64_t conversation_id, uint64_t before_seq,
                             uint32_t limit, wc_message_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->messages(conversation_id, before_seq, limit), out);
  });
}

wc_status wc_client_messages_with(wc_client* client, uint64_t peer_id, uint64_t before_seq,
                                  uint32_t limit, wc_message_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->messages_with(peer_id, before_seq, limit), out);
  });
}

wc_status wc_client_friends(wc_client* client, wc_friend_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->friends(), out);
  });
}

wc_status wc_client_friend_requests(wc_client* client, wc_friend_request_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->friend_requests(), out);
  });
}

wc_status wc_client_search_messages(wc_client* client, const char* text, size_t text_len,
                                    uint32_t limit, wc_message_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    std::string t;
    if (!in_string(text, text_len, t)) return bad_string("text");
    return hand_out(client->client->search_messages(t, limit), out);
  });
}

wc_status wc_client_groups(wc_client* client, wc_group_list** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    return hand_out(client->client->groups(), out);
  });
}

wc_status wc_client_group(wc_client* client, uint64_t group_id, wc_group** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (client == nullptr) return no_client();
    auto group = client->client->group(group_id);
    if (!group.ok()) return fail(group.status());
    *out = reinterpret_cast<wc_group*>(new wechat::Group(std::move(group).value()));
    return WC_OK;
  });
}

}  // extern "C"
