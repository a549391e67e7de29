# SPDX-License-Identifier: MIT
"""Copies C ABI values (borrowed pointers into events and lists) into Python dataclasses."""

from . import events as ev
from ._native import lib, read_string
from .errors import Error, error_from
from .types import (ConnectionState, Conversation, ConversationKind, Friend, FriendRequest,
                    FriendRequestState, Group, GroupMember, GroupMembership, GroupRole, Message,
                    MessageState, Presence, ReadReceipts, User)

# Constants of c.h.
EVENT_RESULT = 1
RESULT_NONE, RESULT_USER, RESULT_USERS, RESULT_FRIEND_REQUEST = 0, 1, 2, 3
RESULT_FRIEND_REQUESTS, RESULT_FRIENDS, RESULT_MESSAGE, RESULT_MESSAGES = 4, 5, 6, 7
RESULT_GROUP, RESULT_GROUPS, RESULT_READ_RECEIPTS = 8, 9, 10


def _enum(cls, value):
    try:
        return cls(value)
    except ValueError:
        return value


def user(p):
    return User(id=lib.wc_user_id(p), username=read_string(lib.wc_user_username, p))


def message(p):
    return Message(
        client_msg_id=read_string(lib.wc_message_client_msg_id, p),
        id=lib.wc_message_id(p),
        conversation_id=lib.wc_message_conversation_id(p),
        seq=lib.wc_message_seq(p),
        sender_id=lib.wc_message_sender_id(p),
        sender_username=read_string(lib.wc_message_sender_username, p),
        peer_id=lib.wc_message_peer_id(p),
        text=read_string(lib.wc_message_text, p),
        time_ms=lib.wc_message_time_ms(p),
        outgoing=bool(lib.wc_message_outgoing(p)),
        state=_enum(MessageState, lib.wc_message_state(p)),
        failure=_enum(Error, lib.wc_message_failure(p)),
        failure_message=read_string(lib.wc_message_failure_message, p),
        kind=_enum(ConversationKind, lib.wc_message_kind(p)))


def presence(p):
    return Presence(user_id=lib.wc_presence_user_id(p), online=bool(lib.wc_presence_online(p)),
                    last_seen_ms=lib.wc_presence_last_seen_ms(p))


def group_member(p):
    return GroupMember(user=user(lib.wc_group_member_user(p)),
                       role=_enum(GroupRole, lib.wc_group_member_role(p)),
                       joined_ms=lib.wc_group_member_joined_ms(p),
                       read_seq=lib.wc_group_member_read_seq(p),
                       delivered_seq=lib.wc_group_member_delivered_seq(p))


def group(p):
    return Group(
        id=lib.wc_group_id(p),
        name=read_string(lib.wc_group_name, p),
        owner_id=lib.wc_group_owner_id(p),
        member_count=lib.wc_group_member_count(p),
        created_ms=lib.wc_group_created_ms(p),
        dissolved=bool(lib.wc_group_dissolved(p)),
        my_role=_enum(GroupRole, lib.wc_group_my_role(p)),
        membership=_enum(GroupMembership, lib.wc_group_membership(p)),
        members=[group_member(lib.wc_group_member_at(p, i))
                 for i in range(lib.wc_group_members_size(p))])


def read_receipts(p):
    return ReadReceipts(
        conversation_id=lib.wc_read_receipts_conversation_id(p),
        seq=lib.wc_read_receipts_seq(p),
        read_by=[user(lib.wc_read_receipts_read_by_at(p, i))
                 for i in range(lib.wc_read_receipts_read_by_size(p))],
        delivered_to=[user(lib.wc_read_receipts_delivered_to_at(p, i))
                      for i in range(lib.wc_read_receipts_delivered_to_size(p))],
        member_count=lib.wc_read_receipts_member_count(p))


def conversation(p):
    last = lib.wc_conversation_last_message(p)
    g = lib.wc_conversation_group(p)
    return Conversation(
        id=lib.wc_conversation_id(p),
        peer=user(lib.wc_conversation_peer(p)),
        last_seq=lib.wc_conversation_last_seq(p),
        read_seq=lib.wc_conversation_read_seq(p),
        peer_read_seq=lib.wc_conversation_peer_read_seq(p),
        unread=lib.wc_conversation_unread(p),
        last_message=message(last) if last else None,
        kind=_enum(ConversationKind, lib.wc_conversation_kind(p)),
        group=group(g) if g else None)


def friend(p):
    return Friend(user=user(lib.wc_friend_user(p)), since_ms=lib.wc_friend_since_ms(p),
                  conversation_id=lib.wc_friend_conversation_id(p),
                  presence=presence(lib.wc_friend_presence(p)))


def friend_request(p):
    return FriendRequest(
        id=lib.wc_friend_request_id(p),
        from_user=user(lib.wc_friend_request_from(p)),
        to_user=user(lib.wc_friend_request_to(p)),
        note=read_string(lib.wc_friend_request_note, p),
        state=_enum(FriendRequestState, lib.wc_friend_request_state(p)),
        created_ms=lib.wc_friend_request_created_ms(p),
        answered_ms=lib.wc_friend_request_answered_ms(p))


def _list(handle, size, at, convert):
    return [convert(at(handle, i)) for i in range(size(handle))]


def message_list(h):
    return _list(h, lib.wc_message_list_size, lib.wc_message_list_at, message)


def conversation_list(h):
    return _list(h, lib.wc_conversation_list_size, lib.wc_conversation_list_at, conversation)


def friend_list(h):
    return _list(h, lib.wc_friend_list_size, lib.wc_friend_list_at, friend)


def friend_request_list(h):
    return _list(h, lib.wc_friend_request_list_size, lib.wc_friend_request_list_at,
                 friend_request)


def group_list(h):
    return _list(h, lib.wc_group_list_size, lib.wc_group_list_at, group)


def status_of(e):
    """The event's status as an exception, or None when it is ok."""
    code = lib.wc_event_status(e)
    if code == 0:
        return None
    return error_from(code, read_string(lib.wc_event_status_message, e),
                      lib.wc_event_status_retry_after_ms(e))


def _items(e, at, convert):
    return [convert(at(e, i)) for i in range(lib.wc_event_count(e))]


def result_value(e):
    """The value carried by a successful WC_EVENT_RESULT, by its kind."""
    kind = lib.wc_event_result_kind(e)
    if kind == RESULT_USER:
        return user(lib.wc_event_user(e, 0))
    if kind == RESULT_USERS:
        return _items(e, lib.wc_event_user, user)
    if kind == RESULT_FRIEND_REQUEST:
        return friend_request(lib.wc_event_friend_request(e, 0))
    if kind == RESULT_FRIEND_REQUESTS:
        return _items(e, lib.wc_event_friend_request, friend_request)
    if kind == RESULT_FRIENDS:
        return _items(e, lib.wc_event_friend, friend)
    if kind == RESULT_MESSAGE:
        return message(lib.wc_event_message(e, 0))
    if kind == RESULT_MESSAGES:
        return _items(e, lib.wc_event_message, message)
    if kind == RESULT_GROUP:
        return group(lib.wc_event_group(e, 0))
    if kind == RESULT_GROUPS:
        return _items(e, lib.wc_event_group, group)
    if kind == RESULT_READ_RECEIPTS:
        return read_receipts(lib.wc_event_read_receipts(e))
    return None


def event(e):
    """The dataclass for a client event (any type but WC_EVENT_RESULT); None if unknown."""
    t = lib.wc_event_type(e)
    if t == 2:
        return ev.MessageReceived(message(lib.wc_event_message(e, 0)))
    if t == 3:
        return ev.MessageStateChanged(message(lib.wc_event_message(e, 0)))
    if t == 4:
        return ev.ReceiptUpdated(conversation_id=lib.wc_event_conversation_id(e),
                                 peer_id=lib.wc_event_user_id(e), up_to_seq=lib.wc_event_seq(e),
                                 state=_enum(MessageState, lib.wc_event_message_state(e)))
    if t == 5:
        return ev.ConversationRead(conversation_id=lib.wc_event_conversation_id(e),
                                   read_seq=lib.wc_event_seq(e), unread=lib.wc_event_unread(e))
    if t == 6:
        return ev.FriendRequestUpdated(request=friend_request(lib.wc_event_friend_request(e, 0)),
                                       incoming=bool(lib.wc_event_incoming(e)))
    if t == 7:
        return ev.FriendAdded(friend(lib.wc_event_friend(e, 0)))
    if t == 8:
        return ev.FriendRemoved(user_id=lib.wc_event_user_id(e))
    if t == 9:
        return ev.PresenceChanged(presence(lib.wc_event_presence(e)))
    if t == 10:
        return ev.TypingChanged(conversation_id=lib.wc_event_conversation_id(e),
                                user_id=lib.wc_event_user_id(e),
                                typing=bool(lib.wc_event_typing(e)))
    if t == 11:
        return ev.ConnectionStateChanged(
            state=_enum(ConnectionState, lib.wc_event_connection_state(e)), reason=status_of(e))
    if t == 12:
        return ev.SyncProgress(applied=lib.wc_event_sync_applied(e),
                               head=lib.wc_event_sync_head(e))
    if t == 13:
        return ev.SessionEnded(reason=status_of(e))
    if t == 14:
        return ev.GroupChanged(
            kind=_enum(ev.GroupEventKind, lib.wc_event_group_event_kind(e)),
            group=group(lib.wc_event_group(e, 0)),
            actor=user(lib.wc_event_actor(e)),
            subjects=[user(lib.wc_event_subject(e, i))
                      for i in range(lib.wc_event_subject_count(e))],
            role=_enum(GroupRole, lib.wc_event_group_role(e)))
    return None
