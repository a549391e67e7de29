// SPDX-License-Identifier: MIT
#include "proto/protobuf_logging.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>

namespace wechat::detail {

void silence_protobuf_logging() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(nullptr); });
}

}  // namespace wechat::detail
