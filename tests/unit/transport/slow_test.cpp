// SPDX-License-Identifier: MIT
// Cases that take seconds or touch process-wide limits: label "slow" (ctest -LE slow skips them).
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_support.h"
#include "transport/frame_codec.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;
using wechat::Error;
using wechat::Status;
namespace v1 = wechat::v1;

namespace {

ConnectionOptions options() {
  ConnectionOptions o;
  o.idle_timeout = 10000ms;
  o.close_timeout = 5000ms;
  o.handshake_timeout = 5000ms;
  return o;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int highest_open_fd() {
  int highest = 2;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) highest = std::max(highest, std::atoi(e->d_name));
    ::closedir(d);
  }
  return highest;
}

// Echo clients hammering one listener whose io_context runs on several threads.
void echo_stress(std::shared_ptr<asio::ssl::context> server_tls,
                 std::shared_ptr<asio::ssl::context> client_tls) {
  IoRunner io(4);
  {
    TestServer server(io, server_options(options(), std::move(server_tls)), /*echo=*/true);
    constexpr int kClients = 16;
    constexpr int kFrames = 2000;
    std::vector<std::shared_ptr<Connection>> clients;
    std::vector<std::shared_ptr<Recorder>> recs;
    for (int i = 0; i < kClients; ++i) {
      auto c = connect_sync(io, server.port(), client_tls, options());
      REQUIRE_MESSAGE(c.ok(), c.status().to_string());
      recs.push_back(Recorder::make());
      (*c)->start(recs.back()->handler());
      clients.push_back(*c);
    }
    std::vector<std::thread> senders;
    for (int i = 0; i < kClients; ++i) {
      senders.emplace_back([&, i] {
        for (int f = 0; f < kFrames; ++f) {
          while (clients[i]->queued_bytes() > (1 << 20)) std::this_thread::sleep_for(1ms);
          clients[i]->send(make_frame(static_cast<std::uint64_t>(f), std::string(f % 700, 's')));
        }
      });
    }
    for (auto& t : senders) t.join();
    for (int i = 0; i < kClients; ++i) {
      REQUIRE(recs[i]->wait_frames(kFrames, 30000ms));
      const auto frames = recs[i]->frames();
      bool ordered = true;
      for (int f = 0; f < kFrames; ++f) ordered &= frames[f].request_id() == std::uint64_t(f);
      CHECK(ordered);
    }
    for (auto& c : clients) c->close();
    for (auto& r : recs) {
      REQUIRE(r->wait_closed(10000ms));
      CHECK(r->close_status().ok());
    }
    CHECK(wait_until([&] { return server.listener().active_connections() == 0; }));
  }
  io.finish();
}

}  // namespace

TEST_CASE("stress: sixteen echo clients over plain TCP on a four-thread io_context") {
  echo_stress(nullptr, nullptr);
}

TEST_CASE("stress: sixteen echo clients over TLS on a four-thread io_context") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options("", cert.fingerprint()));
  REQUIRE(client_tls.ok());
  echo_stress(cert.server_context(), *client_tls);
}

TEST_CASE("connection: frames at the 1 MiB limit stream through TLS in both directions") {
  TestCertificate cert;
  auto client_tls = make_client_tls_context(tls_options(cert.cert, ""));
  REQUIRE(client_tls.ok());
  IoRunner io(2);
  {
    ConnectionOptions echo_options = options();
    echo_options.max_send_queue_bytes = 64 << 20;  // the echo side never waits
    TestServer server(io, server_options(echo_options, cert.server_context()), /*echo=*/true);
    auto client = connect_sync(io, server.port(), *client_tls, options());
    REQUIRE(client.ok());
    auto rec = Recorder::make();
    (*client)->start(rec->handler());
    v1::Frame probe = make_frame(1, std::string(kDefaultMaxFrameBytes - 100, 'm'));
    const std::size_t overhead = probe.ByteSizeLong() - (kDefaultMaxFrameBytes - 100);
    const auto big = std::make_shared<const std::string>(
        encode_frame(make_frame(1, std::string(kDefaultMaxFrameBytes - overhead, 'm'))));
    REQUIRE(big->size() == kDefaultMaxFrameBytes + kFrameHeaderBytes);
    for (int i = 0; i < 40; ++i) {
      // Stay under the 8 MiB slow-consumer bound, as a real sender would.
      while ((*client)->queued_bytes() > (4 << 20)) std::this_thread::sleep_for(1ms);
      (*client)->send_encoded(big);
    }
    REQUIRE(rec->wait_frames(40, 30000ms));
    CHECK_FALSE(rec->is_closed());
    CHECK(text_of(rec->frames().back()).size() == kDefaultMaxFrameBytes - overhead);
    (*client)->close();
    REQUIRE(rec->wait_closed());
    CHECK(rec->close_status().ok());
  }
  io.finish();
}

// The sanitizer runtimes need descriptors of their own (UBSan's vptr check opens a pipe), so
// with the process out of descriptors they report false errors: the case runs in plain builds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST_CASE("listener: running out of file descriptors backs off instead of spinning, then recovers" *
          doctest::skip(kSanitized)) {
  IoRunner io;
  {
    std::mutex log_mu;
    std::vector<std::string> warnings;
    ListenerOptions lo = server_options(options());
    lo.logger = wechat::detail::Logger(
        wechat::LogOptions{[&](wechat::LogLevel, std::string_view, std::string_view m) {
                             std::lock_guard lock(log_mu);
                             warnings.emplace_back(m);
                           },
                           wechat::LogLevel::kWarn},
        "transport");
    TestServer server(io, lo);

    // The client sockets exist before the limit drops; connect() needs no new descriptor.
    std::vector<asio::ip::tcp::socket> clients;
    for (int i = 0; i < 3; ++i) {
      clients.emplace_back(io.io);
      clients.back().open(asio::ip::tcp::v4());
    }

    rlimit original{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &original) == 0);
    std::vector<int> fillers;
    {
      rlimit tight = original;
      tight.rlim_cur = static_cast<rlim_t>(highest_open_fd() + 1);
      REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
      for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
    }
    auto restore = [&] {
      for (int fd : fillers) ::close(fd);
      fillers.clear();
      ::setrlimit(RLIMIT_NOFILE, &original);
    };

    for (auto& c : clients) {
      std::error_code ec;
      c.connect({asio::ip::make_address("127.0.0.1"), server.port()}, ec);
      CHECK_FALSE(ec);
    }
    const double cpu_before = cpu_seconds();
    std::this_thread::sleep_for(1000ms);
    const double cpu_used = cpu_seconds() - cpu_before;
    const bool accepted_meanwhile = server.wait_accepted(1, 0ms);
    restore();

    CHECK_FALSE(accepted_meanwhile);
    CHECK(cpu_used < 0.2);  // a spinning accept loop would burn a whole core
    {
      std::lock_guard lock(log_mu);
      REQUIRE_FALSE(warnings.empty());
      CHECK(warnings.front().find("accept on") != std::string::npos);
    }
    REQUIRE(server.wait_accepted(3, 3000ms));  // the backlog drains once descriptors are back
    CHECK(server.listener().active_connections() == 3);
    server.stop();
  }
  io.finish();
}
