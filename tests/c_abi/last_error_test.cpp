// SPDX-License-Identifier: MIT
// The C ABI's per-thread last error from the inside: bindings/c/wc_status.cpp is compiled into
// this test so that a failure can carry any Status. From outside, no immediate failure is rate
// limited today (server refusals reach C as results: wc_event_status_retry_after_ms).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <thread>

#include "bindings/c/wc_internal.h"

using wechat::Error;
using wechat::Status;
using wechat::cabi::fail;

TEST_CASE("c_abi last error: a rate-limited failure keeps its retry-after, per thread") {
  CHECK(fail(Status(Error::kRateLimited, "slow down").with_retry_after_ms(1500)) ==
        WC_ERROR_RATE_LIMITED);
  CHECK(std::string(wc_last_error_message()) == "slow down");
  CHECK(wc_last_error_retry_after_ms() == 1500);

  // Like the message, another thread has its own (nothing failed there yet).
  std::int64_t elsewhere = -1;
  std::thread([&] { elsewhere = wc_last_error_retry_after_ms(); }).join();
  CHECK(elsewhere == 0);
  CHECK(wc_last_error_retry_after_ms() == 1500);
}

TEST_CASE("c_abi last error: a failure that is not rate limited resets the retry-after to 0") {
  (void)fail(Status(Error::kRateLimited, "slow down").with_retry_after_ms(1500));
  CHECK(fail(Status(Error::kNotFound, "gone")) == WC_ERROR_NOT_FOUND);
  CHECK(wc_last_error_retry_after_ms() == 0);
  (void)fail(Status(Error::kRateLimited, "slow down").with_retry_after_ms(20));
  CHECK(fail(Error::kInvalidArgument, "out is NULL") == WC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(wc_last_error_message()) == "out is NULL");
  CHECK(wc_last_error_retry_after_ms() == 0);
}
