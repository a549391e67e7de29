// SPDX-License-Identifier: MIT
#include "wechat/clock.h"

#include <chrono>

namespace wechat {

UnixMillis SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace wechat
