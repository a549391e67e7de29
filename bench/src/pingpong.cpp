// SPDX-License-Identifier: MIT
// R3 loopback ping-pong: one 100-byte message bounced between two threads over a TCP loopback
// connection (TCP_NODELAY), blocking sockets, one message in flight. The floor under any
// request/response latency on this machine, and the rate of one strictly serial exchange.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "arrivals.h"
#include "histogram.h"
#include "results.h"
#include "workloads.h"

namespace wechat::bench {
namespace {

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

bool full_io(int fd, char* buf, std::size_t n, bool write) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = write ? ::send(fd, buf + done, n - done, MSG_NOSIGNAL)
                            : ::recv(fd, buf + done, n - done, 0);
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

int run_pingpong(const PingPongOptions& o) {
  constexpr std::size_t kSize = 100;
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("pingpong");
    return 2;
  }
  std::thread echo([&] {
    pin(o.server_cpu);
    const int fd = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[kSize];
    while (full_io(fd, buf, kSize, false) && full_io(fd, buf, kSize, true)) {
    }
    ::close(fd);
  });
  pin(o.client_cpu);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("pingpong connect");
    return 2;
  }
  char buf[kSize] = {};
  Histogram rtt;
  const std::int64_t end = now_ns() + static_cast<std::int64_t>(o.seconds * 1e9);
  std::uint64_t n = 0;
  const std::int64_t t0 = now_ns();
  for (;;) {
    const std::int64_t t = now_ns();
    if (t >= end) break;
    if (!full_io(fd, buf, kSize, true) || !full_io(fd, buf, kSize, false)) break;
    rtt.record(now_ns() - t);
    ++n;
  }
  const double seconds = (now_ns() - t0) / 1e9;
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  echo.join();
  ::close(listener);
  Record rec;
  rec.labels(o.labels)
      .set("kind", "pingpong")
      .set("round_trips_per_s", n / seconds)
      .set("rtt_p50_us", rtt.quantile(0.5) / 1000.0)
      .set("rtt_p99_us", rtt.quantile(0.99) / 1000.0);
  rec.emit(o.out);
  return 0;
}

}  // namespace wechat::bench
