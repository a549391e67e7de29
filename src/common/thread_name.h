// SPDX-License-Identifier: MIT
#ifndef WECHAT_COMMON_THREAD_NAME_H_
#define WECHAT_COMMON_THREAD_NAME_H_

namespace wechat::detail {

/// Names the calling thread (at most 15 characters are kept), so that `top -H`, gdb and
/// `perf report --sort comm` tell the library's threads apart. Best effort: errors are ignored.
void set_thread_name(const char* name) noexcept;

}  // namespace wechat::detail

#endif  // WECHAT_COMMON_THREAD_NAME_H_
