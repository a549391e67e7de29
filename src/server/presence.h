// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_PRESENCE_H_
#define WECHAT_SERVER_PRESENCE_H_

#include <cstdint>

#include "server/server_context.h"

namespace wechat::server {

/// Tells the user's friends that the user came online or went offline (recording last seen
/// when offline). The PushRouter's presence listener: it knows when a user's first device
/// anywhere connects and when the last one leaves.
void announce_presence(ServerContext& context, std::uint64_t user_id, bool online);

}  // namespace wechat::server

#endif  // WECHAT_SERVER_PRESENCE_H_
