// SPDX-License-Identifier: MIT
// Uses the installed C++ API: an in-process server (wechat/testing.h), two clients, one message.
#include <wechat/client.h>
#include <wechat/testing.h>
#include <wechat/version.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace {

using namespace std::chrono_literals;

template <typename T>
T must(wechat::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void must(const wechat::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
    std::exit(1);
  }
}

wechat::User sign_up(wechat::testing::LocalServer& server, wechat::Client& client,
                     const std::string& name) {
  const std::string email = name + "@example.com";
  const std::string password = "password-" + name;
  auto code_sent = std::make_shared<std::promise<wechat::Status>>();
  auto sent = code_sent->get_future();
  client.request_code(email, wechat::CodePurpose::kRegister,
                      [code_sent](wechat::Status s) { code_sent->set_value(std::move(s)); });
  must(sent.get(), "request_code");
  auto registered = std::make_shared<std::promise<wechat::Result<wechat::User>>>();
  auto done = registered->get_future();
  client.register_account(name, email, password, server.latest_code(email),
                          [registered](wechat::Result<wechat::User> u) {
                            registered->set_value(std::move(u));
                          });
  must(done.get(), "register_account");
  return must(client.login(name, password).get(), "login");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::filesystem::path base = argv[1];
  // Compiled-against and linked-at-run-time versions agree.
  if (std::strcmp(wechat::version(), WECHAT_VERSION_STRING) != 0) return 3;

  wechat::testing::LocalServer::Options options;
  options.allow_strangers = true;
  auto server = must(wechat::testing::LocalServer::start(options), "server");
  auto alice = must(wechat::Client::create(server->client_options((base / "alice").string())),
                    "alice");
  auto bob = must(wechat::Client::create(server->client_options((base / "bob").string())), "bob");
  sign_up(*server, *alice, "alice");
  const wechat::User bob_user = sign_up(*server, *bob, "bob");

  must(alice->send_text(bob_user.id, "hello from an installed libwechat").get(), "send_text");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = bob->poll_event(100ms);
    if (!event) continue;
    if (auto* m = std::get_if<wechat::MessageReceived>(&*event)) {
      std::printf("consumer (CMake, C++17, libwechat %s): bob got \"%s\"\n", wechat::version(),
                  m->message.text.c_str());
      return 0;
    }
  }
  std::fprintf(stderr, "the message never arrived\n");
  return 1;
}
