// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_SETUP_H_
#define WECHAT_TESTS_CHAOS_SETUP_H_

// Before any fault: register the users, make every two of them friends, and log every device
// in once, so that each worker only has to resume a saved session.

#include <cstdint>
#include <string>
#include <vector>

#include "wechat/status.h"
#include "wechat/types.h"
#include "work_dir.h"

namespace wechat::chaos {

/// Registers `users` accounts through the mailed-code flow (codes read from the server's
/// development mail folder), befriends every pair, and logs in `devices` devices per user, each
/// in its own data directory (WorkDir::device_dir). Talks to the server directly, not through
/// the fault proxy. With `groups` > 0 it also creates that many groups, group k owned by user
/// k % users with a random subset (from `seed`) of at least 3 users (all, if fewer), waits
/// until every member device knows its groups, and fills `*group_table`. Returns the user ids,
/// by user index.
Result<std::vector<UserId>> set_up_accounts(const WorkDir& work, const std::string& mail_dir,
                                            std::uint16_t port, int users, int devices,
                                            int groups = 0, std::uint64_t seed = 1,
                                            GroupTable* group_table = nullptr);

/// The groups of `table` that `user` is a member of.
std::vector<ConversationId> groups_of(const GroupTable& table, UserId user);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_SETUP_H_
