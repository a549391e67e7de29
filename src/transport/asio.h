// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_ASIO_H_
#define WECHAT_TRANSPORT_ASIO_H_

// The Asio headers the transport layer uses, included once behind a pragma. GCC 12 reports a
// false "potential null pointer dereference" inside Asio's own
// scheduler::compensating_work_started() (asio/detail/impl/scheduler.ipp) in every translation
// unit that instantiates a resolver. The pragma covers the text of Asio's headers only; our code
// keeps -Wnull-dereference. It works only where these headers are the first Asio headers of the
// translation unit: the transport headers include it, so include a transport header (or this one)
// before any <asio/...> header.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif

#include <asio/any_io_executor.hpp>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // WECHAT_TRANSPORT_ASIO_H_
