// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_PUSH_ROUTER_H_
#define WECHAT_SERVER_PUSH_ROUTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wechat/status.h"

namespace wechat::server {

/// A process's devices at one moment, as the cluster registry reports them.
struct DeviceLoad {
  std::uint64_t devices = 0;   ///< Live authenticated devices.
  std::uint64_t attached = 0;  ///< Devices attached since the process started; never goes down.
};

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
/// topology. LocalPushRouter serves one process; cluster::RedisPushRouter a cluster.
///
/// @par Thread Safety
/// Every method is safe from any thread.
class PushRouter {
 public:
  /// Told when a user goes from no device online anywhere to one (true), or back (false).
  /// May run on any thread, never inside a router lock.
  using PresenceListener = std::function<void(std::uint64_t user_id, bool online)>;

  virtual ~PushRouter() = default;

  /// Set once, before the first attach.
  virtual void set_presence_listener(PresenceListener listener) = 0;
  /// Registers a device's target for pushes.
  virtual void attach(std::uint64_t user_id, std::uint64_t device_id,
                      std::shared_ptr<PushTarget> target) = 0;
  /// Removes that registration (only if it is still `target`).
  virtual void detach(std::uint64_t user_id, std::uint64_t device_id, const PushTarget* target) = 0;
  /// Sends `frame` to every online device of the user, in call order per target. Best effort
  /// across a cluster: whatever a device misses is in the log its next sync reads.
  virtual void push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) = 0;
  /// Ends the user's session on `device_id`, or on every device when device_id is 0.
  virtual void end_sessions(std::uint64_t user_id, const Status& reason,
                            std::uint64_t device_id = 0) = 0;
  /// Calls `done` once, on any thread, with whether each of `users` is online anywhere.
  virtual void query_online(std::vector<std::uint64_t> users,
                            std::function<void(std::vector<bool>)> done) = 0;
  /// This process's devices now (cluster load reports).
  virtual DeviceLoad device_load() const = 0;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_PUSH_ROUTER_H_
