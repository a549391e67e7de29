// SPDX-License-Identifier: MIT
// redis:// URLs and endpoints. No hiredis here.
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "server/cluster/redis_client.h"

namespace wechat::server::cluster {
namespace {

Status bad_url(std::string_view why) {
  return Status(Error::kInvalidArgument, fmt::format("bad redis URL: {}", why));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return bad_url("truncated %-escape");
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return bad_url("bad %-escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Digits only (no sign, no spaces), within [min, max].
bool parse_number(std::string_view text, long min, long max, long& out) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  if (v < min || v > max) return false;
  out = v;
  return true;
}

}  // namespace

std::string RedisEndpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}{}{}:{}/{}", v6 ? "[" : "", host, v6 ? "]" : "", port, db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, 9) == "rediss://") {
    return bad_url("rediss:// (TLS) is not supported; use redis:// over a trusted network");
  }
  if (url.size() < kScheme.size() || url.substr(0, kScheme.size()) != kScheme) {
    return bad_url(fmt::format("'{}' does not start with redis://", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url("query strings and fragments are not supported");
  }

  RedisEndpoint ep;
  // The path is the database number: "/3". Userinfo may contain '/', so split at the last '@'
  // first and look for the path only after it.
  std::string_view authority = rest;
  std::string_view userinfo;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    authority = rest.substr(at + 1);
  }
  std::string_view path;
  if (auto slash = authority.find('/'); slash != std::string_view::npos) {
    path = authority.substr(slash + 1);
    authority = authority.substr(0, slash);
  }

  if (!userinfo.empty()) {
    std::string_view user;
    std::string_view password = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    }
    WECHAT_ASSIGN_OR_RETURN(ep.username, percent_decode(user));
    WECHAT_ASSIGN_OR_RETURN(ep.password, percent_decode(password));
    if (!ep.username.empty() && ep.password.empty()) {
      return bad_url("a user name needs a password (redis://user:password@host)");
    }
  }

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url("junk after the [IPv6] host");
      port = after.substr(1);
      if (port.empty()) return bad_url("empty port");
    }
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return bad_url("empty port");
  }
  if (host.empty()) return bad_url("missing host");
  if (host.find_first_of(" @[]") != std::string_view::npos) return bad_url("bad host");
  ep.host = std::string(host);

  if (!port.empty()) {
    long p = 0;
    if (!parse_number(port, 1, 65535, p)) {
      return bad_url(fmt::format("port '{}' is not a number in 1-65535", port));
    }
    ep.port = static_cast<std::uint16_t>(p);
  }
  if (!path.empty()) {
    long db = 0;
    if (!parse_number(path, 0, std::numeric_limits<int>::max(), db)) {
      return bad_url(fmt::format("database '{}' is not a non-negative number", path));
    }
    ep.db = static_cast<int>(db);
  }
  return ep;
}

}  // namespace wechat::server::cluster
