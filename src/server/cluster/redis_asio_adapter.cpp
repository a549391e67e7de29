// SPDX-License-Identifier: MIT
#include "server/cluster/redis_asio_adapter.h"

#include <hiredis/async.h>

#include <system_error>
#include <utility>

namespace wechat::server::cluster {

Status RedisAsioAdapter::attach(redisAsyncContext* ac, asio::any_io_executor executor,
                                std::weak_ptr<void> owner,
                                std::function<void(std::string)> on_cleanup) {
  if (ac->ev.data != nullptr) return Status(Error::kInternal, "hiredis context already attached");
  auto adapter = std::make_shared<RedisAsioAdapter>(ac, std::move(executor), std::move(owner),
                                                    std::move(on_cleanup));
  std::error_code ec;
  adapter->socket_.assign(ac->c.fd, ec);
  if (ec) return Status(Error::kIo, "cannot watch the redis socket: " + ec.message());
  adapter->self_ = adapter;
  ac->ev.data = adapter.get();
  ac->ev.addRead = &RedisAsioAdapter::add_read;
  ac->ev.delRead = &RedisAsioAdapter::del_read;
  ac->ev.addWrite = &RedisAsioAdapter::add_write;
  ac->ev.delWrite = &RedisAsioAdapter::del_write;
  ac->ev.cleanup = &RedisAsioAdapter::cleanup;
  return Status();
}

RedisAsioAdapter::RedisAsioAdapter(redisAsyncContext* ac, asio::any_io_executor executor,
                                   std::weak_ptr<void> owner,
                                   std::function<void(std::string)> on_cleanup)
    : ac_(ac),
      socket_(std::move(executor)),
      owner_(std::move(owner)),
      on_cleanup_(std::move(on_cleanup)) {}

// hiredis expects level-triggered, persistent interest (libevent's EV_PERSIST): it asks for
// reads once and never again, and for writes while its output buffer is not empty. Asio waits
// are one-shot, so a wait is re-armed after each event for as long as the interest lasts, and a
// wait that completes after the interest was withdrawn is ignored rather than cancelled.
void RedisAsioAdapter::add_read(void* privdata) {
  auto* self = static_cast<RedisAsioAdapter*>(privdata);
  self->want_read_ = true;
  self->arm_read();
}

void RedisAsioAdapter::del_read(void* privdata) {
  static_cast<RedisAsioAdapter*>(privdata)->want_read_ = false;
}

void RedisAsioAdapter::add_write(void* privdata) {
  auto* self = static_cast<RedisAsioAdapter*>(privdata);
  self->want_write_ = true;
  self->arm_write();
}

void RedisAsioAdapter::del_write(void* privdata) {
  static_cast<RedisAsioAdapter*>(privdata)->want_write_ = false;
}

void RedisAsioAdapter::cleanup(void* privdata) {
  auto* self = static_cast<RedisAsioAdapter*>(privdata);
  redisAsyncContext* ac = self->ac_;
  if (ac == nullptr) return;
  std::string error = ac->c.err != 0 ? std::string(ac->c.errstr) : std::string();
  // No hook may reach the adapter once hiredis has let go of it.
  ac->ev = {};
  self->ac_ = nullptr;
  // Before hiredis closes the descriptor: stop watching it (pending waits end with
  // operation_aborted) without closing it.
  self->socket_.release();
  auto on_cleanup = std::move(self->on_cleanup_);
  auto keep = std::move(self->self_);
  if (on_cleanup) on_cleanup(std::move(error));
}

void RedisAsioAdapter::arm_read() {
  if (read_pending_ || ac_ == nullptr) return;
  read_pending_ = true;
  socket_.async_wait(asio::posix::descriptor_base::wait_read,
                     [self = shared_from_this()](std::error_code ec) {
                       // An expired owner is being (or has been) destroyed, maybe on another
                       // thread, and frees the context itself: touch nothing.
                       auto owner = self->owner_.lock();
                       if (!owner) return;
                       self->read_pending_ = false;
                       if (ec || self->ac_ == nullptr || !self->want_read_) return;
                       redisAsyncHandleRead(self->ac_);  // may free the context (cleanup)
                       if (self->ac_ != nullptr && self->want_read_) self->arm_read();
                     });
}

void RedisAsioAdapter::arm_write() {
  if (write_pending_ || ac_ == nullptr) return;
  write_pending_ = true;
  socket_.async_wait(asio::posix::descriptor_base::wait_write,
                     [self = shared_from_this()](std::error_code ec) {
                       auto owner = self->owner_.lock();
                       if (!owner) return;
                       self->write_pending_ = false;
                       if (ec || self->ac_ == nullptr || !self->want_write_) return;
                       // Calls add_write again while output remains, del_write when done.
                       redisAsyncHandleWrite(self->ac_);
                     });
}

}  // namespace wechat::server::cluster
