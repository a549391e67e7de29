// SPDX-License-Identifier: MIT
#include "tcp_segments.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace wechat::transport::testing {

std::int64_t tcp_segments_in(int fd) {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0 ||
      size < offsetof(tcp_info, tcpi_segs_in) + sizeof info.tcpi_segs_in) {
    return -1;
  }
  return info.tcpi_segs_in;
}

}  // namespace wechat::transport::testing
