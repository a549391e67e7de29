// SPDX-License-Identifier: MIT
// Groups in the client store: the group rows and their cached member lists, applying group_event
// log entries, and caching what CreateGroup, GetGroup and ListGroups answer.
//
// The rule that keeps them consistent: the log decides this account's membership (joined, left,
// removed) and every other change, in order; server answers only fill in what the log has not
// said yet (a group not stored at all, a member list) and never move a membership.
#include <algorithm>
#include <string>
#include <utility>

#include "client/store/client_store.h"
#include "client/store/client_store_internal.h"
#include "store/transaction.h"

namespace wechat::client {

using internal::ConvState;
using internal::u64;
using internal::Writer;

namespace internal {

namespace {

constexpr int kGroupKind = static_cast<int>(ConversationKind::kGroup);

Status protocol_error(const char* what) { return Status(Error::kProtocol, what); }

GroupRole role_from_int(std::int64_t v) {
  return v >= 0 && v <= static_cast<int>(GroupRole::kOwner) ? static_cast<GroupRole>(v)
                                                            : GroupRole::kNone;
}

GroupMembership membership_from_int(std::int64_t v) {
  switch (v) {
    case 1:
      return GroupMembership::kLeft;
    case 2:
      return GroupMembership::kRemoved;
    default:
      return GroupMembership::kMember;
  }
}

/// The stored membership and role of this account in group `id`, if the row exists.
struct Standing {
  GroupMembership membership = GroupMembership::kMember;
  GroupRole role = GroupRole::kNone;
  bool members_complete = false;
};

Result<std::optional<Standing>> standing(store::Database& db, ConversationId id) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db.prepare_cached("SELECT membership, my_role, members_complete FROM groups WHERE id = ?"));
  WECHAT_TRY(st->bind(1, id));
  WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<Standing>();
  Standing s;
  s.membership = membership_from_int(st->int64(0));
  s.role = role_from_int(st->int64(1));
  s.members_complete = st->int64(2) != 0;
  return std::optional<Standing>(s);
}

Status set_standing(store::Database& db, ConversationId id, GroupMembership membership,
                    GroupRole role) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db.prepare_cached("UPDATE groups SET membership = ?, my_role = ? WHERE id = ?"));
  return st->run(static_cast<int>(membership), static_cast<int>(role), id);
}

/// Forgets the cached member list (it is no longer known to be whole).
Status forget_members(store::Database& db, ConversationId id) {
  {
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db.prepare_cached("DELETE FROM group_members WHERE group_id = ?"));
    WECHAT_TRY(st->run(id));
  }
  WECHAT_ASSIGN_OR_RETURN(auto st,
                          db.prepare_cached("UPDATE groups SET members_complete = 0 WHERE id = ?"));
  return st->run(id);
}

Status put_member(store::Database& db, ConversationId group, UserId user, GroupRole role,
                  UnixMillis joined_ms, std::uint64_t read_seq, std::uint64_t delivered_seq) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db.prepare_cached("INSERT OR REPLACE INTO group_members (group_id, user_id, role, "
                                 "joined_ms, read_seq, delivered_seq) VALUES (?, ?, ?, ?, ?, ?)"));
  return st->run(group, user, static_cast<int>(role), joined_ms, read_seq, delivered_seq);
}

Status remove_member(store::Database& db, ConversationId group, UserId user) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db.prepare_cached("DELETE FROM group_members WHERE group_id = ? AND user_id = ?"));
  return st->run(group, user);
}

Status set_member_role(store::Database& db, ConversationId group, UserId user, GroupRole role) {
  WECHAT_ASSIGN_OR_RETURN(
      auto st,
      db.prepare_cached("UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?"));
  return st->run(static_cast<int>(role), group, user);
}

/// Fails every message of this device still queued to `group` (the account can no longer send
/// there, so the server would refuse them for good): they leave the outbox, kFailed.
Status fail_queued(store::Database& db, ConversationId group, const Status& why,
                   std::vector<Event>& events) {
  std::vector<std::int64_t> rows;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db.prepare_cached("SELECT m.id FROM outbox o JOIN messages m ON m.id = "
                                   "o.message_row WHERE m.conversation_id = ? AND m.kind = ? "
                                   "ORDER BY o.message_row"));
    WECHAT_TRY(st->bind_all(group, kGroupKind));
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
      if (!row) break;
      rows.push_back(st->int64(0));
    }
  }
  for (const std::int64_t row : rows) {
    {
      WECHAT_ASSIGN_OR_RETURN(auto st,
                              db.prepare_cached("UPDATE messages SET state = ?, failure_code = ?, "
                                                "failure_message = ? WHERE id = ? AND state = ?"));
      WECHAT_TRY(st->run(static_cast<int>(MessageState::kFailed), static_cast<int>(why.code()),
                         why.message(), row, static_cast<int>(MessageState::kQueued)));
    }
    {
      WECHAT_ASSIGN_OR_RETURN(auto st,
                              db.prepare_cached("DELETE FROM outbox WHERE message_row = ?"));
      WECHAT_TRY(st->run(row));
    }
    WECHAT_ASSIGN_OR_RETURN(Message m, message_by_row(db, row));
    events.emplace_back(MessageStateChanged{std::move(m)});
  }
  return Status();
}

bool known_kind(v1::GroupEventKind kind) {
  return kind >= v1::GROUP_EVENT_KIND_CREATED && kind <= v1::GROUP_EVENT_KIND_DISSOLVED;
}

}  // namespace

GroupRole role_from_wire(v1::GroupRole role) {
  switch (role) {
    case v1::GROUP_ROLE_MEMBER:
      return GroupRole::kMember;
    case v1::GROUP_ROLE_ADMIN:
      return GroupRole::kAdmin;
    case v1::GROUP_ROLE_OWNER:
      return GroupRole::kOwner;
    default:
      return GroupRole::kNone;
  }
}

Group read_group(const store::Statement& st, int c) {
  Group g;
  g.id = u64(st.int64(c));
  g.name = std::string(st.text(c + 1));
  g.owner_id = u64(st.int64(c + 2));
  g.member_count = static_cast<std::uint32_t>(st.int64(c + 3));
  g.created_ms = st.int64(c + 4);
  g.dissolved = st.int64(c + 5) != 0;
  g.my_role = role_from_int(st.int64(c + 6));
  g.membership = membership_from_int(st.int64(c + 7));
  return g;
}

Result<std::optional<Group>> load_group(store::Database& db, ConversationId id, bool with_members) {
  Group g;
  bool complete = false;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db.prepare_cached("SELECT g.id, g.name, g.owner_id, g.member_count, g.created_ms, "
                                   "g.dissolved, g.my_role, g.membership, g.members_complete "
                                   "FROM groups g WHERE g.id = ?"));
    WECHAT_TRY(st->bind(1, id));
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) return std::optional<Group>();
    g = read_group(*st);
    complete = st->int64(8) != 0;
  }
  if (with_members && complete) {
    WECHAT_ASSIGN_OR_RETURN(
        auto st,
        db.prepare_cached("SELECT m.user_id, coalesce(u.username, ''), m.role, m.joined_ms, "
                          "m.read_seq, m.delivered_seq FROM group_members m "
                          "LEFT JOIN users u ON u.id = m.user_id WHERE m.group_id = ? "
                          "ORDER BY m.role DESC, u.username, m.user_id"));
    WECHAT_TRY(st->bind(1, id));
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
      if (!row) break;
      GroupMember m;
      m.user = User{u64(st->int64(0)), std::string(st->text(1))};
      m.role = role_from_int(st->int64(2));
      m.joined_ms = st->int64(3);
      m.read_seq = u64(st->int64(4));
      m.delivered_seq = u64(st->int64(5));
      g.members.push_back(std::move(m));
    }
  }
  return std::optional<Group>(std::move(g));
}

Result<MemberInfo> put_group_info(Writer& w, const v1::GroupInfo& info) {
  const ConversationId id = info.group_id();
  if (id == 0) return protocol_error("group without an id");
  store::Database& db = w.db();
  WECHAT_ASSIGN_OR_RETURN(ConvState * conv, w.conversation(id));
  if (!conv->is_group()) {
    conv->kind = ConversationKind::kGroup;
    conv->peer_id = 0;
    conv->dirty = true;
  }
  WECHAT_ASSIGN_OR_RETURN(std::optional<Standing> before, standing(db, id));
  {
    // A new row starts as "member": every answer and every first log event about a group
    // (created, or members_added naming this account) says so. Dissolving cannot be undone.
    WECHAT_ASSIGN_OR_RETURN(
        auto st,
        db.prepare_cached("INSERT INTO groups (id, name, owner_id, member_count, created_ms, "
                          "dissolved, my_role, membership, members_complete) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0) ON CONFLICT (id) DO UPDATE SET "
                          "name = excluded.name, owner_id = excluded.owner_id, "
                          "member_count = excluded.member_count, "
                          "created_ms = excluded.created_ms, "
                          "dissolved = max(dissolved, excluded.dissolved)"));
    const GroupRole role = info.owner_id() == w.me() ? GroupRole::kOwner : GroupRole::kMember;
    WECHAT_TRY(st->run(id, info.name(), info.owner_id(), info.member_count(), info.created_at_ms(),
                       info.dissolved(), static_cast<int>(role)));
  }
  Standing now = before.value_or(
      Standing{GroupMembership::kMember,
               info.owner_id() == w.me() ? GroupRole::kOwner : GroupRole::kMember, false});

  MemberInfo said = MemberInfo::kUnknown;
  if (info.members_size() > 0) {
    said = MemberInfo::kAbsent;
    WECHAT_TRY(forget_members(db, id));
    for (const auto& m : info.members()) {
      if (m.user().user_id() == 0) return protocol_error("group member without a user");
      w.note_user(m.user().user_id(), m.user().username());
      const GroupRole role = role_from_wire(m.role());
      WECHAT_TRY(put_member(db, id, m.user().user_id(), role, m.joined_at_ms(), m.read_seq(),
                            m.delivered_seq()));
      if (m.user().user_id() == w.me()) {
        said = MemberInfo::kListed;
        if (now.membership == GroupMembership::kMember) now.role = role;
      }
    }
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db.prepare_cached("UPDATE groups SET members_complete = 1 WHERE id = ?"));
    WECHAT_TRY(st->run(id));
  }
  // The owner is who the info names; an owner that is no longer named is an admin now.
  if (now.membership == GroupMembership::kMember) {
    if (info.owner_id() == w.me()) {
      now.role = GroupRole::kOwner;
    } else if (now.role == GroupRole::kOwner) {
      now.role = GroupRole::kAdmin;
    } else if (now.role == GroupRole::kNone) {
      now.role = GroupRole::kMember;
    }
  }
  WECHAT_TRY(set_standing(db, id, now.membership, now.role));
  return said;
}

Status apply_group_event(Writer& w, const v1::GroupEvent& e, std::vector<Event>& events) {
  const v1::GroupInfo& info = e.group();
  const ConversationId id = info.group_id();
  if (id == 0) return protocol_error("group event without a group");
  store::Database& db = w.db();
  const UserId me = w.me();

  WECHAT_TRY(put_group_info(w, info).status());
  if (!known_kind(e.kind())) return Status();  // A newer kind: the info is all we can use.

  GroupChanged changed;
  changed.kind = static_cast<GroupEventKind>(e.kind());
  changed.actor = User{e.actor().user_id(), e.actor().username()};
  w.note_user(changed.actor.id, changed.actor.username);
  bool me_subject = false;
  for (const auto& s : e.subjects()) {
    if (s.user_id() == 0) return protocol_error("group event subject without a user");
    w.note_user(s.user_id(), s.username());
    changed.subjects.push_back(User{s.user_id(), s.username()});
    if (s.user_id() == me) me_subject = true;
  }
  changed.role = role_from_wire(e.role());

  WECHAT_ASSIGN_OR_RETURN(std::optional<Standing> stored, standing(db, id));
  Standing now = stored.value_or(Standing{});
  const bool complete = now.members_complete;

  switch (changed.kind) {
    case GroupEventKind::kCreated: {
      // The whole list: the owner (the actor) and the initial members.
      WECHAT_TRY(forget_members(db, id));
      WECHAT_TRY(
          put_member(db, id, changed.actor.id, GroupRole::kOwner, info.created_at_ms(), 0, 0));
      for (const auto& s : changed.subjects) {
        WECHAT_TRY(put_member(db, id, s.id, GroupRole::kMember, info.created_at_ms(), 0, 0));
      }
      WECHAT_ASSIGN_OR_RETURN(
          auto st, db.prepare_cached("UPDATE groups SET members_complete = 1 WHERE id = ?"));
      WECHAT_TRY(st->run(id));
      now.membership = GroupMembership::kMember;
      now.role = changed.actor.id == me ? GroupRole::kOwner : GroupRole::kMember;
      break;
    }
    case GroupEventKind::kMembersAdded:
      if (me_subject) {
        // Joined (again): messages before at_seq are not ours to read, so they are not unread.
        // Who else is in it is not known here until get_group.
        WECHAT_TRY(forget_members(db, id));
        now.membership = GroupMembership::kMember;
        now.role = info.owner_id() == me ? GroupRole::kOwner : GroupRole::kMember;
        WECHAT_ASSIGN_OR_RETURN(ConvState * conv, w.conversation(id));
        if (e.at_seq() > conv->last_seq) {
          conv->last_seq = e.at_seq();
          conv->dirty = true;
        }
        w.advance_read(*conv, e.at_seq());
      } else if (complete) {
        for (const auto& s : changed.subjects) {
          WECHAT_TRY(put_member(db, id, s.id, GroupRole::kMember, 0, e.at_seq(), e.at_seq()));
        }
      }
      break;
    case GroupEventKind::kMemberLeft:
    case GroupEventKind::kMemberRemoved:
      if (me_subject) {
        const bool left = changed.kind == GroupEventKind::kMemberLeft;
        now.membership = left ? GroupMembership::kLeft : GroupMembership::kRemoved;
        now.role = GroupRole::kNone;
        WECHAT_TRY(forget_members(db, id));
        WECHAT_TRY(
            fail_queued(db, id,
                        Status(Error::kNotGroupMember,
                               left ? "you left this group" : "you were removed from this group"),
                        events));
      } else {
        for (const auto& s : changed.subjects) WECHAT_TRY(remove_member(db, id, s.id));
      }
      break;
    case GroupEventKind::kRenamed:
      break;  // The name came with the info.
    case GroupEventKind::kRoleChanged:
      for (const auto& s : changed.subjects) {
        WECHAT_TRY(set_member_role(db, id, s.id, changed.role));
        if (s.id == me && now.membership == GroupMembership::kMember) now.role = changed.role;
      }
      break;
    case GroupEventKind::kOwnerChanged: {
      // The old owner is an admin now; the subject the owner.
      WECHAT_ASSIGN_OR_RETURN(
          auto st, db.prepare_cached("UPDATE group_members SET role = ? WHERE group_id = ? AND "
                                     "role = ?"));
      WECHAT_TRY(
          st->run(static_cast<int>(GroupRole::kAdmin), id, static_cast<int>(GroupRole::kOwner)));
      for (const auto& s : changed.subjects) {
        WECHAT_TRY(set_member_role(db, id, s.id, GroupRole::kOwner));
      }
      if (now.membership == GroupMembership::kMember) {
        if (me_subject) {
          now.role = GroupRole::kOwner;
        } else if (now.role == GroupRole::kOwner) {
          now.role = GroupRole::kAdmin;
        }
      }
      break;
    }
    case GroupEventKind::kDissolved: {
      WECHAT_ASSIGN_OR_RETURN(auto st,
                              db.prepare_cached("UPDATE groups SET dissolved = 1 WHERE id = ?"));
      WECHAT_TRY(st->run(id));
      WECHAT_TRY(
          fail_queued(db, id, Status(Error::kGroupDissolved, "the group was dissolved"), events));
      break;
    }
  }
  WECHAT_TRY(set_standing(db, id, now.membership, now.role));

  WECHAT_ASSIGN_OR_RETURN(std::optional<Group> group, load_group(db, id, false));
  if (!group) return Status(Error::kInternal, "group row vanished");
  changed.group = std::move(*group);
  events.emplace_back(std::move(changed));
  return Status();
}

}  // namespace internal

// ---- ClientStore: groups.

Status ClientStore::store_group(UserId me, const v1::GroupInfo& info) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
  Writer writer(db_, me);
  WECHAT_TRY(internal::put_group_info(writer, info).status());
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

Status ClientStore::store_groups(UserId me, const std::vector<v1::GroupInfo>& list) {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::begin(db_));
  Writer writer(db_, me);
  for (const auto& info : list) WECHAT_TRY(internal::put_group_info(writer, info).status());
  WECHAT_TRY(writer.flush());
  return tx.commit();
}

Result<std::vector<Group>> ClientStore::groups() {
  std::lock_guard lock(mu_);
  WECHAT_ASSIGN_OR_RETURN(
      auto st, db_.prepare_cached(std::string(internal::kGroupSelect) + "ORDER BY g.name, g.id"));
  std::vector<Group> out;
  for (;;) {
    WECHAT_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(internal::read_group(*st));
  }
  return out;
}

Result<std::optional<Group>> ClientStore::group(ConversationId id) {
  std::lock_guard lock(mu_);
  return internal::load_group(db_, id, true);
}

}  // namespace wechat::client
