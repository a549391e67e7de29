// SPDX-License-Identifier: MIT
#include "common/logger.h"

namespace wechat {

const char* log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "unknown";
}

namespace detail {

Logger::Logger(const LogOptions& options, std::string component)
    : sink_(options.sink ? std::make_shared<const LogSink>(options.sink) : nullptr),
      min_level_(options.min_level),
      component_(std::move(component)) {}

Logger Logger::with_component(std::string component) const {
  Logger copy = *this;
  copy.component_ = std::move(component);
  return copy;
}

void Logger::write(LogLevel level, std::string_view message) const {
  // A throwing sink must not take the library down with it: logging is best effort.
  try {
    (*sink_)(level, component_, message);
  } catch (...) {
  }
}

}  // namespace detail
}  // namespace wechat
