// SPDX-License-Identifier: MIT
// Tls13Records on its own: two ends with mirrored secrets seal and open each other's records.
// (tls_socket_test.cpp checks the same code against OpenSSL's own record layer.)
#include "transport/tls13_records.h"

#include <doctest/doctest.h>

#include <asio/ssl/error.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using wechat::transport::detail::Tls13Records;
using Suite = Tls13Records::Suite;
using Opened = Tls13Records::Opened;

namespace {

std::vector<std::uint8_t> secret(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> s(size);
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return s;
}

std::size_t hash_size(Suite suite) { return suite == Suite::kAes256GcmSha384 ? 48 : 32; }

// A server and the client it talks to: each reads with the secret the other writes with.
struct Ends {
  explicit Ends(Suite suite, std::uint64_t records_per_key = Tls13Records::kDefaultRecordsPerKey)
      : client_secret(secret(hash_size(suite), 1)),
        server_secret(secret(hash_size(suite), 101)),
        server(Tls13Records::create(suite, client_secret, server_secret, records_per_key)),
        client(Tls13Records::create(suite, server_secret, client_secret, records_per_key)) {
    REQUIRE(server);
    REQUIRE(client);
  }
  std::vector<std::uint8_t> client_secret;
  std::vector<std::uint8_t> server_secret;
  std::unique_ptr<Tls13Records> server;
  std::unique_ptr<Tls13Records> client;
};

std::vector<std::uint8_t> seal(Tls13Records& from, const std::string& text) {
  std::vector<std::uint8_t> record(Tls13Records::sealed_size(text.size()));
  REQUIRE(from.seal_data(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                         record.data()));
  return record;
}

std::string content(const Tls13Records::OpenResult& r) {
  return {reinterpret_cast<const char*>(r.content.data()), r.content.size()};
}

}  // namespace

TEST_CASE("tls13 records: every suite seals and opens both ways, in order") {
  for (Suite suite :
       {Suite::kAes128GcmSha256, Suite::kAes256GcmSha384, Suite::kChaCha20Poly1305Sha256}) {
    CAPTURE(static_cast<int>(suite));
    Ends ends(suite);
    for (int i = 0; i < 3; ++i) {
      const std::string text = "message " + std::to_string(i);
      auto record = seal(*ends.server, text);
      CHECK(record.size() == 5 + text.size() + 1 + 16);
      std::error_code ec;
      auto opened = ends.client->open(record, ec);
      REQUIRE(opened.what == Opened::kData);
      CHECK_FALSE(ec);
      CHECK(opened.consumed == record.size());
      CHECK(content(opened) == text);

      auto back = seal(*ends.client, text + " back");
      opened = ends.server->open(back, ec);
      REQUIRE(opened.what == Opened::kData);
      CHECK(content(opened) == text + " back");
    }
  }
}

TEST_CASE("tls13 records: an empty and a full-size record open; a record opens only once") {
  Ends ends(Suite::kAes128GcmSha256);
  std::error_code ec;
  auto empty = seal(*ends.client, "");
  auto opened = ends.server->open(empty, ec);
  CHECK(opened.what == Opened::kData);
  CHECK(opened.content.empty());

  const std::string full(Tls13Records::kMaxPlaintext, 'x');
  auto record = seal(*ends.client, full);
  const auto copy = record;
  opened = ends.server->open(record, ec);
  REQUIRE(opened.what == Opened::kData);
  CHECK(content(opened) == full);
  // Replayed, it is opened with the next sequence number and fails authentication.
  auto replay = copy;
  CHECK(ends.server->open(replay, ec).what == Opened::kFailed);
  CHECK(ec.category() == asio::error::get_ssl_category());
}

TEST_CASE("tls13 records: a record is opened only once all of it is there") {
  Ends ends(Suite::kChaCha20Poly1305Sha256);
  const auto record = seal(*ends.client, "split across reads");
  for (std::size_t n = 0; n < record.size(); ++n) {
    auto prefix = std::vector<std::uint8_t>(record.begin(), record.begin() + n);
    std::error_code ec;
    CHECK(ends.server->open(prefix, ec).what == Opened::kIncomplete);
    CHECK_FALSE(ec);
  }
  auto whole = record;
  std::error_code ec;
  CHECK(ends.server->open(whole, ec).what == Opened::kData);
}

TEST_CASE("tls13 records: a changed byte anywhere fails authentication") {
  Ends ends(Suite::kAes256GcmSha384);
  const auto record = seal(*ends.client, "do not touch");
  // Bytes 1..4 (version, length) are checked before decryption; the type byte too.
  for (std::size_t i = 0; i < record.size(); ++i) {
    CAPTURE(i);
    Ends fresh(Suite::kAes256GcmSha384);
    auto changed = seal(*fresh.client, "do not touch");
    changed[i] ^= 0x01;
    std::error_code ec;
    const auto opened = fresh.server->open(changed, ec);
    if (i == 3 || i == 4) {  // a different length: incomplete, or too short for its tag
      CHECK(opened.what != Opened::kData);
      continue;
    }
    CHECK(opened.what == Opened::kFailed);
    CHECK(ec.category() == asio::error::get_ssl_category());
  }
}

TEST_CASE("tls13 records: malformed headers fail before the record arrives") {
  Ends ends(Suite::kAes128GcmSha256);
  auto fails = [&](std::vector<std::uint8_t> header, const char* why) {
    CAPTURE(why);
    std::error_code ec;
    CHECK(ends.server->open(header, ec).what == Opened::kFailed);
    CHECK(ec.category() == asio::error::get_ssl_category());
    CHECK_FALSE(ec.message().empty());
  };
  fails({0x17, 0x03, 0x03, 0x41, 0x01}, "longer than 2^14 + 256");
  fails({0x17, 0x03, 0x03, 0x00, 0x10}, "shorter than a tag and a type");
  fails({0x15, 0x03, 0x03, 0x00, 0x02}, "an unprotected alert");
  fails({0x16, 0x03, 0x03, 0x00, 0x20}, "an unprotected handshake message");
  fails({0x17, 0x03, 0x01, 0x00, 0x20}, "another version");
  // The largest allowed length is merely incomplete.
  std::vector<std::uint8_t> largest{0x17, 0x03, 0x03, 0x41, 0x00};
  std::error_code ec;
  CHECK(ends.server->open(largest, ec).what == Opened::kIncomplete);
}

TEST_CASE("tls13 records: close_notify closes") {
  Ends ends(Suite::kAes128GcmSha256);
  std::vector<std::uint8_t> alert(Tls13Records::sealed_size(2));
  REQUIRE(ends.client->seal_close_notify(alert.data()));
  std::error_code ec;
  const auto opened = ends.server->open(alert, ec);
  CHECK(opened.what == Opened::kClosed);
  CHECK(opened.consumed == alert.size());
  CHECK_FALSE(ec);
}

TEST_CASE("tls13 records: at its record limit a key is replaced through a KeyUpdate") {
  Ends ends(Suite::kAes128GcmSha256, /*records_per_key=*/3);
  std::vector<std::uint8_t> control(Tls13Records::kControlSize);
  int updates = 0;
  for (int i = 0; i < 10; ++i) {
    // What a writer does before each record: send the KeyUpdate that is due, if any.
    const int n = ends.server->seal_pending_control(control.data());
    REQUIRE(n >= 0);
    std::error_code ec;
    if (n > 0) {
      ++updates;
      auto update = std::vector<std::uint8_t>(control.begin(), control.begin() + n);
      CHECK(ends.client->open(update, ec).what == Opened::kControl);
      CHECK_FALSE(ec);
    }
    auto record = seal(*ends.server, "record " + std::to_string(i));
    const auto opened = ends.client->open(record, ec);
    REQUIRE(opened.what == Opened::kData);
    CHECK(content(opened) == "record " + std::to_string(i));
  }
  CHECK(updates == 3);  // before records 3, 6 and 9
  // The reader asked for nothing, so it owes no update of its own.
  CHECK(ends.client->seal_pending_control(control.data()) == 0);
}

TEST_CASE("tls13 records: a key that moved on no longer opens the old key's records") {
  Ends ends(Suite::kAes128GcmSha256, /*records_per_key=*/1);
  auto first = seal(*ends.server, "one");
  std::vector<std::uint8_t> control(Tls13Records::kControlSize);
  REQUIRE(ends.server->seal_pending_control(control.data()) > 0);
  auto second = seal(*ends.server, "two");
  std::error_code ec;
  CHECK(ends.client->open(first, ec).what == Opened::kData);
  // The KeyUpdate went missing: the next record is under a key the reader does not have.
  CHECK(ends.client->open(second, ec).what == Opened::kFailed);
}

TEST_CASE("tls13 records: secrets of the wrong length are refused") {
  const auto s32 = secret(32, 1);
  const auto s48 = secret(48, 1);
  CHECK(Tls13Records::create(Suite::kAes128GcmSha256, s48, s48) == nullptr);
  CHECK(Tls13Records::create(Suite::kAes256GcmSha384, s32, s32) == nullptr);
  CHECK(Tls13Records::create(Suite::kChaCha20Poly1305Sha256, s32, s48) == nullptr);
  CHECK(Tls13Records::create(Suite::kAes128GcmSha256, s32, s32, 0) == nullptr);
  CHECK(Tls13Records::suite_from_id(0x1301) == Suite::kAes128GcmSha256);
  CHECK(Tls13Records::suite_from_id(0x1304) == std::nullopt);  // CCM: left to OpenSSL
  CHECK(Tls13Records::suite_from_id(0xc02f) == std::nullopt);  // a TLS 1.2 suite
}
