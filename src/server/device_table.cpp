// SPDX-License-Identifier: MIT
#include "server/device_table.h"

#include <algorithm>

namespace wechat::server {

bool DeviceTable::attach(std::uint64_t user_id, std::uint64_t device_id,
                         std::shared_ptr<PushTarget> target) {
  std::lock_guard lock(mutex_);
  auto& devices = users_[user_id];
  const bool was_offline = devices.empty();
  devices.emplace_back(device_id, std::move(target));
  ++devices_;
  ++attached_;
  return was_offline;
}

DeviceTable::Detached DeviceTable::detach(std::uint64_t user_id, std::uint64_t device_id,
                                          const PushTarget* target) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return {};
  auto& devices = it->second;
  const auto before = devices.size();
  std::erase_if(devices,
                [&](const auto& d) { return d.first == device_id && d.second.get() == target; });
  devices_ -= before - devices.size();
  if (before == devices.size()) return {};
  Detached out;
  out.device_gone = std::none_of(devices.begin(), devices.end(),
                                 [&](const auto& d) { return d.first == device_id; });
  if (devices.empty()) {
    users_.erase(it);
    out.user_gone = true;
  }
  return out;
}

DeviceTable::Devices DeviceTable::targets_of(std::uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  return it == users_.end() ? Devices{} : it->second;
}

void DeviceTable::push(std::uint64_t user_id,
                       const std::shared_ptr<const std::string>& frame) const {
  for (auto& [device, target] : targets_of(user_id)) target->deliver(frame);
}

void DeviceTable::push_to_all(const std::shared_ptr<const std::string>& frame) const {
  std::vector<std::shared_ptr<PushTarget>> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(devices_);
    for (const auto& [user, devices] : users_) {
      for (const auto& [device, target] : devices) all.push_back(target);
    }
  }
  for (auto& target : all) target->deliver(frame);
}

void DeviceTable::end_sessions(std::uint64_t user_id, const Status& reason,
                               std::uint64_t device_id) const {
  for (auto& [device, target] : targets_of(user_id)) {
    if (device_id == 0 || device == device_id) target->end(reason);
  }
}

bool DeviceTable::online(std::uint64_t user_id) const {
  std::lock_guard lock(mutex_);
  return users_.count(user_id) != 0;
}

DeviceLoad DeviceTable::load() const {
  std::lock_guard lock(mutex_);
  return {devices_, attached_};
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> DeviceTable::devices() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  out.reserve(devices_);
  for (const auto& [user, devices] : users_) {
    for (const auto& [device, target] : devices) out.emplace_back(user, device);
  }
  return out;
}

}  // namespace wechat::server
