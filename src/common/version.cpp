// SPDX-License-Identifier: MIT
#include "wechat/version.h"

namespace wechat {

const char* version() noexcept { return WECHAT_VERSION_STRING; }

}  // namespace wechat
