// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_
#define WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_

#include "server/device_table.h"
#include "server/push_router.h"

namespace wechat::server {

/// The single-process PushRouter: every device is in this process's DeviceTable.
class LocalPushRouter final : public PushRouter {
 public:
  void set_presence_listener(PresenceListener listener) override;
  void attach(std::uint64_t user_id, std::uint64_t device_id,
              std::shared_ptr<PushTarget> target) override;
  void detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target) override;
  void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) override;
  void end_sessions(std::uint64_t user_id, const Status& reason, std::uint64_t device_id) override;
  void query_online(std::vector<std::uint64_t> users,
                    std::function<void(std::vector<bool>)> done) override;
  DeviceLoad device_load() const override;

 private:
  DeviceTable devices_;
  PresenceListener presence_;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_LOCAL_PUSH_ROUTER_H_
