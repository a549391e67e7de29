// SPDX-License-Identifier: MIT
#include "server/local_push_router.h"

#include <algorithm>

namespace wechat::server {

bool LocalPushRouter::attach(std::uint64_t user_id, std::uint64_t device_id,
                             std::shared_ptr<PushTarget> target) {
  std::lock_guard lock(mutex_);
  auto& devices = users_[user_id];
  const bool was_offline = devices.empty();
  devices.emplace_back(device_id, std::move(target));
  ++devices_;
  return was_offline;
}

bool LocalPushRouter::detach(std::uint64_t user_id, std::uint64_t device_id,
                             const PushTarget* target) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return false;
  auto& devices = it->second;
  const auto before = devices.size();
  std::erase_if(devices, [&](const auto& d) { return d.first == device_id && d.second.get() == target; });
  devices_ -= before - devices.size();
  if (before == devices.size()) return false;
  if (devices.empty()) {
    users_.erase(it);
    return true;
  }
  return false;
}

LocalPushRouter::Devices LocalPushRouter::targets_of(std::uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  return it == users_.end() ? Devices{} : it->second;
}

void LocalPushRouter::push(std::uint64_t user_id,
                           const std::shared_ptr<const std::string>& frame) {
  for (auto& [device, target] : targets_of(user_id)) target->deliver(frame);
}

void LocalPushRouter::end_sessions(std::uint64_t user_id, const Status& reason,
                                   std::uint64_t device_id) {
  for (auto& [device, target] : targets_of(user_id)) {
    if (device_id == 0 || device == device_id) target->end(reason);
  }
}

bool LocalPushRouter::online(std::uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  return users_.count(user_id) != 0;
}

std::size_t LocalPushRouter::device_count() const {
  std::lock_guard lock(mutex_);
  return devices_;
}

}  // namespace wechat::server
