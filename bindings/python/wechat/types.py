# SPDX-License-Identifier: MIT
"""Plain values of the client API (wechat/types.h), as frozen dataclasses. Times are
milliseconds since the Unix epoch, as in the C++ API."""

from dataclasses import dataclass, field
from enum import IntEnum
from typing import List, Optional

from .errors import Error

__all__ = ["MessageState", "ConnectionState", "FriendRequestState", "CodePurpose", "LogLevel",
           "ConversationKind", "GroupRole", "GroupMembership", "User", "Message",
           "Conversation", "Presence", "Friend", "FriendRequest", "Group", "GroupMember",
           "ReadReceipts"]


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


class ConversationKind(IntEnum):
    DIRECT = 1
    GROUP = 2  #: the conversation is a group (same id)


class GroupRole(IntEnum):
    NONE = 0    #: not a member (any more)
    MEMBER = 1
    ADMIN = 2   #: may invite, remove plain members, rename
    OWNER = 3   #: may also set roles, transfer ownership, dissolve


class GroupMembership(IntEnum):
    MEMBER = 0   #: in the group (also when it was dissolved)
    LEFT = 1     #: left it: the history stays, nothing can be sent
    REMOVED = 2  #: removed by an admin or the owner


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
    #: GROUP: a message to the group `conversation_id` (peer_id is 0). In a group, READ means
    #: "by at least one other member": get_read_receipts() tells who.
    kind: ConversationKind = ConversationKind.DIRECT


@dataclass(frozen=True)
class Presence:
    user_id: int
    online: bool
    last_seen_ms: int  #: when offline: the end of the last session (0: unknown)


@dataclass(frozen=True)
class GroupMember:
    user: User
    role: GroupRole
    joined_ms: int
    read_seq: int       #: this member's read marker, as of the fetch
    delivered_seq: int  #: this member's delivery marker, as of the fetch


@dataclass(frozen=True)
class Group:
    id: int            #: also the id of the group's conversation
    name: str
    owner_id: int
    member_count: int
    created_ms: int
    dissolved: bool    #: keeps its history, accepts nothing new
    my_role: GroupRole  #: this account's role (NONE once it is no longer a member)
    membership: GroupMembership
    #: only from get_group() and group(); empty otherwise
    members: List[GroupMember] = field(default_factory=list)


@dataclass(frozen=True)
class ReadReceipts:
    """ "Read by N of M": N = len(read_by), M = member_count."""
    conversation_id: int
    seq: int
    read_by: List[User]       #: members (other than the sender) who read the message
    delivered_to: List[User]  #: members whose device stored it, not (yet) read
    member_count: int         #: current members other than the sender


@dataclass(frozen=True)
class Conversation:
    id: int
    peer: User          #: the other user; User(0, "") for a group
    last_seq: int
    read_seq: int       #: this account's read marker
    peer_read_seq: int  #: the peer's read marker (in a group: the furthest any member read)
    unread: int
    last_message: Optional[Message]
    kind: ConversationKind = ConversationKind.DIRECT
    group: Optional[Group] = None  #: for GROUP: the group (without members)


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
