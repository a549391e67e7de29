// SPDX-License-Identifier: MIT
#include "users.h"

#include <fstream>
#include <sstream>

namespace wechat::bench {

std::string to_hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

Result<std::vector<BenchUser>> load_users(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(Error::kIo, "cannot read " + path);
  std::vector<BenchUser> users;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    BenchUser u;
    std::string token;
    fields >> u.user_id >> u.username >> u.password >> token >> u.friend_index;
    if (!fields) return Status(Error::kInvalidArgument, "bad line in " + path + ": " + line);
    u.token = from_hex(token);
    users.push_back(std::move(u));
  }
  for (const auto& u : users) {
    if (u.friend_index >= users.size()) return Status(Error::kInvalidArgument, "bad friend index");
  }
  return users;
}

Status save_users(const std::string& path, const std::vector<BenchUser>& users) {
  std::ofstream out(path);
  if (!out) return Status(Error::kIo, "cannot write " + path);
  out << "# user_id username password token_hex friend_index\n";
  for (const auto& u : users) {
    out << u.user_id << '\t' << u.username << '\t' << u.password << '\t' << to_hex(u.token) << '\t'
        << u.friend_index << '\n';
  }
  return out ? Status() : Status(Error::kIo, "cannot write " + path);
}

}  // namespace wechat::bench
