// SPDX-License-Identifier: MIT
#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace wechat::chaos {

using namespace std::chrono_literals;

Result<pid_t> spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path) {
  // Everything the child needs is prepared before fork: the driver has threads (the proxy), so
  // between fork and exec the child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Status(Error::kIo, "fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the driver died before prctl took effect
    const int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Nothing else of the driver's may leak into the child: Asio opens its sockets without
    // O_CLOEXEC, and a proxied socket still open in a worker or the server is never really
    // closed, so the proxy's resets would never reach the clients.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    // The driver blocks no signals, but make sure SIGTERM reaches the child's default handling.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int stop_process(pid_t pid, int signal, std::chrono::milliseconds timeout) {
  if (pid <= 0) return 0;
  ::kill(pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return status;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return status;
}

std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

ServerProcess::ServerProcess(std::string binary, std::string data_dir, std::string log_dir,
                             std::vector<std::string> extra_args)
    : binary_(std::move(binary)),
      data_dir_(std::move(data_dir)),
      log_dir_(std::move(log_dir)),
      extra_args_(std::move(extra_args)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop_process(pid_, SIGKILL, 1s);
}

Status ServerProcess::start() {
  ++starts_;
  const std::string out = log_dir_ + "/server-stdout-" + std::to_string(starts_) + ".txt";
  std::vector<std::string> argv = {binary_,   "--listen",    "127.0.0.1:0",    "--data-dir",
                                   data_dir_, "--plaintext", "--scrypt-log2n", "4"};
  // The server takes --log-level once: `extra_args` may name another than warn.
  if (std::find(extra_args_.begin(), extra_args_.end(), "--log-level") == extra_args_.end()) {
    argv.insert(argv.end(), {"--log-level", "warn"});
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  WECHAT_ASSIGN_OR_RETURN(pid_, spawn(argv, out, log_dir_ + "/server.log"));
  // It prints "wechat-server <version> listening on 127.0.0.1:<port> (plaintext, role R)" once
  // bound.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    constexpr std::string_view kMarker = "listening on 127.0.0.1:";
    if (auto at = text.find(kMarker); at != std::string::npos) {
      const int port = std::atoi(text.c_str() + at + kMarker.size());
      if (port > 0 && port < 65536) {
        port_ = static_cast<std::uint16_t>(port);
        return Status();
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status(Error::kUnavailable,
                    "wechat-server exited at start; see " + log_dir_ + "/server.log");
    }
    std::this_thread::sleep_for(10ms);
  }
  kill_hard();
  return Status(Error::kUnavailable, "wechat-server did not report its port within 20 s");
}

void ServerProcess::kill_hard() {
  if (pid_ <= 0) return;
  stop_process(pid_, SIGKILL, 5s);
  pid_ = -1;
}

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  stop_process(pid_, SIGTERM, 15s);
  pid_ = -1;
}

}  // namespace wechat::chaos
