// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "common/error_codes.h"
#include "wechat/status.h"

using wechat::Error;
using wechat::Result;
using wechat::Status;

namespace {
Result<int> parse_positive(int v) {
  if (v <= 0) return Status(Error::kInvalidArgument, "not positive");
  return v;
}
Result<int> doubled(int v) {
  WECHAT_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}
Status check(int v) {
  WECHAT_TRY(parse_positive(v));
  return {};
}
}  // namespace

TEST_CASE("status: a default status is ok and prints as ok") {
  Status s;
  CHECK(s.ok());
  CHECK(s.to_string() == "ok");
}

TEST_CASE("status: an error keeps its code and message") {
  Status s(Error::kUsernameTaken, "alice is taken");
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Error::kUsernameTaken);
  CHECK(s.to_string() == "username_taken: alice is taken");
}

TEST_CASE("status: a rate-limited status carries how long to wait, and prints it") {
  const Status plain(Error::kRateLimited, "slow down");
  CHECK(plain.retry_after_ms() == 0);
  const Status limited = Status(Error::kRateLimited, "slow down").with_retry_after_ms(1500);
  CHECK(limited.code() == Error::kRateLimited);
  CHECK(limited.message() == "slow down");
  CHECK(limited.retry_after_ms() == 1500);
  CHECK(limited.to_string() == "rate_limited: slow down (retry after 1500 ms)");
  // From an lvalue: a changed copy, the original untouched.
  const Status longer = limited.with_retry_after_ms(3000);
  CHECK(longer.retry_after_ms() == 3000);
  CHECK(limited.retry_after_ms() == 1500);
  // The wait is part of the value.
  CHECK(limited != plain);
  CHECK(limited == Status(Error::kRateLimited, "slow down").with_retry_after_ms(1500));
  CHECK(Status(Error::kRateLimited, "x").with_retry_after_ms(-5).retry_after_ms() == 0);
  // It survives a Result and WECHAT_TRY.
  const Result<int> r = limited;
  CHECK(r.status().retry_after_ms() == 1500);
  const auto forward = [&]() -> Status {
    WECHAT_TRY(r);
    return {};
  };
  CHECK(forward().retry_after_ms() == 1500);
}

TEST_CASE("result: holds a value or an error and the macros propagate errors") {
  CHECK(doubled(4).value() == 8);
  auto bad = doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == Error::kInvalidArgument);
  CHECK(check(3).ok());
  CHECK(check(0).code() == Error::kInvalidArgument);
}

TEST_CASE("result: built from an ok status becomes an internal error, never a fake value") {
  Result<int> r{Status()};
  CHECK_FALSE(r.ok());
  CHECK(r.code() == Error::kInternal);
}

TEST_CASE("error codes: numbers off the wire map into the closed set") {
  CHECK(wechat::detail::error_from_int(103) == Error::kUsernameTaken);
  CHECK(wechat::detail::error_from_int(0) == Error::kOk);
  CHECK(wechat::detail::error_from_int(99) == Error::kInternal);
  CHECK(wechat::detail::error_from_int(-5) == Error::kInternal);
  CHECK(wechat::detail::error_from_int(1 << 20) == Error::kInternal);
  CHECK(std::string(wechat::error_name(static_cast<Error>(999))) == "unknown");
}
