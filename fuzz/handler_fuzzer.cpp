// SPDX-License-Identifier: MIT
// Fuzzes every request handler through the real server: a wechat::testing::LocalServer (the
// real wechat::Server, plaintext on 127.0.0.1, SQLite in a temporary directory) runs in this
// process, built with the fuzzing instrumentation, and each input is a stream of
// wechat.v1.Request messages (request_stream.h) sent over a loopback connection that has said
// Hello and, for most inputs, resumed a session of a fixture user, so handlers get past their
// login check. One such connection per login is kept open across inputs (a new one costs more
// than most inputs). Nothing here knows the request kinds beyond login, resume and logout: any
// kind added to the Request oneof is dispatched, checked and mutated (request_mutator.cpp)
// without changes.
//
// Invariants, each a crash when broken (besides the sanitizers' own):
//  - every request gets exactly one response, within the deadline, with the request's id;
//  - a response is an error or the result with the request kind's field number, never both;
//    an error code is a known one and neither INTERNAL (a handler threw) nor STORAGE (the
//    database refused what a handler wrote: validation let something through);
//  - the connection stays open unless the protocol says it closes (UNSUPPORTED_VERSION, or a
//    SessionEnded event), and the server answers a request after the input's own (and accepts
//    a new connection after a close);
//  - log entries pushed to one login arrive in increasing user_seq;
//  - the frames the server sends decode.
// The server is reused across inputs (state accumulates as with a real server) and rebuilt
// from scratch every WECHAT_FUZZ_RESET_EVERY inputs (default 20000). WECHAT_FUZZ_DEADLINE_MS
// bounds the wait for one answer (default 10000); WECHAT_FUZZ_TRACE=1 prints every input's
// requests and answers (fuzz/README.md).

#include <arpa/inet.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "request_stream.h"
#include "transport/frame_codec.h"
#include "wechat/testing.h"
#include "wechat/v1/frame.pb.h"

namespace {

using namespace wechat;
namespace pb = google::protobuf;
using SteadyClock = std::chrono::steady_clock;
using Kind = v1::Request::KindCase;

std::chrono::milliseconds env_ms(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return std::chrono::milliseconds(value != nullptr ? std::atol(value) : fallback);
}

/// How long one answer may take. Generous: a sanitized build under load is slow.
const std::chrono::milliseconds kAnswerDeadline = env_ms("WECHAT_FUZZ_DEADLINE_MS", 10000);

// --- Reporting ------------------------------------------------------------------------------

/// The server's recent warnings and errors, printed with a finding.
class LogTail {
 public:
  void add(LogLevel level, std::string_view component, std::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::string(log_level_name(level)) + " [" + std::string(component) + "] " +
                     std::string(message));
    if (lines_.size() > 30) lines_.pop_front();
  }
  std::string dump() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_) out += "  " + line + "\n";
    return out;
  }

 private:
  std::mutex mutex_;
  std::deque<std::string> lines_;
};
LogTail g_log;

std::string brief(const pb::Message& m) {
  std::string out;
  pb::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.SetTruncateStringFieldLongerThan(80);
  printer.PrintToString(m, &out);
  return out;
}

/// What the current input did so far, for the report. Kept as messages and printed only when
/// asked: formatting every frame as text would cost more than many inputs.
class Transcript {
 public:
  void clear() { entries_.clear(); }
  void sent(std::uint64_t id, const v1::Request& r) { entries_.push_back({id, r, {}}); }
  void received(const v1::Frame& f) { entries_.push_back({0, {}, f}); }
  void print() const {
    for (const auto& e : entries_) {
      const std::string line = e.id != 0 ? "-> #" + std::to_string(e.id) + " " + brief(e.request)
                                         : "<- " + brief(e.frame);
      std::fprintf(stderr, "  %s\n", line.c_str());
    }
  }

 private:
  struct Entry {
    std::uint64_t id;  // 0: received
    v1::Request request;
    v1::Frame frame;
  };
  std::vector<Entry> entries_;
};
Transcript g_transcript;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "\n==== handler fuzzer: %s\n---- this input so far:\n", what.c_str());
  g_transcript.print();
  std::fprintf(stderr, "---- server log (warn and above):\n%s====\n", g_log.dump().c_str());
  std::fflush(stderr);
  std::abort();
}

// --- A blocking client connection -------------------------------------------------------------

/// One TCP connection to the server, speaking frames (the real codec) with blocking I/O.
class Wire {
 public:
  enum class Read { kFrame, kClosed, kTimeout };

  explicit Wire(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) finding(std::string("socket(): ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Closing with RST leaves no TIME_WAIT behind: thousands of connections a second would
    // otherwise run out of ephemeral ports.
    const linger rst{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      finding(std::string("the server does not accept connections: ") + std::strerror(errno));
    }
  }
  ~Wire() { ::close(fd_); }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  /// False if the server has closed the connection.
  bool send(const v1::Frame& frame) {
    const std::string bytes = transport::encode_frame(frame);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// The next frame, waiting until `deadline` (a deadline already past polls once).
  Read read(v1::Frame& out, SteadyClock::time_point deadline) {
    for (;;) {
      auto next = decoder_.next();
      if (!next.ok()) finding("the server sent bytes that do not decode: " + next.status().to_string());
      if (next->has_value()) {
        out = std::move(**next);
        return Read::kFrame;
      }
      if (eof_) return Read::kClosed;
      const auto left = std::max<std::chrono::milliseconds::rep>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
                 .count());
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) finding(std::string("poll(): ") + std::strerror(errno));
      if (ready == 0) return Read::kTimeout;
      auto span = decoder_.prepare(64 * 1024);
      const ssize_t n = ::recv(fd_, span.data(), span.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;  // hand out what is buffered first
        continue;
      }
      decoder_.commit(static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool eof_ = false;
  // Server responses are not capped by the server's own receive limit (docs/protocol.md §1).
  transport::FrameDecoder decoder_{transport::kMaxFrameBytesCeiling};
};

// --- Requests and their answers ---------------------------------------------------------------

/// One connection and the requests in flight on it, with the checks on everything that comes
/// back. Request ids are never reused on a connection, so a late or repeated answer is caught
/// even across inputs.
class Line {
 public:
  explicit Line(std::uint16_t port) : wire_(port) {}

  bool closed() const { return closed_; }
  /// A close the protocol announces: an UNSUPPORTED_VERSION answer or a SessionEnded event.
  bool close_expected() const { return unsupported_version_ || session_ended_; }
  /// The server announced it is closing this connection.
  bool ending() const { return close_expected(); }
  /// Checks that pushed log entries come in increasing user_seq (one login per connection).
  void check_log_order(bool on) {
    check_log_order_ = on;
    last_user_seq_ = 0;
  }
  std::uint64_t next_id() { return next_id_++; }

  /// Sends `request` with `id`; false if the connection is closed.
  bool send(std::uint64_t id, const v1::Request& request) {
    if (closed_) return false;
    if (!pending_.emplace(id, request.kind_case()).second) finding("harness reused an id");
    g_transcript.sent(id, request);
    v1::Frame frame;
    frame.set_request_id(id);
    *frame.mutable_request() = request;
    if (!wire_.send(frame)) on_closed();
    return !closed_;
  }

  /// Waits for the answer to `id`; nullptr if the connection closed (as the protocol allows).
  const v1::Response* await(std::uint64_t id) {
    const auto deadline = SteadyClock::now() + kAnswerDeadline;
    while (!answers_.contains(id)) {
      if (closed_) return nullptr;
      v1::Frame frame;
      switch (wire_.read(frame, deadline)) {
        case Wire::Read::kFrame: on_frame(std::move(frame)); break;
        case Wire::Read::kClosed: on_closed(); break;
        case Wire::Read::kTimeout:
          finding("no answer to request #" + std::to_string(id) + " within " +
                  std::to_string(kAnswerDeadline.count()) + " ms");
      }
    }
    return &answers_.at(id);
  }

  /// A request that must succeed (harness set-up).
  const v1::Response& call(const v1::Request& request, const char* what) {
    const std::uint64_t id = next_id();
    send(id, request);
    const v1::Response* r = await(id);
    if (r == nullptr) finding(std::string("connection closed during ") + what);
    if (r->has_error()) finding(std::string(what) + " failed: " + brief(*r));
    return *r;
  }

  /// Handles whatever has arrived (answers so far, pushes to an idle connection), without
  /// waiting.
  void drain() {
    for (;;) {
      v1::Frame frame;
      switch (wire_.read(frame, SteadyClock::now())) {
        case Wire::Read::kFrame: on_frame(std::move(frame)); break;
        case Wire::Read::kClosed: on_closed(); return;
        case Wire::Read::kTimeout: return;
      }
    }
  }

  /// Drops the record of answered requests (between inputs; nothing is in flight then).
  void forget() {
    pending_.clear();
    answers_.clear();
  }

 private:
  void on_closed() {
    if (closed_) return;
    closed_ = true;
    if (!close_expected()) finding("the server closed the connection unasked");
  }

  void on_frame(v1::Frame&& frame) {
    g_transcript.received(frame);
    if (frame.has_response()) {
      on_response(frame.request_id(), frame.response());
    } else if (frame.has_event()) {
      if (frame.request_id() != 0) finding("an event with a request id");
      on_event(frame.event());
    } else if (frame.has_ping()) {
      v1::Frame pong;
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      wire_.send(pong);
    } else if (!frame.has_pong()) {
      finding("the server sent a request");
    }
  }

  void on_response(std::uint64_t id, const v1::Response& response) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) finding("a response to request #" + std::to_string(id) + ", not in flight");
    if (answers_.contains(id)) finding("a second response to request #" + std::to_string(id));
    const int kind = static_cast<int>(it->second);
    const int result = static_cast<int>(response.result_case());
    if (response.has_error()) {
      const auto code = response.error().code();
      if (result != 0) finding("a response with both an error and a result");
      if (!v1::ErrorCode_IsValid(code) || code == v1::OK) {
        finding("an error response with code " + std::to_string(code));
      }
      if (code == v1::INTERNAL || code == v1::STORAGE) {
        finding("request #" + std::to_string(id) + " failed inside the server: " +
                v1::ErrorCode_Name(code) + " \"" + response.error().message() + "\"");
      }
      if (code == v1::UNSUPPORTED_VERSION) unsupported_version_ = true;
    } else if (result != kind) {
      finding("request #" + std::to_string(id) + " of kind " + std::to_string(kind) +
              " answered with result " + std::to_string(result));
    }
    answers_.emplace(id, response);
  }

  void on_event(const v1::Event& event) {
    if (event.has_session_ended()) session_ended_ = true;
    if (event.has_log() && check_log_order_) {
      const std::uint64_t seq = event.log().user_seq();
      if (seq <= last_user_seq_) {
        finding("log entry user_seq " + std::to_string(seq) + " pushed after " +
                std::to_string(last_user_seq_));
      }
      last_user_seq_ = seq;
    }
  }

  Wire wire_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Kind> pending_;
  std::map<std::uint64_t, v1::Response> answers_;
  bool closed_ = false;
  bool unsupported_version_ = false;
  bool session_ended_ = false;
  bool check_log_order_ = false;
  std::uint64_t last_user_seq_ = 0;
};

v1::Request hello_request() {
  v1::Request r;
  r.mutable_hello()->set_protocol_version(1);
  r.mutable_hello()->set_client_name("handler-fuzzer");
  return r;
}

v1::Request login_request(const fuzz::FixtureUser& user) {
  v1::Request r;
  r.mutable_login()->set_login(user.username);
  r.mutable_login()->set_password(user.password);
  r.mutable_login()->set_device_name(fuzz::kHarnessDevice);
  return r;
}

// --- The server and its fixture --------------------------------------------------------------

/// The server, the fixture users' tokens, and one open connection per login (nobody, alice, bob,
/// carol) kept across inputs: a connection costs a hello and a resume, more than most inputs.
class World {
 public:
  /// Stops the server (if any) and starts a fresh one with the fixture users.
  void reset() {
    for (auto& line : lines_) line.reset();
    server_.reset();
    testing::LocalServer::Options options;
    options.tweak = [](ServerOptions& o) {
      // The harness logs its users in again after an input logged them out; fuzzed wrong
      // passwords must not lock it out. (The per-email code limits stay as they are.)
      o.rate_limits.login_failures_per_account = 1'000'000;
      // Connections wait between the inputs that use them.
      o.unauthenticated_timeout = std::chrono::hours(1);
      o.authenticated_timeout = std::chrono::hours(1);
      o.log.min_level = LogLevel::kWarn;
      o.log.sink = [](LogLevel level, std::string_view component, std::string_view message) {
        g_log.add(level, component, message);
      };
    };
    auto started = testing::LocalServer::start(std::move(options));
    if (!started.ok()) finding("the server does not start: " + started.status().to_string());
    server_ = std::move(*started);
    runs_ = 0;
    build_fixture();
  }

  void stop() {
    for (auto& line : lines_) line.reset();
    server_.reset();
  }

  /// Counts an input; true when it is time for a fresh server.
  bool due() {
    static const long every = env_ms("WECHAT_FUZZ_RESET_EVERY", 20000).count();
    return ++runs_ > every;
  }

  std::uint16_t port() const { return server_->port(); }
  std::string latest_code(const std::string& email) const { return server_->latest_code(email); }

  /// Handles what arrived on the idle connections (pushes from other users' requests) and drops
  /// the ones the server closed as announced; they are opened again when needed.
  void drain() {
    for (auto& line : lines_) {
      if (!line) continue;
      line->drain();
      if (line->closed() || line->ending()) {
        line.reset();
      } else {
        line->forget();
      }
    }
  }

  /// The open connection of `user` (0: nobody logged in, 1..3: kUsers[user - 1]); nullptr if
  /// the user cannot log in any more (an input changed the password: time for a reset).
  Line* line(unsigned user) {
    auto& line = lines_[user];
    if (line) return line.get();
    line = std::make_unique<Line>(port());
    line->call(hello_request(), "hello");
    if (user != 0 && !log_in(*line, user - 1)) {
      line.reset();
      return nullptr;
    }
    line->check_log_order(true);
    return line.get();
  }
  /// Closes the connection of `user` (after an input changed who is logged in on it).
  void drop(unsigned user) { lines_[user].reset(); }

 private:
  /// Resume with the token; after an input logged the device out, a fresh login.
  bool log_in(Line& line, unsigned u) {
    v1::Request resume;
    resume.mutable_resume()->set_token(tokens_[u]);
    std::uint64_t id = line.next_id();
    line.send(id, resume);
    const v1::Response* r = line.await(id);
    if (r == nullptr) finding("connection closed during resume");
    if (!r->has_error()) return true;
    id = line.next_id();
    line.send(id, login_request(fuzz::kUsers[u]));
    r = line.await(id);
    if (r == nullptr) finding("connection closed during login");
    if (r->has_error()) return false;
    tokens_[u] = r->login().token();
    return true;
  }

  void build_fixture() {
    g_transcript.clear();
    for (unsigned i = 0; i < std::size(fuzz::kUsers); ++i) {
      const auto& user = fuzz::kUsers[i];
      Line line(port());
      line.call(hello_request(), "hello");
      v1::Request code;
      code.mutable_request_code()->set_email(user.email);
      code.mutable_request_code()->set_purpose(v1::CODE_PURPOSE_REGISTER);
      line.call(code, "request_code");
      v1::Request reg;
      reg.mutable_register_account()->set_username(user.username);
      reg.mutable_register_account()->set_email(user.email);
      reg.mutable_register_account()->set_password(user.password);
      reg.mutable_register_account()->set_code(latest_code(user.email));
      const auto& registered = line.call(reg, "register");
      expect("user id of " + std::string(user.username),
             registered.register_account().user().user_id(), i + 1);
      tokens_[i] = line.call(login_request(user), "login").login().token();
    }
    // bob befriends alice; they exchange a message; carol asks alice; alice asks dave.
    send_friend_request(1, 0);
    answer_friend_request(0, 1);
    send_message(0, 1);
    send_message(1, 0);
    expect("carol's request to alice", send_friend_request(2, 0), fuzz::kPendingRequest);
    send_friend_request(0, 3);
  }

  /// A new connection logged in as fixture user `u`.
  std::unique_ptr<Line> as(unsigned u) {
    auto line = std::make_unique<Line>(port());
    line->call(hello_request(), "hello");
    if (!log_in(*line, u)) finding("fixture: cannot log in");
    return line;
  }

  std::uint64_t send_friend_request(unsigned from, unsigned to) {
    v1::Request r;
    r.mutable_send_friend_request()->set_to_user_id(to + 1);
    return as(from)->call(r, "send_friend_request").send_friend_request().request().request_id();
  }
  void answer_friend_request(unsigned who, unsigned from) {
    auto line = as(who);
    v1::Request list;
    list.mutable_list_friend_requests();
    const auto lists = line->call(list, "list_friend_requests").list_friend_requests();
    for (const auto& r : lists.incoming()) {
      if (r.from().user_id() != from + 1) continue;
      v1::Request answer;
      answer.mutable_answer_friend_request()->set_request_id(r.request_id());
      answer.mutable_answer_friend_request()->set_accept(true);
      line->call(answer, "answer_friend_request");
      return;
    }
    finding("fixture: the friend request did not arrive");
  }
  void send_message(unsigned from, unsigned to) {
    v1::Request r;
    auto* m = r.mutable_send_message();
    m->set_client_msg_id(std::string(16, static_cast<char>('a' + from)));
    m->set_to_user_id(to + 1);
    m->set_text(std::string("hello from ") + fuzz::kUsers[from].username);
    expect("the alice-bob conversation id",
           as(from)->call(r, "send_message").send_message().conversation_id(),
           fuzz::kConversation);
  }
  /// The seeds assume these ids; a mismatch only makes seeds less useful, so it is a warning.
  static void expect(const std::string& what, std::uint64_t got, std::uint64_t want) {
    if (got != want) {
      std::fprintf(stderr, "handler fuzzer: %s is %llu, seeds assume %llu\n", what.c_str(),
                   static_cast<unsigned long long>(got), static_cast<unsigned long long>(want));
    }
  }

  std::unique_ptr<testing::LocalServer> server_;
  std::string tokens_[std::size(fuzz::kUsers)];
  std::unique_ptr<Line> lines_[4];
  long runs_ = 0;
};
World* g_world = nullptr;

// --- One input ----------------------------------------------------------------------------------

const pb::FieldDescriptor* kind_field(const v1::Request& r) {
  return r.GetReflection()->GetOneofFieldDescriptor(r, v1::Request::descriptor()->FindOneofByName("kind"));
}

/// Replaces a "@code" placeholder by the code last mailed to the request's email.
void fill_in_code(v1::Request& r) {
  const pb::FieldDescriptor* kind = kind_field(r);
  if (kind == nullptr || kind->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return;
  pb::Message* m = r.GetReflection()->MutableMessage(&r, kind);
  const pb::Descriptor* d = m->GetDescriptor();
  const pb::FieldDescriptor* code = d->FindFieldByName("code");
  const pb::FieldDescriptor* email = d->FindFieldByName("email");
  if (code == nullptr || email == nullptr || code->type() != pb::FieldDescriptor::TYPE_STRING ||
      email->type() != pb::FieldDescriptor::TYPE_STRING || code->is_repeated() ||
      email->is_repeated()) {
    return;
  }
  const pb::Reflection* reflection = m->GetReflection();
  if (reflection->GetString(*m, code) != fuzz::kCodePlaceholder) return;
  std::string address = reflection->GetString(*m, email);
  std::transform(address.begin(), address.end(), address.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string mailed = g_world->latest_code(address);
  if (!mailed.empty()) reflection->SetString(m, code, mailed);
}

enum class Outcome { kDone, kRetry };

Outcome run_input(const fuzz::RequestStream& stream, std::vector<v1::Request> requests) {
  g_transcript.clear();
  g_world->drain();
  const bool no_hello = (stream.flags & fuzz::kNoHello) != 0;
  const unsigned user = no_hello ? 0 : stream.flags & fuzz::kUserMask;
  const bool pipelined = (stream.flags & fuzz::kPipelined) != 0;
  // Who is logged in on the connection changes with these (hello is refused once done): the
  // connection is not reused after them, and the user_seq order holds within one login only.
  const bool logins = std::any_of(requests.begin(), requests.end(), [](const v1::Request& r) {
    return r.has_login() || r.has_resume() || r.has_logout();
  });

  // Without hello: a connection of its own, where the input's requests come first.
  std::unique_ptr<Line> own;
  Line* line = nullptr;
  if (no_hello) {
    own = std::make_unique<Line>(g_world->port());
    line = own.get();
  } else {
    line = g_world->line(user);
    if (line == nullptr) return Outcome::kRetry;  // e.g. an input reset the password
  }
  if (logins) line->check_log_order(false);

  std::vector<std::uint64_t> ids;
  for (auto& request : requests) {
    if (!pipelined) fill_in_code(request);
    const std::uint64_t id = line->next_id();
    if (!line->send(id, request)) break;
    ids.push_back(id);
    if (!pipelined) line->await(id);
    // Read as we go, as a client does: answers left unread pile up in the server's send queue,
    // which it cuts off at 8 MiB (the slow-consumer rule).
    if (pipelined) line->drain();
  }
  for (auto id : ids) line->await(id);

  // Still answering on this connection: a request of no kind gets an error, whatever happened.
  if (!line->closed()) {
    const std::uint64_t id = line->next_id();
    const v1::Response* r = line->send(id, v1::Request()) ? line->await(id) : nullptr;
    if (r != nullptr && !r->has_error()) finding("a request without a kind succeeded");
  }
  const bool closed = line->closed();
  if (!no_hello && (logins || closed)) g_world->drop(user);
  if (!no_hello && !closed && !logins) line->forget();
  if (closed) {
    // Closed as announced: the server must still take new connections.
    Line again(g_world->port());
    again.call(hello_request(), "hello after a close");
  }
  return Outcome::kDone;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Protobuf logs every string field with invalid UTF-8 it rejects; drop that noise.
  google::protobuf::SetLogHandler(nullptr);
  g_world = new World();
  g_world->reset();
  // Stop the server before the leak check at exit: what it still holds then is a leak.
  std::atexit([] {
    g_world->stop();
    delete g_world;
    g_world = nullptr;
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::RequestStream stream =
      fuzz::parse_stream({reinterpret_cast<const char*>(data), size});
  std::vector<v1::Request> requests;
  for (const auto& chunk : stream.chunks) {
    if (requests.size() == fuzz::kMaxRequests) break;
    v1::Request request;
    if (request.ParseFromString(chunk)) requests.push_back(std::move(request));
  }
  if (g_world->due()) g_world->reset();
  if (run_input(stream, requests) == Outcome::kRetry) {
    g_world->reset();
    if (run_input(stream, requests) == Outcome::kRetry) finding("the fixture users cannot log in");
  }
  static const bool trace = std::getenv("WECHAT_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "---- input of %zu bytes, flags 0x%02x:\n", size, stream.flags);
    g_transcript.print();
  }
  return 0;
}
