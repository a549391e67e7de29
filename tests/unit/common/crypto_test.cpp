// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "common/crypto.h"
#include "common/random.h"

using namespace wechat::detail;

TEST_CASE("crypto: sha256 matches the FIPS 180-2 test vector") {
  CHECK(to_hex(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("crypto: scrypt matches RFC 7914 test vector 2") {
  ScryptParams p{1024, 8, 16};
  auto out = scrypt("password", "NaCl", p, 64);
  REQUIRE(out.ok());
  CHECK(to_hex(*out) ==
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST_CASE("crypto: scrypt refuses a cost that is not a power of two") {
  auto out = scrypt("pw", "salt", ScryptParams{1000, 8, 1});
  CHECK(out.code() == wechat::Error::kInvalidArgument);
}

TEST_CASE("crypto: constant-time comparison tells equal from different") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}
