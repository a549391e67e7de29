// SPDX-License-Identifier: MIT
// The smallest useful embedding of libwechat: log in, send one message, print what arrives.
//   embed <host:port> <data-dir> <login> <password> <friend-user-id> <text> [--plaintext]
// The message is stored in the local outbox first, so it is sent even if the network is slow.
#include <wechat/client.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s HOST:PORT DATA_DIR LOGIN PASSWORD FRIEND_ID TEXT [--plaintext]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  wechat::ClientOptions options;
  options.host = endpoint.substr(0, endpoint.rfind(':'));
  options.port = static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
  options.data_dir = argv[2];
  options.plaintext = argc > 7 && std::string(argv[7]) == "--plaintext";

  auto client = wechat::Client::create(options);
  if (!client.ok()) return std::fprintf(stderr, "%s\n", client.status().to_string().c_str()), 1;
  auto me = (*client)->login(argv[3], argv[4]).get();  // blocks until the server answers
  if (!me.ok()) return std::fprintf(stderr, "login: %s\n", me.status().to_string().c_str()), 1;

  auto sent = (*client)->send_text(std::strtoull(argv[5], nullptr, 10), argv[6]).get();
  if (!sent.ok()) return std::fprintf(stderr, "send: %s\n", sent.status().to_string().c_str()), 1;
  // Wait until the server has stored it (state "sent"), printing events meanwhile.
  while (auto event = (*client)->poll_event(std::chrono::seconds(10))) {
    if (auto* changed = std::get_if<wechat::MessageStateChanged>(&*event)) {
      std::printf("message %s is %s\n", changed->message.client_msg_id.c_str(),
                  wechat::message_state_name(changed->message.state));
      if (changed->message.client_msg_id == sent->client_msg_id) return 0;
    }
  }
  return std::fprintf(stderr, "no acknowledgement within 10 s\n"), 1;
}
