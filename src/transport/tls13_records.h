// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_TLS13_RECORDS_H_
#define WECHAT_TRANSPORT_TLS13_RECORDS_H_

// TLS 1.3 record protection (RFC 8446 §5, §7.2, §7.3) for a session whose handshake OpenSSL has
// finished. A server hands each established session over to this and frees OpenSSL's `SSL`
// object, which holds ~14 KB per connection for as long as it lives and cannot be trimmed; what
// stays is the two traffic secrets, keys and sequence numbers (~250 bytes). It does what the
// kernel's kTLS does after a handshake, in user space: the AEAD is OpenSSL's, the framing ours.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <system_error>

namespace wechat::transport::detail {

/// An OpenSSL SSL-library reason code (SSL_R_*, ERR_R_*) as the error_code asio's ssl
/// category gives for it, so a failure of ours reads like OpenSSL's own.
std::error_code tls_error(int reason);

class Tls13Records {
 public:
  /// The TLS 1.3 cipher suites OpenSSL 3.0 negotiates by default.
  enum class Suite : std::uint16_t {
    kAes128GcmSha256 = 0x1301,
    kAes256GcmSha384 = 0x1302,
    kChaCha20Poly1305Sha256 = 0x1303,
  };
  /// The suite with this IANA id, if it is one of the above.
  static std::optional<Suite> suite_from_id(std::uint16_t id);

  static constexpr std::size_t kHeaderSize = 5;
  static constexpr std::size_t kTagSize = 16;
  /// Largest plaintext per record (2^14), and largest TLSCiphertext.length (2^14 + 256).
  static constexpr std::size_t kMaxPlaintext = 16384;
  static constexpr std::size_t kMaxCiphertext = kMaxPlaintext + 256;
  /// Records sealed under one key before we move to the next with a KeyUpdate: well inside
  /// the 2^24.5 full-size records RFC 8446 §5.5 allows AES-GCM.
  static constexpr std::uint64_t kDefaultRecordsPerKey = std::uint64_t{1} << 23;

  /// Keys for a session from its application traffic secrets (the hash length of `suite`:
  /// 32 or 48 bytes): `read_secret` the peer's, `write_secret` ours. Null if the lengths are
  /// wrong or OpenSSL cannot derive the keys. Sequence numbers start at 0, so no record may
  /// have been sent or received under these secrets yet.
  static std::unique_ptr<Tls13Records> create(
      Suite suite, std::span<const std::uint8_t> read_secret,
      std::span<const std::uint8_t> write_secret,
      std::uint64_t records_per_key = kDefaultRecordsPerKey);
  ~Tls13Records();
  Tls13Records(const Tls13Records&) = delete;
  Tls13Records& operator=(const Tls13Records&) = delete;

  /// What open() found at the start of its input.
  enum class Opened {
    kIncomplete,  // not a whole record yet: keep the bytes, read more
    kData,        // application data (possibly empty) at `content`
    kControl,     // a KeyUpdate or a user_canceled alert, handled: nothing for the caller
    kClosed,      // the peer's close_notify: nothing after it may be read
    kFailed,      // `ec` says why (asio's ssl category); the session is unusable
  };
  struct OpenResult {
    Opened what = Opened::kIncomplete;
    std::span<const std::uint8_t> content;  // kData: inside the input buffer
    std::size_t consumed = 0;               // bytes of the input the record took
  };
  /// Opens the record at the start of `in`, decrypting in place (so `in` is modified).
  OpenResult open(std::span<std::uint8_t> in, std::error_code& ec);

  /// Bytes a record with `n` bytes of content takes on the wire.
  static constexpr std::size_t sealed_size(std::size_t n) { return kHeaderSize + n + 1 + kTagSize; }
  /// Bytes seal_pending_control() may write at most.
  static constexpr std::size_t kControlSize = kHeaderSize + 5 + 1 + kTagSize;

  /// Seals `content` (at most kMaxPlaintext bytes) as one application data record into `out`
  /// (sealed_size(content.size()) bytes). False only if OpenSSL fails (or `content` is too
  /// long).
  bool seal_data(std::span<const std::uint8_t> content, std::uint8_t* out);
  /// The same with any inner content type: the tests and the fuzzer make every kind of record
  /// with it (type 0 leaves the content's own trailing bytes to be read as type and padding).
  bool seal_record(std::uint8_t type, std::span<const std::uint8_t> content, std::uint8_t* out);
  /// Seals the close_notify alert into `out` (sealed_size(2) bytes).
  bool seal_close_notify(std::uint8_t* out);
  /// The KeyUpdate that must precede our next application data, if any (the peer asked for
  /// one, or the current key reached its record limit): seals it into `out` (kControlSize
  /// bytes), moves to the next write key and returns its size; 0 when none is due, or -1 if
  /// OpenSSL fails.
  int seal_pending_control(std::uint8_t* out);

 private:
  // One direction's traffic secret (kept for the next KeyUpdate), key, IV and sequence number.
  struct Direction {
    std::array<std::uint8_t, 48> secret{};
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 12> iv{};
    std::uint64_t sequence = 0;
  };
  Tls13Records(Suite suite, std::uint64_t records_per_key);
  // Derives `d`'s key and IV from `secret` and restarts its sequence.
  bool install(Direction& d, std::span<const std::uint8_t> secret) const;
  // Moves `d` to the next traffic secret (RFC 8446 §7.2, "traffic upd").
  bool advance(Direction& d) const;
  // Runs the AEAD over one record with `d`'s next nonce.
  bool crypt(Direction& d, bool encrypt, const std::uint8_t* header, std::uint8_t* data,
             std::size_t size, std::uint8_t* tag) const;
  Opened handle_key_update(std::span<const std::uint8_t> message, std::error_code& ec);

  Suite suite_;
  std::uint64_t records_per_key_;
  Direction read_;
  Direction write_;
  bool update_owed_ = false;  // the peer asked us to update our write key
};

}  // namespace wechat::transport::detail

#endif  // WECHAT_TRANSPORT_TLS13_RECORDS_H_
