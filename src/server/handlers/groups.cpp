// SPDX-License-Identifier: MIT
// Groups: creation, membership, roles, dissolution, and group messages. A group is a
// conversation of kind GROUP; its current members are its conversation_members rows, so
// History, markers, typing and Sync need nothing group-specific beyond the join point.
// The rules are in proto/wechat/v1/group.proto and docs/protocol.md ("Groups").
#include <algorithm>

#include "server/handlers/handlers.h"
#include "server/validation.h"
#include "transport/frame_codec.h"

namespace wechat::server {

namespace {

constexpr std::size_t kClientGroupIdBytes = 16;

std::size_t member_limit(const ServerContext& c) {
  return std::max<std::size_t>(c.options.max_group_members, 1);
}

/// Ids from a request, with 0, repeats and `except` dropped (order: ascending).
std::vector<std::uint64_t> distinct_ids(const google::protobuf::RepeatedField<std::uint64_t>& ids,
                                        std::uint64_t except) {
  std::vector<std::uint64_t> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::erase_if(out, [except](std::uint64_t id) { return id == 0 || id == except; });
  return out;
}

v1::UserInfo user_info(std::uint64_t id, const std::string& username) {
  v1::UserInfo u;
  u.set_user_id(id);
  u.set_username(username);
  return u;
}

/// The group and the caller's place in it.
struct GroupAccess {
  v1::GroupInfo group;
  v1::GroupMember me;
};

/// For changes and sends: the caller must be a current member (kNotGroupMember) of a group
/// that is not dissolved (kGroupDissolved).
Result<GroupAccess> require_live_group(ServerStore& store, std::uint64_t group_id,
                                       std::uint64_t user_id) {
  WECHAT_ASSIGN_OR_RETURN(auto group, store.group(group_id));
  // No such group and not a member read alike: nothing about other people's groups leaks.
  if (!group) return Status(Error::kNotGroupMember, "you are not a member of this group");
  WECHAT_ASSIGN_OR_RETURN(auto me, store.group_member(group_id, user_id));
  if (!me) return Status(Error::kNotGroupMember, "you are not a member of this group");
  if (group->dissolved()) return Status(Error::kGroupDissolved, "this group was dissolved");
  return GroupAccess{std::move(*group), std::move(*me)};
}

Status require_role(const GroupAccess& access, v1::GroupRole at_least) {
  if (access.me.role() >= at_least) return {};
  return Status(Error::kPermissionDenied, at_least == v1::GROUP_ROLE_OWNER
                                              ? "only the group's owner may do this"
                                              : "only the group's owner or an admin may do this");
}

/// A GroupEvent entry about `group_id` as it is after the change (re-read, without members).
Result<v1::LogEntry> group_event(ServerStore& store, std::uint64_t group_id, UnixMillis now,
                                 v1::GroupEventKind kind, const v1::UserInfo& actor,
                                 std::vector<v1::UserInfo> subjects = {},
                                 v1::GroupRole role = v1::GROUP_ROLE_UNSPECIFIED) {
  WECHAT_ASSIGN_OR_RETURN(auto group, store.group(group_id));
  if (!group) return Status(Error::kInternal, "the group vanished");
  v1::LogEntry entry;
  entry.set_created_at_ms(now);
  auto* event = entry.mutable_group_event();
  event->set_kind(kind);
  event->set_at_seq(group->last_seq());
  *event->mutable_group() = std::move(*group);
  *event->mutable_actor() = actor;
  for (auto& s : subjects) *event->add_subjects() = std::move(s);
  event->set_role(role);
  return entry;
}

/// Checks that every id is an existing user who is a friend of `inviter`, and returns them.
/// Error: kNotFriends naming the first one that is not.
Result<std::vector<v1::UserInfo>> require_friends(ServerStore& store, std::uint64_t inviter,
                                                  const std::vector<std::uint64_t>& ids) {
  std::vector<v1::UserInfo> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    WECHAT_ASSIGN_OR_RETURN(bool friends, store.are_friends(inviter, id));
    if (!friends) {
      return Status(Error::kNotFriends,
                    "you can only add your friends to a group (user " + std::to_string(id) + ")");
    }
    WECHAT_ASSIGN_OR_RETURN(auto user, store.user_by_id(id));
    if (!user) return Status(Error::kNotFriends, "no such user " + std::to_string(id));
    out.push_back(user_info(user->id, user->username));
  }
  return out;
}

/// The group with its members.
Result<v1::GroupInfo> full_group(ServerStore& store, std::uint64_t group_id) {
  WECHAT_ASSIGN_OR_RETURN(auto group, store.group(group_id));
  if (!group) return Status(Error::kNotGroupMember, "you are not a member of this group");
  WECHAT_ASSIGN_OR_RETURN(auto members, store.members(group_id));
  for (auto& m : members) *group->add_members() = std::move(m);
  return std::move(*group);
}

/// Runs a change that answers Empty; `set` picks the response field.
template <typename Work, typename SetField>
asio::awaitable<Reply> run_change(ServerContext& c, Work work, SetField set) {
  auto done = co_await c.store.run<bool>(std::move(work));
  if (!done.ok()) co_return done.status();
  v1::Response response;
  set(response);
  co_return response;
}

}  // namespace

Status log_to_members(ServerStore& store, Effects& effects, std::uint64_t conversation_id,
                      const v1::LogEntry& entry) {
  WECHAT_ASSIGN_OR_RETURN(auto seqs, store.append_log_to_members(conversation_id, entry));
  // One frame object, re-encoded per member with that member's user_seq: the entry (a message
  // of up to 16 KiB, or an event) is never copied per member.
  v1::Frame frame;
  auto* log = frame.mutable_event()->mutable_log();
  *log = entry;
  for (const auto& [user, seq] : seqs) {
    log->set_user_seq(seq);
    effects.push_encoded(user, std::make_shared<const std::string>(transport::encode_frame(frame)));
  }
  return {};
}

Result<Membership> require_member(ServerStore& store, std::uint64_t conversation_id,
                                  std::uint64_t user_id, bool with_group_members) {
  WECHAT_ASSIGN_OR_RETURN(auto membership,
                          store.membership(conversation_id, user_id, with_group_members));
  if (membership) return std::move(*membership);
  // Someone who left or was removed is told so; for anyone else, not telling "exists but not
  // yours" apart from "does not exist" leaks nothing.
  WECHAT_ASSIGN_OR_RETURN(bool former, store.former_group_member(conversation_id, user_id));
  if (former) return Status(Error::kNotGroupMember, "you are no longer a member of this group");
  return Status(Error::kPermissionDenied, "not a conversation of yours");
}

asio::awaitable<Reply> handle_send_group_message(ServerContext& c, Session& s,
                                                 const v1::SendMessage& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.to_user_id() != 0) {
    co_return Status(Error::kInvalidArgument, "a message goes to a user or to a group, not both");
  }

  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), cid = req.client_msg_id(), text = req.text(),
               now = c.clock.now_ms()](ServerStore& store,
                                       Effects& effects) -> Result<v1::SendMessageOk> {
    // Exactly once, as for direct messages: a resent client_msg_id gets the original answer.
    WECHAT_ASSIGN_OR_RETURN(auto earlier, store.message_by_client_id(me.user_id, cid));
    if (earlier) return ack_of(*earlier, true);

    WECHAT_TRY(require_live_group(store, group_id, me.user_id).status());

    v1::Message message =
        outgoing_message(me, group_id, v1::CONVERSATION_KIND_GROUP, cid, text, now);
    // One message row; the sender's read marker moves to it, as in direct conversations.
    WECHAT_ASSIGN_OR_RETURN(message, store.append_message(std::move(message)));

    v1::LogEntry entry;
    entry.set_created_at_ms(now);
    *entry.mutable_message() = std::move(message);
    // Every member's log gets a reference to it, the sender's too (their other devices show
    // it, and their log stays gap-free).
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return ack_of(entry.message(), false);
  };
  auto ack = co_await c.store.run<v1::SendMessageOk>(std::move(work));
  if (!ack.ok()) co_return ack.status();
  v1::Response response;
  *response.mutable_send_message() = std::move(*ack);
  co_return response;
}

asio::awaitable<Reply> handle_create_group(ServerContext& c, Session& s,
                                           const v1::CreateGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  WECHAT_CO_TRY(validate_group_name(req.name()));
  if (!req.client_group_id().empty() && req.client_group_id().size() != kClientGroupIdBytes) {
    co_return Status(Error::kInvalidArgument, "client_group_id must be empty or 16 bytes");
  }
  auto invitees = distinct_ids(req.member_ids(), me.user_id);
  const auto limit = member_limit(c);
  // Checked before the retry lookup too: a request this large was never accepted.
  if (invitees.size() + 1 > limit) {
    co_return Status(Error::kGroupFull,
                     "a group has at most " + std::to_string(limit) + " members");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, name = req.name(), cgid = req.client_group_id(),
               invitees = std::move(invitees), now = c.clock.now_ms()](
                  ServerStore& store, Effects& effects) -> Result<v1::GroupInfo> {
    // A retried CreateGroup (same creator and client_group_id) answers the group it made.
    if (!cgid.empty()) {
      WECHAT_ASSIGN_OR_RETURN(auto earlier, store.group_by_client_id(me.user_id, cgid));
      if (earlier) {
        WECHAT_ASSIGN_OR_RETURN(auto mine, store.group_member(*earlier, me.user_id));
        if (mine) return full_group(store, *earlier);
        WECHAT_ASSIGN_OR_RETURN(auto group, store.group(*earlier));
        return std::move(*group);  // the creator has left since: no member list
      }
    }
    WECHAT_ASSIGN_OR_RETURN(auto subjects, require_friends(store, me.user_id, invitees));
    WECHAT_ASSIGN_OR_RETURN(auto group_id, store.create_group(name, me.user_id, cgid, now));
    WECHAT_TRY(store.add_group_members(group_id, {me.user_id}, v1::GROUP_ROLE_OWNER, now));
    WECHAT_TRY(store.add_group_members(group_id, invitees, v1::GROUP_ROLE_MEMBER, now));
    WECHAT_ASSIGN_OR_RETURN(auto entry,
                            group_event(store, group_id, now, v1::GROUP_EVENT_KIND_CREATED,
                                        user_info(me.user_id, me.username), std::move(subjects)));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return full_group(store, group_id);
  };
  auto group = co_await c.store.run<v1::GroupInfo>(std::move(work));
  if (!group.ok()) co_return group.status();
  v1::Response response;
  *response.mutable_create_group()->mutable_group() = std::move(*group);
  co_return response;
}

asio::awaitable<Reply> handle_invite_to_group(ServerContext& c, Session& s,
                                              const v1::InviteToGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0) co_return Status(Error::kInvalidArgument, "group_id is required");
  // The caller stays in: inviting oneself is "already a member", checked below.
  auto invitees = distinct_ids(req.user_ids(), 0);
  if (invitees.empty()) co_return Status(Error::kInvalidArgument, "invite someone");
  const auto limit = member_limit(c);
  if (invitees.size() + 1 > limit) {
    co_return Status(Error::kGroupFull,
                     "a group has at most " + std::to_string(limit) + " members");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), invitees = std::move(invitees), limit,
               now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_ADMIN));
    for (auto id : invitees) {
      WECHAT_ASSIGN_OR_RETURN(auto member, store.group_member(group_id, id));
      if (member) {
        return Status(Error::kAlreadyExists,
                      "user " + std::to_string(id) + " is a member of this group already");
      }
    }
    if (access.group.member_count() + invitees.size() > limit) {
      return Status(Error::kGroupFull, "a group has at most " + std::to_string(limit) + " members");
    }
    WECHAT_ASSIGN_OR_RETURN(auto subjects, require_friends(store, me.user_id, invitees));
    WECHAT_TRY(store.add_group_members(group_id, invitees, v1::GROUP_ROLE_MEMBER, now));
    WECHAT_ASSIGN_OR_RETURN(auto entry,
                            group_event(store, group_id, now, v1::GROUP_EVENT_KIND_MEMBERS_ADDED,
                                        user_info(me.user_id, me.username), std::move(subjects)));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_invite_to_group(); });
}

asio::awaitable<Reply> handle_leave_group(ServerContext& c, Session& s, const v1::LeaveGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0) co_return Status(Error::kInvalidArgument, "group_id is required");
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), now = c.clock.now_ms()](
                  ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    if (access.me.role() == v1::GROUP_ROLE_OWNER) {
      return Status(Error::kPermissionDenied,
                    "the owner must transfer ownership or dissolve the group first");
    }
    WECHAT_TRY(store.remove_group_member(group_id, me.user_id, now));
    const auto self = user_info(me.user_id, me.username);
    WECHAT_ASSIGN_OR_RETURN(
        auto entry,
        group_event(store, group_id, now, v1::GROUP_EVENT_KIND_MEMBER_LEFT, self, {self}));
    // Everyone who was in the group at the change hears of it, the leaver included.
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    WECHAT_TRY(append_and_push(store, effects, me.user_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_leave_group(); });
}

asio::awaitable<Reply> handle_remove_group_member(ServerContext& c, Session& s,
                                                  const v1::RemoveGroupMember& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0 || req.user_id() == 0) {
    co_return Status(Error::kInvalidArgument, "group_id and user_id are required");
  }
  if (req.user_id() == me.user_id) {
    co_return Status(Error::kInvalidArgument, "to leave a group, use LeaveGroup");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), target = req.user_id(), now = c.clock.now_ms()](
                  ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_ADMIN));
    WECHAT_ASSIGN_OR_RETURN(auto member, store.group_member(group_id, target));
    if (!member) return Status(Error::kNotFound, "that user is not a member of this group");
    // The owner removes anyone; an admin removes plain members only.
    if (member->role() >= access.me.role()) {
      return Status(Error::kPermissionDenied, "an admin may remove plain members only");
    }
    WECHAT_TRY(store.remove_group_member(group_id, target, now));
    WECHAT_ASSIGN_OR_RETURN(auto entry,
                            group_event(store, group_id, now, v1::GROUP_EVENT_KIND_MEMBER_REMOVED,
                                        user_info(me.user_id, me.username), {member->user()}));
    // The removed member hears of it too: that is how they learn they are out.
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    WECHAT_TRY(append_and_push(store, effects, target, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_remove_group_member(); });
}

asio::awaitable<Reply> handle_rename_group(ServerContext& c, Session& s,
                                           const v1::RenameGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0) co_return Status(Error::kInvalidArgument, "group_id is required");
  WECHAT_CO_TRY(validate_group_name(req.name()));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), name = req.name(), now = c.clock.now_ms()](
                  ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_ADMIN));
    if (access.group.name() == name) return true;  // nothing changes, nothing to tell
    WECHAT_TRY(store.rename_group(group_id, name));
    WECHAT_ASSIGN_OR_RETURN(auto entry,
                            group_event(store, group_id, now, v1::GROUP_EVENT_KIND_RENAMED,
                                        user_info(me.user_id, me.username)));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_rename_group(); });
}

asio::awaitable<Reply> handle_set_group_role(ServerContext& c, Session& s,
                                             const v1::SetGroupRole& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0 || req.user_id() == 0) {
    co_return Status(Error::kInvalidArgument, "group_id and user_id are required");
  }
  if (req.role() != v1::GROUP_ROLE_ADMIN && req.role() != v1::GROUP_ROLE_MEMBER) {
    co_return Status(Error::kInvalidArgument,
                     "the role is admin or member; ownership is transferred instead");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), target = req.user_id(), role = req.role(),
               now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_OWNER));
    if (target == me.user_id) {
      return Status(Error::kInvalidArgument, "the owner's role changes only by a transfer");
    }
    WECHAT_ASSIGN_OR_RETURN(auto member, store.group_member(group_id, target));
    if (!member) return Status(Error::kNotFound, "that user is not a member of this group");
    if (member->role() == role) return true;  // nothing changes, nothing to tell
    WECHAT_TRY(store.set_group_role(group_id, target, role));
    WECHAT_ASSIGN_OR_RETURN(
        auto entry, group_event(store, group_id, now, v1::GROUP_EVENT_KIND_ROLE_CHANGED,
                                user_info(me.user_id, me.username), {member->user()}, role));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_set_group_role(); });
}

asio::awaitable<Reply> handle_transfer_group_ownership(ServerContext& c, Session& s,
                                                       const v1::TransferGroupOwnership& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0 || req.new_owner_id() == 0) {
    co_return Status(Error::kInvalidArgument, "group_id and new_owner_id are required");
  }
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), target = req.new_owner_id(),
               now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_OWNER));
    if (target == me.user_id) return Status(Error::kInvalidArgument, "you own it already");
    WECHAT_ASSIGN_OR_RETURN(auto member, store.group_member(group_id, target));
    if (!member) return Status(Error::kNotFound, "the new owner must be a member of the group");
    WECHAT_TRY(store.set_group_role(group_id, target, v1::GROUP_ROLE_OWNER));
    WECHAT_TRY(store.set_group_role(group_id, me.user_id, v1::GROUP_ROLE_ADMIN));
    WECHAT_TRY(store.set_group_owner(group_id, target));
    WECHAT_ASSIGN_OR_RETURN(
        auto entry,
        group_event(store, group_id, now, v1::GROUP_EVENT_KIND_OWNER_CHANGED,
                    user_info(me.user_id, me.username), {member->user()}, v1::GROUP_ROLE_OWNER));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_transfer_group_ownership(); });
}

asio::awaitable<Reply> handle_dissolve_group(ServerContext& c, Session& s,
                                             const v1::DissolveGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0) co_return Status(Error::kInvalidArgument, "group_id is required");
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me, group_id = req.group_id(), now = c.clock.now_ms()](
                  ServerStore& store, Effects& effects) -> Result<bool> {
    WECHAT_ASSIGN_OR_RETURN(auto access, require_live_group(store, group_id, me.user_id));
    WECHAT_TRY(require_role(access, v1::GROUP_ROLE_OWNER));
    // Members stay members of a frozen group: they keep its history and their markers.
    WECHAT_TRY(store.dissolve_group(group_id));
    WECHAT_ASSIGN_OR_RETURN(auto entry,
                            group_event(store, group_id, now, v1::GROUP_EVENT_KIND_DISSOLVED,
                                        user_info(me.user_id, me.username)));
    WECHAT_TRY(log_to_members(store, effects, group_id, entry));
    return true;
  };
  co_return co_await run_change(c, std::move(work),
                                [](v1::Response& r) { r.mutable_dissolve_group(); });
}

asio::awaitable<Reply> handle_get_group(ServerContext& c, Session& s, const v1::GetGroup& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  if (req.group_id() == 0) co_return Status(Error::kInvalidArgument, "group_id is required");
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me.user_id, group_id = req.group_id()](ServerStore& store,
                                                           Effects&) -> Result<v1::GroupInfo> {
    const Status not_member(Error::kNotGroupMember, "you are not a member of this group");
    WECHAT_ASSIGN_OR_RETURN(auto group, store.group(group_id));
    if (!group) return not_member;
    WECHAT_ASSIGN_OR_RETURN(auto mine, store.group_member(group_id, me));
    if (mine) return full_group(store, group_id);
    // A former member may still see what the group is, not who is in it.
    WECHAT_ASSIGN_OR_RETURN(bool former, store.former_group_member(group_id, me));
    if (!former) return not_member;
    return std::move(*group);
  };
  auto group = co_await c.store.run<v1::GroupInfo>(std::move(work));
  if (!group.ok()) co_return group.status();
  v1::Response response;
  *response.mutable_get_group()->mutable_group() = std::move(*group);
  co_return response;
}

asio::awaitable<Reply> handle_list_groups(ServerContext& c, Session& s, const v1::ListGroups&) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work = [me = me.user_id](ServerStore& store, Effects&) { return store.groups_of(me); };
  auto groups = co_await c.store.run<std::vector<v1::GroupInfo>>(std::move(work));
  if (!groups.ok()) co_return groups.status();
  v1::Response response;
  auto* ok = response.mutable_list_groups();
  for (auto& g : *groups) *ok->add_groups() = std::move(g);
  co_return response;
}

}  // namespace wechat::server
