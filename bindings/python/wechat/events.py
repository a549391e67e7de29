# SPDX-License-Identifier: MIT
"""Everything a Client tells the application (wechat/events.h), one dataclass per kind.

`Event` is the union of them: match with isinstance (or `match` on Python 3.10+)."""

from dataclasses import dataclass, field
from enum import IntEnum
from typing import List, Optional, Union

from .errors import WechatError
from .types import (ConnectionState, Friend, FriendRequest, Group, GroupRole, Message,
                    MessageState, Presence, User)

__all__ = ["MessageReceived", "MessageStateChanged", "ReceiptUpdated", "ConversationRead",
           "FriendRequestUpdated", "FriendAdded", "FriendRemoved", "PresenceChanged",
           "TypingChanged", "ConnectionStateChanged", "SyncProgress", "SessionEnded",
           "GroupEventKind", "GroupChanged", "Event"]


@dataclass(frozen=True)
class MessageReceived:
    """A new message: from a peer, or sent by this account from another device."""
    message: Message


@dataclass(frozen=True)
class MessageStateChanged:
    """An outgoing message of this device changed state: queued -> sent, or failed."""
    message: Message


@dataclass(frozen=True)
class ReceiptUpdated:
    """Every outgoing message in the conversation up to `up_to_seq` is now at least `state`.
    In a group, `peer_id` is the member whose message shows they read up to there."""
    conversation_id: int
    peer_id: int
    up_to_seq: int
    state: MessageState


@dataclass(frozen=True)
class ConversationRead:
    """This account's read marker moved (here or on another device)."""
    conversation_id: int
    read_seq: int
    unread: int


@dataclass(frozen=True)
class FriendRequestUpdated:
    request: FriendRequest
    incoming: bool  #: addressed to this account


@dataclass(frozen=True)
class FriendAdded:
    friend: Friend


@dataclass(frozen=True)
class FriendRemoved:
    user_id: int


@dataclass(frozen=True)
class PresenceChanged:
    presence: Presence


@dataclass(frozen=True)
class TypingChanged:
    conversation_id: int
    user_id: int
    typing: bool


@dataclass(frozen=True)
class ConnectionStateChanged:
    state: ConnectionState
    reason: Optional[WechatError] = None  #: why the connection was lost, when DISCONNECTED


@dataclass(frozen=True)
class SyncProgress:
    applied: int
    head: int


@dataclass(frozen=True)
class SessionEnded:
    """The server ended the session (password reset, token revoked): log in again."""
    reason: Optional[WechatError] = None


class GroupEventKind(IntEnum):
    CREATED = 1         #: subjects: the initial members (the owner is the actor)
    MEMBERS_ADDED = 2   #: subjects: the new members
    MEMBER_LEFT = 3     #: subjects: the member who left (== actor)
    MEMBER_REMOVED = 4  #: subjects: the removed member
    RENAMED = 5         #: group.name is the new name
    ROLE_CHANGED = 6    #: subjects: the member; role: the new role
    OWNER_CHANGED = 7   #: subjects: the new owner (the old one is an admin now)
    DISSOLVED = 8


@dataclass(frozen=True)
class GroupChanged:
    """A group of this account changed (on any device of any member)."""
    kind: GroupEventKind
    group: Group  #: after the change, as stored here (without members)
    actor: User   #: who made the change
    subjects: List[User] = field(default_factory=list)
    role: GroupRole = GroupRole.NONE  #: ROLE_CHANGED: the new role


Event = Union[MessageReceived, MessageStateChanged, ReceiptUpdated, ConversationRead,
              FriendRequestUpdated, FriendAdded, FriendRemoved, PresenceChanged, TypingChanged,
              ConnectionStateChanged, SyncProgress, SessionEnded, GroupChanged]
