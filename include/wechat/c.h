/* SPDX-License-Identifier: MIT */
#ifndef WECHAT_C_H_
#define WECHAT_C_H_

/* @file
 * The C ABI of libwechat: the whole client API (and an in-process test server) as opaque
 * handles and plain functions, for C programs and for language bindings (bindings/python uses
 * it through ctypes). C99; compiles as C and as C++. See docs/c-api.md for a complete example.
 *
 * Conventions
 * - Names are wc_<object>_<verb>. Every object the application gets from a _create or _start
 *   (or that a function hands over through an `out` parameter) is owned by the application and
 *   freed with the matching _destroy; passing NULL to a _destroy does nothing.
 * - Functions that can fail return a wc_status: WC_OK (0) or one of the WC_ERROR_* codes, whose
 *   numbers are those of wechat::Error and never change meaning. After a failure,
 *   wc_last_error_message() describes it (per thread; successful calls leave it unchanged).
 *   A WC_ERROR_RATE_LIMITED status comes with how long to wait before retrying:
 *   wc_last_error_retry_after_ms() for an immediate failure, wc_event_status_retry_after_ms()
 *   for a result.
 *   No C++ exception ever leaves this API: an unexpected one becomes WC_ERROR_INTERNAL.
 * - Strings passed in are UTF-8 with an explicit length in bytes (`const char* s, size_t len`);
 *   they need not be NUL-terminated and are copied before the call returns. s may be NULL only
 *   when len is 0.
 * - Strings handed out are UTF-8, NUL-terminated, and their length (without the NUL) is stored
 *   in *len when len is not NULL. They belong to the object they were read from and stay valid
 *   until it is destroyed. Likewise `const` object pointers (a message inside an event or a
 *   list, the peer of a conversation, ...) are borrowed from their owner: never destroy them.
 * - Accessors given NULL return 0, NULL or "" rather than crash, but that is still a bug.
 *
 * Asynchronous calls
 *   Calls that talk to the server take a caller-chosen `uint64_t tag` and return at once. If
 *   they return WC_OK, exactly one WC_EVENT_RESULT event carrying that tag arrives later, with
 *   the call's status and result (WC_ERROR_CANCELLED if the client is destroyed first). Results
 *   and all other events share one queue, in the order they happened: pull them with
 *   wc_client_poll(), or have them pushed to a callback (wc_client_set_event_callback()).
 *
 * Thread safety
 *   Every wc_client_* function may be called from any thread, concurrently, and from inside the
 *   event callback - except wc_client_destroy(), which must not race with other calls on the
 *   same client. Events, option and list objects are plain values: one thread at a time each.
 *
 * Example (error handling trimmed; docs/c-api.md has the complete program):
 *   wc_client_options* options = wc_client_options_create();
 *   wc_client_options_set_data_dir(options, "/tmp/alice", 10);
 *   wc_client* client = NULL;
 *   if (wc_client_create(options, &client) != WC_OK) puts(wc_last_error_message());
 *   wc_client_options_destroy(options);
 *   wc_client_login(client, 1, "alice", 5, "secret-password", 15);
 *   wc_event* event = NULL;
 *   while (wc_client_poll(client, 1000, &event) == WC_OK) {
 *     if (wc_event_type(event) == WC_EVENT_RESULT && wc_event_tag(event) == 1) ...
 *     wc_event_destroy(event);
 *   }
 *   wc_client_destroy(client);
 */

#include <stddef.h>
#include <stdint.h>

#include "wechat/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Status codes (the numbers of wechat::Error) ------------------------------------------- */

typedef int wc_status;

enum {
  WC_OK = 0,
  WC_ERROR_INVALID_ARGUMENT = 1,
  WC_ERROR_NOT_FOUND = 2,
  WC_ERROR_ALREADY_EXISTS = 3,
  WC_ERROR_PERMISSION_DENIED = 4,
  WC_ERROR_UNAUTHENTICATED = 5,
  WC_ERROR_RATE_LIMITED = 6, /* how long to wait: wc_event_status_retry_after_ms() */
  WC_ERROR_RESOURCE_EXHAUSTED = 7,
  WC_ERROR_UNAVAILABLE = 8,
  WC_ERROR_TIMEOUT = 9, /* also: wc_client_poll() found no event in time */
  WC_ERROR_CANCELLED = 10,
  WC_ERROR_PROTOCOL = 11,
  WC_ERROR_STORAGE = 12,
  WC_ERROR_INTERNAL = 13,
  WC_ERROR_UNSUPPORTED_VERSION = 14,
  WC_ERROR_TLS = 15,
  WC_ERROR_IO = 16,
  WC_ERROR_INVALID_USERNAME = 100,
  WC_ERROR_INVALID_EMAIL = 101,
  WC_ERROR_WEAK_PASSWORD = 102,
  WC_ERROR_USERNAME_TAKEN = 103,
  WC_ERROR_EMAIL_TAKEN = 104,
  WC_ERROR_WRONG_CODE = 105,
  WC_ERROR_CODE_EXPIRED = 106,
  WC_ERROR_CODE_ATTEMPTS_EXHAUSTED = 107,
  WC_ERROR_WRONG_CREDENTIALS = 108,
  WC_ERROR_SESSION_EXPIRED = 109,
  WC_ERROR_NOT_FRIENDS = 200,
  WC_ERROR_ALREADY_FRIENDS = 201,
  WC_ERROR_REQUEST_PENDING = 202,
  WC_ERROR_SELF_REQUEST = 203,
  WC_ERROR_MESSAGE_TOO_LARGE = 204,
  WC_ERROR_NOT_GROUP_MEMBER = 210,
  WC_ERROR_GROUP_FULL = 211,
  WC_ERROR_GROUP_DISSOLVED = 212
};

/** A short stable name for `status`, e.g. "username_taken"; "unknown" for other values. Static
 *  storage: never freed. */
WECHAT_API const char* wc_error_name(wc_status status);

/** The message of the most recent failed wc_* call on this thread ("" if none yet). Valid until
 *  the next failing call on this thread. */
WECHAT_API const char* wc_last_error_message(void);

/** With the message, and like it per thread: the milliseconds the most recent failed wc_* call
 *  on this thread asked to wait before retrying (WC_ERROR_RATE_LIMITED); 0 if it was not rate
 *  limited, or none failed yet. Replaced by the next failing call on this thread. Server
 *  refusals arrive as results: read those with wc_event_status_retry_after_ms(). */
WECHAT_API int64_t wc_last_error_retry_after_ms(void);

/** The version of the library linked at run time, e.g. "0.1.0". Static storage. */
WECHAT_API const char* wc_version(void);

/* --- Enumerations (same numbers as the C++ enums) ------------------------------------------ */

enum { /* wechat::MessageState */
  WC_MESSAGE_QUEUED = 0,
  WC_MESSAGE_SENT = 1,
  WC_MESSAGE_DELIVERED = 2,
  WC_MESSAGE_READ = 3,
  WC_MESSAGE_FAILED = 4,
  WC_MESSAGE_RECEIVED = 5
};

enum { /* wechat::ConnectionState */
  WC_CONNECTION_DISCONNECTED = 0,
  WC_CONNECTION_CONNECTING = 1,
  WC_CONNECTION_AUTHENTICATING = 2,
  WC_CONNECTION_SYNCING = 3,
  WC_CONNECTION_ONLINE = 4
};

enum { /* wechat::FriendRequestState */
  WC_FRIEND_REQUEST_PENDING = 1,
  WC_FRIEND_REQUEST_ACCEPTED = 2,
  WC_FRIEND_REQUEST_REJECTED = 3
};

enum { /* wechat::CodePurpose */
  WC_CODE_PURPOSE_REGISTER = 1,
  WC_CODE_PURPOSE_RESET = 2
};

enum { /* wechat::ConversationKind */
  WC_CONVERSATION_DIRECT = 1,
  WC_CONVERSATION_GROUP = 2
};

enum { /* wechat::GroupRole */
  WC_GROUP_ROLE_NONE = 0,
  WC_GROUP_ROLE_MEMBER = 1,
  WC_GROUP_ROLE_ADMIN = 2,
  WC_GROUP_ROLE_OWNER = 3
};

enum { /* wechat::GroupMembership */
  WC_GROUP_MEMBER = 0,
  WC_GROUP_LEFT = 1,
  WC_GROUP_REMOVED = 2
};

enum { /* wechat::GroupEventKind */
  WC_GROUP_EVENT_CREATED = 1,
  WC_GROUP_EVENT_MEMBERS_ADDED = 2,
  WC_GROUP_EVENT_MEMBER_LEFT = 3,
  WC_GROUP_EVENT_MEMBER_REMOVED = 4,
  WC_GROUP_EVENT_RENAMED = 5,
  WC_GROUP_EVENT_ROLE_CHANGED = 6,
  WC_GROUP_EVENT_OWNER_CHANGED = 7,
  WC_GROUP_EVENT_DISSOLVED = 8
};

enum { /* wechat::LogLevel */
  WC_LOG_TRACE = 0,
  WC_LOG_DEBUG = 1,
  WC_LOG_INFO = 2,
  WC_LOG_WARN = 3,
  WC_LOG_ERROR = 4,
  WC_LOG_OFF = 5
};

/* --- Value objects --------------------------------------------------------------------------
 * Read-only views of wechat::User, Message, Conversation, Presence, Friend, FriendRequest,
 * Group, GroupMember and ReadReceipts. They are borrowed from the event or list they came from
 * (see the conventions above). Times are milliseconds since the Unix epoch; ids are those of
 * the C++ API. */

typedef struct wc_user wc_user;
typedef struct wc_message wc_message;
typedef struct wc_conversation wc_conversation;
typedef struct wc_presence wc_presence;
typedef struct wc_friend wc_friend;
typedef struct wc_friend_request wc_friend_request;
typedef struct wc_group wc_group;
typedef struct wc_group_member wc_group_member;
typedef struct wc_read_receipts wc_read_receipts;

WECHAT_API uint64_t wc_user_id(const wc_user* user);
WECHAT_API const char* wc_user_username(const wc_user* user, size_t* len);
/** Only for the wc_user that wc_client_current_user() handed over. */
WECHAT_API void wc_user_destroy(wc_user* user);

/** 32 hex digits chosen by the sending client: the message's identity before it has a
 *  message_id. */
WECHAT_API const char* wc_message_client_msg_id(const wc_message* message, size_t* len);
WECHAT_API uint64_t wc_message_id(const wc_message* message);              /* 0 while queued */
WECHAT_API uint64_t wc_message_conversation_id(const wc_message* message); /* 0: not yet known */
WECHAT_API uint64_t wc_message_seq(const wc_message* message);             /* 0 while queued */
WECHAT_API uint64_t wc_message_sender_id(const wc_message* message);
WECHAT_API const char* wc_message_sender_username(const wc_message* message, size_t* len);
WECHAT_API uint64_t wc_message_peer_id(const wc_message* message);
WECHAT_API const char* wc_message_text(const wc_message* message, size_t* len);
WECHAT_API int64_t wc_message_time_ms(const wc_message* message);
WECHAT_API int wc_message_outgoing(const wc_message* message); /* 1 or 0 */
WECHAT_API int wc_message_state(const wc_message* message);    /* WC_MESSAGE_* */
/** Why the message failed (state WC_MESSAGE_FAILED); WC_OK and "" otherwise. */
WECHAT_API wc_status wc_message_failure(const wc_message* message);
WECHAT_API const char* wc_message_failure_message(const wc_message* message, size_t* len);
/** WC_CONVERSATION_GROUP for a message to a group (its conversation id is the group's id and
 *  its peer id 0); WC_CONVERSATION_DIRECT otherwise. */
WECHAT_API int wc_message_kind(const wc_message* message);

WECHAT_API uint64_t wc_conversation_id(const wc_conversation* conversation);
WECHAT_API const wc_user* wc_conversation_peer(const wc_conversation* conversation);
WECHAT_API uint64_t wc_conversation_last_seq(const wc_conversation* conversation);
WECHAT_API uint64_t wc_conversation_read_seq(const wc_conversation* conversation);
WECHAT_API uint64_t wc_conversation_peer_read_seq(const wc_conversation* conversation);
WECHAT_API uint64_t wc_conversation_unread(const wc_conversation* conversation);
/** The newest message, or NULL for an empty conversation. */
WECHAT_API const wc_message* wc_conversation_last_message(const wc_conversation* conversation);
WECHAT_API int wc_conversation_kind(const wc_conversation* conversation); /* WC_CONVERSATION_* */
/** The group of a group conversation (without members), or NULL for a direct one (whose peer
 *  it has instead; a group conversation's peer has id 0). */
WECHAT_API const wc_group* wc_conversation_group(const wc_conversation* conversation);

WECHAT_API uint64_t wc_presence_user_id(const wc_presence* presence);
WECHAT_API int wc_presence_online(const wc_presence* presence); /* 1 or 0 */
/** When offline: the end of the last session (0: unknown). */
WECHAT_API int64_t wc_presence_last_seen_ms(const wc_presence* presence);

WECHAT_API const wc_user* wc_friend_user(const wc_friend* friend_);
WECHAT_API int64_t wc_friend_since_ms(const wc_friend* friend_);
WECHAT_API uint64_t wc_friend_conversation_id(const wc_friend* friend_);
WECHAT_API const wc_presence* wc_friend_presence(const wc_friend* friend_);

WECHAT_API uint64_t wc_friend_request_id(const wc_friend_request* request);
WECHAT_API const wc_user* wc_friend_request_from(const wc_friend_request* request);
WECHAT_API const wc_user* wc_friend_request_to(const wc_friend_request* request);
WECHAT_API const char* wc_friend_request_note(const wc_friend_request* request, size_t* len);
WECHAT_API int wc_friend_request_state(const wc_friend_request* request); /* WC_FRIEND_REQUEST_* */
WECHAT_API int64_t wc_friend_request_created_ms(const wc_friend_request* request);
WECHAT_API int64_t wc_friend_request_answered_ms(const wc_friend_request* request);

/** A group: its id is also its conversation's id. */
WECHAT_API uint64_t wc_group_id(const wc_group* group);
WECHAT_API const char* wc_group_name(const wc_group* group, size_t* len);
WECHAT_API uint64_t wc_group_owner_id(const wc_group* group);
WECHAT_API uint32_t wc_group_member_count(const wc_group* group);
WECHAT_API int64_t wc_group_created_ms(const wc_group* group);
WECHAT_API int wc_group_dissolved(const wc_group* group); /* 1 or 0 */
/** This account's role: WC_GROUP_ROLE_* (NONE once it left or was removed). */
WECHAT_API int wc_group_my_role(const wc_group* group);
WECHAT_API int wc_group_membership(const wc_group* group); /* WC_GROUP_MEMBER, _LEFT, _REMOVED */
/** The members, when the group carries them (wc_client_get_group, wc_client_group); else 0. */
WECHAT_API size_t wc_group_members_size(const wc_group* group);
WECHAT_API const wc_group_member* wc_group_member_at(const wc_group* group, size_t i);
/** Only for the wc_group that wc_client_group() handed over. */
WECHAT_API void wc_group_destroy(wc_group* group);

WECHAT_API const wc_user* wc_group_member_user(const wc_group_member* member);
WECHAT_API int wc_group_member_role(const wc_group_member* member); /* WC_GROUP_ROLE_* */
WECHAT_API int64_t wc_group_member_joined_ms(const wc_group_member* member);
WECHAT_API uint64_t wc_group_member_read_seq(const wc_group_member* member);
WECHAT_API uint64_t wc_group_member_delivered_seq(const wc_group_member* member);

/** "Read by N of M" for one message: N = wc_read_receipts_read_by_size, M = member_count. */
WECHAT_API uint64_t wc_read_receipts_conversation_id(const wc_read_receipts* receipts);
WECHAT_API uint64_t wc_read_receipts_seq(const wc_read_receipts* receipts);
/** Current members other than the message's sender. */
WECHAT_API uint32_t wc_read_receipts_member_count(const wc_read_receipts* receipts);
WECHAT_API size_t wc_read_receipts_read_by_size(const wc_read_receipts* receipts);
WECHAT_API const wc_user* wc_read_receipts_read_by_at(const wc_read_receipts* receipts, size_t i);
/** Members whose device stored the message who have not read it (yet). */
WECHAT_API size_t wc_read_receipts_delivered_to_size(const wc_read_receipts* receipts);
WECHAT_API const wc_user* wc_read_receipts_delivered_to_at(const wc_read_receipts* receipts,
                                                           size_t i);

/* --- Lists (results of the local reads) ----------------------------------------------------
 * Owned by the application; _at(i) for i >= _size() returns NULL. */

typedef struct wc_message_list wc_message_list;
typedef struct wc_conversation_list wc_conversation_list;
typedef struct wc_friend_list wc_friend_list;
typedef struct wc_friend_request_list wc_friend_request_list;
typedef struct wc_group_list wc_group_list;

WECHAT_API size_t wc_message_list_size(const wc_message_list* list);
WECHAT_API const wc_message* wc_message_list_at(const wc_message_list* list, size_t i);
WECHAT_API void wc_message_list_destroy(wc_message_list* list);

WECHAT_API size_t wc_conversation_list_size(const wc_conversation_list* list);
WECHAT_API const wc_conversation* wc_conversation_list_at(const wc_conversation_list* list,
                                                          size_t i);
WECHAT_API void wc_conversation_list_destroy(wc_conversation_list* list);

WECHAT_API size_t wc_friend_list_size(const wc_friend_list* list);
WECHAT_API const wc_friend* wc_friend_list_at(const wc_friend_list* list, size_t i);
WECHAT_API void wc_friend_list_destroy(wc_friend_list* list);

WECHAT_API size_t wc_friend_request_list_size(const wc_friend_request_list* list);
WECHAT_API const wc_friend_request* wc_friend_request_list_at(const wc_friend_request_list* list,
                                                              size_t i);
WECHAT_API void wc_friend_request_list_destroy(wc_friend_request_list* list);

WECHAT_API size_t wc_group_list_size(const wc_group_list* list);
WECHAT_API const wc_group* wc_group_list_at(const wc_group_list* list, size_t i);
WECHAT_API void wc_group_list_destroy(wc_group_list* list);

/* --- Events ----------------------------------------------------------------------------------
 * One wc_event is either the result of an asynchronous call (WC_EVENT_RESULT) or one of the
 * client's events (wechat::Event). Which accessor means what, by type:
 *
 *   WC_EVENT_RESULT                 tag, status (+ message), result_kind, count and the items:
 *                                   user(i) / message(i) / friend(i) / friend_request(i) /
 *                                   group(i) / read_receipts
 *   WC_EVENT_MESSAGE_RECEIVED       message(0)
 *   WC_EVENT_MESSAGE_STATE_CHANGED  message(0): the message as it is now
 *   WC_EVENT_RECEIPT_UPDATED        conversation_id, user_id (the peer), seq (up to),
 *                                   message_state (WC_MESSAGE_DELIVERED or WC_MESSAGE_READ)
 *   WC_EVENT_CONVERSATION_READ      conversation_id, seq (this account's read marker), unread
 *   WC_EVENT_FRIEND_REQUEST_UPDATED friend_request(0), incoming
 *   WC_EVENT_FRIEND_ADDED           friend(0)
 *   WC_EVENT_FRIEND_REMOVED         user_id
 *   WC_EVENT_PRESENCE_CHANGED       presence, user_id
 *   WC_EVENT_TYPING_CHANGED         conversation_id, user_id, typing
 *   WC_EVENT_CONNECTION_STATE_CHANGED connection_state, status (+ message): why it dropped
 *   WC_EVENT_SYNC_PROGRESS          sync_applied, sync_head
 *   WC_EVENT_SESSION_ENDED          status (+ message): why the server ended the session
 *   WC_EVENT_GROUP_CHANGED          group(0): the group after the change; group_event_kind,
 *                                   conversation_id (the group), user_id and actor (who did
 *                                   it), subject_count and subject(i), group_role (the new
 *                                   role, for WC_GROUP_EVENT_ROLE_CHANGED)
 *
 * In a group, WC_EVENT_MESSAGE_RECEIVED's message has kind WC_CONVERSATION_GROUP, and
 * WC_EVENT_RECEIPT_UPDATED comes when another member's message shows they read up to there
 * (user_id: that member); who read what is asked with wc_client_get_read_receipts.
 *
 * Accessors that do not apply to an event return 0 or NULL. */

typedef struct wc_event wc_event;

enum {
  WC_EVENT_RESULT = 1,
  WC_EVENT_MESSAGE_RECEIVED = 2,
  WC_EVENT_MESSAGE_STATE_CHANGED = 3,
  WC_EVENT_RECEIPT_UPDATED = 4,
  WC_EVENT_CONVERSATION_READ = 5,
  WC_EVENT_FRIEND_REQUEST_UPDATED = 6,
  WC_EVENT_FRIEND_ADDED = 7,
  WC_EVENT_FRIEND_REMOVED = 8,
  WC_EVENT_PRESENCE_CHANGED = 9,
  WC_EVENT_TYPING_CHANGED = 10,
  WC_EVENT_CONNECTION_STATE_CHANGED = 11,
  WC_EVENT_SYNC_PROGRESS = 12,
  WC_EVENT_SESSION_ENDED = 13,
  WC_EVENT_GROUP_CHANGED = 14
};

/** What a WC_EVENT_RESULT carries when its status is WC_OK (decided by the call). */
enum {
  WC_RESULT_NONE = 0,            /* request_code, reset_password, logout, answer_friend_request,
                                    remove_friend, mark_read, and the group calls below that
                                    change a group (invite, leave, remove, rename, set_role,
                                    transfer, dissolve) */
  WC_RESULT_USER = 1,            /* register_account, login, resume: user(0) */
  WC_RESULT_USERS = 2,           /* search_users: user(0..count-1) */
  WC_RESULT_FRIEND_REQUEST = 3,  /* send_friend_request: friend_request(0) */
  WC_RESULT_FRIEND_REQUESTS = 4, /* refresh_friend_requests: friend_request(0..count-1) */
  WC_RESULT_FRIENDS = 5,         /* refresh_friends: friend(0..count-1) */
  WC_RESULT_MESSAGE = 6,         /* send_text: message(0) */
  WC_RESULT_MESSAGES = 7,        /* load_history: message(0..count-1), newest first */
  WC_RESULT_GROUP = 8,           /* create_group, get_group: group(0), with its members */
  WC_RESULT_GROUPS = 9,          /* refresh_groups: group(0..count-1), without members */
  WC_RESULT_READ_RECEIPTS = 10   /* get_read_receipts: read_receipts (count 1) */
};

/** Frees an event and everything borrowed from it. */
WECHAT_API void wc_event_destroy(wc_event* event);

WECHAT_API int wc_event_type(const wc_event* event); /* WC_EVENT_* */
/** WC_EVENT_RESULT: the tag given to the call. 0 for other events. */
WECHAT_API uint64_t wc_event_tag(const wc_event* event);
/** WC_EVENT_RESULT: WC_RESULT_* for the call, whatever its status. */
WECHAT_API int wc_event_result_kind(const wc_event* event);
/** The status of a result, or the reason of a connection drop or session end; WC_OK otherwise. */
WECHAT_API wc_status wc_event_status(const wc_event* event);
WECHAT_API const char* wc_event_status_message(const wc_event* event, size_t* len);
/** With WC_ERROR_RATE_LIMITED: the milliseconds the server asks to wait before the same call
 *  can succeed (at least 1). 0 for any other status. */
WECHAT_API int64_t wc_event_status_retry_after_ms(const wc_event* event);

/** How many users, messages, friends, friend requests, groups or read receipts the event
 *  carries (see the table). */
WECHAT_API size_t wc_event_count(const wc_event* event);
WECHAT_API const wc_user* wc_event_user(const wc_event* event, size_t i);
WECHAT_API const wc_message* wc_event_message(const wc_event* event, size_t i);
WECHAT_API const wc_friend* wc_event_friend(const wc_event* event, size_t i);
WECHAT_API const wc_friend_request* wc_event_friend_request(const wc_event* event, size_t i);
WECHAT_API const wc_presence* wc_event_presence(const wc_event* event);
WECHAT_API const wc_group* wc_event_group(const wc_event* event, size_t i);
WECHAT_API const wc_read_receipts* wc_event_read_receipts(const wc_event* event);

WECHAT_API uint64_t wc_event_conversation_id(const wc_event* event);
WECHAT_API uint64_t wc_event_user_id(const wc_event* event);
WECHAT_API uint64_t wc_event_seq(const wc_event* event);
WECHAT_API uint64_t wc_event_unread(const wc_event* event);
WECHAT_API int wc_event_message_state(const wc_event* event); /* WC_MESSAGE_* */
WECHAT_API int wc_event_incoming(const wc_event* event);      /* 1 or 0 */
WECHAT_API int wc_event_typing(const wc_event* event);        /* 1 or 0 */
WECHAT_API int wc_event_connection_state(const wc_event* event); /* WC_CONNECTION_* */
WECHAT_API uint64_t wc_event_sync_applied(const wc_event* event);
WECHAT_API uint64_t wc_event_sync_head(const wc_event* event);
/* WC_EVENT_GROUP_CHANGED. */
WECHAT_API int wc_event_group_event_kind(const wc_event* event); /* WC_GROUP_EVENT_* */
WECHAT_API const wc_user* wc_event_actor(const wc_event* event);
WECHAT_API size_t wc_event_subject_count(const wc_event* event);
WECHAT_API const wc_user* wc_event_subject(const wc_event* event, size_t i);
WECHAT_API int wc_event_group_role(const wc_event* event); /* WC_GROUP_ROLE_* */

/* --- Client options ---------------------------------------------------------------------- */

typedef struct wc_client_options wc_client_options;

/** Receives one log record, from library threads (possibly several at once): it must be
 *  thread-safe and must not call back into the client. The strings are valid during the call
 *  only. Records never contain a password, session token or verification code. */
typedef void (*wc_log_callback)(void* user_data, int level, const char* component,
                                size_t component_len, const char* message, size_t message_len);

/** Defaults as wechat::ClientOptions: 127.0.0.1:7600, TLS verified against the system's trust
 *  store, no data_dir (required), no logging. Returns NULL only when out of memory. */
WECHAT_API wc_client_options* wc_client_options_create(void);
WECHAT_API void wc_client_options_destroy(wc_client_options* options);

WECHAT_API void wc_client_options_set_host(wc_client_options* options, const char* host,
                                           size_t len);
WECHAT_API void wc_client_options_set_port(wc_client_options* options, uint16_t port);
/** Adds one more address of the same service, tried in turn after host:port when one cannot be
 *  reached: a cluster's other gates (ClientOptions::more_servers). */
WECHAT_API void wc_client_options_add_server(wc_client_options* options, const char* host,
                                             size_t len, uint16_t port);
/** 1: no TLS (loopback testing only). */
WECHAT_API void wc_client_options_set_plaintext(wc_client_options* options, int plaintext);
WECHAT_API void wc_client_options_set_ca_file(wc_client_options* options, const char* path,
                                              size_t len);
/** Hex SHA-256 of the server certificate (colons allowed), as wechat-server prints it. */
WECHAT_API void wc_client_options_set_pinned_sha256(wc_client_options* options, const char* hex,
                                                    size_t len);
/** REQUIRED: where local data lives, one folder per account. */
WECHAT_API void wc_client_options_set_data_dir(wc_client_options* options, const char* path,
                                               size_t len);
/** This install's name on the account. Default: a name generated once and kept in data_dir. */
WECHAT_API void wc_client_options_set_device_name(wc_client_options* options, const char* name,
                                                  size_t len);
/** Per request, once sent. Default: 15000. */
WECHAT_API void wc_client_options_set_request_timeout_ms(wc_client_options* options,
                                                         int64_t timeout_ms);
/** Reconnect backoff: first delay and cap. Default: 250 and 30000. A server that refused with
 *  WC_ERROR_RATE_LIMITED is not asked again before its retry_after_ms, even past the cap. */
WECHAT_API void wc_client_options_set_reconnect_ms(wc_client_options* options, int64_t initial_ms,
                                                   int64_t max_ms);
/** Log records at `min_level` (WC_LOG_*) and above go to `callback`; NULL turns logging off. */
WECHAT_API void wc_client_options_set_log_callback(wc_client_options* options,
                                                   wc_log_callback callback, void* user_data,
                                                   int min_level);

/* --- Client -------------------------------------------------------------------------------- */

typedef struct wc_client wc_client;

/** Creates a client (it does not connect until login or resume). `options` is copied.
 *  Errors: WC_ERROR_INVALID_ARGUMENT (no data_dir, bad fingerprint), WC_ERROR_TLS (unusable CA
 *  file), WC_ERROR_IO (data_dir cannot be created). */
WECHAT_API wc_status wc_client_create(const wc_client_options* options, wc_client** out);

/** Disconnects and frees the client. Pending calls complete with WC_ERROR_CANCELLED: with an
 *  event callback set, those results reach it (on the event thread) before this returns;
 *  otherwise they are dropped with the queue. May be called from the event callback, in which
 *  case nothing more reaches the callback. No other call on this client may run concurrently
 *  or follow. */
WECHAT_API void wc_client_destroy(wc_client* client);

/** Takes the next event, waiting up to `timeout_ms` (0: do not wait; negative: forever).
 *  Returns WC_OK and an event in *out that the caller frees with wc_event_destroy(), or
 *  WC_ERROR_TIMEOUT and NULL. Several threads may poll; each event goes to one of them. */
WECHAT_API wc_status wc_client_poll(wc_client* client, int timeout_ms, wc_event** out);

/** Takes ownership of `event`: free it with wc_event_destroy() (now or later, any thread). */
typedef void (*wc_event_callback)(void* user_data, wc_event* event);

/** From now on, events (results included) are pushed to `callback` instead of the poll queue.
 *  It runs on the client's event thread, one event at a time, in order; while it runs the
 *  session waits, so keep it short. It may call any wc_client_* function, wc_client_destroy()
 *  included. Events queued before the callback was set stay for wc_client_poll(), so set it
 *  right after wc_client_create(). NULL goes back to queueing. */
WECHAT_API void wc_client_set_event_callback(wc_client* client, wc_event_callback callback,
                                             void* user_data);

/* Account. Each returns WC_OK and later a WC_EVENT_RESULT with `tag`, or an immediate
 * WC_ERROR_INVALID_ARGUMENT (NULL client or string) and no event. */
WECHAT_API wc_status wc_client_request_code(wc_client* client, uint64_t tag, const char* email,
                                            size_t email_len, int purpose);
WECHAT_API wc_status wc_client_register_account(wc_client* client, uint64_t tag,
                                                const char* username, size_t username_len,
                                                const char* email, size_t email_len,
                                                const char* password, size_t password_len,
                                                const char* code, size_t code_len);
/** Logs in by username or email, then syncs and stays connected until logout or destroy. */
WECHAT_API wc_status wc_client_login(wc_client* client, uint64_t tag, const char* login,
                                     size_t login_len, const char* password,
                                     size_t password_len);
/** Resumes the last account's saved session; WC_ERROR_SESSION_EXPIRED if there is none. */
WECHAT_API wc_status wc_client_resume(wc_client* client, uint64_t tag);
WECHAT_API wc_status wc_client_logout(wc_client* client, uint64_t tag);
WECHAT_API wc_status wc_client_reset_password(wc_client* client, uint64_t tag, const char* email,
                                              size_t email_len, const char* code, size_t code_len,
                                              const char* new_password, size_t new_password_len);

/** The logged-in account (also while offline) in *out, owned by the caller (wc_user_destroy);
 *  WC_ERROR_UNAUTHENTICATED if there is none. */
WECHAT_API wc_status wc_client_current_user(wc_client* client, wc_user** out);
WECHAT_API int wc_client_connection_state(wc_client* client); /* WC_CONNECTION_* */

/* Friends. */
WECHAT_API wc_status wc_client_search_users(wc_client* client, uint64_t tag, const char* query,
                                            size_t query_len);
WECHAT_API wc_status wc_client_send_friend_request(wc_client* client, uint64_t tag, uint64_t to,
                                                   const char* note, size_t note_len);
WECHAT_API wc_status wc_client_answer_friend_request(wc_client* client, uint64_t tag,
                                                     uint64_t request_id, int accept);
WECHAT_API wc_status wc_client_remove_friend(wc_client* client, uint64_t tag, uint64_t user_id);
WECHAT_API wc_status wc_client_refresh_friends(wc_client* client, uint64_t tag);
WECHAT_API wc_status wc_client_refresh_friend_requests(wc_client* client, uint64_t tag);

/* Messages. */
/** Stores the message in the outbox (works offline); the result is the message, state
 *  WC_MESSAGE_QUEUED. It is delivered exactly once, across reconnects and restarts. */
WECHAT_API wc_status wc_client_send_text(wc_client* client, uint64_t tag, uint64_t to,
                                         const char* text, size_t text_len);
WECHAT_API wc_status wc_client_load_history(wc_client* client, uint64_t tag,
                                            uint64_t conversation_id, uint64_t before_seq,
                                            uint32_t limit);
/** up_to_seq 0: everything. */
WECHAT_API wc_status wc_client_mark_read(wc_client* client, uint64_t tag,
                                         uint64_t conversation_id, uint64_t up_to_seq);
/** Best effort, no result event. Works in groups too. */
WECHAT_API wc_status wc_client_set_typing(wc_client* client, uint64_t conversation_id,
                                          int typing);
/** "Read by N of M" for the message at `seq` of a conversation (direct or group). */
WECHAT_API wc_status wc_client_get_read_receipts(wc_client* client, uint64_t tag,
                                                 uint64_t conversation_id, uint64_t seq);

/* Groups. A group is a conversation (its id is the conversation id): load_history, mark_read,
 * set_typing and the local reads work on it. Changes arrive as WC_EVENT_GROUP_CHANGED. Each
 * call returns WC_OK and later a WC_EVENT_RESULT with `tag`, or an immediate
 * WC_ERROR_INVALID_ARGUMENT (NULL client, string or id array with a non-zero count) and no event.
 * Result errors include WC_ERROR_NOT_GROUP_MEMBER, WC_ERROR_GROUP_DISSOLVED,
 * WC_ERROR_GROUP_FULL and WC_ERROR_PERMISSION_DENIED (the role does not allow it). */
/** `member_ids`: `member_count` friends of this account (may be NULL when 0). The group is
 *  stored locally at once, so wc_client_send_group_text may follow straight away. */
WECHAT_API wc_status wc_client_create_group(wc_client* client, uint64_t tag, const char* name,
                                            size_t name_len, const uint64_t* member_ids,
                                            size_t member_count);
WECHAT_API wc_status wc_client_invite_to_group(wc_client* client, uint64_t tag, uint64_t group_id,
                                               const uint64_t* user_ids, size_t user_count);
WECHAT_API wc_status wc_client_leave_group(wc_client* client, uint64_t tag, uint64_t group_id);
WECHAT_API wc_status wc_client_remove_group_member(wc_client* client, uint64_t tag,
                                                   uint64_t group_id, uint64_t user_id);
WECHAT_API wc_status wc_client_rename_group(wc_client* client, uint64_t tag, uint64_t group_id,
                                            const char* name, size_t name_len);
/** `role`: WC_GROUP_ROLE_ADMIN or WC_GROUP_ROLE_MEMBER (owner only). */
WECHAT_API wc_status wc_client_set_group_role(wc_client* client, uint64_t tag, uint64_t group_id,
                                              uint64_t user_id, int role);
WECHAT_API wc_status wc_client_transfer_group_ownership(wc_client* client, uint64_t tag,
                                                        uint64_t group_id, uint64_t new_owner_id);
WECHAT_API wc_status wc_client_dissolve_group(wc_client* client, uint64_t tag, uint64_t group_id);
/** Fetches the group with its members (and caches it). */
WECHAT_API wc_status wc_client_get_group(wc_client* client, uint64_t tag, uint64_t group_id);
/** Fetches the groups this account is in (and caches them). */
WECHAT_API wc_status wc_client_refresh_groups(wc_client* client, uint64_t tag);
/** As wc_client_send_text, to a group: queued (works offline), sent exactly once. The result
 *  is WC_ERROR_NOT_GROUP_MEMBER or WC_ERROR_GROUP_DISSOLVED at once when this device knows the
 *  account cannot send there; a queued message the server refuses so becomes FAILED. */
WECHAT_API wc_status wc_client_send_group_text(wc_client* client, uint64_t tag, uint64_t group_id,
                                               const char* text, size_t text_len);

/* Local reads: answered at once from the local database, never the network. The list in *out
 * is owned by the caller. Errors: WC_ERROR_UNAUTHENTICATED before login or resume,
 * WC_ERROR_STORAGE. before_seq 0: from the newest. */
WECHAT_API wc_status wc_client_conversations(wc_client* client, wc_conversation_list** out);
WECHAT_API wc_status wc_client_messages(wc_client* client, uint64_t conversation_id,
                                        uint64_t before_seq, uint32_t limit,
                                        wc_message_list** out);
WECHAT_API wc_status wc_client_messages_with(wc_client* client, uint64_t peer_id,
                                             uint64_t before_seq, uint32_t limit,
                                             wc_message_list** out);
WECHAT_API wc_status wc_client_friends(wc_client* client, wc_friend_list** out);
WECHAT_API wc_status wc_client_friend_requests(wc_client* client, wc_friend_request_list** out);
/** Full-text search of the local message cache. */
WECHAT_API wc_status wc_client_search_messages(wc_client* client, const char* text,
                                               size_t text_len, uint32_t limit,
                                               wc_message_list** out);
/** Every group this device knows of (also those left or dissolved), without members. */
WECHAT_API wc_status wc_client_groups(wc_client* client, wc_group_list** out);
/** The cached group in *out, owned by the caller (wc_group_destroy), with its members when
 *  this device knows the whole list. WC_ERROR_NOT_FOUND if this device does not know it. */
WECHAT_API wc_status wc_client_group(wc_client* client, uint64_t group_id, wc_group** out);

/* --- In-process test server (wechat::testing::LocalServer) ----------------------------------
 * A real server on 127.0.0.1 (port chosen by the system) in a temporary data directory that
 * is removed by wc_local_server_destroy(). Verification mail goes to files; read codes with
 * wc_local_server_latest_code(). For tests of applications and bindings. Not thread-safe:
 * call from one thread at a time. */

typedef struct wc_local_server wc_local_server;

enum {
  WC_LOCAL_SERVER_TLS = 1,             /* self-signed certificate, pinned by client options */
  WC_LOCAL_SERVER_ALLOW_STRANGERS = 2  /* messages between users who are not friends */
};

/** Starts a server. `flags`: WC_LOCAL_SERVER_* or 0. */
WECHAT_API wc_status wc_local_server_start(unsigned flags, wc_local_server** out);
/** Stops the server and deletes its data. */
WECHAT_API void wc_local_server_destroy(wc_local_server* server);
WECHAT_API uint16_t wc_local_server_port(const wc_local_server* server);
/** Options for a client of this server keeping its data in `data_dir` (owned by the caller:
 *  wc_client_options_destroy). */
WECHAT_API wc_status wc_local_server_client_options(const wc_local_server* server,
                                                    const char* data_dir, size_t data_dir_len,
                                                    wc_client_options** out);
/** The newest 6-digit code mailed to `email`, NUL-terminated into `code` (7 bytes);
 *  WC_ERROR_NOT_FOUND if none was sent. */
WECHAT_API wc_status wc_local_server_latest_code(const wc_local_server* server, const char* email,
                                                 size_t email_len, char code[7]);
/** Stops the server, keeping its data: clients see the connection drop. */
WECHAT_API void wc_local_server_stop(wc_local_server* server);
/** Starts it again on the same data and, if still free, the same port. */
WECHAT_API wc_status wc_local_server_restart(wc_local_server* server);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WECHAT_C_H_ */
