// SPDX-License-Identifier: MIT
#include "common/error_codes.h"

#include <cstring>

namespace wechat::detail {

Error error_from_int(std::int64_t value) noexcept {
  if (value < 0 || value > 0xffff) return Error::kInternal;
  const auto code = static_cast<Error>(value);
  // error_name() lists exactly the closed set, so it doubles as the membership test.
  return std::strcmp(error_name(code), "unknown") == 0 ? Error::kInternal : code;
}

}  // namespace wechat::detail
