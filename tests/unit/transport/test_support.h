// SPDX-License-Identifier: MIT
// Helpers for the transport tests: an io_context on real threads that is always joined, a
// thread-safe recorder of connection callbacks, a listener that records what it accepts, and
// temporary certificates.
#ifndef WECHAT_TESTS_UNIT_TRANSPORT_TEST_SUPPORT_H_
#define WECHAT_TESTS_UNIT_TRANSPORT_TEST_SUPPORT_H_

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "transport/asio.h"
#include "transport/connection.h"
#include "transport/listener.h"
#include "transport/tls.h"
#include "wechat/status.h"

namespace wechat::transport::testing {

using namespace std::chrono_literals;

/// Polls `pred` every millisecond until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// An io_context run by `threads` threads. finish() (also run by the destructor) drops the work
/// guard and waits for run() to return by itself, which proves every connection, timer and
/// accept loop has ended; if that takes more than 5 s the test fails and the context is stopped.
/// Threads are always joined.
class IoRunner {
 public:
  explicit IoRunner(int threads = 1) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        io.run();
        finished_.fetch_add(1);
      });
    }
  }
  ~IoRunner() { finish(); }
  IoRunner(const IoRunner&) = delete;
  IoRunner& operator=(const IoRunner&) = delete;

  void finish() {
    if (threads_.empty()) return;
    work_.reset();
    const auto n = threads_.size();
    if (!wait_until([&] { return finished_.load() == n; }, 5000ms)) {
      FAIL_CHECK("the io_context still had work 5 s after the test ended");
      io.stop();
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  asio::any_io_executor executor() { return io.get_executor(); }

  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> work_{io.get_executor()};
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> finished_{0};
};

/// Records one connection's callbacks. Hand out handler() and keep the shared_ptr.
class Recorder : public std::enable_shared_from_this<Recorder> {
 public:
  static std::shared_ptr<Recorder> make() { return std::make_shared<Recorder>(); }

  ConnectionHandler handler(std::function<void(const v1::Frame&)> also = nullptr) {
    auto self = shared_from_this();
    return ConnectionHandler{[self, also](v1::Frame&& frame) {
                               if (also) also(frame);
                               std::lock_guard lock(self->mu_);
                               if (self->closed_) self->frame_after_close_ = true;
                               self->frames_.push_back(std::move(frame));
                               self->cv_.notify_all();
                             },
                             [self](const Status& status) {
                               std::lock_guard lock(self->mu_);
                               ++self->close_calls_;
                               self->closed_ = status;
                               self->cv_.notify_all();
                             }};
  }

  bool wait_frames(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n; });
  }
  bool wait_closed(std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_.has_value(); });
  }
  bool is_closed() {
    std::lock_guard lock(mu_);
    return closed_.has_value();
  }
  /// REQUIRES: closed.
  Status close_status() {
    std::lock_guard lock(mu_);
    return closed_.value_or(Status(Error::kInternal, "not closed"));
  }
  std::vector<v1::Frame> frames() {
    std::lock_guard lock(mu_);
    return frames_;
  }
  std::size_t frame_count() {
    std::lock_guard lock(mu_);
    return frames_.size();
  }
  int close_calls() {
    std::lock_guard lock(mu_);
    return close_calls_;
  }
  bool frame_after_close() {
    std::lock_guard lock(mu_);
    return frame_after_close_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<v1::Frame> frames_;
  std::optional<Status> closed_;
  int close_calls_ = 0;
  bool frame_after_close_ = false;
};

/// Listener options for tests (designated initializers would trip -Wmissing-field-initializers).
inline ListenerOptions server_options(const ConnectionOptions& connection,
                                      std::shared_ptr<asio::ssl::context> tls = nullptr,
                                      std::size_t max_connections = 10000) {
  ListenerOptions o;
  o.connection = connection;
  o.tls = std::move(tls);
  o.max_connections = max_connections;
  return o;
}

inline ClientTlsOptions tls_options(std::string ca_file, std::string pin, bool verify = true) {
  ClientTlsOptions o;
  o.ca_file = std::move(ca_file);
  o.pinned_sha256 = std::move(pin);
  o.verify = verify;
  return o;
}

/// A frame whose payload carries `request_id` and `text` (a Request.hello with that client name).
inline v1::Frame make_frame(std::uint64_t request_id, const std::string& text = "hello") {
  v1::Frame frame;
  frame.set_request_id(request_id);
  frame.mutable_request()->mutable_hello()->set_client_name(text);
  return frame;
}

inline std::string text_of(const v1::Frame& frame) { return frame.request().hello().client_name(); }

/// A Listener that starts every accepted connection with a Recorder (and, with `echo`, sends
/// every frame back) and keeps both.
class TestServer {
 public:
  struct Accepted {
    std::shared_ptr<Connection> connection;
    std::shared_ptr<Recorder> recorder;
  };

  TestServer(IoRunner& runner, ListenerOptions options, bool echo = false)
      : listener_(runner.io, std::move(options), [this, echo](std::shared_ptr<Connection> c) {
          auto rec = Recorder::make();
          std::weak_ptr<Connection> weak = c;
          c->start(rec->handler([weak, echo](const v1::Frame& f) {
            if (!echo) return;
            if (auto conn = weak.lock()) conn->send(f);
          }));
          std::lock_guard lock(mu_);
          accepted_.push_back({std::move(c), std::move(rec)});
        }) {
    auto port = listener_.start();
    REQUIRE(port.ok());
    port_ = *port;
  }
  ~TestServer() { stop(); }

  void stop() {
    listener_.stop();
    std::lock_guard lock(mu_);
    for (auto& a : accepted_) a.connection->abort(Status());
  }

  std::uint16_t port() const { return port_; }
  Listener& listener() { return listener_; }

  bool wait_accepted(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    return wait_until(
        [&] {
          std::lock_guard lock(mu_);
          return accepted_.size() >= n;
        },
        timeout);
  }
  Accepted accepted(std::size_t i) {
    std::lock_guard lock(mu_);
    return accepted_.at(i);
  }

 private:
  std::mutex mu_;
  std::vector<Accepted> accepted_;
  Listener listener_;  // after mu_ and accepted_: destroyed first
  std::uint16_t port_ = 0;
};

/// async_connect(), waited for.
inline Result<std::shared_ptr<Connection>> connect_sync(
    IoRunner& runner, std::uint16_t port, std::shared_ptr<asio::ssl::context> tls = nullptr,
    ConnectionOptions options = {}, const std::string& host = "127.0.0.1") {
  std::promise<Result<std::shared_ptr<Connection>>> promise;
  auto future = promise.get_future();
  async_connect(
      runner.executor(), host, port, std::move(tls), options,
      [&promise](Result<std::shared_ptr<Connection>> r) { promise.set_value(std::move(r)); });
  if (future.wait_for(10s) != std::future_status::ready) {
    FAIL("async_connect never completed");
  }
  return future.get();
}

/// A fresh directory under the system temp dir, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("wechat-transport-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// A self-signed certificate for CN=localhost in a temp dir.
struct TestCertificate {
  TempDir dir;
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  TestCertificate() { REQUIRE(generate_self_signed_certificate(cert, key, "localhost").ok()); }
  std::string fingerprint() const {
    auto f = certificate_sha256_fingerprint(cert);
    REQUIRE(f.ok());
    return *f;
  }
  std::shared_ptr<asio::ssl::context> server_context() const {
    auto ctx = make_server_tls_context(cert, key);
    REQUIRE(ctx.ok());
    return *ctx;
  }
};

/// A raw socket to 127.0.0.1:`port`, for peers that misbehave.
inline asio::ip::tcp::socket raw_connect(asio::io_context& io, std::uint16_t port) {
  asio::ip::tcp::socket s(io);
  std::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  REQUIRE_FALSE(ec);
  return s;
}

}  // namespace wechat::transport::testing

#endif  // WECHAT_TESTS_UNIT_TRANSPORT_TEST_SUPPORT_H_
