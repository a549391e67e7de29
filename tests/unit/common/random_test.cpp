// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <set>

#include "common/random.h"

using wechat::detail::Id128;

TEST_CASE("ids: random 128-bit ids do not repeat and round-trip through hex and bytes") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const Id128 id = Id128::random();
    CHECK_FALSE(id.is_zero());
    const std::string hex = id.to_hex();
    CHECK(hex.size() == 32);
    CHECK(seen.insert(hex).second);
    CHECK(Id128::from_hex(hex) == id);
    CHECK(Id128::from_bytes(id.as_bytes()) == id);
  }
}

TEST_CASE("ids: malformed hex and wrong-length bytes are refused") {
  CHECK_FALSE(Id128::from_hex("abc").has_value());
  CHECK_FALSE(Id128::from_hex(std::string(32, 'g')).has_value());
  CHECK_FALSE(Id128::from_hex(std::string(32, 'A')).has_value());
  CHECK_FALSE(Id128::from_bytes(std::string(15, 'x')).has_value());
}

TEST_CASE("random: random_below stays in range and reaches every value") {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = wechat::detail::random_below(10);
    CHECK(v < 10);
    seen.insert(v);
  }
  CHECK(seen.size() == 10);
}
