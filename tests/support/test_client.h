// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_SUPPORT_TEST_CLIENT_H_
#define WECHAT_TESTS_SUPPORT_TEST_CLIENT_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "wechat/status.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::testing {

using namespace std::chrono_literals;

/// A raw protocol client for server tests: speaks frames over a real socket, one request at a
/// time or several, and keeps every pushed event. Deliberately not the SDK: server tests check
/// the wire contract itself, including what a well-behaved SDK would never send.
class TestClient {
 public:
  /// Connects over plaintext TCP to 127.0.0.1:port; sends hello unless `hello` is false.
  static Result<std::unique_ptr<TestClient>> connect(std::uint16_t port, bool hello = true);
  ~TestClient();

  /// Sends a request and waits for its response (an error response is still a response).
  Result<v1::Response> call(const v1::Request& request, std::chrono::milliseconds timeout = 10s);
  /// Sends a request and returns its id without waiting; see wait_response().
  std::uint64_t send(const v1::Request& request);
  Result<v1::Response> wait_response(std::uint64_t request_id,
                                     std::chrono::milliseconds timeout = 10s);
  /// Sends any frame as is (for protocol-violation tests).
  void send_frame(const v1::Frame& frame);

  /// The next pushed event, or nullopt after `timeout`.
  std::optional<v1::Event> next_event(std::chrono::milliseconds timeout = 5s);
  /// The next pushed log entry (skipping presence and typing), or nullopt.
  std::optional<v1::LogEntry> next_log(std::chrono::milliseconds timeout = 5s);
  /// Every event that arrives until none has come for `quiet`.
  std::vector<v1::Event> drain(std::chrono::milliseconds quiet = 200ms);

  /// Waits until the server closes the connection; its status, or nullopt on timeout.
  std::optional<Status> wait_closed(std::chrono::milliseconds timeout = 5s);
  bool closed() const;

 private:
  struct Impl;
  explicit TestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The error code of a response (kOk for a result).
Error error_of(const v1::Response& response);

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_SUPPORT_TEST_CLIENT_H_
