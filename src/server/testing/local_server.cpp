// SPDX-License-Identifier: MIT
#include "wechat/testing.h"

#include <stdlib.h>

#include <filesystem>
#include <regex>

#include "server/mail/mailer.h"

namespace wechat::testing {

struct LocalServer::State {
  Options options;
  std::string dir;
  std::uint16_t port = 0;
  std::unique_ptr<Server> server;
  std::string fingerprint;

  ServerOptions server_options() const {
    ServerOptions o;
    o.listen_host = "127.0.0.1";
    o.listen_port = port;  // 0 the first time; the same port on restart
    o.data_dir = dir;
    o.plaintext = !options.tls;
    o.scrypt_log2_n = options.scrypt_log2_n;
    o.allow_strangers = options.allow_strangers;
    // Every test user comes from 127.0.0.1: per-address limits would trip in any real suite.
    o.rate_limits.codes_per_address_per_hour = 1'000'000;
    o.rate_limits.login_failures_per_address = 1'000'000;
    // Tests push thousands of requests through one connection as fast as they can.
    o.rate_limits.requests_per_connection_per_second = 1e9;
    o.rate_limits.request_burst_per_connection = 1e9;
    o.rate_limits.requests_per_user_per_second = 1e9;
    o.rate_limits.request_burst_per_user = 1e9;
    if (options.tweak) options.tweak(o);
    return o;
  }

  Status start() {
    WECHAT_ASSIGN_OR_RETURN(server, Server::start(server_options()));
    port = server->port();
    fingerprint = server->tls_fingerprint();
    return {};
  }
};

Result<std::unique_ptr<LocalServer>> LocalServer::start(Options options) {
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  std::string pattern =
      (std::filesystem::temp_directory_path() / "wechat-local-server-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status(Error::kIo, "cannot create a temporary directory");
  }
  state->dir = pattern;
  if (auto started = state->start(); !started.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(state->dir, ec);
    return started;
  }
  return std::unique_ptr<LocalServer>(new LocalServer(std::move(state)));
}

LocalServer::LocalServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

LocalServer::~LocalServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(state_->dir, ec);
}

std::uint16_t LocalServer::port() const { return state_->port; }
const std::string& LocalServer::data_dir() const { return state_->dir; }

ClientOptions LocalServer::client_options(const std::string& data_dir) const {
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = state_->port;
  o.plaintext = !state_->options.tls;
  o.pinned_sha256 = state_->fingerprint;
  o.data_dir = data_dir;
  o.reconnect_initial = std::chrono::milliseconds(50);
  o.reconnect_max = std::chrono::milliseconds(500);
  return o;
}

std::string LocalServer::latest_code(const std::string& email) const {
  auto mail = server::latest_mail_to((std::filesystem::path(state_->dir) / "mail").string(), email);
  if (!mail.ok()) return {};
  static const std::regex kCode(R"(\b(\d{6})\b)");
  std::smatch match;
  return std::regex_search(*mail, match, kCode) ? match[1].str() : std::string();
}

void LocalServer::stop() {
  if (state_->server) state_->server->stop();
  state_->server.reset();
}

Status LocalServer::restart() {
  stop();
  return state_->start();
}

}  // namespace wechat::testing
