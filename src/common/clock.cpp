// SPDX-License-Identifier: MIT
#include "common/clock.h"

#include <chrono>

namespace wechat::detail {

UnixMillis SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace wechat::detail
