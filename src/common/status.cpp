// SPDX-License-Identifier: MIT
#include "wechat/status.h"

namespace wechat {

const char* error_name(Error code) noexcept {
  switch (code) {
    case Error::kOk: return "ok";
    case Error::kInvalidArgument: return "invalid_argument";
    case Error::kNotFound: return "not_found";
    case Error::kAlreadyExists: return "already_exists";
    case Error::kPermissionDenied: return "permission_denied";
    case Error::kUnauthenticated: return "unauthenticated";
    case Error::kRateLimited: return "rate_limited";
    case Error::kResourceExhausted: return "resource_exhausted";
    case Error::kUnavailable: return "unavailable";
    case Error::kTimeout: return "timeout";
    case Error::kCancelled: return "cancelled";
    case Error::kProtocol: return "protocol";
    case Error::kStorage: return "storage";
    case Error::kInternal: return "internal";
    case Error::kUnsupportedVersion: return "unsupported_version";
    case Error::kTls: return "tls";
    case Error::kIo: return "io";
    case Error::kInvalidUsername: return "invalid_username";
    case Error::kInvalidEmail: return "invalid_email";
    case Error::kWeakPassword: return "weak_password";
    case Error::kUsernameTaken: return "username_taken";
    case Error::kEmailTaken: return "email_taken";
    case Error::kWrongCode: return "wrong_code";
    case Error::kCodeExpired: return "code_expired";
    case Error::kCodeAttemptsExhausted: return "code_attempts_exhausted";
    case Error::kWrongCredentials: return "wrong_credentials";
    case Error::kSessionExpired: return "session_expired";
    case Error::kNotFriends: return "not_friends";
    case Error::kAlreadyFriends: return "already_friends";
    case Error::kRequestPending: return "request_pending";
    case Error::kSelfRequest: return "self_request";
    case Error::kMessageTooLarge: return "message_too_large";
    case Error::kNotGroupMember: return "not_group_member";
    case Error::kGroupFull: return "group_full";
    case Error::kGroupDissolved: return "group_dissolved";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out = error_name(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  if (retry_after_ms_ > 0) {
    out += " (retry after ";
    out += std::to_string(retry_after_ms_);
    out += " ms)";
  }
  return out;
}

}  // namespace wechat
