// SPDX-License-Identifier: MIT
#include "cluster.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <regex>
#include <sstream>

#include "server/store/pg/pg_connection.h"

namespace wechat::chaos {

namespace {

struct RedisParts {
  std::string host;
  std::string port;
  std::string db = "0";
};

bool parse(const std::string& url, RedisParts& out) {
  static const std::regex kUrl(R"(redis://([A-Za-z0-9.\-]+):([0-9]{1,5})(?:/([0-9]{1,3}))?/?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) return false;
  out.host = m[1].str();
  out.port = m[2].str();
  if (m[3].matched) out.db = m[3].str();
  return true;
}

std::string run(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
    ::pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

Result<PgSchema> PgSchema::create(const std::string& server_url) {
  PgSchema s;
  s.server_url_ = server_url;
  s.name_ = "chaos_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
  server::pg::PgConnection admin(server_url);
  WECHAT_TRY(admin.ensure_connected());
  WECHAT_TRY(admin.exec("CREATE SCHEMA " + s.name_));
  s.store_url_ = server_url + (server_url.find('?') == std::string::npos ? "?" : "&") +
                 "options=-csearch_path%3D" + s.name_;
  return s;
}

Status PgSchema::drop() {
  if (name_.empty()) return {};
  server::pg::PgConnection admin(server_url_);
  WECHAT_TRY(admin.ensure_connected());
  return admin.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
}

bool plain_redis_url(const std::string& redis_url) {
  RedisParts parts;
  return parse(redis_url, parts);
}

std::string redis_cli(const std::string& redis_url, const std::string& args) {
  RedisParts p;
  if (!parse(redis_url, p)) return {};
  return run("redis-cli -h " + p.host + " -p " + p.port + " -n " + p.db + " " + args +
             " 2>/dev/null");
}

std::size_t live_chat_nodes(const std::string& redis_url) {
  std::size_t live = 0;
  std::istringstream ids(redis_cli(redis_url, "SMEMBERS wechat:nodes"));
  std::string id;
  while (ids >> id) {
    std::istringstream value(redis_cli(redis_url, "GET wechat:node:" + id));
    std::string role;
    if (value >> role && role == "chat") ++live;
  }
  return live;
}

}  // namespace wechat::chaos
