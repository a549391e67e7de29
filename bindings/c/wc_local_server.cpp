// SPDX-License-Identifier: MIT
// wc_local_server: wechat::testing::LocalServer for C programs and bindings' tests.
#include <cstring>

#include "bindings/c/wc_internal.h"
#include "wechat/testing.h"

using wechat::cabi::fail;
using wechat::cabi::guard;
using wechat::cabi::in_string;

struct wc_local_server {
  std::unique_ptr<wechat::testing::LocalServer> server;
};

extern "C" {

wc_status wc_local_server_start(unsigned flags, wc_local_server** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    wechat::testing::LocalServer::Options options;
    options.tls = (flags & WC_LOCAL_SERVER_TLS) != 0;
    options.allow_strangers = (flags & WC_LOCAL_SERVER_ALLOW_STRANGERS) != 0;
    auto started = wechat::testing::LocalServer::start(std::move(options));
    if (!started.ok()) return fail(started.status());
    *out = new wc_local_server{std::move(started).value()};
    return WC_OK;
  });
}

void wc_local_server_destroy(wc_local_server* server) {
  try {
    delete server;
  } catch (...) {
  }
}

uint16_t wc_local_server_port(const wc_local_server* server) {
  return server != nullptr ? server->server->port() : 0;
}

wc_status wc_local_server_client_options(const wc_local_server* server, const char* data_dir,
                                         size_t data_dir_len, wc_client_options** out) {
  return guard([&]() -> wc_status {
    if (out == nullptr) return fail(wechat::Error::kInvalidArgument, "out is NULL");
    *out = nullptr;
    if (server == nullptr) return fail(wechat::Error::kInvalidArgument, "the server is NULL");
    std::string dir;
    if (!in_string(data_dir, data_dir_len, dir) || dir.empty()) {
      return fail(wechat::Error::kInvalidArgument, "data_dir is empty");
    }
    *out = new wc_client_options{server->server->client_options(dir)};
    return WC_OK;
  });
}

wc_status wc_local_server_latest_code(const wc_local_server* server, const char* email,
                                      size_t email_len, char code[7]) {
  return guard([&]() -> wc_status {
    if (server == nullptr || code == nullptr) {
      return fail(wechat::Error::kInvalidArgument, "the server or code buffer is NULL");
    }
    code[0] = '\0';
    std::string e;
    if (!in_string(email, email_len, e)) {
      return fail(wechat::Error::kInvalidArgument, "email is NULL with a non-zero length");
    }
    const std::string latest = server->server->latest_code(e);
    if (latest.size() != 6) return fail(wechat::Error::kNotFound, "no code was mailed there");
    std::memcpy(code, latest.c_str(), 7);
    return WC_OK;
  });
}

void wc_local_server_stop(wc_local_server* server) {
  if (server == nullptr) return;
  try {
    server->server->stop();
  } catch (...) {
  }
}

wc_status wc_local_server_restart(wc_local_server* server) {
  return guard([&]() -> wc_status {
    if (server == nullptr) return fail(wechat::Error::kInvalidArgument, "the server is NULL");
    if (auto restarted = server->server->restart(); !restarted.ok()) return fail(restarted);
    return WC_OK;
  });
}

}  // extern "C"
