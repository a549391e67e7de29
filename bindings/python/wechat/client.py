# SPDX-License-Identifier: MIT
"""wechat.Client: one account's session with a wechat-server, over libwechat's C ABI.

Threading: every method may be called from any thread. The library runs a session on its own
event thread; results and events arrive there and are handed to Python (ctypes takes the GIL).
Events go to `on_event` if set (called on that event thread: keep it short, and use the
`*_async` methods there, since a blocking call would wait for the thread it runs on), otherwise
they queue for `events()`, `next_event()` and `wait_for()`.
"""

import atexit
import collections
import concurrent.futures
import ctypes
import itertools
import logging
import queue
import threading
import time
import weakref

from . import _convert
from ._native import EVENT_CALLBACK, LOG_CALLBACK, lib
from .errors import Error, WechatError, error_from
from .types import CodePurpose, ConnectionState, GroupRole, LogLevel

__all__ = ["Client"]

_CLOSED = object()  # queued by close() to end events()
_live_clients = weakref.WeakSet()
# ctypes thunks of clients closed from inside their own callback: freeing one while it runs
# would crash, so they are kept for the life of the process (one small object each).
_keep_alive = []


def _text(s):
    data = s.encode("utf-8")
    return data, len(data)


def _ids(ids):
    """A ctypes uint64 array of `ids` and its length (None, 0 when empty)."""
    ids = [int(i) for i in ids]
    if not ids:
        return None, 0
    return (ctypes.c_uint64 * len(ids))(*ids), len(ids)


def _last_error(status):
    return error_from(status, (lib.wc_last_error_message() or b"").decode("utf-8", "replace"),
                      lib.wc_last_error_retry_after_ms())


def _check(status):
    if status != 0:
        raise _last_error(status)


class Client:
    """A client session. Create it, `login()` (or `resume()`), then chat; `close()` it (or use
    it as a context manager) to disconnect.

    Blocking methods return the result or raise a `WechatError` subclass; each has an `_async`
    twin returning a `concurrent.futures.Future`. Local reads (`conversations()`, `messages()`,
    ...) answer from the local database and never wait for the network.

    Example::

        with wechat.Client("/home/me/.local/share/myapp", host="chat.example.com",
                           ca_file="server-cert.pem") as client:
            me = client.login("alice", "secret-password")
            client.send_text(bob_id, "hello")
            for event in client.events(timeout=5):
                if isinstance(event, wechat.MessageReceived):
                    print(event.message.sender_username, event.message.text)
    """

    def __init__(self, data_dir=None, *, host=None, port=None, more_servers=(), plaintext=None,
                 ca_file=None, pinned_sha256=None, device_name=None, request_timeout=None,
                 reconnect_initial=None, reconnect_max=None, on_event=None, log=None,
                 log_level=LogLevel.INFO, call_timeout=60.0, _options=None):
        """Options left as None keep the library's defaults (127.0.0.1:7600, TLS verified with
        the system's trust store, 15 s request timeout). Times are in seconds. `more_servers`
        is a sequence of (host, port): more gates of a cluster, tried in turn.

        `log` is a callable (level, component, message) or a logging.Logger; it is called from
        library threads. `call_timeout` bounds how long blocking methods wait.

        Raises InvalidArgumentError (no data_dir, bad fingerprint), TlsError, IoError."""
        self._handle = None
        self._closed = True
        self.call_timeout = call_timeout
        self._lock = threading.Lock()
        self._pending = {}
        self._tags = itertools.count(1)
        self._queue = queue.Queue()
        self._backlog = collections.deque()  # events taken by wait_for() but not matched
        self._backlog_lock = threading.Lock()
        self._on_event = on_event
        self._in_callback = threading.local()
        self._log_callback = None

        options = _options if _options is not None else lib.wc_client_options_create()
        if not options:
            raise MemoryError("wc_client_options_create")
        try:
            if data_dir is not None:
                lib.wc_client_options_set_data_dir(options, *_text(str(data_dir)))
            if host is not None:
                lib.wc_client_options_set_host(options, *_text(host))
            if port is not None:
                lib.wc_client_options_set_port(options, port)
            for server_host, server_port in more_servers:
                lib.wc_client_options_add_server(options, *_text(server_host), server_port)
            if plaintext is not None:
                lib.wc_client_options_set_plaintext(options, 1 if plaintext else 0)
            if ca_file is not None:
                lib.wc_client_options_set_ca_file(options, *_text(str(ca_file)))
            if pinned_sha256 is not None:
                lib.wc_client_options_set_pinned_sha256(options, *_text(pinned_sha256))
            if device_name is not None:
                lib.wc_client_options_set_device_name(options, *_text(device_name))
            if request_timeout is not None:
                lib.wc_client_options_set_request_timeout_ms(options, int(request_timeout * 1000))
            if reconnect_initial is not None or reconnect_max is not None:
                lib.wc_client_options_set_reconnect_ms(
                    options, int((reconnect_initial or 0.25) * 1000),
                    int((reconnect_max or 30.0) * 1000))
            if log is not None:
                self._log_callback = LOG_CALLBACK(_log_adapter(log))
                lib.wc_client_options_set_log_callback(options, self._log_callback, None,
                                                       int(log_level))
            handle = ctypes.c_void_p()
            _check(lib.wc_client_create(options, ctypes.byref(handle)))
        finally:
            if _options is None:
                lib.wc_client_options_destroy(options)

        self._handle = handle.value
        self._closed = False
        # The thunk holds only a weak reference, so an abandoned Client is still collected
        # (and closed by __del__).
        self_ref = weakref.ref(self)

        def deliver(_user_data, event):
            client = self_ref()
            if client is None:
                lib.wc_event_destroy(event)
            else:
                client._deliver(event)

        self._callback = EVENT_CALLBACK(deliver)
        lib.wc_client_set_event_callback(self._handle, self._callback, None)
        _live_clients.add(self)

    # --- Lifetime ------------------------------------------------------------------------------

    def close(self):
        """Disconnects and frees the client. Calls still waiting fail with CancelledError. Safe
        to call twice, and from `on_event`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            handle, self._handle = self._handle, None
        if getattr(self._in_callback, "active", False):
            _keep_alive.append(self._callback)
        lib.wc_client_destroy(handle)
        # Cancelled calls normally reached the callback during destroy; not when closed from
        # inside it, so whatever is left is cancelled here.
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error_from(Error.CANCELLED, "the client was closed"))
        self._queue.put(_CLOSED)
        _live_clients.discard(self)

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    # --- Events --------------------------------------------------------------------------------

    @property
    def on_event(self):
        return self._on_event

    @on_event.setter
    def on_event(self, handler):
        """Calls `handler(event)` on the event thread for every event from now on (None: queue
        them for events() again). Events already queued stay queued."""
        self._on_event = handler

    def events(self, timeout=None):
        """Yields events as they arrive; stops after `timeout` seconds without one (None: wait
        until the client is closed)."""
        while True:
            event = self.next_event(timeout)
            if event is None:
                return
            yield event

    def next_event(self, timeout=None):
        """The next event, or None if none arrives within `timeout` seconds (or on close)."""
        with self._backlog_lock:
            if self._backlog:
                return self._backlog.popleft()
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is _CLOSED:
            self._queue.put(_CLOSED)  # for any other consumer
            return None
        return event

    def wait_for(self, match, timeout=10.0):
        """The first queued or arriving event matching `match` (an event class, a tuple of them,
        or a predicate). Events that do not match stay queued, in order, for later reads.
        Raises TimeoutError after `timeout` seconds."""
        if isinstance(match, (type, tuple)):
            kinds = match
            match = lambda event: isinstance(event, kinds)  # noqa: E731
        with self._backlog_lock:
            for i, event in enumerate(self._backlog):
                if match(event):
                    del self._backlog[i]
                    return event
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise error_from(Error.TIMEOUT, "no matching event arrived in time")
                try:
                    event = self._queue.get(timeout=left)
                except queue.Empty:
                    continue
                if event is _CLOSED:
                    self._queue.put(_CLOSED)
                    raise error_from(Error.CANCELLED, "the client was closed")
                if match(event):
                    return event
                skipped.append(event)
        finally:
            with self._backlog_lock:
                self._backlog.extend(skipped)

    def _deliver(self, event):
        """Runs on the event thread for every event and result; owns `event`."""
        self._in_callback.active = True
        try:
            if lib.wc_event_type(event) == _convert.EVENT_RESULT:
                with self._lock:
                    future = self._pending.pop(lib.wc_event_tag(event), None)
                if future is not None and not future.done():
                    error = _convert.status_of(event)
                    if error is not None:
                        future.set_exception(error)
                    else:
                        future.set_result(_convert.result_value(event))
                return
            converted = _convert.event(event)
            if converted is None:
                return
            handler = self._on_event
            if handler is None:
                self._queue.put(converted)
                return
            try:
                handler(converted)
            except Exception:  # noqa: BLE001 - an app's bug must not stop the session
                logging.getLogger("wechat").exception("on_event handler raised")
        finally:
            self._in_callback.active = False
            lib.wc_event_destroy(event)

    # --- Plumbing ------------------------------------------------------------------------------

    def _live_handle(self):
        handle = self._handle
        if handle is None:
            raise error_from(Error.CANCELLED, "the client is closed")
        return handle

    def _start(self, fn, *args):
        handle = self._live_handle()
        future = concurrent.futures.Future()
        with self._lock:
            tag = next(self._tags)
            self._pending[tag] = future
        status = fn(handle, tag, *args)
        if status != 0:
            with self._lock:
                self._pending.pop(tag, None)
            raise _last_error(status)
        return future

    def _wait(self, future):
        if getattr(self._in_callback, "active", False):
            raise RuntimeError("a blocking wechat.Client call from on_event would wait for its "
                               "own thread: use the _async variant there")
        try:
            return future.result(timeout=self.call_timeout)
        except WechatError:
            raise
        except concurrent.futures.TimeoutError:
            raise error_from(Error.TIMEOUT, "no answer within call_timeout") from None

    def _read(self, fn, args, convert, destroy):
        out = ctypes.c_void_p()
        _check(fn(self._live_handle(), *args, ctypes.byref(out)))
        try:
            return convert(out.value)
        finally:
            destroy(out.value)

    # --- Account -------------------------------------------------------------------------------

    def request_code_async(self, email, purpose=CodePurpose.REGISTER):
        return self._start(lib.wc_client_request_code, *_text(email), int(purpose))

    def request_code(self, email, purpose=CodePurpose.REGISTER):
        """Has the server mail a 6-digit code to `email` (for register_account or
        reset_password)."""
        return self._wait(self.request_code_async(email, purpose))

    def register_account_async(self, username, email, password, code):
        return self._start(lib.wc_client_register_account, *_text(username), *_text(email),
                           *_text(password), *_text(code))

    def register_account(self, username, email, password, code):
        """Creates the account; returns its User. Does not log in."""
        return self._wait(self.register_account_async(username, email, password, code))

    def login_async(self, login, password):
        return self._start(lib.wc_client_login, *_text(login), *_text(password))

    def login(self, login, password):
        """Logs in by username or email and stays connected (reconnecting as needed) until
        logout or close. Returns the User."""
        return self._wait(self.login_async(login, password))

    def resume_async(self):
        return self._start(lib.wc_client_resume)

    def resume(self):
        """Resumes the last account's saved session without the password; SessionExpiredError
        if there is none."""
        return self._wait(self.resume_async())

    def logout_async(self):
        return self._start(lib.wc_client_logout)

    def logout(self):
        """Ends the session on the server and forgets the token. Local data stays."""
        return self._wait(self.logout_async())

    def reset_password_async(self, email, code, new_password):
        return self._start(lib.wc_client_reset_password, *_text(email), *_text(code),
                           *_text(new_password))

    def reset_password(self, email, code, new_password):
        return self._wait(self.reset_password_async(email, code, new_password))

    @property
    def current_user(self):
        """The logged-in User (also while offline), or None."""
        out = ctypes.c_void_p()
        status = lib.wc_client_current_user(self._live_handle(), ctypes.byref(out))
        if status == Error.UNAUTHENTICATED:
            return None
        _check(status)
        try:
            return _convert.user(out.value)
        finally:
            lib.wc_user_destroy(out.value)

    @property
    def connection_state(self):
        return ConnectionState(lib.wc_client_connection_state(self._live_handle()))

    # --- Friends -------------------------------------------------------------------------------

    def search_users_async(self, query):
        return self._start(lib.wc_client_search_users, *_text(query))

    def search_users(self, query):
        """Users whose name matches `query`: a list of User."""
        return self._wait(self.search_users_async(query))

    def send_friend_request_async(self, to, note=""):
        return self._start(lib.wc_client_send_friend_request, int(to), *_text(note))

    def send_friend_request(self, to, note=""):
        """Asks user id `to` to be friends; returns the FriendRequest."""
        return self._wait(self.send_friend_request_async(to, note))

    def answer_friend_request_async(self, request_id, accept=True):
        return self._start(lib.wc_client_answer_friend_request, int(request_id),
                           1 if accept else 0)

    def answer_friend_request(self, request_id, accept=True):
        return self._wait(self.answer_friend_request_async(request_id, accept))

    def remove_friend_async(self, user_id):
        return self._start(lib.wc_client_remove_friend, int(user_id))

    def remove_friend(self, user_id):
        return self._wait(self.remove_friend_async(user_id))

    def refresh_friends_async(self):
        return self._start(lib.wc_client_refresh_friends)

    def refresh_friends(self):
        """Fetches the friend list (with presence) from the server: a list of Friend."""
        return self._wait(self.refresh_friends_async())

    def refresh_friend_requests_async(self):
        return self._start(lib.wc_client_refresh_friend_requests)

    def refresh_friend_requests(self):
        """Fetches pending friend requests, both directions: a list of FriendRequest."""
        return self._wait(self.refresh_friend_requests_async())

    # --- Messages ------------------------------------------------------------------------------

    def send_text_async(self, to, text):
        return self._start(lib.wc_client_send_text, int(to), *_text(text))

    def send_text(self, to, text):
        """Queues a message to user id `to` (works offline) and returns it, state QUEUED. It is
        delivered exactly once; later states arrive as MessageStateChanged and ReceiptUpdated."""
        return self._wait(self.send_text_async(to, text))

    def load_history_async(self, conversation_id, before_seq=0, limit=50):
        return self._start(lib.wc_client_load_history, int(conversation_id), int(before_seq),
                           int(limit))

    def load_history(self, conversation_id, before_seq=0, limit=50):
        """Older messages from the server (cached locally), newest first."""
        return self._wait(self.load_history_async(conversation_id, before_seq, limit))

    def mark_read_async(self, conversation_id, up_to_seq=0):
        return self._start(lib.wc_client_mark_read, int(conversation_id), int(up_to_seq))

    def mark_read(self, conversation_id, up_to_seq=0):
        """Marks the conversation read up to `up_to_seq` (0: everything)."""
        return self._wait(self.mark_read_async(conversation_id, up_to_seq))

    def set_typing(self, conversation_id, typing=True):
        """Tells the peer (or the group's members) this user is (or stopped) typing. Best
        effort, returns at once."""
        _check(lib.wc_client_set_typing(self._live_handle(), int(conversation_id),
                                        1 if typing else 0))

    def get_read_receipts_async(self, conversation_id, seq):
        return self._start(lib.wc_client_get_read_receipts, int(conversation_id), int(seq))

    def get_read_receipts(self, conversation_id, seq):
        """ "Read by N of M" for the message at `seq` of a conversation (direct or group): a
        ReadReceipts."""
        return self._wait(self.get_read_receipts_async(conversation_id, seq))

    # --- Groups --------------------------------------------------------------------------------
    # A group is a conversation (Group.id is its conversation id): load_history, mark_read,
    # set_typing and messages() work on it. Changes arrive as GroupChanged events.

    def create_group_async(self, name, member_ids=()):
        return self._start(lib.wc_client_create_group, *_text(name), *_ids(member_ids))

    def create_group(self, name, member_ids=()):
        """Creates a group owned by this account with friends `member_ids`; returns the Group
        with its members. It is stored locally at once: send_group_text may follow."""
        return self._wait(self.create_group_async(name, member_ids))

    def invite_to_group_async(self, group_id, user_ids):
        return self._start(lib.wc_client_invite_to_group, int(group_id), *_ids(user_ids))

    def invite_to_group(self, group_id, user_ids):
        """Owner or admin: adds friends `user_ids` to the group."""
        return self._wait(self.invite_to_group_async(group_id, user_ids))

    def leave_group_async(self, group_id):
        return self._start(lib.wc_client_leave_group, int(group_id))

    def leave_group(self, group_id):
        """Leaves the group (an owner transfers ownership or dissolves it first)."""
        return self._wait(self.leave_group_async(group_id))

    def remove_group_member_async(self, group_id, user_id):
        return self._start(lib.wc_client_remove_group_member, int(group_id), int(user_id))

    def remove_group_member(self, group_id, user_id):
        return self._wait(self.remove_group_member_async(group_id, user_id))

    def rename_group_async(self, group_id, name):
        return self._start(lib.wc_client_rename_group, int(group_id), *_text(name))

    def rename_group(self, group_id, name):
        return self._wait(self.rename_group_async(group_id, name))

    def set_group_role_async(self, group_id, user_id, role):
        return self._start(lib.wc_client_set_group_role, int(group_id), int(user_id),
                           int(GroupRole(role)))

    def set_group_role(self, group_id, user_id, role):
        """Owner only: `role` is GroupRole.ADMIN or GroupRole.MEMBER."""
        return self._wait(self.set_group_role_async(group_id, user_id, role))

    def transfer_group_ownership_async(self, group_id, new_owner_id):
        return self._start(lib.wc_client_transfer_group_ownership, int(group_id),
                           int(new_owner_id))

    def transfer_group_ownership(self, group_id, new_owner_id):
        return self._wait(self.transfer_group_ownership_async(group_id, new_owner_id))

    def dissolve_group_async(self, group_id):
        return self._start(lib.wc_client_dissolve_group, int(group_id))

    def dissolve_group(self, group_id):
        return self._wait(self.dissolve_group_async(group_id))

    def get_group_async(self, group_id):
        return self._start(lib.wc_client_get_group, int(group_id))

    def get_group(self, group_id):
        """Fetches the Group with its members (and caches it)."""
        return self._wait(self.get_group_async(group_id))

    def refresh_groups_async(self):
        return self._start(lib.wc_client_refresh_groups)

    def refresh_groups(self):
        """Fetches the groups this account is in: a list of Group (without members)."""
        return self._wait(self.refresh_groups_async())

    def send_group_text_async(self, group_id, text):
        return self._start(lib.wc_client_send_group_text, int(group_id), *_text(text))

    def send_group_text(self, group_id, text):
        """As send_text, to a group. NotGroupMemberError (or GroupDissolvedError) at once when
        this device knows the account cannot send there."""
        return self._wait(self.send_group_text_async(group_id, text))

    # --- Local reads ---------------------------------------------------------------------------

    def conversations(self):
        """Every conversation, from the local database. UnauthenticatedError before login."""
        return self._read(lib.wc_client_conversations, (), _convert.conversation_list,
                          lib.wc_conversation_list_destroy)

    def messages(self, conversation_id, before_seq=0, limit=50):
        return self._read(lib.wc_client_messages, (int(conversation_id), int(before_seq),
                                                   int(limit)),
                          _convert.message_list, lib.wc_message_list_destroy)

    def messages_with(self, peer_id, before_seq=0, limit=50):
        return self._read(lib.wc_client_messages_with, (int(peer_id), int(before_seq),
                                                        int(limit)),
                          _convert.message_list, lib.wc_message_list_destroy)

    def friends(self):
        return self._read(lib.wc_client_friends, (), _convert.friend_list,
                          lib.wc_friend_list_destroy)

    def friend_requests(self):
        return self._read(lib.wc_client_friend_requests, (), _convert.friend_request_list,
                          lib.wc_friend_request_list_destroy)

    def search_messages(self, text, limit=50):
        """Full-text search of the local message cache."""
        return self._read(lib.wc_client_search_messages, (*_text(text), int(limit)),
                          _convert.message_list, lib.wc_message_list_destroy)

    def groups(self):
        """Every group this device knows of (also those left or dissolved), without members."""
        return self._read(lib.wc_client_groups, (), _convert.group_list,
                          lib.wc_group_list_destroy)

    def group(self, group_id):
        """The cached Group, with members when this device knows the whole list; None when it
        does not know the group."""
        out = ctypes.c_void_p()
        status = lib.wc_client_group(self._live_handle(), int(group_id), ctypes.byref(out))
        if status == Error.NOT_FOUND:
            return None
        _check(status)
        try:
            return _convert.group(out.value)
        finally:
            lib.wc_group_destroy(out.value)


def _log_adapter(log):
    """A C log callback calling `log(level, component, message)` or logging to a Logger."""
    if isinstance(log, logging.Logger):
        levels = {LogLevel.TRACE: logging.DEBUG, LogLevel.DEBUG: logging.DEBUG,
                  LogLevel.INFO: logging.INFO, LogLevel.WARN: logging.WARNING,
                  LogLevel.ERROR: logging.ERROR}
        logger = log

        def log(level, component, message):  # noqa: F811 - the adapted callable
            logger.log(levels.get(level, logging.ERROR), "%s: %s", component, message)

    def on_log(_user_data, level, component, component_len, message, message_len):
        try:
            log(LogLevel(level),
                ctypes.string_at(component, component_len).decode("utf-8", "replace"),
                ctypes.string_at(message, message_len).decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - a log line is not worth a crash
            pass

    return on_log


@atexit.register
def _close_all():
    # The library's threads must not call into an interpreter that is shutting down.
    for client in list(_live_clients):
        client.close()
