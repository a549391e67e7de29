# SPDX-License-Identifier: MIT
"""Loads libwechat and declares the C ABI (include/wechat/c.h) for ctypes.

The library is looked for, in order: at the path in the WECHAT_LIBRARY environment variable,
next to this package (a libwechat.so* copied into it), then where the system's dynamic loader
finds "libwechat" (installed with `cmake --install`).
"""

import ctypes
import ctypes.util
import glob
import os

from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_int, c_int64, c_size_t, c_uint,
                    c_uint16, c_uint32, c_uint64, c_void_p)

__all__ = ["lib", "library_path", "EVENT_CALLBACK", "LOG_CALLBACK", "read_string"]


def _candidates():
    env = os.environ.get("WECHAT_LIBRARY")
    if env:
        yield env
        return  # an explicit choice: do not silently fall back to another library
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "libwechat.so*")), key=len):
        yield path
    found = ctypes.util.find_library("wechat")
    if found:
        yield found
    yield "libwechat.so"


def _load():
    errors = []
    for candidate in _candidates():
        try:
            return ctypes.CDLL(candidate), candidate
        except OSError as e:
            errors.append(f"{candidate}: {e}")
    raise ImportError("cannot load libwechat (set WECHAT_LIBRARY to its path): " +
                      "; ".join(errors))


lib, library_path = _load()

# void (*)(void* user_data, wc_event* event): the callback owns the event.
EVENT_CALLBACK = CFUNCTYPE(None, c_void_p, c_void_p)
# void (*)(void* user_data, int level, const char* component, size_t, const char* message, size_t)
LOG_CALLBACK = CFUNCTYPE(None, c_void_p, c_int, POINTER(c_char), c_size_t, POINTER(c_char),
                         c_size_t)

_STR = c_void_p  # returned strings are read with their length, so no automatic conversion
_H = c_void_p    # every handle
_SIZE_P = POINTER(c_size_t)
_H_P = POINTER(c_void_p)

_PROTOTYPES = {
    # name: (restype, [argtypes])
    "wc_error_name": (c_char_p, [c_int]),
    "wc_last_error_message": (c_char_p, []),
    "wc_last_error_retry_after_ms": (c_int64, []),
    "wc_version": (c_char_p, []),
    # values
    "wc_user_id": (c_uint64, [_H]),
    "wc_user_username": (_STR, [_H, _SIZE_P]),
    "wc_user_destroy": (None, [_H]),
    "wc_message_client_msg_id": (_STR, [_H, _SIZE_P]),
    "wc_message_id": (c_uint64, [_H]),
    "wc_message_conversation_id": (c_uint64, [_H]),
    "wc_message_seq": (c_uint64, [_H]),
    "wc_message_sender_id": (c_uint64, [_H]),
    "wc_message_sender_username": (_STR, [_H, _SIZE_P]),
    "wc_message_peer_id": (c_uint64, [_H]),
    "wc_message_text": (_STR, [_H, _SIZE_P]),
    "wc_message_time_ms": (c_int64, [_H]),
    "wc_message_outgoing": (c_int, [_H]),
    "wc_message_state": (c_int, [_H]),
    "wc_message_failure": (c_int, [_H]),
    "wc_message_failure_message": (_STR, [_H, _SIZE_P]),
    "wc_message_kind": (c_int, [_H]),
    "wc_conversation_id": (c_uint64, [_H]),
    "wc_conversation_peer": (_H, [_H]),
    "wc_conversation_last_seq": (c_uint64, [_H]),
    "wc_conversation_read_seq": (c_uint64, [_H]),
    "wc_conversation_peer_read_seq": (c_uint64, [_H]),
    "wc_conversation_unread": (c_uint64, [_H]),
    "wc_conversation_last_message": (_H, [_H]),
    "wc_conversation_kind": (c_int, [_H]),
    "wc_conversation_group": (_H, [_H]),
    "wc_presence_user_id": (c_uint64, [_H]),
    "wc_presence_online": (c_int, [_H]),
    "wc_presence_last_seen_ms": (c_int64, [_H]),
    "wc_friend_user": (_H, [_H]),
    "wc_friend_since_ms": (c_int64, [_H]),
    "wc_friend_conversation_id": (c_uint64, [_H]),
    "wc_friend_presence": (_H, [_H]),
    "wc_friend_request_id": (c_uint64, [_H]),
    "wc_friend_request_from": (_H, [_H]),
    "wc_friend_request_to": (_H, [_H]),
    "wc_friend_request_note": (_STR, [_H, _SIZE_P]),
    "wc_friend_request_state": (c_int, [_H]),
    "wc_friend_request_created_ms": (c_int64, [_H]),
    "wc_friend_request_answered_ms": (c_int64, [_H]),
    "wc_group_id": (c_uint64, [_H]),
    "wc_group_name": (_STR, [_H, _SIZE_P]),
    "wc_group_owner_id": (c_uint64, [_H]),
    "wc_group_member_count": (c_uint32, [_H]),
    "wc_group_created_ms": (c_int64, [_H]),
    "wc_group_dissolved": (c_int, [_H]),
    "wc_group_my_role": (c_int, [_H]),
    "wc_group_membership": (c_int, [_H]),
    "wc_group_members_size": (c_size_t, [_H]),
    "wc_group_member_at": (_H, [_H, c_size_t]),
    "wc_group_destroy": (None, [_H]),
    "wc_group_member_user": (_H, [_H]),
    "wc_group_member_role": (c_int, [_H]),
    "wc_group_member_joined_ms": (c_int64, [_H]),
    "wc_group_member_read_seq": (c_uint64, [_H]),
    "wc_group_member_delivered_seq": (c_uint64, [_H]),
    "wc_read_receipts_conversation_id": (c_uint64, [_H]),
    "wc_read_receipts_seq": (c_uint64, [_H]),
    "wc_read_receipts_member_count": (c_uint32, [_H]),
    "wc_read_receipts_read_by_size": (c_size_t, [_H]),
    "wc_read_receipts_read_by_at": (_H, [_H, c_size_t]),
    "wc_read_receipts_delivered_to_size": (c_size_t, [_H]),
    "wc_read_receipts_delivered_to_at": (_H, [_H, c_size_t]),
    # lists
    "wc_message_list_size": (c_size_t, [_H]),
    "wc_message_list_at": (_H, [_H, c_size_t]),
    "wc_message_list_destroy": (None, [_H]),
    "wc_conversation_list_size": (c_size_t, [_H]),
    "wc_conversation_list_at": (_H, [_H, c_size_t]),
    "wc_conversation_list_destroy": (None, [_H]),
    "wc_friend_list_size": (c_size_t, [_H]),
    "wc_friend_list_at": (_H, [_H, c_size_t]),
    "wc_friend_list_destroy": (None, [_H]),
    "wc_friend_request_list_size": (c_size_t, [_H]),
    "wc_friend_request_list_at": (_H, [_H, c_size_t]),
    "wc_friend_request_list_destroy": (None, [_H]),
    "wc_group_list_size": (c_size_t, [_H]),
    "wc_group_list_at": (_H, [_H, c_size_t]),
    "wc_group_list_destroy": (None, [_H]),
    # events
    "wc_event_destroy": (None, [_H]),
    "wc_event_type": (c_int, [_H]),
    "wc_event_tag": (c_uint64, [_H]),
    "wc_event_result_kind": (c_int, [_H]),
    "wc_event_status": (c_int, [_H]),
    "wc_event_status_message": (_STR, [_H, _SIZE_P]),
    "wc_event_status_retry_after_ms": (c_int64, [_H]),
    "wc_event_count": (c_size_t, [_H]),
    "wc_event_user": (_H, [_H, c_size_t]),
    "wc_event_message": (_H, [_H, c_size_t]),
    "wc_event_friend": (_H, [_H, c_size_t]),
    "wc_event_friend_request": (_H, [_H, c_size_t]),
    "wc_event_presence": (_H, [_H]),
    "wc_event_group": (_H, [_H, c_size_t]),
    "wc_event_read_receipts": (_H, [_H]),
    "wc_event_conversation_id": (c_uint64, [_H]),
    "wc_event_user_id": (c_uint64, [_H]),
    "wc_event_seq": (c_uint64, [_H]),
    "wc_event_unread": (c_uint64, [_H]),
    "wc_event_message_state": (c_int, [_H]),
    "wc_event_incoming": (c_int, [_H]),
    "wc_event_typing": (c_int, [_H]),
    "wc_event_connection_state": (c_int, [_H]),
    "wc_event_sync_applied": (c_uint64, [_H]),
    "wc_event_sync_head": (c_uint64, [_H]),
    "wc_event_group_event_kind": (c_int, [_H]),
    "wc_event_actor": (_H, [_H]),
    "wc_event_subject_count": (c_size_t, [_H]),
    "wc_event_subject": (_H, [_H, c_size_t]),
    "wc_event_group_role": (c_int, [_H]),
    # options
    "wc_client_options_create": (_H, []),
    "wc_client_options_destroy": (None, [_H]),
    "wc_client_options_set_host": (None, [_H, c_char_p, c_size_t]),
    "wc_client_options_add_server": (None, [_H, c_char_p, c_size_t, c_uint16]),
    "wc_client_options_set_port": (None, [_H, c_uint16]),
    "wc_client_options_set_plaintext": (None, [_H, c_int]),
    "wc_client_options_set_ca_file": (None, [_H, c_char_p, c_size_t]),
    "wc_client_options_set_pinned_sha256": (None, [_H, c_char_p, c_size_t]),
    "wc_client_options_set_data_dir": (None, [_H, c_char_p, c_size_t]),
    "wc_client_options_set_device_name": (None, [_H, c_char_p, c_size_t]),
    "wc_client_options_set_request_timeout_ms": (None, [_H, c_int64]),
    "wc_client_options_set_reconnect_ms": (None, [_H, c_int64, c_int64]),
    "wc_client_options_set_log_callback": (None, [_H, LOG_CALLBACK, c_void_p, c_int]),
    # client
    "wc_client_create": (c_int, [_H, _H_P]),
    "wc_client_destroy": (None, [_H]),
    "wc_client_poll": (c_int, [_H, c_int, _H_P]),
    "wc_client_set_event_callback": (None, [_H, EVENT_CALLBACK, c_void_p]),
    "wc_client_request_code": (c_int, [_H, c_uint64, c_char_p, c_size_t, c_int]),
    "wc_client_register_account": (c_int, [_H, c_uint64, c_char_p, c_size_t, c_char_p, c_size_t,
                                           c_char_p, c_size_t, c_char_p, c_size_t]),
    "wc_client_login": (c_int, [_H, c_uint64, c_char_p, c_size_t, c_char_p, c_size_t]),
    "wc_client_resume": (c_int, [_H, c_uint64]),
    "wc_client_logout": (c_int, [_H, c_uint64]),
    "wc_client_reset_password": (c_int, [_H, c_uint64, c_char_p, c_size_t, c_char_p, c_size_t,
                                         c_char_p, c_size_t]),
    "wc_client_current_user": (c_int, [_H, _H_P]),
    "wc_client_connection_state": (c_int, [_H]),
    "wc_client_search_users": (c_int, [_H, c_uint64, c_char_p, c_size_t]),
    "wc_client_send_friend_request": (c_int, [_H, c_uint64, c_uint64, c_char_p, c_size_t]),
    "wc_client_answer_friend_request": (c_int, [_H, c_uint64, c_uint64, c_int]),
    "wc_client_remove_friend": (c_int, [_H, c_uint64, c_uint64]),
    "wc_client_refresh_friends": (c_int, [_H, c_uint64]),
    "wc_client_refresh_friend_requests": (c_int, [_H, c_uint64]),
    "wc_client_send_text": (c_int, [_H, c_uint64, c_uint64, c_char_p, c_size_t]),
    "wc_client_load_history": (c_int, [_H, c_uint64, c_uint64, c_uint64, c_uint32]),
    "wc_client_mark_read": (c_int, [_H, c_uint64, c_uint64, c_uint64]),
    "wc_client_set_typing": (c_int, [_H, c_uint64, c_int]),
    "wc_client_get_read_receipts": (c_int, [_H, c_uint64, c_uint64, c_uint64]),
    "wc_client_create_group": (c_int, [_H, c_uint64, c_char_p, c_size_t, POINTER(c_uint64),
                                       c_size_t]),
    "wc_client_invite_to_group": (c_int, [_H, c_uint64, c_uint64, POINTER(c_uint64), c_size_t]),
    "wc_client_leave_group": (c_int, [_H, c_uint64, c_uint64]),
    "wc_client_remove_group_member": (c_int, [_H, c_uint64, c_uint64, c_uint64]),
    "wc_client_rename_group": (c_int, [_H, c_uint64, c_uint64, c_char_p, c_size_t]),
    "wc_client_set_group_role": (c_int, [_H, c_uint64, c_uint64, c_uint64, c_int]),
    "wc_client_transfer_group_ownership": (c_int, [_H, c_uint64, c_uint64, c_uint64]),
    "wc_client_dissolve_group": (c_int, [_H, c_uint64, c_uint64]),
    "wc_client_get_group": (c_int, [_H, c_uint64, c_uint64]),
    "wc_client_refresh_groups": (c_int, [_H, c_uint64]),
    "wc_client_send_group_text": (c_int, [_H, c_uint64, c_uint64, c_char_p, c_size_t]),
    "wc_client_conversations": (c_int, [_H, _H_P]),
    "wc_client_messages": (c_int, [_H, c_uint64, c_uint64, c_uint32, _H_P]),
    "wc_client_messages_with": (c_int, [_H, c_uint64, c_uint64, c_uint32, _H_P]),
    "wc_client_friends": (c_int, [_H, _H_P]),
    "wc_client_friend_requests": (c_int, [_H, _H_P]),
    "wc_client_search_messages": (c_int, [_H, c_char_p, c_size_t, c_uint32, _H_P]),
    "wc_client_groups": (c_int, [_H, _H_P]),
    "wc_client_group": (c_int, [_H, c_uint64, _H_P]),
    # in-process test server
    "wc_local_server_start": (c_int, [c_uint, _H_P]),
    "wc_local_server_destroy": (None, [_H]),
    "wc_local_server_port": (c_uint16, [_H]),
    "wc_local_server_client_options": (c_int, [_H, c_char_p, c_size_t, _H_P]),
    "wc_local_server_latest_code": (c_int, [_H, c_char_p, c_size_t, POINTER(c_char)]),
    "wc_local_server_stop": (None, [_H]),
    "wc_local_server_restart": (c_int, [_H]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes


def read_string(fn, handle):
    """Calls a `const char* fn(handle, size_t* len)` accessor and decodes its UTF-8."""
    length = c_size_t(0)
    ptr = fn(handle, ctypes.byref(length))
    if not ptr or length.value == 0:
        return ""
    return ctypes.string_at(ptr, length.value).decode("utf-8", errors="replace")
