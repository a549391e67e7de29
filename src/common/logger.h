// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_LOGGER_H_
#define WECHAT_COMMON_LOGGER_H_

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "wechat/log.h"

namespace wechat::detail {

/// A cheap-to-copy handle on the application's log sink, tagged with a component name.
/// Formatting happens only when the level is enabled.
///
/// @par Thread Safety
/// Const methods are safe from any thread (the sink must be thread-safe, see LogSink).
class Logger {
 public:
  Logger() = default;  ///< Drops everything.
  Logger(const LogOptions& options, std::string component);

  /// The same sink and level under another component name.
  Logger with_component(std::string component) const;

  bool enabled(LogLevel level) const noexcept { return sink_ && level >= min_level_; }

  template <typename... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) const {
    if (!enabled(level)) return;
    write(level, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::kTrace, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::kDebug, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::kInfo, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void warn(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::kWarn, f, std::forward<Args>(a)...); }
  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... a) const { log(LogLevel::kError, f, std::forward<Args>(a)...); }

 private:
  void write(LogLevel level, std::string_view message) const;

  std::shared_ptr<const LogSink> sink_;
  LogLevel min_level_ = LogLevel::kOff;
  std::string component_;
};

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_LOGGER_H_
