// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>

#include "server/rate_limiter.h"

using namespace wechat::server;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("token bucket: a full bucket gives its token to a clock reading older than its own") {
  // Two threads read the clock, then take the user's bucket lock in the other order: the later
  // one stamps the bucket first. The earlier reading must still find the token that is there.
  const auto t0 = Clock::now();
  TokenBucket bucket(10, 1, t0);
  const auto taken = bucket.reserve(t0 - 50ms, Clock::duration::zero());
  REQUIRE(taken.has_value());
  CHECK(*taken == Clock::duration::zero());
  // And the bucket's time did not go back: a token comes 100 ms after t0, not after t0 - 50 ms.
  CHECK(bucket.next_wait(t0 + 60ms) > 30ms);
  CHECK(bucket.next_wait(t0 + 100ms) == Clock::duration::zero());
}

TEST_CASE("token bucket: reservations wait for successive tokens, and a refusal takes nothing") {
  const auto t0 = Clock::now();
  TokenBucket bucket(10, 2, t0);  // a token every 100 ms
  CHECK(bucket.reserve(t0, 0ms) == Clock::duration::zero());
  CHECK(bucket.reserve(t0, 0ms) == Clock::duration::zero());
  CHECK_FALSE(bucket.reserve(t0, 50ms).has_value());  // the next token is 100 ms away
  const auto third = bucket.reserve(t0, 250ms);
  REQUIRE(third.has_value());
  CHECK(*third == std::chrono::duration_cast<Clock::duration>(100ms));
  const auto fourth = bucket.reserve(t0, 250ms);
  REQUIRE(fourth.has_value());
  CHECK(*fourth == std::chrono::duration_cast<Clock::duration>(200ms));
}

TEST_CASE("token bucket: give_back undoes the last reservation, up to the burst") {
  const auto t0 = Clock::now();
  TokenBucket bucket(0.001, 1, t0);  // no refill within the test
  REQUIRE(bucket.reserve(t0, 0ms).has_value());
  CHECK_FALSE(bucket.reserve(t0, 0ms).has_value());
  bucket.give_back();  // another limit refused the request that took it
  CHECK(bucket.reserve(t0, 0ms).has_value());
  bucket.give_back();
  bucket.give_back();  // never more than the burst
  CHECK(bucket.reserve(t0, 0ms).has_value());
  CHECK_FALSE(bucket.reserve(t0, 0ms).has_value());
}
