// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_TRANSPORT_TCP_SEGMENTS_H_
#define WECHAT_TESTS_TRANSPORT_TCP_SEGMENTS_H_

#include <cstdint>

namespace wechat::transport::testing {

/// TCP segments received so far on the socket `fd` (the kernel's tcpi_segs_in), or -1 if the
/// kernel does not say. In a TU of its own: the kernel's struct tcp_info, which has the field,
/// clashes with glibc's, which Asio includes and which lacks it.
std::int64_t tcp_segments_in(int fd);

}  // namespace wechat::transport::testing

#endif  // WECHAT_TESTS_TRANSPORT_TCP_SEGMENTS_H_
