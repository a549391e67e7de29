// SPDX-License-Identifier: MIT
#include "server/local_push_router.h"

namespace wechat::server {

void LocalPushRouter::set_presence_listener(PresenceListener listener) {
  presence_ = std::move(listener);
}

void LocalPushRouter::attach(std::uint64_t user_id, std::uint64_t device_id,
                             std::shared_ptr<PushTarget> target) {
  if (devices_.attach(user_id, device_id, std::move(target)) && presence_) presence_(user_id, true);
}

void LocalPushRouter::detach(std::uint64_t user_id, std::uint64_t device_id,
                             const PushTarget* target) {
  if (devices_.detach(user_id, device_id, target).user_gone && presence_) presence_(user_id, false);
}

void LocalPushRouter::push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) {
  devices_.push(user_id, frame);
}

void LocalPushRouter::end_sessions(std::uint64_t user_id, const Status& reason,
                                   std::uint64_t device_id) {
  devices_.end_sessions(user_id, reason, device_id);
}

void LocalPushRouter::query_online(std::vector<std::uint64_t> users,
                                   std::function<void(std::vector<bool>)> done) {
  std::vector<bool> online;
  online.reserve(users.size());
  for (auto user : users) online.push_back(devices_.online(user));
  done(std::move(online));
}

DeviceLoad LocalPushRouter::device_load() const { return devices_.load(); }

}  // namespace wechat::server
