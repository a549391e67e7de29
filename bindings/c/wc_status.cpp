// SPDX-License-Identifier: MIT
// The error half of the C ABI: the thread-local last-error message and the exception boundary's
// helpers, plus wc_version().
#include <cstdint>
#include <string>

#include "bindings/c/wc_internal.h"
#include "wechat/version.h"

namespace wechat::cabi {
namespace {

// One per thread, like errno: a binding reads it right after the failing call on the same thread.
// Both are replaced together by every failure, so they always describe the same one.
thread_local std::string t_last_error;
thread_local std::int64_t t_last_retry_after_ms = 0;

void set_last_error(const char* message, std::int64_t retry_after_ms) noexcept {
  t_last_retry_after_ms = retry_after_ms;
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();  // out of memory: an empty message beats none at all
  }
}

}  // namespace

wc_status fail(const Status& status) noexcept {
  set_last_error(status.message().c_str(), status.retry_after_ms());
  return static_cast<wc_status>(status.code());
}

wc_status fail(Error code, const char* message) noexcept {
  set_last_error(message, 0);
  return static_cast<wc_status>(code);
}

bool in_string(const char* s, size_t len, std::string& out) {
  if (s == nullptr) {
    out.clear();
    return len == 0;
  }
  out.assign(s, len);
  return true;
}

}  // namespace wechat::cabi

extern "C" {

const char* wc_error_name(wc_status status) {
  if (status < 0 || status > 0xffff) return "unknown";
  return wechat::error_name(static_cast<wechat::Error>(status));
}

const char* wc_last_error_message(void) { return wechat::cabi::t_last_error.c_str(); }

int64_t wc_last_error_retry_after_ms(void) { return wechat::cabi::t_last_retry_after_ms; }

const char* wc_version(void) { return wechat::version(); }

}  // extern "C"
