// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_ERROR_CODES_H_
#define WECHAT_COMMON_ERROR_CODES_H_

#include <cstdint>

#include "wechat/status.h"

namespace wechat::detail {

/// Maps a number read off the wire (or from the C ABI) to an `Error`. Numbers this build does
/// not know become `Error::kInternal` rather than an enum value outside the closed set.
Error error_from_int(std::int64_t value) noexcept;

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_ERROR_CODES_H_
