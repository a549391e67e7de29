// SPDX-License-Identifier: MIT
// Fuzzes Tls13Records::open(), which decodes what a TLS client sends a server once the
// handshake is done. Byte 0 picks the suite and the mode; the rest is
//  - raw mode: wire bytes exactly as a peer could send them, opened as a stream. Without the
//    keys nearly every record fails authentication, so this is the header checks' fuzzing;
//  - sealed mode: entries (type, 2-byte length, content) that the peer's end seals with the
//    right keys, so every inner plaintext (content types, padding, alerts, KeyUpdate bodies)
//    reaches the parser. Type 0 leaves the content's own last bytes to be read as type and
//    padding. The peer also sends the KeyUpdates its (fuzzed, tiny) record limit calls for.
// Checked: results stay inside the input, application data is at most 2^14 bytes, an
// application-data entry opens to exactly its content, and nothing is opened after the stream
// failed or closed. Any violation traps, which libFuzzer reports as a crash.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "transport/tls13_records.h"

namespace {

using wechat::transport::detail::Tls13Records;
using Opened = Tls13Records::Opened;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr Tls13Records::Suite kSuites[] = {Tls13Records::Suite::kAes128GcmSha256,
                                           Tls13Records::Suite::kAes256GcmSha384,
                                           Tls13Records::Suite::kChaCha20Poly1305Sha256};

std::vector<std::uint8_t> secret(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> s(size);
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<std::uint8_t>(seed + 13 * i);
  return s;
}

// Opens one record at the start of `in`; false once the stream may not go on.
bool open_checked(Tls13Records& reader, std::vector<std::uint8_t>& in, std::size_t& offset,
                  Tls13Records::OpenResult& result) {
  std::error_code ec;
  std::span<std::uint8_t> rest(in.data() + offset, in.size() - offset);
  result = reader.open(rest, ec);
  switch (result.what) {
    case Opened::kIncomplete:
      check(!ec && result.consumed == 0);
      return false;
    case Opened::kFailed:
      check(static_cast<bool>(ec));
      return false;
    case Opened::kClosed:
    case Opened::kControl:
    case Opened::kData:
      check(!ec);
      check(result.consumed > Tls13Records::kHeaderSize + Tls13Records::kTagSize);
      check(result.consumed <= rest.size());
      check(result.consumed <= Tls13Records::kHeaderSize + Tls13Records::kMaxCiphertext);
      if (result.what == Opened::kData) {
        check(result.content.size() <= Tls13Records::kMaxPlaintext);
        check(result.content.data() >= rest.data() &&
              result.content.data() + result.content.size() <= rest.data() + result.consumed);
      }
      offset += result.consumed;
      return result.what != Opened::kClosed;
  }
  return false;
}

void fuzz_raw(Tls13Records& reader, const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> in(data, data + size);
  std::size_t offset = 0;
  Tls13Records::OpenResult result;
  while (open_checked(reader, in, offset, result)) {
  }
}

void fuzz_sealed(Tls13Records& reader, Tls13Records& peer, const std::uint8_t* data,
                 std::size_t size) {
  std::vector<std::uint8_t> control(Tls13Records::kControlSize);
  while (size >= 3) {
    const std::uint8_t type = data[0];
    std::size_t length = (std::size_t{data[1]} << 8) | data[2];
    data += 3;
    size -= 3;
    if (length > size) length = size;
    if (length > Tls13Records::kMaxPlaintext) length = Tls13Records::kMaxPlaintext;
    const std::span<const std::uint8_t> content(data, length);
    data += length;
    size -= length;

    std::vector<std::uint8_t> wire(Tls13Records::kControlSize + Tls13Records::sealed_size(length));
    const int update = peer.seal_pending_control(wire.data());
    check(update >= 0);
    check(peer.seal_record(type, content, wire.data() + update));
    wire.resize(static_cast<std::size_t>(update) + Tls13Records::sealed_size(length));

    std::size_t offset = 0;
    Tls13Records::OpenResult result;
    if (update > 0) {
      check(open_checked(reader, wire, offset, result) && result.what == Opened::kControl);
    }
    const bool go_on = open_checked(reader, wire, offset, result);
    if (type == 23) {  // application data: exactly its content comes out
      check(go_on && result.what == Opened::kData && result.content.size() == length &&
            (length == 0 || std::memcmp(result.content.data(), content.data(), length) == 0));
    }
    if (!go_on) return;  // failed or closed: the stream is over
    check(offset == wire.size());
    // A KeyUpdate made by hand moved the reader's key but not the peer's: later records would
    // rightly fail. (A user_canceled alert, the other control record, changes nothing.)
    if (result.what == Opened::kControl && type != 21) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const Tls13Records::Suite suite = kSuites[(mode >> 1) % 3];
  const std::size_t hash = suite == Tls13Records::Suite::kAes256GcmSha384 ? 48 : 32;
  const auto client = secret(hash, 1);
  const auto server = secret(hash, 77);
  const std::uint64_t records_per_key = 1 + ((mode >> 3) & 3);  // 1..4: KeyUpdates come often
  auto reader = Tls13Records::create(suite, client, server);
  auto peer = Tls13Records::create(suite, server, client, records_per_key);
  check(reader && peer);
  if ((mode & 1) == 0) {
    fuzz_raw(*reader, data + 1, size - 1);
  } else {
    fuzz_sealed(*reader, *peer, data + 1, size - 1);
  }
  return 0;
}
