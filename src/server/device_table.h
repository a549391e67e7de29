// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_
#define WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/push_router.h"

namespace wechat::server {

/// The single-process PushRouter: a map from user to that user's live devices.
class LocalPushRouter final : public PushRouter {
 public:
  bool attach(std::uint64_t user_id, std::uint64_t device_id,
              std::shared_ptr<PushTarget> target) override;
  bool detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target) override;
  void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) override;
  void end_sessions(std::uint64_t user_id, const Status& reason,
                    std::uint64_t device_id) override;
  bool online(std::uint64_t user_id) const override;
  std::size_t device_count() const override;

 private:
  using Devices = std::vector<std::pair<std::uint64_t, std::shared_ptr<PushTarget>>>;
  /// Copies the user's targets so that deliveries happen outside the lock.
  Devices targets_of(std::uint64_t user_id) const;

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Devices> users_;
  std::size_t devices_ = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_
