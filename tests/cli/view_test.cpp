// SPDX-License-Identifier: MIT
// The pure pieces of the full-screen UI and of the output format.
#include <doctest/doctest.h>

#include <clocale>

#include "format.h"
#include "tui/layout.h"
#include "tui/message_view.h"
#include "tui/text.h"

using namespace wechat;
using namespace wechat::cli;
using namespace wechat::cli::tui;

namespace {

struct Utf8Locale {
  Utf8Locale() { std::setlocale(LC_CTYPE, "C.UTF-8"); }
};

std::wstring joined(const DisplayLine& line) {
  std::wstring all;
  for (const auto& span : line.spans) all += span.text;
  return all;
}

struct FixedNames : Names {
  std::string username(UserId id) override {
    if (id == 2) return "bob";
    if (id == 3) return "carol";
    return "#" + std::to_string(id);
  }
  std::string conversation_peer(ConversationId) override { return "bob"; }
  std::optional<std::string> group_name(ConversationId id) override {
    if (id == 9) return std::string("hiking");
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("text: UTF-8 round-trips, invalid bytes become U+FFFD") {
  CHECK(widen("a你好") == L"a你好");
  CHECK(narrow(L"a你好\U0001F600") == "a你好\xF0\x9F\x98\x80");
  CHECK(widen("\xff"
              "a") == L"\uFFFDa");
  CHECK(widen("\xe4\xbd") == L"\uFFFD\uFFFD");  // cut short
  CHECK(widen("\xc0\xaf") == L"\uFFFD\uFFFD");  // overlong
}

TEST_CASE("text: Chinese characters take two columns when wrapping and clipping") {
  Utf8Locale locale;
  CHECK(text_width(L"ab") == 2);
  CHECK(text_width(L"你好") == 4);
  CHECK(clip(L"你好世界", 5) == L"你好");
  auto lines = wrap(L"hello brave new world", 11);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == L"hello brave");
  CHECK(lines[1] == L"new world");
  auto chinese = wrap(L"今天天气很好", 5);
  REQUIRE(chinese.size() == 3);
  CHECK(chinese[0] == L"今天");
  CHECK(wrap(L"", 10).size() == 1);
  CHECK(wrap(L"abcdefghij", 4) == std::vector<std::wstring>{L"abcd", L"efgh", L"ij"});
}

TEST_CASE("layout: list, pane, status and input share the screen at any size") {
  auto wide = compute_layout(40, 120);
  CHECK(wide.input.top == 39);
  CHECK(wide.status.top == 38);
  CHECK(wide.list.width == 24);
  CHECK(wide.pane.left == 25);
  CHECK(wide.pane.width == 95);
  CHECK(wide.pane.height == 38);
  auto narrow_screen = compute_layout(10, 30);
  CHECK(narrow_screen.list.width == 0);
  CHECK(narrow_screen.pane.width == 30);
  auto none = compute_layout(0, 0);
  CHECK(none.pane.height == 0);
  CHECK(none.input.height == 0);
}

TEST_CASE("message view: time, sender, text and the delivery state of outgoing messages") {
  Utf8Locale locale;
  Message in;
  in.sender_username = "bob";
  in.text = "hello";
  in.state = MessageState::kReceived;
  in.seq = 1;
  in.time_ms = 1'700'000'000'000;
  Message out = in;
  out.sender_username = "alice";
  out.outgoing = true;
  out.text = "hi bob, this line is long enough to wrap";
  out.seq = 2;
  out.state = MessageState::kDelivered;
  auto lines = render_messages({in, out}, 30, in.time_ms, true);
  REQUIRE(lines.size() >= 4);
  CHECK(joined(lines[0]).find(L"start of the conversation") != std::wstring::npos);
  CHECK(joined(lines[1]).find(L"bob: hello") != std::wstring::npos);
  CHECK(joined(lines[2]).find(L"alice: hi bob,") != std::wstring::npos);
  CHECK(joined(lines.back()).find(L"\u2713\u2713") != std::wstring::npos);
  for (const auto& line : lines) CHECK(text_width(joined(line)) <= 30);

  CHECK(state_mark(out).text == L"\u2713\u2713");
  out.state = MessageState::kQueued;
  CHECK(state_mark(out).text == L"\u231B");
  out.state = MessageState::kSent;
  CHECK(state_mark(out).text == L"\u2713");
  out.state = MessageState::kRead;
  CHECK(state_mark(out).style == Style::kRead);
  CHECK(state_mark(in).text.empty());
}

TEST_CASE("format: events and results are one line each, first word naming them") {
  FixedNames names;
  Message m;
  m.sender_username = "bob";
  m.sender_id = 2;
  m.peer_id = 2;
  m.text = "two\nlines\x1b[31m";
  CHECK(format_event(MessageReceived{m}, names) == "message bob two\u2424lines\uFFFD[31m");
  CHECK(format_event(PresenceChanged{Presence{2, true, 0}}, names) == "presence bob online");
  CHECK(format_event(ReceiptUpdated{7, 2, 5, MessageState::kRead}, names) == "read bob 5");
  CHECK(format_event(TypingChanged{7, 2, true}, names) == "typing bob on");
  CHECK(format_event(ConversationRead{7, 5, 0}, names) == "unread bob 0");
  CHECK(format_event(ConnectionStateChanged{ConnectionState::kOnline, {}}, names) ==
        "state online");

  CommandResult ok;
  ok.command = "login";
  ok.details = {"alice", "1"};
  CHECK(format_result(ok, names) == std::vector<std::string>{"ok login alice 1"});
  CommandResult bad;
  bad.command = "login";
  bad.status = Status(Error::kWrongCredentials, "wrong user or password");
  CHECK(format_result(bad, names) ==
        std::vector<std::string>{"error login wrong_credentials: wrong user or password"});
  CHECK(utc_time(0) == "1970-01-01T00:00:00Z");
}

TEST_CASE("format: group messages, receipts and changes name the group by #id") {
  FixedNames names;
  Message m;
  m.kind = ConversationKind::kGroup;
  m.conversation_id = 9;
  m.sender_id = 2;
  m.sender_username = "bob";
  m.text = "hi all";
  CHECK(format_event(MessageReceived{m}, names) == "group-message #9 bob hi all");
  m.outgoing = true;
  CHECK(format_event(MessageReceived{m}, names) == "group-outgoing #9 hi all");
  m.client_msg_id = "00ff";
  m.seq = 4;
  m.state = MessageState::kSent;
  CHECK(format_event(MessageStateChanged{m}, names) == "sent #9 00ff 4");
  m.state = MessageState::kFailed;
  m.failure = Status(Error::kNotGroupMember, "you left this group");
  CHECK(format_event(MessageStateChanged{m}, names) ==
        "failed #9 00ff not_group_member: you left this group");
  CHECK(format_event(ReceiptUpdated{9, 3, 5, MessageState::kRead}, names) == "read #9 5 carol");
  CHECK(format_event(ConversationRead{9, 5, 2}, names) == "unread #9 2");
  CHECK(format_event(TypingChanged{9, 2, true}, names) == "typing bob on #9");

  Group g;
  g.id = 9;
  g.name = "hiking club";
  GroupChanged created{
      GroupEventKind::kCreated, g, User{2, "bob"}, {User{1, "alice"}, User{3, "carol"}}};
  CHECK(format_event(created, names) == "group-changed #9 created bob alice carol");
  GroupChanged renamed{GroupEventKind::kRenamed, g, User{2, "bob"}, {}};
  CHECK(format_event(renamed, names) == "group-changed #9 renamed bob hiking club");
  GroupChanged role{GroupEventKind::kRoleChanged, g, User{2, "bob"}, {User{3, "carol"}},
                    GroupRole::kAdmin};
  CHECK(format_event(role, names) == "group-changed #9 role-changed bob carol admin");
  GroupChanged removed{GroupEventKind::kMemberRemoved, g, User{2, "bob"}, {User{3, "carol"}}};
  CHECK(format_event(removed, names) == "group-changed #9 member-removed bob carol");
  GroupChanged dissolved{GroupEventKind::kDissolved, g, User{2, "bob"}, {}};
  CHECK(format_event(dissolved, names) == "group-changed #9 dissolved bob");
  // For people (the console): names, not ids.
  g.membership = GroupMembership::kRemoved;
  removed.group = g;
  CHECK(describe_event(removed, names) ==
        "bob removed you from hiking club. Its messages stay here.");
  CHECK(describe_event(created, names) ==
        "bob created the group hiking club with alice and carol.");

  CommandResult list;
  list.command = "groups";
  list.details = {"1"};
  g.membership = GroupMembership::kMember;
  g.my_role = GroupRole::kAdmin;
  g.member_count = 3;
  list.groups.push_back(GroupLine{g, 2});
  CHECK(format_result(list, names) ==
        std::vector<std::string>{"group #9 admin 3 2 hiking club", "ok groups 1"});
  CommandResult members;
  members.command = "group";
  members.group = 9;
  members.details = {"members", "#9", "1"};
  members.members.push_back(GroupMember{User{2, "bob"}, GroupRole::kOwner, 0, 0, 0});
  CHECK(format_result(members, names) ==
        std::vector<std::string>{"member #9 bob owner", "ok group members #9 1"});
}
