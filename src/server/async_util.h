// SPDX-License-Identifier: MIT
#ifndef WECHAT_SERVER_ASYNC_UTIL_H_
#define WECHAT_SERVER_ASYNC_UTIL_H_

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/associated_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <type_traits>
#include <utility>

namespace wechat::server {

/// Runs `fn()` on `executor` (a worker pool) and resumes the awaiting coroutine on its own
/// executor with the result. Used for blocking work (password hashing, mail) that must never run
/// on an I/O thread.
template <typename Executor, typename Fn>
auto offload(Executor executor, Fn fn) -> asio::awaitable<std::invoke_result_t<Fn&>> {
  using R = std::invoke_result_t<Fn&>;
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [executor](auto completion, Fn f) mutable {
        // The awaitable handler is move-only; a shared_ptr lets it ride in copyable lambdas.
        auto h = std::make_shared<decltype(completion)>(std::move(completion));
        asio::post(executor, [h, f = std::move(f)]() mutable {
          R result = f();
          auto home = asio::get_associated_executor(*h);
          asio::post(home, [h, result = std::move(result)]() mutable {
            // Moved out before the call: the awaitable handler owns the coroutine's frames.
            auto handler = std::move(*h);
            h.reset();
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(fn));
}

/// Awaits an operation that reports once, on any thread, through a callback taking an R:
/// `start(callback)` begins it. The coroutine resumes on its own executor.
template <typename R, typename Start>
asio::awaitable<R> await_callback(Start start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [](auto completion, Start begin) mutable {
        auto h = std::make_shared<decltype(completion)>(std::move(completion));
        begin([h](R result) {
          auto home = asio::get_associated_executor(*h);
          asio::post(home, [h, result = std::move(result)]() mutable {
            auto handler = std::move(*h);
            h.reset();
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(start));
}

}  // namespace wechat::server

#endif  // WECHAT_SERVER_ASYNC_UTIL_H_
