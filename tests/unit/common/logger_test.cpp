// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "common/logger.h"

using wechat::LogLevel;
using wechat::LogOptions;
using wechat::detail::Logger;

TEST_CASE("logger: records at or above the level reach the sink with their component") {
  std::vector<std::string> got;
  LogOptions opts;
  opts.min_level = LogLevel::kInfo;
  opts.sink = [&](LogLevel level, std::string_view component, std::string_view message) {
    got.push_back(std::string(wechat::log_level_name(level)) + " " + std::string(component) + " " +
                  std::string(message));
  };
  Logger log(opts, "transport");
  log.debug("hidden {}", 1);
  log.info("listening on {}", 8443);
  log.with_component("server").error("boom");
  REQUIRE(got.size() == 2);
  CHECK(got[0] == "info transport listening on 8443");
  CHECK(got[1] == "error server boom");
}

TEST_CASE("logger: a default logger drops everything and a throwing sink is contained") {
  Logger quiet;
  CHECK_FALSE(quiet.enabled(LogLevel::kError));
  quiet.error("nobody hears this");

  LogOptions opts;
  opts.sink = [](LogLevel, std::string_view, std::string_view) {
    throw std::runtime_error("sink failed");
  };
  Logger loud(opts, "x");
  CHECK_NOTHROW(loud.warn("still fine"));
}
