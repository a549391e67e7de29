# SPDX-License-Identifier: MIT
"""Groups through the Python binding, against an in-process server: creating, messaging on
several devices, unread counts, read receipts, members and roles, leaving and removal.

Runs with unittest or pytest, like test_client.py."""

import unittest

import wechat
from test_client import ServerTestCase, unique


def is_group_change(kind, group_id=None):
    return lambda e: (isinstance(e, wechat.GroupChanged) and e.kind == kind
                      and (group_id is None or e.group.id == group_id))


def is_group_message(text):
    return lambda e: (isinstance(e, wechat.MessageReceived) and e.message.text == text
                      and e.message.kind == wechat.ConversationKind.GROUP)


class GroupTest(ServerTestCase):
    def three_friends(self):
        """alice is friends with bob and carol; each is online."""
        alice, bob, carol = self.open_client(), self.open_client(), self.open_client()
        users = (self.sign_up(alice, unique("alice")), self.sign_up(bob, unique("bob")),
                 self.sign_up(carol, unique("carol")))
        self.befriend(alice, bob, users[1])
        self.befriend(alice, carol, users[2])
        return (alice, bob, carol), users

    def test_a_group_chats_on_several_devices_with_unread_counts_and_receipts(self):
        (alice, bob, carol), (alice_user, bob_user, carol_user) = self.three_friends()
        group = alice.create_group("hiking", [bob_user.id, carol_user.id])
        self.assertIsInstance(group, wechat.Group)
        self.assertEqual(group.name, "hiking")
        self.assertEqual(group.owner_id, alice_user.id)
        self.assertEqual(group.my_role, wechat.GroupRole.OWNER)
        self.assertEqual(group.member_count, 3)
        self.assertEqual({m.user.id for m in group.members},
                         {alice_user.id, bob_user.id, carol_user.id})

        created = bob.wait_for(is_group_change(wechat.GroupEventKind.CREATED, group.id))
        self.assertEqual(created.actor, alice_user)
        self.assertEqual({u.id for u in created.subjects}, {bob_user.id, carol_user.id})
        self.assertEqual(created.group.my_role, wechat.GroupRole.MEMBER)
        carol.wait_for(is_group_change(wechat.GroupEventKind.CREATED, group.id))

        # A second device of bob's gets everything too.
        bob_phone = self.open_client()
        bob_phone.login(bob_user.username, f"password-{bob_user.username}")

        sent = alice.send_group_text(group.id, "saturday at 8?")
        self.assertEqual(sent.kind, wechat.ConversationKind.GROUP)
        self.assertEqual(sent.conversation_id, group.id)
        self.assertEqual(sent.peer_id, 0)
        for device in (bob, carol, bob_phone):
            got = device.wait_for(is_group_message("saturday at 8?")).message
            self.assertEqual(got.sender_id, alice_user.id)
            self.assertEqual(got.conversation_id, group.id)
        state = alice.wait_for(lambda e: isinstance(e, wechat.MessageStateChanged)
                               and e.message.client_msg_id == sent.client_msg_id)
        self.assertEqual(state.message.state, wechat.MessageState.SENT)
        seq = state.message.seq

        [listed] = [c for c in bob.conversations() if c.kind == wechat.ConversationKind.GROUP]
        self.assertEqual(listed.id, group.id)
        self.assertEqual(listed.unread, 1)
        self.assertEqual(listed.group.name, "hiking")
        self.assertEqual(listed.last_message.text, "saturday at 8?")

        receipts = alice.get_read_receipts(group.id, seq)
        self.assertEqual((len(receipts.read_by), receipts.member_count), (0, 2))

        bob.mark_read(group.id)
        read = bob_phone.wait_for(lambda e: isinstance(e, wechat.ConversationRead)
                                  and e.conversation_id == group.id)
        self.assertEqual(read.unread, 0)
        receipts = alice.get_read_receipts(group.id, seq)
        self.assertEqual([u.id for u in receipts.read_by], [bob_user.id])
        self.assertEqual(receipts.member_count, 2)

        # Typing reaches the other members.
        carol.set_typing(group.id, True)
        typing = alice.wait_for(wechat.TypingChanged)
        self.assertEqual((typing.conversation_id, typing.user_id), (group.id, carol_user.id))

        self.assertEqual([g.id for g in carol.refresh_groups()], [group.id])
        self.assertEqual([g.name for g in carol.groups()], ["hiking"])
        self.assertEqual([m.text for m in carol.messages(group.id)], ["saturday at 8?"])

    def test_roles_renames_and_a_removed_member(self):
        (alice, bob, carol), (alice_user, bob_user, carol_user) = self.three_friends()
        group = alice.create_group("club", [bob_user.id])
        bob.wait_for(is_group_change(wechat.GroupEventKind.CREATED, group.id))
        alice.invite_to_group(group.id, [carol_user.id])
        added = carol.wait_for(is_group_change(wechat.GroupEventKind.MEMBERS_ADDED, group.id))
        self.assertEqual(added.group.membership, wechat.GroupMembership.MEMBER)

        alice.set_group_role(group.id, bob_user.id, wechat.GroupRole.ADMIN)
        role = bob.wait_for(is_group_change(wechat.GroupEventKind.ROLE_CHANGED, group.id))
        self.assertEqual(role.role, wechat.GroupRole.ADMIN)
        self.assertEqual(role.group.my_role, wechat.GroupRole.ADMIN)
        bob.rename_group(group.id, "book club")
        renamed = carol.wait_for(is_group_change(wechat.GroupEventKind.RENAMED, group.id))
        self.assertEqual(renamed.group.name, "book club")

        fetched = carol.get_group(group.id)
        roles = {m.user.id: m.role for m in fetched.members}
        self.assertEqual(roles, {alice_user.id: wechat.GroupRole.OWNER,
                                 bob_user.id: wechat.GroupRole.ADMIN,
                                 carol_user.id: wechat.GroupRole.MEMBER})
        self.assertEqual(len(carol.group(group.id).members), 3)  # cached

        carol.send_group_text(group.id, "hello club")
        carol.wait_for(lambda e: isinstance(e, wechat.MessageStateChanged)
                       and e.message.state == wechat.MessageState.SENT)
        bob.remove_group_member(group.id, carol_user.id)  # an admin removes a plain member
        removed = carol.wait_for(is_group_change(wechat.GroupEventKind.MEMBER_REMOVED, group.id))
        self.assertEqual(removed.actor, bob_user)
        self.assertEqual(removed.group.membership, wechat.GroupMembership.REMOVED)
        with self.assertRaises(wechat.NotGroupMemberError):
            carol.send_group_text(group.id, "still here?")
        # The history stays.
        self.assertEqual([m.text for m in carol.messages(group.id)], ["hello club"])
        self.assertEqual(carol.group(group.id).membership, wechat.GroupMembership.REMOVED)

        alice.transfer_group_ownership(group.id, bob_user.id)
        owner = bob.wait_for(is_group_change(wechat.GroupEventKind.OWNER_CHANGED, group.id))
        self.assertEqual(owner.group.my_role, wechat.GroupRole.OWNER)
        alice.leave_group(group.id)
        left = alice.wait_for(is_group_change(wechat.GroupEventKind.MEMBER_LEFT, group.id))
        self.assertEqual(left.group.membership, wechat.GroupMembership.LEFT)
        bob.dissolve_group(group.id)
        dissolved = bob.wait_for(is_group_change(wechat.GroupEventKind.DISSOLVED, group.id))
        self.assertTrue(dissolved.group.dissolved)
        with self.assertRaises(wechat.GroupDissolvedError):
            bob.send_group_text(group.id, "anyone?")

    def test_group_errors_raise_their_classes(self):
        alice, bob = self.open_client(), self.open_client()
        self.sign_up(alice, unique("alice"))
        bob_user = self.sign_up(bob, unique("bob"))
        with self.assertRaises(wechat.NotFriendsError):
            alice.create_group("strangers", [bob_user.id])
        with self.assertRaises(wechat.NotGroupMemberError) as caught:
            alice.get_group(987654)
        self.assertEqual(caught.exception.code, wechat.Error.NOT_GROUP_MEMBER)
        self.assertEqual(caught.exception.name, "not_group_member")
        self.assertIsNone(alice.group(987654))
        self.assertEqual(alice.groups(), [])
        # A message to a group this device does not know is queued; the server refuses it.
        queued = alice.send_group_text(987654, "hello?")
        self.assertEqual(queued.state, wechat.MessageState.QUEUED)
        failed = alice.wait_for(wechat.MessageStateChanged).message
        self.assertEqual(failed.state, wechat.MessageState.FAILED)
        self.assertEqual(failed.failure, wechat.Error.NOT_GROUP_MEMBER)


if __name__ == "__main__":
    unittest.main()
