/* SPDX-License-Identifier: MIT */
/* The C ABI end to end, written in C99: every client call and every event kind against an
 * in-process server (wc_local_server), through both the poll queue and the event callback,
 * groups included. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, pthreads */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wechat/c.h"

static int g_failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, \
              #cond, wc_last_error_message());                                        \
      ++g_failures;                                                                   \
    }                                                                                 \
  } while (0)

/* Fatal: the rest of the test depends on it. */
#define REQUIRE(cond)                                                                    \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s (last error: %s)\n", __FILE__, __LINE__, \
              #cond, wc_last_error_message());                                           \
      exit(1);                                                                           \
    }                                                                                    \
  } while (0)

#define S(literal) literal, (sizeof(literal) - 1)

static int str_eq(const char* s, size_t len, const char* expected) {
  return len == strlen(expected) && memcmp(s, expected, len) == 0;
}

/* --- A client with a stash: events not waited for yet are kept for later waits ------------ */

enum { kMaxStash = 512 };
static const int kWaitMs = 10000;

typedef struct {
  wc_client* client;
  char dir[512];
  wc_event* stash[kMaxStash];
  size_t stashed;
  uint64_t next_tag;
  uint64_t id;
} Peer;

typedef int (*Match)(const wc_event* event, const void* arg);

/* The first event (stashed or new, in arrival order) matching `match`; NULL after kWaitMs. */
static wc_event* wait_for(Peer* p, Match match, const void* arg) {
  size_t i;
  for (i = 0; i < p->stashed; ++i) {
    if (match(p->stash[i], arg)) {
      wc_event* found = p->stash[i];
      memmove(&p->stash[i], &p->stash[i + 1], (p->stashed - i - 1) * sizeof(wc_event*));
      --p->stashed;
      return found;
    }
  }
  for (;;) {
    wc_event* event = NULL;
    wc_status status = wc_client_poll(p->client, kWaitMs, &event);
    if (status == WC_ERROR_TIMEOUT) return NULL;
    REQUIRE(status == WC_OK && event != NULL);
    if (match(event, arg)) return event;
    REQUIRE(p->stashed < kMaxStash);
    p->stash[p->stashed++] = event;
  }
}

static int is_result(const wc_event* e, const void* tag) {
  return wc_event_type(e) == WC_EVENT_RESULT && wc_event_tag(e) == *(const uint64_t*)tag;
}
static int is_type(const wc_event* e, const void* type) {
  return wc_event_type(e) == *(const int*)type;
}
static int is_online(const wc_event* e, const void* unused) {
  (void)unused;
  return wc_event_type(e) == WC_EVENT_CONNECTION_STATE_CHANGED &&
         wc_event_connection_state(e) == WC_CONNECTION_ONLINE;
}

static wc_event* wait_type(Peer* p, int type) { return wait_for(p, is_type, &type); }

/* Waits for the result of call `tag`; its status is checked by the caller. */
static wc_event* result(Peer* p, uint64_t tag) {
  wc_event* e = wait_for(p, is_result, &tag);
  REQUIRE(e != NULL);
  return e;
}

/* Waits for a result and requires it to be WC_OK. */
static wc_event* ok_result(Peer* p, uint64_t tag) {
  wc_event* e = result(p, tag);
  if (wc_event_status(e) != WC_OK) {
    fprintf(stderr, "call %llu failed: %s: %s\n", (unsigned long long)tag,
            wc_error_name(wc_event_status(e)), wc_event_status_message(e, NULL));
    exit(1);
  }
  return e;
}

static void drop(Peer* p) {
  size_t i;
  for (i = 0; i < p->stashed; ++i) wc_event_destroy(p->stash[i]);
  p->stashed = 0;
}

static void open_client(Peer* p, wc_local_server* server) {
  wc_client_options* options = NULL;
  REQUIRE(wc_local_server_client_options(server, p->dir, strlen(p->dir), &options) == WC_OK);
  REQUIRE(wc_client_create(options, &p->client) == WC_OK);
  wc_client_options_destroy(options);
}

static void close_client(Peer* p) {
  drop(p);
  wc_client_destroy(p->client);
  p->client = NULL;
}

static void new_peer(Peer* p, const char* base) {
  memset(p, 0, sizeof *p);
  snprintf(p->dir, sizeof p->dir, "%s/peer-XXXXXX", base);
  REQUIRE(mkdtemp(p->dir) != NULL);
  p->next_tag = 100;
}

static void sign_up(Peer* p, wc_local_server* server, const char* name) {
  char email[64], password[64], code[7];
  uint64_t tag;
  wc_event* e;
  snprintf(email, sizeof email, "%s@example.com", name);
  snprintf(password, sizeof password, "password-%s", name);

  tag = ++p->next_tag;
  REQUIRE(wc_client_request_code(p->client, tag, email, strlen(email), WC_CODE_PURPOSE_REGISTER) ==
          WC_OK);
  e = ok_result(p, tag);
  CHECK(wc_event_result_kind(e) == WC_RESULT_NONE);
  CHECK(wc_event_count(e) == 0);
  wc_event_destroy(e);

  REQUIRE(wc_local_server_latest_code(server, email, strlen(email), code) == WC_OK);
  CHECK(strlen(code) == 6);

  tag = ++p->next_tag;
  REQUIRE(wc_client_register_account(p->client, tag, name, strlen(name), email, strlen(email),
                                     password, strlen(password), code, 6) == WC_OK);
  e = ok_result(p, tag);
  CHECK(wc_event_result_kind(e) == WC_RESULT_USER);
  wc_event_destroy(e);

  tag = ++p->next_tag;
  REQUIRE(wc_client_login(p->client, tag, name, strlen(name), password, strlen(password)) ==
          WC_OK);
  e = ok_result(p, tag);
  CHECK(wc_event_result_kind(e) == WC_RESULT_USER);
  CHECK(wc_event_count(e) == 1);
  {
    size_t len = 0;
    const char* username = wc_user_username(wc_event_user(e, 0), &len);
    CHECK(str_eq(username, len, name));
    CHECK(username[len] == '\0');
  }
  p->id = wc_user_id(wc_event_user(e, 0));
  CHECK(p->id != 0);
  wc_event_destroy(e);

  e = wait_for(p, is_online, NULL);
  REQUIRE(e != NULL);
  wc_event_destroy(e);
  CHECK(wc_client_connection_state(p->client) == WC_CONNECTION_ONLINE);
}

/* --- The callback variant ------------------------------------------------------------------ */

typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int results;
  wc_status last_status;
  uint64_t last_tag;
  int events;
} CallbackState;

static void on_event(void* user_data, wc_event* event) {
  CallbackState* s = (CallbackState*)user_data;
  pthread_mutex_lock(&s->mutex);
  if (wc_event_type(event) == WC_EVENT_RESULT) {
    ++s->results;
    s->last_status = wc_event_status(event);
    s->last_tag = wc_event_tag(event);
  } else {
    ++s->events;
  }
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->mutex);
  wc_event_destroy(event); /* the callback owns it */
}

static int wait_results(CallbackState* s, int count) {
  struct timespec deadline;
  int ok;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += kWaitMs / 1000;
  pthread_mutex_lock(&s->mutex);
  while (s->results < count) {
    if (pthread_cond_timedwait(&s->changed, &s->mutex, &deadline) != 0) break;
  }
  ok = s->results >= count;
  pthread_mutex_unlock(&s->mutex);
  return ok;
}

/* A client that destroys itself from its own callback, on the result of its second call. */
typedef struct {
  wc_client* client;
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int armed; /* the main thread made its last call: destroying cannot race with it */
  int results_after_destroy;
} SelfDestroy;

static void destroy_on_result(void* user_data, wc_event* event) {
  SelfDestroy* s = (SelfDestroy*)user_data;
  int is_result = wc_event_type(event) == WC_EVENT_RESULT;
  uint64_t tag = wc_event_tag(event);
  wc_event_destroy(event);
  if (!is_result) return;
  pthread_mutex_lock(&s->mutex);
  if (s->client == NULL) {
    ++s->results_after_destroy;
  } else if (tag == 2) {
    while (!s->armed) pthread_cond_wait(&s->changed, &s->mutex);
    wc_client_destroy(s->client); /* allowed here; nothing more reaches this callback */
    s->client = NULL;
    pthread_cond_broadcast(&s->changed);
  }
  pthread_mutex_unlock(&s->mutex);
}

static void test_destroy_from_callback(wc_local_server* server, const char* base) {
  SelfDestroy s;
  Peer p;
  struct timespec deadline;
  new_peer(&p, base);
  open_client(&p, server);
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.mutex, NULL);
  pthread_cond_init(&s.changed, NULL);
  s.client = p.client;
  wc_client_set_event_callback(p.client, destroy_on_result, &s);
  /* No saved session and no login: both fail at once, each with a result. The callback
   * destroys the client on the second, once this thread is done calling it. */
  REQUIRE(wc_client_resume(p.client, 1) == WC_OK);
  REQUIRE(wc_client_refresh_friends(p.client, 2) == WC_OK);
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += kWaitMs / 1000;
  pthread_mutex_lock(&s.mutex);
  s.armed = 1;
  pthread_cond_broadcast(&s.changed);
  while (s.client != NULL) {
    if (pthread_cond_timedwait(&s.changed, &s.mutex, &deadline) != 0) break;
  }
  CHECK(s.client == NULL);
  pthread_mutex_unlock(&s.mutex);
  {
    /* Give the event thread time to wind down, then check nothing more was delivered. */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  pthread_mutex_lock(&s.mutex);
  CHECK(s.results_after_destroy == 0);
  pthread_mutex_unlock(&s.mutex);
  pthread_cond_destroy(&s.changed);
  pthread_mutex_destroy(&s.mutex);
}

/* --- The test ------------------------------------------------------------------------------ */

static void test_basics(void) {
  wc_client_options* options;
  wc_client* client = NULL;
  wc_event* event = NULL;
  CHECK(strlen(wc_version()) > 0);
  CHECK(strcmp(wc_error_name(WC_ERROR_USERNAME_TAKEN), "username_taken") == 0);
  CHECK(strcmp(wc_error_name(WC_OK), "ok") == 0);
  CHECK(strcmp(wc_error_name(12345), "unknown") == 0);

  /* No data_dir: an immediate error with a message. */
  options = wc_client_options_create();
  REQUIRE(options != NULL);
  CHECK(wc_client_create(options, &client) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(client == NULL);
  CHECK(strlen(wc_last_error_message()) > 0);
  CHECK(wc_last_error_retry_after_ms() == 0); /* not rate limited */
  CHECK(wc_client_create(NULL, &client) == WC_ERROR_INVALID_ARGUMENT);
  /* More servers (a cluster's gates): one without a host or port is refused at create. */
  wc_client_options_set_data_dir(options, S("/tmp/wechat-c-abi-unused"));
  wc_client_options_add_server(options, S(""), 7600);
  CHECK(wc_client_create(options, &client) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(client == NULL);
  CHECK(strstr(wc_last_error_message(), "host and a port") != NULL);
  wc_client_options_add_server(NULL, S("gate"), 7600);
  wc_client_options_destroy(options);
  wc_client_options_destroy(NULL);

  /* NULL handles and strings are reported, never crash. */
  CHECK(wc_client_poll(NULL, 0, &event) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(wc_client_login(NULL, 1, S("a"), S("b")) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(wc_event_type(NULL) == 0);
  CHECK(wc_event_status_retry_after_ms(NULL) == 0);
  CHECK(wc_message_text(NULL, NULL)[0] == '\0');
  CHECK(wc_message_list_size(NULL) == 0);
  wc_event_destroy(NULL);
  wc_client_destroy(NULL);
  wc_local_server_destroy(NULL);

  /* Groups: error names, NULL values and bad arguments. */
  CHECK(strcmp(wc_error_name(WC_ERROR_NOT_GROUP_MEMBER), "not_group_member") == 0);
  CHECK(strcmp(wc_error_name(WC_ERROR_GROUP_FULL), "group_full") == 0);
  CHECK(strcmp(wc_error_name(WC_ERROR_GROUP_DISSOLVED), "group_dissolved") == 0);
  CHECK(wc_group_id(NULL) == 0);
  CHECK(wc_group_name(NULL, NULL)[0] == '\0');
  CHECK(wc_group_members_size(NULL) == 0 && wc_group_member_at(NULL, 0) == NULL);
  CHECK(wc_group_member_user(NULL) == NULL && wc_group_member_role(NULL) == 0);
  CHECK(wc_read_receipts_read_by_size(NULL) == 0 && wc_read_receipts_read_by_at(NULL, 0) == NULL);
  CHECK(wc_group_list_size(NULL) == 0 && wc_group_list_at(NULL, 0) == NULL);
  CHECK(wc_conversation_group(NULL) == NULL && wc_conversation_kind(NULL) == 0);
  CHECK(wc_message_kind(NULL) == 0);
  CHECK(wc_event_group(NULL, 0) == NULL && wc_event_read_receipts(NULL) == NULL);
  CHECK(wc_event_actor(NULL) == NULL && wc_event_subject_count(NULL) == 0);
  CHECK(wc_event_group_event_kind(NULL) == 0 && wc_event_group_role(NULL) == 0);
  CHECK(wc_client_create_group(NULL, 1, S("g"), NULL, 0) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(wc_client_send_group_text(NULL, 1, 5, S("x")) == WC_ERROR_INVALID_ARGUMENT);
  wc_group_destroy(NULL);
  wc_group_list_destroy(NULL);
}

static int is_group_changed(const wc_event* e, const void* kind) {
  return wc_event_type(e) == WC_EVENT_GROUP_CHANGED &&
         wc_event_group_event_kind(e) == *(const int*)kind;
}

static wc_event* wait_group_changed(Peer* p, int kind) {
  return wait_for(p, is_group_changed, &kind);
}

static int is_group_message(const wc_event* e, const void* unused) {
  (void)unused;
  return wc_event_type(e) == WC_EVENT_MESSAGE_RECEIVED &&
         wc_message_kind(wc_event_message(e, 0)) == WC_CONVERSATION_GROUP;
}

/* Groups, between friends alice and bob: create, send, receive, receipts, members, leave. */
static void test_groups(Peer* alice, Peer* bob) {
  wc_event* e;
  uint64_t group_id, seq;
  size_t len;
  const char* text;

  /* Bad arguments fail at once, with no event. */
  CHECK(wc_client_create_group(alice->client, 79, S("x"), NULL, 2) == WC_ERROR_INVALID_ARGUMENT);
  CHECK(wc_client_set_group_role(alice->client, 79, 1, bob->id, WC_GROUP_ROLE_OWNER) ==
        WC_ERROR_INVALID_ARGUMENT);

  REQUIRE(wc_client_create_group(alice->client, 80, S("hiking"), &bob->id, 1) == WC_OK);
  e = ok_result(alice, 80);
  CHECK(wc_event_result_kind(e) == WC_RESULT_GROUP);
  CHECK(wc_event_count(e) == 1);
  {
    const wc_group* g = wc_event_group(e, 0);
    group_id = wc_group_id(g);
    CHECK(group_id != 0);
    text = wc_group_name(g, &len);
    CHECK(str_eq(text, len, "hiking"));
    CHECK(wc_group_owner_id(g) == alice->id);
    CHECK(wc_group_member_count(g) == 2);
    CHECK(wc_group_my_role(g) == WC_GROUP_ROLE_OWNER);
    CHECK(wc_group_membership(g) == WC_GROUP_MEMBER);
    CHECK(wc_group_dissolved(g) == 0);
    CHECK(wc_group_created_ms(g) > 0);
    REQUIRE(wc_group_members_size(g) == 2);
    CHECK(wc_group_member_at(g, 2) == NULL);
  }
  wc_event_destroy(e);

  e = wait_group_changed(bob, WC_GROUP_EVENT_CREATED);
  REQUIRE(e != NULL);
  CHECK(wc_event_conversation_id(e) == group_id);
  CHECK(wc_event_user_id(e) == alice->id);
  CHECK(wc_user_id(wc_event_actor(e)) == alice->id);
  CHECK(wc_event_subject_count(e) == 1);
  CHECK(wc_user_id(wc_event_subject(e, 0)) == bob->id);
  CHECK(wc_event_subject(e, 1) == NULL);
  CHECK(wc_event_count(e) == 1);
  CHECK(wc_group_my_role(wc_event_group(e, 0)) == WC_GROUP_ROLE_MEMBER);
  wc_event_destroy(e);

  /* A group message: kind group, no peer, delivered to bob. */
  REQUIRE(wc_client_send_group_text(alice->client, 81, group_id, S("saturday?")) == WC_OK);
  e = ok_result(alice, 81);
  CHECK(wc_event_result_kind(e) == WC_RESULT_MESSAGE);
  CHECK(wc_message_kind(wc_event_message(e, 0)) == WC_CONVERSATION_GROUP);
  CHECK(wc_message_conversation_id(wc_event_message(e, 0)) == group_id);
  wc_event_destroy(e);
  e = wait_type(alice, WC_EVENT_MESSAGE_STATE_CHANGED);
  REQUIRE(e != NULL);
  CHECK(wc_message_kind(wc_event_message(e, 0)) == WC_CONVERSATION_GROUP);
  CHECK(wc_message_state(wc_event_message(e, 0)) == WC_MESSAGE_SENT);
  wc_event_destroy(e);
  e = wait_for(bob, is_group_message, NULL);
  REQUIRE(e != NULL);
  {
    const wc_message* m = wc_event_message(e, 0);
    text = wc_message_text(m, &len);
    CHECK(str_eq(text, len, "saturday?"));
    CHECK(wc_message_conversation_id(m) == group_id);
    CHECK(wc_message_peer_id(m) == 0);
    CHECK(wc_message_sender_id(m) == alice->id);
    seq = wc_message_seq(m);
  }
  wc_event_destroy(e);

  /* Bob's list shows the group, unread. He reads it; alice asks who read it. */
  {
    wc_conversation_list* list = NULL;
    size_t i;
    int found = 0;
    REQUIRE(wc_client_conversations(bob->client, &list) == WC_OK);
    for (i = 0; i < wc_conversation_list_size(list); ++i) {
      const wc_conversation* c = wc_conversation_list_at(list, i);
      if (wc_conversation_kind(c) != WC_CONVERSATION_GROUP) {
        CHECK(wc_conversation_group(c) == NULL);
        continue;
      }
      found = 1;
      CHECK(wc_conversation_id(c) == group_id);
      CHECK(wc_group_id(wc_conversation_group(c)) == group_id);
      CHECK(wc_user_id(wc_conversation_peer(c)) == 0);
      CHECK(wc_conversation_unread(c) == 1);
    }
    CHECK(found);
    wc_conversation_list_destroy(list);
  }
  /* In a group, members' markers are not pushed to the others: receipts are asked for. */
  REQUIRE(wc_client_mark_read(bob->client, 82, group_id, 0) == WC_OK);
  wc_event_destroy(ok_result(bob, 82));
  REQUIRE(wc_client_get_read_receipts(alice->client, 83, group_id, seq) == WC_OK);
  e = ok_result(alice, 83);
  CHECK(wc_event_result_kind(e) == WC_RESULT_READ_RECEIPTS);
  {
    const wc_read_receipts* r = wc_event_read_receipts(e);
    REQUIRE(r != NULL);
    CHECK(wc_read_receipts_conversation_id(r) == group_id);
    CHECK(wc_read_receipts_seq(r) == seq);
    CHECK(wc_read_receipts_member_count(r) == 1);
    REQUIRE(wc_read_receipts_read_by_size(r) == 1);
    CHECK(wc_user_id(wc_read_receipts_read_by_at(r, 0)) == bob->id);
    CHECK(wc_read_receipts_read_by_at(r, 1) == NULL);
    CHECK(wc_read_receipts_delivered_to_size(r) == 0);
  }
  wc_event_destroy(e);

  /* Members, from the server and from the cache; the list of groups. */
  REQUIRE(wc_client_get_group(bob->client, 84, group_id) == WC_OK);
  e = ok_result(bob, 84);
  CHECK(wc_event_result_kind(e) == WC_RESULT_GROUP);
  {
    const wc_group* g = wc_event_group(e, 0);
    size_t i;
    int owners = 0;
    REQUIRE(wc_group_members_size(g) == 2);
    for (i = 0; i < 2; ++i) {
      const wc_group_member* m = wc_group_member_at(g, i);
      if (wc_group_member_role(m) == WC_GROUP_ROLE_OWNER) {
        ++owners;
        CHECK(wc_user_id(wc_group_member_user(m)) == alice->id);
      }
      CHECK(wc_group_member_joined_ms(m) > 0);
      (void)wc_group_member_read_seq(m);
      (void)wc_group_member_delivered_seq(m);
    }
    CHECK(owners == 1);
  }
  wc_event_destroy(e);
  {
    wc_group* cached = NULL;
    wc_group_list* groups = NULL;
    REQUIRE(wc_client_group(bob->client, group_id, &cached) == WC_OK);
    CHECK(wc_group_members_size(cached) == 2);
    wc_group_destroy(cached);
    CHECK(wc_client_group(bob->client, 999999, &cached) == WC_ERROR_NOT_FOUND);
    CHECK(cached == NULL);
    REQUIRE(wc_client_refresh_groups(bob->client, 85) == WC_OK);
    e = ok_result(bob, 85);
    CHECK(wc_event_result_kind(e) == WC_RESULT_GROUPS);
    CHECK(wc_event_count(e) == 1);
    CHECK(wc_group_id(wc_event_group(e, 0)) == group_id);
    wc_event_destroy(e);
    REQUIRE(wc_client_groups(bob->client, &groups) == WC_OK);
    REQUIRE(wc_group_list_size(groups) == 1);
    CHECK(wc_group_id(wc_group_list_at(groups, 0)) == group_id);
    wc_group_list_destroy(groups);
  }

  /* Rename; then bob leaves and can no longer send there. */
  REQUIRE(wc_client_rename_group(alice->client, 86, group_id, S("hiking club")) == WC_OK);
  wc_event_destroy(ok_result(alice, 86));
  e = wait_group_changed(bob, WC_GROUP_EVENT_RENAMED);
  REQUIRE(e != NULL);
  text = wc_group_name(wc_event_group(e, 0), &len);
  CHECK(str_eq(text, len, "hiking club"));
  wc_event_destroy(e);
  REQUIRE(wc_client_leave_group(bob->client, 87, group_id) == WC_OK);
  e = ok_result(bob, 87);
  CHECK(wc_event_result_kind(e) == WC_RESULT_NONE);
  wc_event_destroy(e);
  e = wait_group_changed(bob, WC_GROUP_EVENT_MEMBER_LEFT);
  REQUIRE(e != NULL);
  CHECK(wc_group_membership(wc_event_group(e, 0)) == WC_GROUP_LEFT);
  CHECK(wc_group_my_role(wc_event_group(e, 0)) == WC_GROUP_ROLE_NONE);
  wc_event_destroy(e);
  REQUIRE(wc_client_send_group_text(bob->client, 88, group_id, S("wait")) == WC_OK);
  e = result(bob, 88);
  CHECK(wc_event_status(e) == WC_ERROR_NOT_GROUP_MEMBER);
  wc_event_destroy(e);
  /* Not a member any more: the owner's other calls on it answer as results too. */
  REQUIRE(wc_client_remove_group_member(alice->client, 89, group_id, bob->id) == WC_OK);
  e = result(alice, 89);
  CHECK(wc_event_status(e) != WC_OK);
  wc_event_destroy(e);
  REQUIRE(wc_client_dissolve_group(alice->client, 90, group_id) == WC_OK);
  wc_event_destroy(ok_result(alice, 90));
  e = wait_group_changed(alice, WC_GROUP_EVENT_DISSOLVED);
  REQUIRE(e != NULL);
  CHECK(wc_group_dissolved(wc_event_group(e, 0)) == 1);
  wc_event_destroy(e);
  /* Invite, role and transfer on a dissolved group: refused, as results. */
  REQUIRE(wc_client_invite_to_group(alice->client, 91, group_id, &bob->id, 1) == WC_OK);
  e = result(alice, 91);
  CHECK(wc_event_status(e) == WC_ERROR_GROUP_DISSOLVED);
  wc_event_destroy(e);
  REQUIRE(wc_client_set_group_role(alice->client, 92, group_id, bob->id, WC_GROUP_ROLE_ADMIN) ==
          WC_OK);
  wc_event_destroy(result(alice, 92));
  REQUIRE(wc_client_transfer_group_ownership(alice->client, 93, group_id, bob->id) == WC_OK);
  wc_event_destroy(result(alice, 93));
}

int main(int argc, char** argv) {
  const char* base = argc > 1 ? argv[1] : "/tmp";
  wc_local_server* server = NULL;
  Peer alice, bob, carol;
  wc_event* e;
  uint64_t tag, request_id, conversation_id, message_seq;
  size_t len;

  test_basics();

  REQUIRE(wc_local_server_start(0, &server) == WC_OK);
  CHECK(wc_local_server_port(server) != 0);

  new_peer(&alice, base);
  new_peer(&bob, base);
  new_peer(&carol, base);
  open_client(&alice, server);
  open_client(&bob, server);

  /* Before login: local reads and current_user say so; polling times out. */
  {
    wc_conversation_list* conversations = NULL;
    wc_user* me = NULL;
    CHECK(wc_client_conversations(alice.client, &conversations) == WC_ERROR_UNAUTHENTICATED);
    CHECK(conversations == NULL);
    CHECK(wc_client_current_user(alice.client, &me) == WC_ERROR_UNAUTHENTICATED);
    CHECK(wc_client_poll(alice.client, 0, &e) == WC_ERROR_TIMEOUT && e == NULL);
    CHECK(wc_client_connection_state(alice.client) == WC_CONNECTION_DISCONNECTED);
    CHECK(wc_client_send_text(alice.client, 1, 2, NULL, 5) == WC_ERROR_INVALID_ARGUMENT);
    CHECK(wc_client_request_code(alice.client, 1, S("a@example.com"), 99) ==
          WC_ERROR_INVALID_ARGUMENT);
  }

  sign_up(&alice, server, "alice");
  sign_up(&bob, server, "bob");
  {
    wc_user* me = NULL;
    REQUIRE(wc_client_current_user(alice.client, &me) == WC_OK);
    CHECK(wc_user_id(me) == alice.id);
    wc_user_destroy(me);
  }

  /* Errors arrive as results: a wrong password, a duplicate username. */
  tag = ++alice.next_tag;
  open_client(&carol, server);
  REQUIRE(wc_client_login(carol.client, tag, S("alice"), S("not-the-password")) == WC_OK);
  e = result(&carol, tag);
  CHECK(wc_event_status(e) == WC_ERROR_WRONG_CREDENTIALS);
  CHECK(wc_event_result_kind(e) == WC_RESULT_USER);
  CHECK(wc_event_count(e) == 0 && wc_event_user(e, 0) == NULL);
  wc_event_status_message(e, &len);
  CHECK(len > 0);
  CHECK(wc_event_status_retry_after_ms(e) == 0); /* refused, but not for a rate */
  wc_event_destroy(e);
  REQUIRE(wc_client_register_account(carol.client, 7, S("alice"), S("other@example.com"),
                                     S("password-x"), S("000000")) == WC_OK);
  e = result(&carol, 7);
  CHECK(wc_event_status(e) != WC_OK);
  wc_event_destroy(e);
  /* A rate-limited result says how long to wait: one code per email per 30 s. */
  REQUIRE(wc_client_request_code(carol.client, 8, S("dave@example.com"),
                                 WC_CODE_PURPOSE_REGISTER) == WC_OK);
  wc_event_destroy(ok_result(&carol, 8));
  REQUIRE(wc_client_request_code(carol.client, 9, S("dave@example.com"),
                                 WC_CODE_PURPOSE_REGISTER) == WC_OK);
  e = result(&carol, 9);
  CHECK(wc_event_status(e) == WC_ERROR_RATE_LIMITED);
  CHECK(wc_event_status_retry_after_ms(e) > 0);
  CHECK(wc_event_status_retry_after_ms(e) <= 30000);
  wc_event_destroy(e);

  /* Friends: search, request, answer. */
  REQUIRE(wc_client_search_users(alice.client, 20, S("bob")) == WC_OK);
  e = ok_result(&alice, 20);
  CHECK(wc_event_result_kind(e) == WC_RESULT_USERS);
  REQUIRE(wc_event_count(e) >= 1);
  CHECK(wc_user_id(wc_event_user(e, 0)) == bob.id);
  wc_event_destroy(e);

  REQUIRE(wc_client_send_friend_request(alice.client, 21, bob.id, S("hi bob")) == WC_OK);
  e = ok_result(&alice, 21);
  CHECK(wc_event_result_kind(e) == WC_RESULT_FRIEND_REQUEST);
  {
    const wc_friend_request* r = wc_event_friend_request(e, 0);
    const char* note = wc_friend_request_note(r, &len);
    CHECK(str_eq(note, len, "hi bob"));
    CHECK(wc_user_id(wc_friend_request_from(r)) == alice.id);
    CHECK(wc_user_id(wc_friend_request_to(r)) == bob.id);
    CHECK(wc_friend_request_state(r) == WC_FRIEND_REQUEST_PENDING);
    CHECK(wc_friend_request_created_ms(r) > 0);
    request_id = wc_friend_request_id(r);
  }
  wc_event_destroy(e);

  e = wait_type(&bob, WC_EVENT_FRIEND_REQUEST_UPDATED);
  REQUIRE(e != NULL);
  CHECK(wc_event_incoming(e) == 1);
  CHECK(wc_friend_request_id(wc_event_friend_request(e, 0)) == request_id);
  wc_event_destroy(e);

  REQUIRE(wc_client_refresh_friend_requests(bob.client, 22) == WC_OK);
  e = ok_result(&bob, 22);
  CHECK(wc_event_result_kind(e) == WC_RESULT_FRIEND_REQUESTS);
  CHECK(wc_event_count(e) == 1);
  wc_event_destroy(e);
  {
    wc_friend_request_list* requests = NULL;
    REQUIRE(wc_client_friend_requests(bob.client, &requests) == WC_OK);
    CHECK(wc_friend_request_list_size(requests) == 1);
    CHECK(wc_friend_request_id(wc_friend_request_list_at(requests, 0)) == request_id);
    CHECK(wc_friend_request_list_at(requests, 1) == NULL);
    wc_friend_request_list_destroy(requests);
  }

  REQUIRE(wc_client_answer_friend_request(bob.client, 23, request_id, 1) == WC_OK);
  e = ok_result(&bob, 23);
  CHECK(wc_event_result_kind(e) == WC_RESULT_NONE);
  wc_event_destroy(e);

  e = wait_type(&alice, WC_EVENT_FRIEND_ADDED);
  REQUIRE(e != NULL);
  {
    const wc_friend* f = wc_event_friend(e, 0);
    CHECK(wc_user_id(wc_friend_user(f)) == bob.id);
    CHECK(wc_friend_since_ms(f) > 0);
    CHECK(wc_presence_user_id(wc_friend_presence(f)) == bob.id);
    conversation_id = wc_friend_conversation_id(f);
  }
  wc_event_destroy(e);

  REQUIRE(wc_client_refresh_friends(alice.client, 24) == WC_OK);
  e = ok_result(&alice, 24);
  CHECK(wc_event_result_kind(e) == WC_RESULT_FRIENDS);
  REQUIRE(wc_event_count(e) == 1);
  CHECK(wc_presence_online(wc_friend_presence(wc_event_friend(e, 0))) == 1);
  wc_event_destroy(e);
  {
    wc_friend_list* friends = NULL;
    REQUIRE(wc_client_friends(alice.client, &friends) == WC_OK);
    REQUIRE(wc_friend_list_size(friends) == 1);
    CHECK(wc_user_id(wc_friend_user(wc_friend_list_at(friends, 0))) == bob.id);
    wc_friend_list_destroy(friends);
  }

  /* Messages: queued -> sent for alice, received by bob, in UTF-8. */
  {
    const char text[] = "hello bob, \xe4\xbd\xa0\xe5\xa5\xbd"; /* "你好" */
    REQUIRE(wc_client_send_text(alice.client, 30, bob.id, text, strlen(text)) == WC_OK);
    e = ok_result(&alice, 30);
    CHECK(wc_event_result_kind(e) == WC_RESULT_MESSAGE);
    {
      const wc_message* m = wc_event_message(e, 0);
      CHECK(wc_message_state(m) == WC_MESSAGE_QUEUED);
      CHECK(wc_message_outgoing(m) == 1);
      wc_message_client_msg_id(m, &len);
      CHECK(len == 32);
    }
    wc_event_destroy(e);

    e = wait_type(&alice, WC_EVENT_MESSAGE_STATE_CHANGED);
    REQUIRE(e != NULL);
    CHECK(wc_message_state(wc_event_message(e, 0)) == WC_MESSAGE_SENT);
    wc_event_destroy(e);

    e = wait_type(&bob, WC_EVENT_MESSAGE_RECEIVED);
    REQUIRE(e != NULL);
    {
      const wc_message* m = wc_event_message(e, 0);
      const char* got = wc_message_text(m, &len);
      CHECK(str_eq(got, len, text));
      CHECK(wc_message_sender_id(m) == alice.id);
      CHECK(wc_message_state(m) == WC_MESSAGE_RECEIVED);
      CHECK(wc_message_outgoing(m) == 0);
      CHECK(wc_message_id(m) != 0);
      CHECK(wc_message_time_ms(m) > 0);
      CHECK(wc_message_failure(m) == WC_OK);
      got = wc_message_sender_username(m, &len);
      CHECK(str_eq(got, len, "alice"));
      CHECK(wc_message_peer_id(m) == alice.id);
      conversation_id = wc_message_conversation_id(m);
      message_seq = wc_message_seq(m);
      CHECK(message_seq > 0);
    }
    wc_event_destroy(e);
  }

  /* Typing, read markers and receipts. */
  REQUIRE(wc_client_set_typing(bob.client, conversation_id, 1) == WC_OK);
  e = wait_type(&alice, WC_EVENT_TYPING_CHANGED);
  REQUIRE(e != NULL);
  CHECK(wc_event_conversation_id(e) == conversation_id);
  CHECK(wc_event_user_id(e) == bob.id);
  CHECK(wc_event_typing(e) == 1);
  wc_event_destroy(e);

  REQUIRE(wc_client_mark_read(bob.client, 31, conversation_id, 0) == WC_OK);
  e = ok_result(&bob, 31);
  wc_event_destroy(e);
  e = wait_type(&bob, WC_EVENT_CONVERSATION_READ);
  REQUIRE(e != NULL);
  CHECK(wc_event_conversation_id(e) == conversation_id);
  CHECK(wc_event_seq(e) == message_seq);
  CHECK(wc_event_unread(e) == 0);
  wc_event_destroy(e);
  for (;;) { /* delivered first, then read */
    e = wait_type(&alice, WC_EVENT_RECEIPT_UPDATED);
    REQUIRE(e != NULL);
    CHECK(wc_event_conversation_id(e) == conversation_id);
    CHECK(wc_event_user_id(e) == bob.id);
    CHECK(wc_event_seq(e) == message_seq);
    if (wc_event_message_state(e) == WC_MESSAGE_READ) break;
    CHECK(wc_event_message_state(e) == WC_MESSAGE_DELIVERED);
    wc_event_destroy(e);
  }
  wc_event_destroy(e);

  /* Local reads and history. */
  {
    wc_conversation_list* conversations = NULL;
    wc_message_list* messages = NULL;
    const wc_conversation* c;
    REQUIRE(wc_client_conversations(alice.client, &conversations) == WC_OK);
    REQUIRE(wc_conversation_list_size(conversations) == 1);
    c = wc_conversation_list_at(conversations, 0);
    CHECK(wc_conversation_id(c) == conversation_id);
    CHECK(wc_user_id(wc_conversation_peer(c)) == bob.id);
    CHECK(wc_conversation_last_seq(c) == message_seq);
    CHECK(wc_conversation_unread(c) == 0);
    CHECK(wc_conversation_read_seq(c) <= message_seq);
    CHECK(wc_conversation_peer_read_seq(c) == message_seq);
    CHECK(wc_message_seq(wc_conversation_last_message(c)) == message_seq);
    wc_conversation_list_destroy(conversations);

    REQUIRE(wc_client_messages(bob.client, conversation_id, 0, 50, &messages) == WC_OK);
    CHECK(wc_message_list_size(messages) == 1);
    wc_message_list_destroy(messages);
    REQUIRE(wc_client_messages_with(bob.client, alice.id, 0, 50, &messages) == WC_OK);
    CHECK(wc_message_list_size(messages) == 1);
    wc_message_list_destroy(messages);
    REQUIRE(wc_client_search_messages(bob.client, S("hello"), 10, &messages) == WC_OK);
    CHECK(wc_message_list_size(messages) == 1);
    wc_message_list_destroy(messages);
    REQUIRE(wc_client_search_messages(bob.client, S("\xe4\xbd\xa0\xe5\xa5\xbd"), 10, &messages) ==
            WC_OK);
    CHECK(wc_message_list_size(messages) == 1);
    wc_message_list_destroy(messages);

    REQUIRE(wc_client_load_history(bob.client, 32, conversation_id, 0, 10) == WC_OK);
    e = ok_result(&bob, 32);
    CHECK(wc_event_result_kind(e) == WC_RESULT_MESSAGES);
    CHECK(wc_event_count(e) == 1);
    CHECK(wc_message_seq(wc_event_message(e, 0)) == message_seq);
    wc_event_destroy(e);
  }

  test_groups(&alice, &bob);

  /* Offline delivery: bob's app is closed while alice writes; he gets it on resume. Alice sees
   * bob's presence change. */
  close_client(&bob);
  e = wait_type(&alice, WC_EVENT_PRESENCE_CHANGED);
  REQUIRE(e != NULL);
  CHECK(wc_event_user_id(e) == bob.id);
  CHECK(wc_presence_online(wc_event_presence(e)) == 0);
  wc_event_destroy(e);
  REQUIRE(wc_client_send_text(alice.client, 40, bob.id, S("while you were away")) == WC_OK);
  wc_event_destroy(ok_result(&alice, 40));
  e = wait_type(&alice, WC_EVENT_MESSAGE_STATE_CHANGED);
  REQUIRE(e != NULL);
  CHECK(wc_message_state(wc_event_message(e, 0)) == WC_MESSAGE_SENT);
  wc_event_destroy(e);

  open_client(&bob, server);
  REQUIRE(wc_client_resume(bob.client, 41) == WC_OK);
  e = ok_result(&bob, 41);
  CHECK(wc_user_id(wc_event_user(e, 0)) == bob.id);
  wc_event_destroy(e);
  e = wait_type(&bob, WC_EVENT_MESSAGE_RECEIVED);
  REQUIRE(e != NULL);
  {
    const char* got = wc_message_text(wc_event_message(e, 0), &len);
    CHECK(str_eq(got, len, "while you were away"));
  }
  wc_event_destroy(e);
  e = wait_type(&bob, WC_EVENT_SYNC_PROGRESS);
  REQUIRE(e != NULL);
  CHECK(wc_event_sync_applied(e) <= wc_event_sync_head(e));
  wc_event_destroy(e);
  e = wait_for(&bob, is_online, NULL);
  REQUIRE(e != NULL);
  wc_event_destroy(e);

  /* The callback variant: results and events go to on_event on the event thread. */
  {
    CallbackState state;
    memset(&state, 0, sizeof state);
    pthread_mutex_init(&state.mutex, NULL);
    pthread_cond_init(&state.changed, NULL);
    wc_client_set_event_callback(bob.client, on_event, &state);
    REQUIRE(wc_client_send_text(bob.client, 50, alice.id, S("via callback")) == WC_OK);
    REQUIRE(wait_results(&state, 1));
    CHECK(state.last_tag == 50 && state.last_status == WC_OK);
    e = wait_type(&alice, WC_EVENT_MESSAGE_RECEIVED);
    REQUIRE(e != NULL);
    wc_event_destroy(e);

    /* Destroying the client cancels what is pending; with a callback, the result still comes. */
    wc_local_server_stop(server);
    REQUIRE(wc_client_refresh_friends(bob.client, 51) == WC_OK);
    close_client(&bob);
    pthread_mutex_lock(&state.mutex);
    CHECK(state.results == 2);
    CHECK(state.last_tag == 51 && state.last_status != WC_OK);
    pthread_mutex_unlock(&state.mutex);
    pthread_cond_destroy(&state.changed);
    pthread_mutex_destroy(&state.mutex);
    REQUIRE(wc_local_server_restart(server) == WC_OK);
  }

  /* Removing a friend, then a password reset ends alice's session on her other device. */
  e = wait_for(&alice, is_online, NULL); /* reconnected after the restart */
  REQUIRE(e != NULL);
  wc_event_destroy(e);
  open_client(&bob, server);
  REQUIRE(wc_client_resume(bob.client, 60) == WC_OK);
  wc_event_destroy(ok_result(&bob, 60));
  REQUIRE(wc_client_remove_friend(alice.client, 61, bob.id) == WC_OK);
  wc_event_destroy(ok_result(&alice, 61));
  e = wait_type(&bob, WC_EVENT_FRIEND_REMOVED);
  REQUIRE(e != NULL);
  CHECK(wc_event_user_id(e) == alice.id);
  wc_event_destroy(e);

  {
    char code[7];
    REQUIRE(wc_client_request_code(carol.client, 70, S("alice@example.com"),
                                   WC_CODE_PURPOSE_RESET) == WC_OK);
    wc_event_destroy(ok_result(&carol, 70));
    REQUIRE(wc_local_server_latest_code(server, S("alice@example.com"), code) == WC_OK);
    REQUIRE(wc_client_reset_password(carol.client, 71, S("alice@example.com"), code, 6,
                                     S("a-new-password")) == WC_OK);
    wc_event_destroy(ok_result(&carol, 71));
    CHECK(wc_local_server_latest_code(server, S("nobody@example.com"), code) ==
          WC_ERROR_NOT_FOUND);
  }
  e = wait_type(&alice, WC_EVENT_SESSION_ENDED);
  REQUIRE(e != NULL);
  CHECK(wc_event_status(e) != WC_OK);
  wc_event_destroy(e);
  REQUIRE(wc_client_login(carol.client, 72, S("alice"), S("a-new-password")) == WC_OK);
  wc_event_destroy(ok_result(&carol, 72));

  /* Logout. */
  REQUIRE(wc_client_logout(carol.client, 73) == WC_OK);
  e = ok_result(&carol, 73);
  CHECK(wc_event_result_kind(e) == WC_RESULT_NONE);
  wc_event_destroy(e);

  close_client(&alice);
  close_client(&bob);
  close_client(&carol);
  test_destroy_from_callback(server, base);
  wc_local_server_destroy(server);

  if (g_failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  printf("c_abi: all checks passed\n");
  return 0;
}
