// SPDX-License-Identifier: MIT
#ifndef WECHAT_STATUS_H_
#define WECHAT_STATUS_H_

/// @file
/// Error reporting for the whole library: a closed set of codes an application can switch on,
/// each with a human-readable message. No exception crosses the public API.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "wechat/export.h"

namespace wechat {

/// Every error the library reports. The numeric values are part of the wire protocol
/// (`wechat.v1.ErrorCode`) and of the C ABI: they never change meaning once released.
enum class Error : std::uint16_t {
  kOk = 0,

  // General (1-99).
  kInvalidArgument = 1,    ///< A field is malformed, empty, too long or out of range.
  kNotFound = 2,           ///< The user, conversation or request does not exist.
  kAlreadyExists = 3,      ///< The thing being created exists already.
  kPermissionDenied = 4,   ///< Authenticated, but not allowed to do this.
  kUnauthenticated = 5,    ///< Needs a logged-in session (or the token is not valid).
  kRateLimited = 6,        ///< Too many requests; try again after Status::retry_after_ms().
  kResourceExhausted = 7,  ///< A size or count limit was hit (frame, queue, connections).
  kUnavailable = 8,        ///< Not connected, or the server cannot serve right now.
  kTimeout = 9,            ///< No answer within the deadline.
  kCancelled = 10,         ///< The operation was abandoned (shutdown, client destroyed).
  kProtocol = 11,          ///< The peer broke the wire protocol (bad frame, unexpected message).
  kStorage = 12,           ///< The local or server database failed.
  kInternal = 13,          ///< A bug: an invariant did not hold.
  kUnsupportedVersion = 14,  ///< The peer speaks a protocol version we do not.
  kTls = 15,               ///< TLS handshake or certificate verification failed.
  kIo = 16,                ///< A socket or file operation failed.

  // Accounts (100-199).
  kInvalidUsername = 100,     ///< Not 3-32 characters of [a-z0-9_].
  kInvalidEmail = 101,        ///< Not a plausible email address.
  kWeakPassword = 102,        ///< Shorter than the server's minimum.
  kUsernameTaken = 103,
  kEmailTaken = 104,
  kWrongCode = 105,           ///< The verification code does not match.
  kCodeExpired = 106,         ///< No live code for this email and purpose (expired or never sent).
  kCodeAttemptsExhausted = 107,  ///< Too many wrong guesses; request a new code.
  kWrongCredentials = 108,    ///< Unknown user or wrong password (deliberately not told apart).
  kSessionExpired = 109,      ///< The session token expired or was revoked; log in again.

  // Friends and messages (200-299).
  kNotFriends = 200,          ///< Messaging a user who is not a friend (and strangers are off).
  kAlreadyFriends = 201,
  kRequestPending = 202,      ///< A friend request between these users is already open.
  kSelfRequest = 203,         ///< A friend request to oneself.
  kMessageTooLarge = 204,     ///< Text over the server's limit.

  // Groups (210-219).
  kNotGroupMember = 210,      ///< The group does not exist or the caller is not (or no longer) in it.
  kGroupFull = 211,           ///< The group would exceed the server's member limit.
  kGroupDissolved = 212,      ///< The group was dissolved; it accepts nothing new.
};

/// A short stable name for `code`, e.g. "username_taken"; "unknown" for values not listed.
WECHAT_API const char* error_name(Error code) noexcept;

/// The outcome of an operation: `ok()`, or an `Error` code with a message for people and, for
/// `kRateLimited`, how long to wait before trying again.
///
/// @code
///   if (status.code() == wechat::Error::kRateLimited) {
///     retry_in(std::chrono::milliseconds(status.retry_after_ms()));
///   }
/// @endcode
///
/// @par Thread Safety
/// A value type: distinct objects are independent; one object is not synchronised.
class [[nodiscard]] WECHAT_API Status {
 public:
  Status() noexcept = default;
  Status(Error code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() noexcept { return Status(); }

  bool ok() const noexcept { return code_ == Error::kOk; }
  Error code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// Milliseconds to wait before the same request can succeed; 0 when there is no such hint.
  /// Every `kRateLimited` from the server carries one (at least 1); other codes carry 0.
  std::int64_t retry_after_ms() const noexcept { return retry_after_ms_; }

  /// This status with retry_after_ms() set to `ms` (negative values become 0).
  /// @code
  ///   return wechat::Status(wechat::Error::kRateLimited, "slow down").with_retry_after_ms(250);
  /// @endcode
  Status with_retry_after_ms(std::int64_t ms) && noexcept {
    retry_after_ms_ = ms > 0 ? ms : 0;
    return std::move(*this);
  }
  Status with_retry_after_ms(std::int64_t ms) const& {
    return Status(*this).with_retry_after_ms(ms);
  }

  /// "error_name: message", or "ok"; " (retry after N ms)" is added when retry_after_ms() > 0.
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) noexcept {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.retry_after_ms_ == b.retry_after_ms_;
  }
  friend bool operator!=(const Status& a, const Status& b) noexcept { return !(a == b); }

 private:
  Error code_ = Error::kOk;
  std::string message_;
  std::int64_t retry_after_ms_ = 0;
};

/// Either a `T` or an error `Status`. A `Result` built from an ok `Status` is a bug and holds
/// `Error::kInternal` instead.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> makes no sense");

 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status)  // NOLINT: implicit by design
      : v_(std::in_place_index<1>,
           status.ok() ? Status(Error::kInternal, "Result built from an ok status")
                       : std::move(status)) {}
  Result(Error code, std::string message) : Result(Status(code, std::move(message))) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// The error, or an ok status when a value is held.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }
  Error code() const noexcept { return ok() ? Error::kOk : std::get<1>(v_).code(); }

 private:
  std::variant<T, Status> v_;
};

/// The status of a `Status` or a `Result`, for `WECHAT_TRY`.
inline const Status& status_of(const Status& s) noexcept { return s; }
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}

}  // namespace wechat

#define WECHAT_CONCAT_INNER_(a, b) a##b
#define WECHAT_CONCAT_(a, b) WECHAT_CONCAT_INNER_(a, b)

/// Returns the error of `expr` (a Status or a Result) from the enclosing function.
#define WECHAT_TRY(expr)                                                    \
  do {                                                                      \
    auto&& wechat_try_value_ = (expr);                                      \
    if (!wechat_try_value_.ok()) return ::wechat::status_of(wechat_try_value_); \
  } while (0)

/// Evaluates `rexpr` (a Result); returns its error, or moves its value into `lhs`.
#define WECHAT_ASSIGN_OR_RETURN(lhs, rexpr) \
  WECHAT_ASSIGN_OR_RETURN_IMPL_(WECHAT_CONCAT_(wechat_result_, __LINE__), lhs, rexpr)
#define WECHAT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // WECHAT_STATUS_H_
