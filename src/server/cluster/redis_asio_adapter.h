// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_CLUSTER_REDIS_ASIO_ADAPTER_H_
#define WECHAT_SERVER_CLUSTER_REDIS_ASIO_ADAPTER_H_

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "wechat/status.h"

struct redisAsyncContext;

namespace wechat::server::cluster {

/// hiredis's event-loop hooks (`ac->ev`) over Asio, in the manner of hiredis's own libuv and
/// libevent adapters: readiness waits on the context's socket, on `executor` (a strand), that
/// call redisAsyncHandleRead/Write.
///
/// hiredis owns the socket: the adapter only watches it, and lets go of it in the `cleanup`
/// hook, which hiredis calls while freeing the context (whether we asked for that or hiredis
/// freed it on a read/write error). From then on the adapter never touches the context again.
///
/// @par Lifetime
/// hiredis holds the adapter (through `ac->ev.data`) until cleanup; pending waits hold it too.
/// Each wait also locks `owner` first and does nothing if it has expired: the owner (the client)
/// frees the context in its destructor, possibly on another thread.
///
/// @par Thread Safety
/// Everything runs on `executor`, which must be a strand (or single-threaded).
class RedisAsioAdapter : public std::enable_shared_from_this<RedisAsioAdapter> {
 public:
  /// Installs the hooks on `ac`, which must have none yet. `on_cleanup(error)` runs inside
  /// hiredis's free, with hiredis's error text ("" for a free we asked for): it must not call
  /// into hiredis for this context.
  [[nodiscard]] static Status attach(::redisAsyncContext* ac, asio::any_io_executor executor,
                                     std::weak_ptr<void> owner,
                                     std::function<void(std::string error)> on_cleanup);

  RedisAsioAdapter(::redisAsyncContext* ac, asio::any_io_executor executor,
                   std::weak_ptr<void> owner, std::function<void(std::string)> on_cleanup);

 private:
  static void add_read(void* privdata);
  static void del_read(void* privdata);
  static void add_write(void* privdata);
  static void del_write(void* privdata);
  static void cleanup(void* privdata);

  void arm_read();
  void arm_write();

  ::redisAsyncContext* ac_;  // null once hiredis has started freeing it
  asio::posix::stream_descriptor socket_;
  std::weak_ptr<void> owner_;
  std::function<void(std::string)> on_cleanup_;
  std::shared_ptr<RedisAsioAdapter> self_;  // hiredis's reference, dropped in cleanup
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_pending_ = false;
  bool write_pending_ = false;
};

}  // namespace wechat::server::cluster

#endif  // WECHAT_SERVER_CLUSTER_REDIS_ASIO_ADAPTER_H_
