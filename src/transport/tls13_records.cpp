// SPDX-License-Identifier: MIT
#include "transport/tls13_records.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include <asio/ssl/error.hpp>
#include <cstring>
#include <limits>

namespace wechat::transport::detail {
namespace {

// Record content types and the one post-handshake message a client may send us.
constexpr std::uint8_t kAlert = 21;
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kApplicationData = 23;
constexpr std::uint8_t kKeyUpdate = 24;
constexpr std::uint8_t kCloseNotify = 0;
constexpr std::uint8_t kUserCanceled = 90;

// What each suite uses (RFC 8446 §B.4). The ciphers are fetched once: passing
// OpenSSL 3 a fetched algorithm spares every call a lookup by name.
struct SuiteInfo {
  const EVP_CIPHER* cipher;
  std::size_t key_size;
  std::size_t hash_size;
};

const SuiteInfo& info(Tls13Records::Suite suite) {
  static const SuiteInfo aes128{EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr), 16, 32};
  static const SuiteInfo aes256{EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), 32, 48};
  static const SuiteInfo chacha{EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr), 32, 32};
  switch (suite) {
    case Tls13Records::Suite::kAes128GcmSha256:
      return aes128;
    case Tls13Records::Suite::kAes256GcmSha384:
      return aes256;
    case Tls13Records::Suite::kChaCha20Poly1305Sha256:
      break;
  }
  return chacha;
}

// A TLS13-KDF context per thread and digest with the mode, digest and prefix set once:
// setting a digest by name costs OpenSSL 3 a fetch, and a session derives keys four times.
struct ThreadKdf {
  explicit ThreadKdf(const char* digest) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_TLS1_3_KDF, nullptr);
    ctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
    EVP_KDF_free(kdf);  // the context holds its own reference
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    static char prefix[] = "tls13 ";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, prefix, sizeof prefix - 1),
        OSSL_PARAM_construct_end()};
    if (ctx != nullptr && EVP_KDF_CTX_set_params(ctx, params) != 1) {
      EVP_KDF_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~ThreadKdf() { EVP_KDF_CTX_free(ctx); }
  ThreadKdf(const ThreadKdf&) = delete;
  ThreadKdf& operator=(const ThreadKdf&) = delete;
  EVP_KDF_CTX* ctx;
};

// HKDF-Expand-Label(secret, label, "", out.size()) (RFC 8446 §7.1), by OpenSSL's TLS13-KDF.
bool expand_label(const SuiteInfo& suite, std::span<const std::uint8_t> secret, const char* label,
                  std::span<std::uint8_t> out) {
  thread_local ThreadKdf sha256("SHA256");
  thread_local ThreadKdf sha384("SHA384");
  EVP_KDF_CTX* ctx = suite.hash_size == 48 ? sha384.ctx : sha256.ctx;
  if (ctx == nullptr) return false;
  // Every call sets both the key and the label, so nothing of the last call is reused.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, const_cast<char*>(label),
                                        std::strlen(label)),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1) return true;
  ERR_clear_error();
  return false;
}

// One AEAD context per thread, re-keyed for every record: a connection keeps only its keys,
// and setting a key costs far less than the record's system call.
struct ThreadAead {
  ThreadAead() : ctx(EVP_CIPHER_CTX_new()) {}
  ~ThreadAead() { EVP_CIPHER_CTX_free(ctx); }
  ThreadAead(const ThreadAead&) = delete;
  ThreadAead& operator=(const ThreadAead&) = delete;
  EVP_CIPHER_CTX* ctx;
  const EVP_CIPHER* cipher = nullptr;  // what ctx is set up for; null after a failure
};

}  // namespace

std::error_code tls_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), asio::error::get_ssl_category()};
}

std::optional<Tls13Records::Suite> Tls13Records::suite_from_id(std::uint16_t id) {
  switch (static_cast<Suite>(id)) {
    case Suite::kAes128GcmSha256:
    case Suite::kAes256GcmSha384:
    case Suite::kChaCha20Poly1305Sha256:
      return static_cast<Suite>(id);
  }
  return std::nullopt;
}

Tls13Records::Tls13Records(Suite suite, std::uint64_t records_per_key)
    : suite_(suite), records_per_key_(records_per_key) {}

Tls13Records::~Tls13Records() {
  OPENSSL_cleanse(&read_, sizeof read_);
  OPENSSL_cleanse(&write_, sizeof write_);
}

std::unique_ptr<Tls13Records> Tls13Records::create(Suite suite,
                                                   std::span<const std::uint8_t> read_secret,
                                                   std::span<const std::uint8_t> write_secret,
                                                   std::uint64_t records_per_key) {
  const SuiteInfo& si = info(suite);
  if (si.cipher == nullptr || read_secret.size() != si.hash_size ||
      write_secret.size() != si.hash_size || records_per_key == 0) {
    return nullptr;
  }
  std::unique_ptr<Tls13Records> records(new Tls13Records(suite, records_per_key));
  if (!records->install(records->read_, read_secret) ||
      !records->install(records->write_, write_secret)) {
    return nullptr;
  }
  return records;
}

bool Tls13Records::install(Direction& d, std::span<const std::uint8_t> secret) const {
  const SuiteInfo& si = info(suite_);
  if (secret.data() != d.secret.data()) std::memcpy(d.secret.data(), secret.data(), si.hash_size);
  d.sequence = 0;
  const std::span<const std::uint8_t> own(d.secret.data(), si.hash_size);
  return expand_label(si, own, "key", std::span(d.key.data(), si.key_size)) &&
         expand_label(si, own, "iv", d.iv);
}

bool Tls13Records::advance(Direction& d) const {
  const SuiteInfo& si = info(suite_);
  std::array<std::uint8_t, 48> next{};
  const bool ok = expand_label(si, std::span(d.secret.data(), si.hash_size), "traffic upd",
                               std::span(next.data(), si.hash_size)) &&
                  install(d, std::span(next.data(), si.hash_size));
  OPENSSL_cleanse(next.data(), next.size());
  return ok;
}

bool Tls13Records::crypt(Direction& d, bool encrypt, const std::uint8_t* header, std::uint8_t* data,
                         std::size_t size, std::uint8_t* tag) const {
  if (d.sequence == std::numeric_limits<std::uint64_t>::max()) return false;  // RFC 8446 §5.3
  // The per-record nonce: the IV with the 64-bit sequence number XORed into its last bytes.
  std::array<std::uint8_t, 12> nonce = d.iv;
  for (int i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(d.sequence >> (8 * i));
  }
  thread_local ThreadAead aead;
  const EVP_CIPHER* cipher = info(suite_).cipher;
  EVP_CIPHER_CTX* ctx = aead.ctx;
  if (ctx == nullptr) return false;
  // Same cipher as last time: only the key and nonce change, no new provider context.
  const bool ok = [&] {
    int n = 0;
    if (EVP_CipherInit_ex2(ctx, aead.cipher == cipher ? nullptr : cipher, d.key.data(),
                           nonce.data(), encrypt ? 1 : 0, nullptr) != 1) {
      return false;
    }
    aead.cipher = cipher;
    if (!encrypt &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), tag) != 1) {
      return false;
    }
    if (EVP_CipherUpdate(ctx, nullptr, &n, header, static_cast<int>(kHeaderSize)) != 1 ||
        EVP_CipherUpdate(ctx, data, &n, data, static_cast<int>(size)) != 1 ||
        EVP_CipherFinal_ex(ctx, data + n, &n) != 1) {
      return false;
    }
    return !encrypt ||
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag) == 1;
  }();
  if (!ok) {
    aead.cipher = nullptr;  // set the context up afresh next time
    ERR_clear_error();
    return false;
  }
  ++d.sequence;
  return true;
}

Tls13Records::OpenResult Tls13Records::open(std::span<std::uint8_t> in, std::error_code& ec) {
  OpenResult result;
  auto fail = [&](int reason) {
    ec = tls_error(reason);
    result.what = Opened::kFailed;
    return result;
  };
  if (in.size() < kHeaderSize) return result;
  const std::uint8_t* header = in.data();
  // After the handshake every record is protected, so its outer type is application data; an
  // unprotected alert or handshake message is a protocol violation (RFC 8446 §5.2).
  if (header[0] != kApplicationData) return fail(SSL_R_UNEXPECTED_RECORD);
  if (header[1] != 3 || header[2] != 3) return fail(SSL_R_WRONG_VERSION_NUMBER);
  const std::size_t length = (std::size_t{header[3]} << 8) | header[4];
  if (length > kMaxCiphertext) return fail(SSL_R_ENCRYPTED_LENGTH_TOO_LONG);
  if (length < kTagSize + 1) return fail(SSL_R_LENGTH_TOO_SHORT);
  if (in.size() < kHeaderSize + length) return result;

  std::uint8_t* inner = in.data() + kHeaderSize;
  std::size_t size = length - kTagSize;
  if (!crypt(read_, false, header, inner, size, inner + size)) {
    return fail(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  }
  // TLSInnerPlaintext: content, then the real content type, then zero padding (§5.4).
  while (size > 0 && inner[size - 1] == 0) --size;
  if (size == 0) return fail(SSL_R_UNEXPECTED_MESSAGE);
  const std::uint8_t type = inner[--size];
  if (size > kMaxPlaintext) return fail(SSL_R_DATA_LENGTH_TOO_LONG);
  result.consumed = kHeaderSize + length;
  const std::span<const std::uint8_t> content(inner, size);
  switch (type) {
    case kApplicationData:
      result.what = Opened::kData;
      result.content = content;
      return result;
    case kAlert:
      if (content.size() != 2) return fail(SSL_R_BAD_LENGTH);
      if (content[1] == kCloseNotify) {
        result.what = Opened::kClosed;
        return result;
      }
      // user_canceled is a warning that precedes close_notify (§6.1); any other is fatal.
      if (content[1] == kUserCanceled) {
        result.what = Opened::kControl;
        return result;
      }
      return fail(SSL_AD_REASON_OFFSET + content[1]);  // OpenSSL's code for that alert
    case kHandshake:
      result.what = handle_key_update(content, ec);
      return result;
    default:
      return fail(SSL_R_UNEXPECTED_MESSAGE);
  }
}

Tls13Records::Opened Tls13Records::handle_key_update(std::span<const std::uint8_t> message,
                                                     std::error_code& ec) {
  // A KeyUpdate is the only post-handshake message a client may send a server that asked for
  // no post-handshake authentication, and it must end its record (§5.1), so the record holds
  // exactly one.
  if (message.size() != 5 || message[0] != kKeyUpdate || message[1] != 0 || message[2] != 0 ||
      message[3] != 1) {
    ec = tls_error(SSL_R_UNEXPECTED_MESSAGE);
    return Opened::kFailed;
  }
  if (message[4] > 1) {  // update_not_requested(0) or update_requested(1)
    ec = tls_error(SSL_R_BAD_KEY_UPDATE);
    return Opened::kFailed;
  }
  if (!advance(read_)) {
    ec = tls_error(ERR_R_INTERNAL_ERROR);
    return Opened::kFailed;
  }
  if (message[4] == 1) update_owed_ = true;
  return Opened::kControl;
}

bool Tls13Records::seal_record(std::uint8_t type, std::span<const std::uint8_t> content,
                               std::uint8_t* out) {
  if (content.size() > kMaxPlaintext) return false;
  const std::size_t length = content.size() + 1 + kTagSize;
  out[0] = kApplicationData;
  out[1] = 3;
  out[2] = 3;
  out[3] = static_cast<std::uint8_t>(length >> 8);
  out[4] = static_cast<std::uint8_t>(length);
  std::uint8_t* inner = out + kHeaderSize;
  if (!content.empty()) std::memcpy(inner, content.data(), content.size());
  inner[content.size()] = type;
  return crypt(write_, true, out, inner, content.size() + 1, inner + content.size() + 1);
}

bool Tls13Records::seal_data(std::span<const std::uint8_t> content, std::uint8_t* out) {
  return seal_record(kApplicationData, content, out);
}

bool Tls13Records::seal_close_notify(std::uint8_t* out) {
  const std::uint8_t alert[2] = {1 /* warning */, kCloseNotify};
  return seal_record(kAlert, alert, out);
}

int Tls13Records::seal_pending_control(std::uint8_t* out) {
  if (!update_owed_ && write_.sequence < records_per_key_) return 0;
  const std::uint8_t message[5] = {kKeyUpdate, 0, 0, 1, 0 /* update_not_requested */};
  if (!seal_record(kHandshake, message, out) || !advance(write_)) return -1;
  update_owed_ = false;
  return static_cast<int>(sealed_size(sizeof message));
}

}  // namespace wechat::transport::detail
