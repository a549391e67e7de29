// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CLI_CLI_PROCESS_H_
#define WECHAT_TESTS_CLI_CLI_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wechat::testing {

/// The wechat-cli binary (WECHAT_CLI_BINARY) running in line mode against a local server, fed
/// through a pipe to its stdin and read line by line from a pipe on its stdout. Killed (and
/// reaped) on destruction if it is still running.
class CliProcess {
 public:
  /// Starts `wechat-cli --plain --plaintext --server 127.0.0.1:<port> --data-dir <data_dir>`.
  CliProcess(std::uint16_t port, const std::string& data_dir);
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  /// Writes one command line.
  void send(const std::string& line);
  /// Closes stdin: the CLI drains its outbox and exits.
  void close_input();

  /// The first output line not matched before that satisfies `pred`, waiting up to `timeout`.
  /// Each line matches once; earlier unmatched lines stay available.
  std::optional<std::string> expect(const std::function<bool(const std::string&)>& pred,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// expect() for a line starting with `prefix`.
  std::optional<std::string> expect_prefix(
      const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Sends `line` and waits for its `ok <name>` or `error <name>` line (name: the command word
  /// without the slash). Returns that line, or "" on timeout.
  std::string run(const std::string& line);

  /// Waits for the process to exit; its exit status, or -1 on timeout or a signal.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  /// Every line read so far (for failure messages).
  std::string transcript() const;

 private:
  /// Reads what is available, waiting up to `timeout` for something. False at end of output.
  bool read_some(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int in_ = -1;   // its stdin
  int out_ = -1;  // its stdout
  std::string partial_;
  std::vector<std::string> lines_;
  std::vector<bool> matched_;
  bool eof_ = false;
};

}  // namespace wechat::testing

#endif  // WECHAT_TESTS_CLI_CLI_PROCESS_H_
