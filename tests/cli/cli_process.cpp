// SPDX-License-Identifier: MIT
#include "cli_process.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

extern char** environ;

namespace wechat::testing {

using Clock = std::chrono::steady_clock;

CliProcess::CliProcess(std::uint16_t port, const std::string& data_dir) {
  int to_child[2];
  int from_child[2];
  REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  const std::string server = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> args = {WECHAT_CLI_BINARY, "--plain", "--plaintext", "--server", server,
                                   "--data-dir",      data_dir};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, WECHAT_CLI_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  in_ = to_child[1];
  out_ = from_child[0];
  REQUIRE_MESSAGE(rc == 0, "cannot start " WECHAT_CLI_BINARY);
}

CliProcess::~CliProcess() {
  close_input();
  if (pid_ > 0) {
    // Give it a moment to finish on its own, then make sure nothing outlives the test.
    if (wait_exit(std::chrono::seconds(5)) == -1 && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (out_ >= 0) ::close(out_);
}

void CliProcess::send(const std::string& line) {
  REQUIRE(in_ >= 0);
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(in_, data.data() + done, data.size() - done);
    REQUIRE_MESSAGE(n > 0, "wechat-cli closed its input");
    done += static_cast<std::size_t>(n);
  }
}

void CliProcess::close_input() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

bool CliProcess::read_some(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd fd{out_, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return true;
  char buffer[4096];
  const ssize_t n = ::read(out_, buffer, sizeof buffer);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  partial_.append(buffer, static_cast<std::size_t>(n));
  for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
    lines_.push_back(partial_.substr(0, nl));
    matched_.push_back(false);
    partial_.erase(0, nl + 1);
  }
  return true;
}

std::optional<std::string> CliProcess::expect(const std::function<bool(const std::string&)>& pred,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      if (!matched_[i] && pred(lines_[i])) {
        matched_[i] = true;
        return lines_[i];
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!read_some(std::min(left, std::chrono::milliseconds(200))) && eof_) {
      // Nothing more will come; check what is there once more.
      for (std::size_t i = 0; i < lines_.size(); ++i) {
        if (!matched_[i] && pred(lines_[i])) {
          matched_[i] = true;
          return lines_[i];
        }
      }
      return std::nullopt;
    }
  }
}

std::optional<std::string> CliProcess::expect_prefix(const std::string& prefix,
                                                     std::chrono::milliseconds timeout) {
  return expect([&](const std::string& line) { return line.rfind(prefix, 0) == 0; }, timeout);
}

std::string CliProcess::run(const std::string& line) {
  send(line);
  // The command word without the slash; a plain line is sent as "msg".
  std::string name = "msg";
  if (line.rfind('/', 0) == 0 && line.rfind("//", 0) != 0) {
    name = line.substr(
        1, line.find(' ') == std::string::npos ? std::string::npos : line.find(' ') - 1);
  }
  auto is = [](const std::string& l, const std::string& head) {
    return l == head || l.rfind(head + " ", 0) == 0;
  };
  auto result =
      expect([&](const std::string& l) { return is(l, "ok " + name) || is(l, "error " + name); });
  return result.value_or("");
}

int CliProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    // Keep reading, so a CLI blocked on a full stdout pipe can finish.
    read_some(std::chrono::milliseconds(20));
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      // Its last lines: read to the end of the pipe (bounded).
      const auto until = Clock::now() + std::chrono::seconds(2);
      while (!eof_ && Clock::now() < until) read_some(std::chrono::milliseconds(50));
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string CliProcess::transcript() const {
  std::string all;
  for (const auto& l : lines_) all += l + "\n";
  return all;
}

}  // namespace wechat::testing
