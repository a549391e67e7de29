/* SPDX-License-Identifier: MIT */
/* Two users chat through libwechat's C ABI, against an in-process test server.
 * Build: cc -std=c99 chat.c $(pkg-config --cflags --libs wechat) -o chat
 * Run:   ./chat [folder for the clients' data, default /tmp] */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wechat/c.h>

/* Prints the last error and exits if `status` is not WC_OK. */
static void check(wc_status status, const char* what) {
  if (status != WC_OK) {
    fprintf(stderr, "%s: %s (%s)\n", what, wc_error_name(status), wc_last_error_message());
    exit(1);
  }
}

/* Polls until the result of call `tag` arrives; other events are skipped. The caller destroys
 * the returned event. */
static wc_event* wait_result(wc_client* client, uint64_t tag) {
  for (;;) {
    wc_event* event = NULL;
    check(wc_client_poll(client, 10000, &event), "waiting for a result");
    if (wc_event_type(event) == WC_EVENT_RESULT && wc_event_tag(event) == tag) {
      check(wc_event_status(event), wc_event_status_message(event, NULL));
      return event;
    }
    wc_event_destroy(event);
  }
}

/* Creates a client keeping its data in `dir`, registers `name` and logs in. */
static wc_client* sign_up(wc_local_server* server, const char* name, const char* dir,
                          uint64_t* id) {
  char email[64], password[64], code[7];
  snprintf(email, sizeof email, "%s@example.com", name);
  snprintf(password, sizeof password, "password-%s", name);

  wc_client_options* options = NULL;
  check(wc_local_server_client_options(server, dir, strlen(dir), &options), "options");
  wc_client* client = NULL;
  check(wc_client_create(options, &client), "wc_client_create");
  wc_client_options_destroy(options);

  check(wc_client_request_code(client, 1, email, strlen(email), WC_CODE_PURPOSE_REGISTER),
        "request_code");
  wc_event_destroy(wait_result(client, 1));
  check(wc_local_server_latest_code(server, email, strlen(email), code), "latest_code");
  check(wc_client_register_account(client, 2, name, strlen(name), email, strlen(email), password,
                                   strlen(password), code, 6),
        "register_account");
  wc_event_destroy(wait_result(client, 2));
  check(wc_client_login(client, 3, name, strlen(name), password, strlen(password)), "login");
  wc_event* login = wait_result(client, 3);
  *id = wc_user_id(wc_event_user(login, 0));
  wc_event_destroy(login);
  return client;
}

int main(int argc, char** argv) {
  /* Each client keeps its data in a folder of its own. */
  const char* base = argc > 1 ? argv[1] : "/tmp";
  char alice_dir[512], bob_dir[512];
  snprintf(alice_dir, sizeof alice_dir, "%s/wechat-alice-XXXXXX", base);
  snprintf(bob_dir, sizeof bob_dir, "%s/wechat-bob-XXXXXX", base);
  if (mkdtemp(alice_dir) == NULL || mkdtemp(bob_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }

  printf("libwechat %s\n", wc_version());
  wc_local_server* server = NULL;
  check(wc_local_server_start(WC_LOCAL_SERVER_ALLOW_STRANGERS, &server), "server");

  uint64_t alice_id = 0, bob_id = 0;
  wc_client* alice = sign_up(server, "alice", alice_dir, &alice_id);
  wc_client* bob = sign_up(server, "bob", bob_dir, &bob_id);

  const char* text = "hello from C";
  check(wc_client_send_text(alice, 10, bob_id, text, strlen(text)), "send_text");
  wc_event_destroy(wait_result(alice, 10));

  /* Bob's client pushes the message as an event. */
  for (;;) {
    wc_event* event = NULL;
    check(wc_client_poll(bob, 10000, &event), "waiting for the message");
    if (wc_event_type(event) == WC_EVENT_MESSAGE_RECEIVED) {
      const wc_message* message = wc_event_message(event, 0);
      size_t len = 0;
      const char* received = wc_message_text(message, &len);
      size_t name_len = 0;
      const char* sender = wc_message_sender_username(message, &name_len);
      printf("bob got \"%.*s\" from %.*s\n", (int)len, received, (int)name_len, sender);
      wc_event_destroy(event);
      break;
    }
    wc_event_destroy(event);
  }

  wc_client_destroy(alice);
  wc_client_destroy(bob);
  wc_local_server_destroy(server);
  return 0;
}
