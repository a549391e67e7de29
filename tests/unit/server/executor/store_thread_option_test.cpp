// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/test_server.h"
#include "wechat/server.h"

using namespace wechat;

using wechat::testing::try_start_server;

TEST_CASE("store thread option: the I/O thread only with one I/O thread and the embedded store") {
  using StoreThread = ServerOptions::StoreThread;
  CHECK(try_start_server([](ServerOptions& o) { o.store_thread = StoreThread::kIoThread; }).ok());
  const auto two_io_threads = try_start_server([](ServerOptions& o) {
    o.store_thread = StoreThread::kIoThread;
    o.io_threads = 2;
  });
  CHECK(two_io_threads.code() == Error::kInvalidArgument);
  CHECK(two_io_threads.message().find("io_threads") != std::string::npos);
  const auto postgres = try_start_server([](ServerOptions& o) {
    o.store_thread = StoreThread::kIoThread;
    o.store_url = "postgresql://nobody@127.0.0.1:1/none";
  });
  CHECK(postgres.code() == Error::kInvalidArgument);
  // Automatic and own-thread modes start whatever the machine (the choice itself depends on
  // the CPUs this process may use; tests/integration/server runs the suites in both modes).
  CHECK(try_start_server([](ServerOptions& o) { o.store_thread = StoreThread::kOwnThread; }).ok());
  CHECK(try_start_server([](ServerOptions& o) { o.io_threads = 2; }).ok());
  CHECK(try_start_server([](ServerOptions& o) { o.durability = Durability::kSynced; }).ok());
}
