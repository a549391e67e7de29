// SPDX-License-Identifier: MIT
// The wechat-server binary itself: flags, what it prints, TLS by default, clean shutdown.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "support/client_harness.h"
#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

extern char** environ;

namespace {

/// wechat-server as a child process with its stdout on a pipe.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    args.insert(args.begin(), WECHAT_SERVER_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, WECHAT_SERVER_BINARY, &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }
  /// Reads stdout until `pattern` matches (or 10 s pass); returns the first capture group.
  std::string wait_for(const std::string& pattern) {
    const std::regex re(pattern);
    std::smatch m;
    for (int i = 0; i < 100; ++i) {
      if (std::regex_search(output_, m, re)) return m[1].str();
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buf[512];
        const auto n = read(out_, buf, sizeof buf);
        if (n > 0) output_.append(buf, static_cast<std::size_t>(n));
      }
    }
    FAIL("wechat-server never printed " << pattern << "; it printed: " << output_);
    return {};
  }
  /// Sends `sig` and returns the exit status.
  int stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string output_;
};

}  // namespace

TEST_CASE("wechat-server: plaintext on a free port serves requests and stops cleanly on SIGTERM") {
  TempDir dir;
  ServerProcess server({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--plaintext",
                        "--scrypt-log2n", "4", "--log-level", "warn"});
  const auto port = static_cast<std::uint16_t>(std::stoi(server.wait_for(R"(listening on 127\.0\.0\.1:(\d+))")));
  auto client = TestClient::connect(port);
  REQUIRE(client.ok());
  auto response = (*client)->call(req::request_code("someone@example.com", v1::CODE_PURPOSE_REGISTER));
  REQUIRE(response.ok());
  CHECK(error_of(*response) == Error::kOk);
  CHECK(server.stop(SIGTERM) == 0);
  // The development mailer wrote the code where the server said it would.
  CHECK(std::filesystem::exists(dir.path() / "mail"));
}

TEST_CASE("wechat-server: TLS by default with a generated certificate whose fingerprint it prints") {
  TempDir dir;
  ServerProcess server({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                        "--scrypt-log2n", "4", "--log-level", "warn"});
  const auto port = static_cast<std::uint16_t>(std::stoi(server.wait_for(R"(listening on 127\.0\.0\.1:(\d+))")));
  const auto fingerprint = server.wait_for(R"(SHA-256 fingerprint ([0-9a-f]{64}))");
  CHECK(std::filesystem::exists(dir.path() / "tls-cert.pem"));

  TempDir client_dir;
  ClientOptions options;
  options.port = port;
  options.pinned_sha256 = fingerprint;
  options.data_dir = client_dir.path().string();
  auto client = Client::create(options).value();
  CHECK(await_done([&](auto cb) {
          client->request_code("tls@example.com", CodePurpose::kRegister, cb);
        }).ok());
  CHECK(server.stop(SIGINT) == 0);
}

TEST_CASE("wechat-server: a bad flag is refused with a message and a failing exit status") {
  TempDir dir;
  ServerProcess server({"--listen", "nonsense", "--data-dir", dir.path().string()});
  CHECK(server.stop(0) != 0);
}
