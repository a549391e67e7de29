// SPDX-License-Identifier: MIT
// ctest runs server_tests twice, the second time with WECHAT_TEST_STORE_THREAD=io: this case
// fails if that run's servers did not really run their store on the I/O thread.
#include <doctest/doctest.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

TEST_CASE("store thread: the servers of this run put their store where the run asks") {
  std::mutex mutex;
  std::string started;
  {
    TestServer server([&](ServerOptions& o) {
      o.log.min_level = LogLevel::kInfo;
      o.log.sink = [&](LogLevel, std::string_view, std::string_view message) {
        std::lock_guard lock(mutex);
        if (message.find("listening on") != std::string_view::npos) started = message;
      };
    });
  }
  std::lock_guard lock(mutex);
  INFO("start line: " << started);
  const char* mode = std::getenv("WECHAT_TEST_STORE_THREAD");
  if (mode != nullptr && std::string_view(mode) == "io") {
    CHECK(started.find("store on the I/O thread") != std::string::npos);
  } else {
    // Automatic: either, depending on the CPUs this process may use.
    CHECK(started.find("store on ") != std::string::npos);
  }
}
