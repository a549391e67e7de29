# SPDX-License-Identifier: MIT
"""Plain values of the client API (wechat/types.h), as frozen dataclasses. Times are
milliseconds since the Unix epoch, as in the C++ API."""

from dataclasses import dataclass
from enum import IntEnum
from typing import Optional

from .errors import Error

__all__ = ["MessageState", "ConnectionState", "FriendRequestState", "CodePurpose", "LogLevel",
           "User", "Message", "Conversation", "Presence", "Friend", "FriendRequest"]


class MessageState(IntEnum):
    QUEUED = 0     #: stored locally, not yet acknowledged by the server
    SENT = 1       #: stored durably on the server
    DELIVERED = 2  #: stored on one of the recipient's devices
    READ = 3       #: the recipient has read it
    FAILED = 4     #: refused for good (see Message.failure)
    RECEIVED = 5   #: an incoming message


class ConnectionState(IntEnum):
    DISCONNECTED = 0
    CONNECTING = 1
    AUTHENTICATING = 2
    SYNCING = 3
    ONLINE = 4


class FriendRequestState(IntEnum):
    PENDING = 1
    ACCEPTED = 2
    REJECTED = 3


class CodePurpose(IntEnum):
    REGISTER = 1
    RESET = 2


class LogLevel(IntEnum):
    TRACE = 0
    DEBUG = 1
    INFO = 2
    WARN = 3
    ERROR = 4
    OFF = 5


@dataclass(frozen=True)
class User:
    id: int
    username: str


@dataclass(frozen=True)
class Message:
    client_msg_id: str     #: 32 hex digits chosen by the sending client
    id: int                #: server-wide id; 0 while queued
    conversation_id: int   #: 0 while queued for a peer never talked to before
    seq: int               #: position in the conversation; 0 while queued
    sender_id: int
    sender_username: str
    peer_id: int           #: the other user of the conversation
    text: str
    time_ms: int
    outgoing: bool
    state: MessageState
    failure: Error = Error.OK  #: why, when state is FAILED
    failure_message: str = ""


@dataclass(frozen=True)
class Presence:
    user_id: int
    online: bool
    last_seen_ms: int  #: when offline: the end of the last session (0: unknown)


@dataclass(frozen=True)
class Conversation:
    id: int
    peer: User
    last_seq: int
    read_seq: int       #: this account's read marker
    peer_read_seq: int  #: the peer's read marker (read receipts)
    unread: int
    last_message: Optional[Message]


@dataclass(frozen=True)
class Friend:
    user: User
    since_ms: int
    conversation_id: int
    presence: Presence


@dataclass(frozen=True)
class FriendRequest:
    id: int
    from_user: User
    to_user: User
    note: str
    state: FriendRequestState
    created_ms: int
    answered_ms: int
