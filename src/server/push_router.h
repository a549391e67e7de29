// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_PUSH_ROUTER_H_
#define WECHAT_SERVER_PUSH_ROUTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wechat/status.h"

namespace wechat::server {

/// Something that can receive pushes: one authenticated device's connection.
class PushTarget {
 public:
  virtual ~PushTarget() = default;
  /// Queues an already-framed event. Thread-safe; never blocks.
  virtual void deliver(std::shared_ptr<const std::string> frame) = 0;
  /// Ends the session with `reason` (sent to the device as SessionEnded first).
  virtual void end(Status reason) = 0;
};

/// Where the online devices of each user are: the seam between the delivery logic and the
/// topology. In-process here (LocalPushRouter); a Redis-routed implementation serves a cluster.
///
/// @par Thread Safety
/// Every method is safe from any thread.
class PushRouter {
 public:
  virtual ~PushRouter() = default;

  /// Registers a device's target; returns true if this made the user go from offline to online.
  virtual bool attach(std::uint64_t user_id, std::uint64_t device_id,
                      std::shared_ptr<PushTarget> target) = 0;
  /// Removes that registration (only if it is still `target`); returns true if the user is now
  /// offline on every device.
  virtual bool detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target) = 0;
  /// Sends `frame` to every online device of the user, in call order per target.
  virtual void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) = 0;
  /// Ends the user's session on `device_id`, or on every device when device_id is 0.
  virtual void end_sessions(std::uint64_t user_id, const Status& reason,
                            std::uint64_t device_id = 0) = 0;
  virtual bool online(std::uint64_t user_id) const = 0;
  /// Live authenticated devices (for metrics and tests).
  virtual std::size_t device_count() const = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_PUSH_ROUTER_H_
