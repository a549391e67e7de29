// SPDX-License-Identifier: MIT
#ifndef WECHAT_CLI_LINE_MODE_H_
#define WECHAT_CLI_LINE_MODE_H_

/// @file
/// Line mode: one command per input line, one output line per result or event. For scripts,
/// pipes and tests (docs/cli.md describes the output).

#include <chrono>
#include <cstdio>
#include <istream>
#include <mutex>
#include <string>

#include "commands.h"

namespace wechat::cli {

/// Writes whole lines, each flushed at once, from any thread: lines never interleave.
class LineOutput {
 public:
  explicit LineOutput(std::FILE* out) : out_(out) {}
  void write(const std::string& line);

 private:
  std::mutex mutex_;
  std::FILE* out_;
};

struct LineModeOptions {
  /// At the end of input, how long to wait for the server to acknowledge queued messages.
  std::chrono::milliseconds drain_timeout{10000};
};

/// Runs line mode until the end of `in` or /quit, printing events as they arrive. Returns the
/// exit status: 0, or 1 if any command failed, a sent message was refused, or messages were
/// still unacknowledged when the drain timed out.
///
/// REQUIRES: `out` outlives `commands` (events may arrive until the Client is destroyed).
int run_line_mode(Commands& commands, std::istream& in, LineOutput& out,
                  const LineModeOptions& options = {});

}  // namespace wechat::cli

#endif  // WECHAT_CLI_LINE_MODE_H_
