// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_SERVER_CONTEXT_H_
#define WECHAT_SERVER_SERVER_CONTEXT_H_

#include <asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/logger.h"
#include "server/mail/mailer.h"
#include "server/push_router.h"
#include "server/rate_limiter.h"
#include "server/store_executor.h"
#include "wechat/server.h"

namespace wechat::server {

/// What every request handler may use: options, clock, store, router, worker pool, mailer and
/// the rate limiters. Owned by Server::Impl and outlives every session.
struct ServerContext {
  ServerContext(const ServerOptions& opts, const Clock& clk, detail::Logger logger,
                StoreExecutor& store_executor, PushRouter& push_router,
                asio::any_io_executor worker_pool, asio::any_io_executor hashing_executor,
                Mailer& mail)
      : options(opts),
        clock(clk),
        log(std::move(logger)),
        store(store_executor),
        router(push_router),
        workers(std::move(worker_pool)),
        hashing(std::move(hashing_executor)),
        mailer(mail),
        codes_per_email(std::make_unique<LocalAbuseCounter>(
            clk, opts.rate_limits.codes_per_email_per_hour, std::chrono::hours(1))),
        codes_per_email_burst(
            std::make_unique<LocalAbuseCounter>(clk, 1, opts.rate_limits.min_code_interval)),
        codes_per_address(std::make_unique<LocalAbuseCounter>(
            clk, opts.rate_limits.codes_per_address_per_hour, std::chrono::hours(1))),
        login_failures_per_account(std::make_unique<LocalAbuseCounter>(
            clk, opts.rate_limits.login_failures_per_account, std::chrono::minutes(15))),
        login_failures_per_address(std::make_unique<LocalAbuseCounter>(
            clk, opts.rate_limits.login_failures_per_address, std::chrono::minutes(15))),
        requests_per_user(opts.rate_limits.requests_per_user_per_second,
                          opts.rate_limits.request_burst_per_user) {}

  const ServerOptions& options;
  const Clock& clock;
  detail::Logger log;
  StoreExecutor& store;
  PushRouter& router;
  asio::any_io_executor workers;  ///< Blocking work: mail (and what `hashing` runs on).
  /// Password hashing: `workers`, or one job at a time on them where the process may use one
  /// CPU (WorkerPool::make_serial_executor).
  asio::any_io_executor hashing;
  Mailer& mailer;

  /// Gates only: finds the chat node to send the next client to and calls back (on any thread)
  /// with its (host, port), or nullopt if none is up.
  using ChatNode = std::optional<std::pair<std::string, std::uint16_t>>;
  std::function<void(std::function<void(ChatNode)>)> pick_chat_node;

  // Abuse limits (RateLimits in wechat/server.h): in this process, or shared through Redis by
  // the nodes of a cluster (set before serving).
  std::unique_ptr<AbuseCounter> codes_per_email;
  std::unique_ptr<AbuseCounter> codes_per_email_burst;
  std::unique_ptr<AbuseCounter> codes_per_address;
  std::unique_ptr<AbuseCounter> login_failures_per_account;
  std::unique_ptr<AbuseCounter> login_failures_per_address;
  /// Per node: a user's devices on several nodes each get this rate there.
  KeyedTokenBuckets requests_per_user;
};

}  // namespace wechat::server

#endif  // WECHAT_SERVER_SERVER_CONTEXT_H_
