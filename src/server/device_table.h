// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_DEVICE_TABLE_H_
#define WECHAT_SERVER_DEVICE_TABLE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/push_router.h"

namespace wechat::server {

/// The devices connected to this process, by user: the local half of every PushRouter.
///
/// @par Thread Safety
/// Every method is safe from any thread; deliveries happen outside the lock.
class DeviceTable {
 public:
  /// Returns true if this made the user go from no device here to one.
  [[nodiscard]] bool attach(std::uint64_t user_id, std::uint64_t device_id,
                            std::shared_ptr<PushTarget> target);
  struct Detached {
    bool device_gone = false;  ///< It was registered, and no session of that device is left.
    bool user_gone = false;    ///< It was registered, and the user has no device here now.
  };
  /// Removes that registration (only if it is still `target`).
  Detached detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target);
  void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) const;
  /// Sends `frame` to every device here (cluster notices such as SyncNeeded).
  void push_to_all(const std::shared_ptr<const std::string>& frame) const;
  void end_sessions(std::uint64_t user_id, const Status& reason, std::uint64_t device_id) const;
  bool online(std::uint64_t user_id) const;
  /// The devices here now and the attachments so far, read together.
  DeviceLoad load() const;
  /// Every (user, device) here right now.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> devices() const;

 private:
  using Devices = std::vector<std::pair<std::uint64_t, std::shared_ptr<PushTarget>>>;
  /// Copies the user's targets so that deliveries happen outside the lock.
  Devices targets_of(std::uint64_t user_id) const;

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Devices> users_;
  std::size_t devices_ = 0;
  std::uint64_t attached_ = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_DEVICE_TABLE_H_
