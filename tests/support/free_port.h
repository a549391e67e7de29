// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_SUPPORT_FREE_PORT_H_
#define WECHAT_TESTS_SUPPORT_FREE_PORT_H_

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <random>
#include <system_error>

namespace wechat::testing {

/// A loopback port nobody listens on, for a helper server (Redis) that a test starts as a
/// process and that binds it a moment later. Taken below Linux's ephemeral range (32768-60999):
/// a port the kernel hands out (bind to port 0) may meanwhile become the local end of any
/// client connection a test opens, and the helper then fails to start with "address in use".
inline std::uint16_t free_port() {
  std::random_device seed;
  std::mt19937 random(seed());
  std::uniform_int_distribution<int> in_range(20000, 32000);
  asio::io_context io;
  for (int attempt = 0;; ++attempt) {
    const auto port = static_cast<std::uint16_t>(attempt < 200 ? in_range(random) : 0);
    asio::ip::tcp::acceptor probe(io);
    std::error_code ec;
    probe.open(asio::ip::tcp::v4(), ec);
    if (!ec) probe.bind({asio::ip::address_v4::loopback(), port}, ec);
    if (!ec) return probe.local_endpoint().port();
  }
}

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_SUPPORT_FREE_PORT_H_
