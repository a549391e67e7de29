# SPDX-License-Identifier: MIT
"""Errors: the `Error` codes of the library (wechat::Error) and the exceptions carrying them.

Every failure raises a `WechatError`, or rather the subclass for its code, so both styles work::

    try:
        client.login("alice", "wrong")
    except wechat.WrongCredentialsError:
        ...
    except wechat.RateLimitedError as e:
        time.sleep(e.retry_after_ms / 1000)  # what the server asked for
    except wechat.WechatError as e:
        if e.code == wechat.Error.SESSION_EXPIRED: ...
"""

import builtins
from enum import IntEnum

__all__ = ["Error", "WechatError", "error_from"]


class Error(IntEnum):
    """wechat::Error: the numbers never change meaning (they are on the wire and in the C ABI)."""

    OK = 0
    INVALID_ARGUMENT = 1
    NOT_FOUND = 2
    ALREADY_EXISTS = 3
    PERMISSION_DENIED = 4
    UNAUTHENTICATED = 5
    RATE_LIMITED = 6
    RESOURCE_EXHAUSTED = 7
    UNAVAILABLE = 8
    TIMEOUT = 9
    CANCELLED = 10
    PROTOCOL = 11
    STORAGE = 12
    INTERNAL = 13
    UNSUPPORTED_VERSION = 14
    TLS = 15
    IO = 16
    INVALID_USERNAME = 100
    INVALID_EMAIL = 101
    WEAK_PASSWORD = 102
    USERNAME_TAKEN = 103
    EMAIL_TAKEN = 104
    WRONG_CODE = 105
    CODE_EXPIRED = 106
    CODE_ATTEMPTS_EXHAUSTED = 107
    WRONG_CREDENTIALS = 108
    SESSION_EXPIRED = 109
    NOT_FRIENDS = 200
    ALREADY_FRIENDS = 201
    REQUEST_PENDING = 202
    SELF_REQUEST = 203
    MESSAGE_TOO_LARGE = 204
    NOT_GROUP_MEMBER = 210
    GROUP_FULL = 211
    GROUP_DISSOLVED = 212


class WechatError(Exception):
    """A failed call. `code` is an `Error` (a plain int for codes newer than this package),
    `message` says why, for people. `retry_after_ms` (an int) is how long the server asks to
    wait before the same call can succeed: at least 1 with RATE_LIMITED, 0 otherwise."""

    code = Error.INTERNAL  # overridden by each subclass

    def __init__(self, code, message="", retry_after_ms=0):
        try:
            code = Error(code)
        except ValueError:
            code = int(code)
        self.code = code
        self.message = message
        self.retry_after_ms = max(0, int(retry_after_ms))
        super().__init__(code, message)

    @property
    def name(self):
        """The stable short name of the code, e.g. "wrong_credentials"."""
        return self.code.name.lower() if isinstance(self.code, Error) else "unknown"

    def __str__(self):
        return f"{self.name}: {self.message}" if self.message else self.name

    def __repr__(self):
        if self.retry_after_ms:
            return (f"{type(self).__name__}({self.code!r}, {self.message!r}, "
                    f"retry_after_ms={self.retry_after_ms})")
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


# One subclass per code, so `except wechat.WrongCredentialsError` reads naturally.
class InvalidArgumentError(WechatError, ValueError): pass          # noqa: E701
class NotFoundError(WechatError): pass                             # noqa: E701
class AlreadyExistsError(WechatError): pass                        # noqa: E701
class PermissionDeniedError(WechatError): pass                     # noqa: E701
class UnauthenticatedError(WechatError): pass                      # noqa: E701
class RateLimitedError(WechatError): pass                          # noqa: E701
class ResourceExhaustedError(WechatError): pass                    # noqa: E701
class UnavailableError(WechatError): pass                          # noqa: E701
class TimeoutError(WechatError, builtins.TimeoutError): pass       # noqa: E701,A001
class CancelledError(WechatError): pass                            # noqa: E701
class ProtocolError(WechatError): pass                             # noqa: E701
class StorageError(WechatError): pass                              # noqa: E701
class InternalError(WechatError): pass                             # noqa: E701
class UnsupportedVersionError(WechatError): pass                   # noqa: E701
class TlsError(WechatError): pass                                  # noqa: E701
class IoError(WechatError): pass                                   # noqa: E701
class InvalidUsernameError(WechatError): pass                      # noqa: E701
class InvalidEmailError(WechatError): pass                         # noqa: E701
class WeakPasswordError(WechatError): pass                         # noqa: E701
class UsernameTakenError(WechatError): pass                        # noqa: E701
class EmailTakenError(WechatError): pass                           # noqa: E701
class WrongCodeError(WechatError): pass                            # noqa: E701
class CodeExpiredError(WechatError): pass                          # noqa: E701
class CodeAttemptsExhaustedError(WechatError): pass                # noqa: E701
class WrongCredentialsError(WechatError): pass                     # noqa: E701
class SessionExpiredError(WechatError): pass                       # noqa: E701
class NotFriendsError(WechatError): pass                           # noqa: E701
class AlreadyFriendsError(WechatError): pass                       # noqa: E701
class RequestPendingError(WechatError): pass                       # noqa: E701
class SelfRequestError(WechatError): pass                          # noqa: E701
class MessageTooLargeError(WechatError): pass                      # noqa: E701
class NotGroupMemberError(WechatError): pass                       # noqa: E701
class GroupFullError(WechatError): pass                            # noqa: E701
class GroupDissolvedError(WechatError): pass                       # noqa: E701


def _class_name(code):
    return "".join(part.capitalize() for part in code.name.split("_")) + "Error"


_BY_CODE = {}
for _code in Error:
    if _code is Error.OK:
        continue
    _cls = globals()[_class_name(_code)]
    _cls.code = _code
    _BY_CODE[_code] = _cls
    __all__.append(_cls.__name__)


def error_from(code, message="", retry_after_ms=0):
    """The exception for `code`: an instance of its subclass (WechatError for unknown codes)."""
    try:
        cls = _BY_CODE.get(Error(code), WechatError)
    except ValueError:
        cls = WechatError
    return cls(code, message, retry_after_ms)
