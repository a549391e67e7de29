// SPDX-License-Identifier: MIT
#ifndef WECHAT_LOG_H_
#define WECHAT_LOG_H_

/// @file
/// The library never prints: it hands log records to a sink the application installs.

#include <functional>
#include <string_view>

#include "wechat/export.h"

namespace wechat {

enum class LogLevel { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

/// "trace", "debug", "info", "warn", "error" or "off".
WECHAT_API const char* log_level_name(LogLevel level) noexcept;

/// Receives one log record. `component` names the part that logged ("transport", "server", ...).
/// Called from library threads (I/O, worker, store), possibly from several at once: a sink must
/// be thread-safe and must not call back into the object that logs. Records never contain a
/// password, session token or verification code.
using LogSink =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

/// Where and how much to log. Default: nothing is logged.
struct LogOptions {
  LogSink sink;                         ///< Default: empty, records are dropped.
  LogLevel min_level = LogLevel::kInfo;  ///< Records below this level are not even formatted.
};

}  // namespace wechat

#endif  // WECHAT_LOG_H_
