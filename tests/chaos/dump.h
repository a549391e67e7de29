// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_DUMP_H_
#define WECHAT_TESTS_CHAOS_DUMP_H_

// A device's local store as the public API shows it, written for the checker (format in
// record.h, read back by read_dump).

#include <string>
#include <vector>

#include "wechat/client.h"

namespace wechat::chaos {

/// Every conversation (conversations()), each paged through messages() to its first message,
/// the unsent messages to `peers` without a conversation (messages_with()) and to `groups` not
/// listed as conversations (messages()), and a header with
/// the connection state and the number of unsent messages. Written to a temporary file and
/// renamed over `path`, so a reader sees a whole dump. Returns false, writing nothing, if a
/// local read failed.
bool write_dump(const Client& client, const std::vector<UserId>& peers,
                const std::vector<ConversationId>& groups, const std::string& path);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_DUMP_H_
