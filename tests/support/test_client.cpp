// SPDX-License-Identifier: MIT
#include "support/test_client.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <future>

#include "common/error_codes.h"
#include "transport/connection.h"

namespace wechat::testing {

struct TestClient::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  std::shared_ptr<transport::Connection> connection;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::map<std::uint64_t, v1::Response> responses;
  std::deque<v1::Event> events;
  std::optional<Status> closed;
  std::uint64_t next_id = 1;

  ~Impl() {
    if (connection) connection->abort(Status(Error::kCancelled, "test client closed"));
    work.reset();
    // Give the abort's handlers a moment on the I/O thread, then stop whatever is left.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    io.stop();
    if (thread.joinable()) thread.join();
  }
};

TestClient::TestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TestClient::~TestClient() = default;

Result<std::unique_ptr<TestClient>> TestClient::connect(std::uint16_t port, bool hello) {
  auto impl = std::make_unique<Impl>();
  std::promise<Result<std::shared_ptr<transport::Connection>>> connected;
  transport::ConnectionOptions options;
  options.idle_timeout = std::chrono::minutes(5);
  transport::async_connect(impl->io.get_executor(), "127.0.0.1", port, nullptr, options,
                           [&](Result<std::shared_ptr<transport::Connection>> r) {
                             connected.set_value(std::move(r));
                           });
  impl->thread = std::thread([io = &impl->io] { io->run(); });
  auto result = connected.get_future().get();
  if (!result.ok()) return result.status();
  impl->connection = *result;
  Impl* raw = impl.get();
  transport::ConnectionHandler handler;
  handler.on_frame = [raw](v1::Frame&& frame) {
    std::lock_guard lock(raw->mutex);
    if (frame.has_response()) {
      raw->responses[frame.request_id()] = std::move(*frame.mutable_response());
    } else if (frame.has_event()) {
      raw->events.push_back(std::move(*frame.mutable_event()));
    }
    raw->changed.notify_all();
  };
  handler.on_close = [raw](const Status& status) {
    std::lock_guard lock(raw->mutex);
    raw->closed = status;
    raw->changed.notify_all();
  };
  impl->connection->start(std::move(handler));
  std::unique_ptr<TestClient> client(new TestClient(std::move(impl)));
  if (hello) {
    v1::Request request;
    request.mutable_hello()->set_protocol_version(1);
    request.mutable_hello()->set_client_name("test-client");
    auto response = client->call(request);
    if (!response.ok()) return response.status();
    if (!response->has_hello()) return Status(Error::kProtocol, "hello was refused");
  }
  return client;
}

std::uint64_t TestClient::send(const v1::Request& request) {
  std::uint64_t id;
  {
    std::lock_guard lock(impl_->mutex);
    id = impl_->next_id++;
  }
  v1::Frame frame;
  frame.set_request_id(id);
  *frame.mutable_request() = request;
  impl_->connection->send(frame);
  return id;
}

void TestClient::send_frame(const v1::Frame& frame) { impl_->connection->send(frame); }

Result<v1::Response> TestClient::wait_response(std::uint64_t id,
                                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  const bool ready = impl_->changed.wait_for(lock, timeout, [&] {
    return impl_->responses.count(id) != 0 || impl_->closed.has_value();
  });
  auto it = impl_->responses.find(id);
  if (it != impl_->responses.end()) {
    v1::Response response = std::move(it->second);
    impl_->responses.erase(it);
    return response;
  }
  if (!ready) return Status(Error::kTimeout, "no response");
  return Status(Error::kUnavailable, "connection closed: " + impl_->closed->to_string());
}

Result<v1::Response> TestClient::call(const v1::Request& request,
                                      std::chrono::milliseconds timeout) {
  return wait_response(send(request), timeout);
}

std::optional<v1::Event> TestClient::next_event(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->changed.wait_for(lock, timeout, [&] { return !impl_->events.empty(); })) {
    return std::nullopt;
  }
  v1::Event event = std::move(impl_->events.front());
  impl_->events.pop_front();
  return event;
}

std::optional<v1::LogEntry> TestClient::next_log(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto event = next_event(left);
    if (!event) return std::nullopt;
    if (event->has_log()) return std::move(*event->mutable_log());
  }
}

std::vector<v1::Event> TestClient::drain(std::chrono::milliseconds quiet) {
  std::vector<v1::Event> out;
  while (auto event = next_event(quiet)) out.push_back(std::move(*event));
  return out;
}

std::optional<Status> TestClient::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait_for(lock, timeout, [&] { return impl_->closed.has_value(); });
  return impl_->closed;
}

bool TestClient::closed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->closed.has_value();
}

Error error_of(const v1::Response& response) {
  return response.has_error() ? detail::error_from_int(response.error().code()) : Error::kOk;
}

}  // namespace wechat::testing
