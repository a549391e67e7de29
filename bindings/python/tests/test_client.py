# SPDX-License-Identifier: MIT
"""The Python binding end to end against an in-process server (wechat.testing.LocalServer).

Runs with unittest or pytest: `python3 -m unittest discover -s bindings/python/tests`, with
bindings/python on PYTHONPATH and WECHAT_LIBRARY naming the built libwechat.so."""

import itertools
import tempfile
import threading
import unittest

import wechat
from wechat.testing import LocalServer

_names = itertools.count(1)


def unique(prefix):
    return f"{prefix}{next(_names)}"


class ServerTestCase(unittest.TestCase):
    """One server per test class; each test gets fresh users and data folders."""

    server_flags = {}

    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer(**cls.server_flags)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self._dirs = []

    def tearDown(self):
        for d in self._dirs:
            d.cleanup()

    def new_dir(self):
        d = tempfile.TemporaryDirectory(prefix="wechat-py-")
        self._dirs.append(d)
        return d.name

    def open_client(self, data_dir=None, **kwargs):
        client = self.server.client(data_dir or self.new_dir(), **kwargs)
        self.addCleanup(client.close)
        return client

    def sign_up(self, client, username):
        email = f"{username}@example.com"
        password = f"password-{username}"
        client.request_code(email)
        code = self.server.latest_code(email)
        self.assertIsNotNone(code)
        user = client.register_account(username, email, password, code)
        self.assertEqual(user.username, username)
        me = client.login(username, password)
        self.assertEqual(me, user)
        client.wait_for(lambda e: isinstance(e, wechat.ConnectionStateChanged)
                        and e.state == wechat.ConnectionState.ONLINE)
        return me

    def befriend(self, a, b, b_user):
        request = a.send_friend_request(b_user.id, "hi")
        self.assertEqual(request.state, wechat.FriendRequestState.PENDING)
        update = b.wait_for(lambda e: isinstance(e, wechat.FriendRequestUpdated)
                            and e.request.id == request.id)
        self.assertTrue(update.incoming)
        b.answer_friend_request(request.id, accept=True)
        added = a.wait_for(lambda e: isinstance(e, wechat.FriendAdded)
                           and e.friend.user.id == b_user.id)
        return added.friend


class ChatTest(ServerTestCase):
    def test_version_is_the_librarys(self):
        self.assertRegex(wechat.__version__, r"^\d+\.\d+\.\d+$")
        self.assertEqual(wechat.version(), wechat.__version__)

    def test_two_clients_chat(self):
        alice, bob = self.open_client(), self.open_client()
        alice_user = self.sign_up(alice, unique("alice"))
        bob_user = self.sign_up(bob, unique("bob"))
        self.assertEqual(alice.current_user, alice_user)
        self.assertEqual(alice.connection_state, wechat.ConnectionState.ONLINE)

        found = alice.search_users(bob_user.username)
        self.assertIn(bob_user, found)
        friend = self.befriend(alice, bob, bob_user)
        self.assertEqual(friend.user, bob_user)
        self.assertEqual([f.user for f in alice.refresh_friends()], [bob_user])
        self.assertEqual([f.user for f in alice.friends()], [bob_user])

        sent = alice.send_text(bob_user.id, "hello bob, 你好")
        self.assertEqual(sent.state, wechat.MessageState.QUEUED)
        self.assertTrue(sent.outgoing)
        got = bob.wait_for(wechat.MessageReceived).message
        self.assertEqual(got.text, "hello bob, 你好")
        self.assertEqual(got.sender_id, alice_user.id)
        self.assertEqual(got.sender_username, alice_user.username)
        self.assertEqual(got.client_msg_id, sent.client_msg_id)
        state = alice.wait_for(wechat.MessageStateChanged)
        self.assertEqual(state.message.state, wechat.MessageState.SENT)

        # Typing, read markers and receipts.
        bob.set_typing(got.conversation_id, True)
        typing = alice.wait_for(wechat.TypingChanged)
        self.assertEqual((typing.user_id, typing.typing), (bob_user.id, True))
        bob.mark_read(got.conversation_id)
        read = bob.wait_for(wechat.ConversationRead)
        self.assertEqual((read.read_seq, read.unread), (got.seq, 0))
        receipt = alice.wait_for(lambda e: isinstance(e, wechat.ReceiptUpdated)
                                 and e.state == wechat.MessageState.READ)
        self.assertEqual((receipt.peer_id, receipt.up_to_seq), (bob_user.id, got.seq))

        bob.send_text(alice_user.id, "hi alice")
        self.assertEqual(alice.wait_for(wechat.MessageReceived).message.text, "hi alice")

        # Local reads.
        [conversation] = alice.conversations()
        self.assertEqual(conversation.peer, bob_user)
        self.assertEqual(conversation.last_message.text, "hi alice")
        texts = [m.text for m in alice.messages(conversation.id)]
        self.assertEqual(sorted(texts), sorted(["hello bob, 你好", "hi alice"]))
        self.assertEqual(len(bob.messages_with(alice_user.id)), 2)
        self.assertEqual([m.text for m in bob.search_messages("hello")], ["hello bob, 你好"])
        history = bob.load_history(conversation.id, limit=10)
        self.assertEqual(len(history), 2)

    def test_offline_delivery(self):
        alice, bob_dir = self.open_client(), self.new_dir()
        bob = self.open_client(bob_dir)
        self.sign_up(alice, unique("alice"))
        bob_user = self.sign_up(bob, unique("bob"))
        self.befriend(alice, bob, bob_user)

        bob.close()  # the app is closed; its data stays in bob_dir
        presence = alice.wait_for(lambda e: isinstance(e, wechat.PresenceChanged)
                                  and e.presence.user_id == bob_user.id)
        self.assertFalse(presence.presence.online)
        alice.send_text(bob_user.id, "while you were away")
        sent = alice.wait_for(wechat.MessageStateChanged).message
        self.assertEqual(sent.state, wechat.MessageState.SENT)

        with self.server.client(bob_dir) as bob_again:
            self.assertEqual(bob_again.resume(), bob_user)
            got = bob_again.wait_for(wechat.MessageReceived).message
            self.assertEqual(got.text, "while you were away")
            self.assertEqual([m.text for m in bob_again.messages_with(sent.sender_id)],
                             ["while you were away"])

    def test_events_iterator_and_callback(self):
        alice, bob = self.open_client(), self.open_client()
        self.sign_up(alice, unique("alice"))
        bob_user = self.sign_up(bob, unique("bob"))
        self.befriend(alice, bob, bob_user)

        received = []
        arrived = threading.Event()
        threads = set()

        def on_event(event):
            threads.add(threading.get_ident())
            if isinstance(event, wechat.MessageReceived):
                received.append(event.message.text)
                if len(received) == 3:
                    arrived.set()

        bob.on_event = on_event
        futures = [alice.send_text_async(bob_user.id, f"message {i}") for i in range(3)]
        self.assertEqual([f.result(timeout=10).text for f in futures],
                         ["message 0", "message 1", "message 2"])
        self.assertTrue(arrived.wait(10))
        self.assertEqual(received, ["message 0", "message 1", "message 2"])
        self.assertNotIn(threading.get_ident(), threads)  # the library's event thread

        # events() yields what queued up, in order, and stops after a quiet `timeout`.
        kinds = [type(e) for e in alice.events(timeout=0.5)]
        self.assertIn(wechat.MessageStateChanged, kinds)


class ErrorTest(ServerTestCase):
    def test_wrong_password_raises_with_its_code(self):
        alice = self.open_client()
        name = unique("alice")
        self.sign_up(alice, name)
        other = self.open_client()
        with self.assertRaises(wechat.WrongCredentialsError) as caught:
            other.login(name, "not-the-password")
        error = caught.exception
        self.assertIsInstance(error, wechat.WechatError)
        self.assertEqual(error.code, wechat.Error.WRONG_CREDENTIALS)
        self.assertEqual(error.name, "wrong_credentials")
        self.assertTrue(error.message)
        self.assertEqual(error.retry_after_ms, 0)  # refused, but not for a rate

    def test_rate_limited_error_says_how_long_to_wait(self):
        client = self.open_client()
        email = unique("dave") + "@example.com"
        client.request_code(email)
        with self.assertRaises(wechat.RateLimitedError) as caught:
            client.request_code(email)  # one code per email per 30 s
        error = caught.exception
        self.assertEqual(error.code, wechat.Error.RATE_LIMITED)
        self.assertIsInstance(error.retry_after_ms, int)
        self.assertGreater(error.retry_after_ms, 0)
        self.assertLessEqual(error.retry_after_ms, 30000)
        self.assertIn(f"retry_after_ms={error.retry_after_ms}", repr(error))
        # Built by hand (as an app's test double might), it defaults to no wait.
        self.assertEqual(wechat.error_from(wechat.Error.RATE_LIMITED, "x", 250).retry_after_ms, 250)
        self.assertEqual(wechat.error_from(wechat.Error.RATE_LIMITED, "x").retry_after_ms, 0)

    def test_taken_username_and_wrong_code(self):
        alice = self.open_client()
        name = unique("alice")
        self.sign_up(alice, name)
        other = self.open_client()
        other.request_code("other-" + name + "@example.com")
        code = self.server.latest_code("other-" + name + "@example.com")
        with self.assertRaises(wechat.WechatError) as caught:
            other.register_account(name, "other-" + name + "@example.com", "password-x", code)
        self.assertEqual(caught.exception.code, wechat.Error.USERNAME_TAKEN)
        with self.assertRaises(wechat.WrongCodeError):
            other.register_account(unique("carol"), "other-" + name + "@example.com",
                                   "password-x", "000000" if code != "000000" else "111111")

    def test_message_to_a_stranger_fails(self):
        alice, bob = self.open_client(), self.open_client()
        self.sign_up(alice, unique("alice"))
        bob_user = self.sign_up(bob, unique("bob"))
        queued = alice.send_text(bob_user.id, "hello stranger")
        self.assertEqual(queued.state, wechat.MessageState.QUEUED)
        failed = alice.wait_for(wechat.MessageStateChanged).message
        self.assertEqual(failed.state, wechat.MessageState.FAILED)
        self.assertEqual(failed.failure, wechat.Error.NOT_FRIENDS)

    def test_local_reads_need_an_account(self):
        client = self.open_client()
        self.assertIsNone(client.current_user)
        with self.assertRaises(wechat.UnauthenticatedError):
            client.conversations()
        with self.assertRaises(wechat.SessionExpiredError):
            client.resume()

    def test_bad_options_and_closed_clients(self):
        with self.assertRaises(wechat.InvalidArgumentError) as caught:
            wechat.Client()  # no data_dir
        self.assertIsInstance(caught.exception, ValueError)
        self.assertEqual(caught.exception.retry_after_ms, 0)
        with self.assertRaises(wechat.InvalidArgumentError):
            wechat.Client(self.new_dir(), more_servers=[("", 7600)])  # a gate without a host
        client = self.open_client()
        client.close()
        client.close()  # twice is fine
        with self.assertRaises(wechat.CancelledError):
            client.login("a", "b")

    def test_close_cancels_pending_calls(self):
        with LocalServer() as server:
            client = server.client(self.new_dir())
            server.stop()
            future = client.refresh_friends_async()
            client.close()
            with self.assertRaises(wechat.WechatError):
                future.result(timeout=10)

    def test_blocking_call_inside_on_event_is_refused(self):
        alice = self.open_client()
        errors = []
        done = threading.Event()

        def on_event(event):
            if isinstance(event, wechat.ConnectionStateChanged) and not done.is_set():
                try:
                    alice.refresh_friends()
                except RuntimeError as e:
                    errors.append(e)
                done.set()

        alice.on_event = on_event
        self.sign_up_without_waiting(alice, unique("alice"))
        self.assertTrue(done.wait(10))
        self.assertEqual(len(errors), 1)

    def sign_up_without_waiting(self, client, username):
        email = f"{username}@example.com"
        client.request_code(email)
        code = self.server.latest_code(email)
        client.register_account(username, email, "password-x", code)
        client.login(username, "password-x")


if __name__ == "__main__":
    unittest.main()
