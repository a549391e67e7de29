// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_PROCESS_H_
#define WECHAT_TESTS_CHAOS_PROCESS_H_

// Child processes of the driver: the real wechat-server, and the worker processes.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "wechat/status.h"

namespace wechat::chaos {

/// Starts `argv` (argv[0] is the program path) with stdout to `stdout_path` and stderr to
/// `stderr_path` (both appended). The child gets SIGKILL if the driver dies, so that no server
/// or worker outlives a crashed or interrupted run. Errors: kIo.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path);

/// Sends `signal` to `pid` and waits for it to exit, up to `timeout`; then SIGKILLs it and
/// waits. Returns the wait status.
int stop_process(pid_t pid, int signal, std::chrono::milliseconds timeout);

/// The path of the running executable (for the driver to start itself as a worker).
std::string self_path();

/// The reference server as a child process, killed and restarted on the same data directory.
/// Listens on 127.0.0.1 with a fresh port each start (read back from its stdout), so that a
/// restart never waits for the old port to be released. `extra_args` go after the fixed ones
/// (a cluster node's --role, --store, --redis); "--log-level L" among them replaces the default
/// warn.
class ServerProcess {
 public:
  ServerProcess(std::string binary, std::string data_dir, std::string log_dir,
                std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// Starts it and waits until it listens. Errors: kIo, kUnavailable (it exited or never
  /// printed its address).
  Status start();
  /// SIGKILL, as a crash or an OOM kill would: no clean shutdown, no final commit.
  void kill_hard();
  /// SIGTERM, waiting for the clean shutdown.
  void stop();
  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  int starts() const { return starts_; }

 private:
  std::string binary_;
  std::string data_dir_;
  std::string log_dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int starts_ = 0;
};

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_PROCESS_H_
