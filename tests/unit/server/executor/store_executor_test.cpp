// SPDX-License-Identifier: MIT
// StoreExecutor over a real SQLite store and a real io_context: where batches run, how they
// group, and what stop() does, with the store on its own thread and on the I/O thread.
#include "server/store_executor.h"

#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <future>
#include <thread>

#include "server/local_push_router.h"
#include "server/store/sqlite_server_store.h"

using namespace wechat;
using namespace wechat::server;

namespace {

struct Fixture {
  explicit Fixture(bool run_on_io) {
    SqliteServerStore::Options options;
    options.path = ":memory:";
    auto store = SqliteServerStore::open(options);
    REQUIRE(store.ok());
    executor = std::make_unique<StoreExecutor>(std::move(*store), router, detail::Logger());
    executor->attach_io(io.get_executor(), run_on_io);
    executor->start();
    io_thread = std::thread([this] { io.run(); });
    io_thread_id = io_thread.get_id();
  }
  ~Fixture() {
    executor->stop();
    work.reset();
    io_thread.join();
    executor->detach_io();
  }

  /// Submits `n` jobs from one handler on the I/O thread (as one round of requests would) and
  /// waits for all of them; returns the threads their work ran on.
  std::vector<std::thread::id> run_jobs(int n) {
    std::vector<std::thread::id> ran_on(static_cast<std::size_t>(n));
    std::atomic<int> left{n};
    std::promise<void> all_done;
    asio::post(io, [&] {
      for (int i = 0; i < n; ++i) {
        StoreExecutor::Job job;
        job.work = [&ran_on, i](ServerStore& store, Effects&) {
          ran_on[static_cast<std::size_t>(i)] = std::this_thread::get_id();
          UserRow user;
          user.username = "user" + std::to_string(i);
          user.email = user.username + "@example.com";
          user.password_hash = "x";
          return store.create_user(user).ok();
        };
        job.done = [&](const Status& status) {
          CHECK(status.ok());
          if (--left == 0) all_done.set_value();
        };
        executor->submit(std::move(job));
      }
    });
    REQUIRE(all_done.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return ran_on;
  }

  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  LocalPushRouter router;
  std::unique_ptr<StoreExecutor> executor;
  std::thread io_thread;
  std::thread::id io_thread_id;
};

}  // namespace

TEST_CASE(
    "store executor: on its own thread, a round of requests is one batch off the I/O thread") {
  Fixture f(false);
  const auto ran_on = f.run_jobs(50);
  for (const auto& id : ran_on) CHECK(id != f.io_thread_id);
  CHECK(f.executor->batches() == 1);
}

TEST_CASE("store executor: on the I/O thread, a round of requests is one batch run right there") {
  Fixture f(true);
  const auto ran_on = f.run_jobs(50);
  for (const auto& id : ran_on) CHECK(id == f.io_thread_id);
  CHECK(f.executor->batches() == 1);
  // And again: every round is a batch of its own.
  f.run_jobs(3);
  CHECK(f.executor->batches() == 2);
}

TEST_CASE("store executor: on the I/O thread, stop() still runs what was accepted") {
  Fixture f(true);
  std::atomic<int> ok{0};
  std::atomic<int> cancelled{0};
  std::promise<void> submitted;
  // Staged on the I/O thread, then stop() arrives before the loop flushes them.
  asio::post(f.io, [&] {
    for (int i = 0; i < 10; ++i) {
      StoreExecutor::Job job;
      job.work = [](ServerStore&, Effects&) { return true; };
      job.done = [&](const Status& s) { s.ok() ? ++ok : ++cancelled; };
      f.executor->submit(std::move(job));
    }
    f.executor->stop();
    submitted.set_value();
  });
  submitted.get_future().wait();
  // After stop, a submission is cancelled at once.
  StoreExecutor::Job late;
  late.work = [](ServerStore&, Effects&) { return true; };
  late.done = [&](const Status& s) { s.ok() ? ++ok : ++cancelled; };
  f.executor->submit(std::move(late));
  // The accepted jobs complete on the I/O thread once the handler that stopped has returned.
  for (int i = 0; i < 1000 && ok.load() + cancelled.load() < 11; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(ok.load() == 10);
  CHECK(cancelled.load() == 1);
}
