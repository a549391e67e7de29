// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "support/temp_dir.h"
#include "wechat/server.h"

using namespace wechat;

namespace {
Status start_with(const std::function<void(ServerOptions&)>& tweak) {
  wechat::testing::TempDir dir;
  ServerOptions options;
  options.data_dir = dir.path().string();
  options.listen_port = 0;
  options.plaintext = true;
  tweak(options);
  auto server = Server::start(options);
  return server.ok() ? Status() : server.status();
}
}  // namespace

TEST_CASE("store thread option: the I/O thread only with one I/O thread and the embedded store") {
  using StoreThread = ServerOptions::StoreThread;
  CHECK(start_with([](ServerOptions& o) { o.store_thread = StoreThread::kIoThread; }).ok());
  const auto two_io_threads = start_with([](ServerOptions& o) {
    o.store_thread = StoreThread::kIoThread;
    o.io_threads = 2;
  });
  CHECK(two_io_threads.code() == Error::kInvalidArgument);
  CHECK(two_io_threads.message().find("io_threads") != std::string::npos);
  const auto postgres = start_with([](ServerOptions& o) {
    o.store_thread = StoreThread::kIoThread;
    o.store_url = "postgresql://nobody@127.0.0.1:1/none";
  });
  CHECK(postgres.code() == Error::kInvalidArgument);
  // Automatic and own-thread modes start whatever the machine (the choice itself depends on
  // the CPUs this process may use; tests/integration/server runs the suites in both modes).
  CHECK(start_with([](ServerOptions& o) { o.store_thread = StoreThread::kOwnThread; }).ok());
  CHECK(start_with([](ServerOptions& o) { o.io_threads = 2; }).ok());
  CHECK(start_with([](ServerOptions& o) { o.durability = Durability::kSynced; }).ok());
}
