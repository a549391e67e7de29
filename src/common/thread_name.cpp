// SPDX-License-Identifier: MIT
#include "common/thread_name.h"

#include <pthread.h>

namespace wechat::detail {

void set_thread_name(const char* name) noexcept { (void)pthread_setname_np(pthread_self(), name); }

}  // namespace wechat::detail
