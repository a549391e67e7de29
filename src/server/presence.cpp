// SPDX-License-Identifier: MIT
#include "server/presence.h"

#include "transport/frame_codec.h"

namespace wechat::server {

void announce_presence(ServerContext& context, std::uint64_t user_id, bool online) {
  const UnixMillis now = context.clock.now_ms();
  StoreExecutor::Job job;
  job.work = [user_id, online, now](ServerStore& store, Effects& effects) {
    if (!online && !store.set_last_seen(user_id, now).ok()) return false;
    auto friends = store.friend_ids(user_id);
    if (!friends.ok()) return false;
    v1::Frame frame;
    auto* presence = frame.mutable_event()->mutable_presence();
    presence->set_user_id(user_id);
    presence->set_online(online);
    presence->set_last_seen_ms(online ? 0 : now);
    auto encoded = std::make_shared<const std::string>(transport::encode_frame(frame));
    for (auto friend_id : *friends) effects.push_encoded(friend_id, encoded);
    return true;
  };
  job.done = [](const Status&) {};
  context.store.submit(std::move(job));
}

}  // namespace wechat::server
