// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_USERS_H_
#define WECHAT_BENCH_USERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "wechat/status.h"

namespace wechat::bench {

/// A benchmark account, created once by `wechat-bench setup` and reused by every workload.
/// Users 2k and 2k+1 are friends.
struct BenchUser {
  std::uint64_t user_id = 0;
  std::string username;
  std::string password;
  std::string token;  ///< 32 raw bytes: the session of device "bench" (Resume)
  std::size_t friend_index = 0;
};

/// users.tsv: one line per user: user_id, username, password, token (hex), friend index.
[[nodiscard]] Result<std::vector<BenchUser>> load_users(const std::string& path);
[[nodiscard]] Status save_users(const std::string& path, const std::vector<BenchUser>& users);

std::string to_hex(const std::string& bytes);
std::string from_hex(const std::string& hex);

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_USERS_H_
