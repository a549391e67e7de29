# SPDX-License-Identifier: MIT
"""Two users become friends and chat, through the Python binding, against an in-process server.

Run: PYTHONPATH=bindings/python WECHAT_LIBRARY=build/bindings/libwechat.so python3 chat.py
"""

import tempfile

import wechat
from wechat.testing import LocalServer


def sign_up(server, client, name):
    """Registers `name` through the mailed-code flow and logs in."""
    email = f"{name}@example.com"
    client.request_code(email)
    code = server.latest_code(email)  # a real app asks the user for it
    client.register_account(name, email, f"password-{name}", code)
    return client.login(name, f"password-{name}")


def main():
    print("libwechat", wechat.__version__)
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp, \
            server.client(f"{tmp}/alice") as alice, server.client(f"{tmp}/bob") as bob:
        sign_up(server, alice, "alice")
        bob_user = sign_up(server, bob, "bob")

        request = alice.send_friend_request(bob_user.id, "hi, it's alice")
        bob.wait_for(wechat.FriendRequestUpdated)
        bob.answer_friend_request(request.id, accept=True)
        alice.wait_for(wechat.FriendAdded)

        alice.send_text(bob_user.id, "hello from Python")
        for event in bob.events(timeout=10):
            if isinstance(event, wechat.MessageReceived):
                print(f'bob got "{event.message.text}" from {event.message.sender_username}')
                break

        try:
            alice.send_friend_request(bob_user.id)
        except wechat.AlreadyFriendsError as e:  # or: except wechat.WechatError, check e.code
            print("as expected:", e.code.name, "-", e.message)


if __name__ == "__main__":
    main()
