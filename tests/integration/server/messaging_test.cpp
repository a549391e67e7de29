// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "support/test_server.h"

using namespace wechat;
using namespace wechat::testing;

namespace {

v1::SendMessageOk send(TestClient& client, std::uint64_t to, const std::string& text) {
  return call_ok(client, req::send_text(to, text, req::new_client_msg_id())).send_message();
}

/// Every log entry after `after`, paging through sync.
std::vector<v1::LogEntry> sync_all(TestClient& client, std::uint64_t after = 0,
                                   std::uint32_t page = 0) {
  std::vector<v1::LogEntry> out;
  for (;;) {
    auto ok = call_ok(client, req::sync(after, page)).sync();
    for (const auto& e : ok.entries()) {
      out.push_back(e);
      after = e.user_seq();
    }
    if (!ok.has_more()) return out;
  }
}

struct Pair {
  TestServer server;
  TestServer::User alice = server.create_user("alice");
  TestServer::User bob = server.create_user("bob");
  Pair() { server.befriend(alice, bob); }
};

}  // namespace

TEST_CASE("messages: a text between friends is acked after storing and pushed to the recipient") {
  Pair p;
  auto ack = send(*p.alice.client, p.bob.id, "你好, bob");
  CHECK(ack.seq() == 1);
  CHECK(ack.message_id() != 0);
  CHECK_FALSE(ack.duplicate());
  auto pushed = p.bob.client->next_log();
  REQUIRE(pushed.has_value());
  REQUIRE(pushed->has_message());
  CHECK(pushed->message().text() == "你好, bob");
  CHECK(pushed->message().sender_id() == p.alice.id);
  CHECK(pushed->message().sender_username() == "alice");
  CHECK(pushed->message().seq() == 1);
  CHECK(pushed->message().conversation_id() == ack.conversation_id());
  CHECK(pushed->user_seq() > 0);
}

TEST_CASE("messages: a resent client_msg_id is stored once and answered with the original ack") {
  Pair p;
  const auto id = req::new_client_msg_id();
  auto first = call_ok(*p.alice.client, req::send_text(p.bob.id, "once", id)).send_message();
  auto again = call_ok(*p.alice.client, req::send_text(p.bob.id, "once", id)).send_message();
  CHECK(again.duplicate());
  CHECK(again.message_id() == first.message_id());
  CHECK(again.seq() == first.seq());
  auto history = call_ok(*p.bob.client, req::history(first.conversation_id(), 0)).history();
  CHECK(history.messages_size() == 1);
  int pushes = 0;
  for (auto& e : p.bob.client->drain()) pushes += e.has_log() && e.log().has_message();
  CHECK(pushes == 1);
}

TEST_CASE("messages: the sender is always the session's user, whatever the request carries") {
  Pair p;
  auto carol = p.server.create_user("carol");
  p.server.befriend(carol, p.bob);
  // A SendMessage with an extra field (number 15) claiming to be from carol: unknown fields are
  // ignored, and the sender comes from the session.
  v1::Request request = req::send_text(p.bob.id, "who am I", req::new_client_msg_id());
  std::string extra;
  {
    google::protobuf::io::StringOutputStream out(&extra);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteTag((15 << 3) | 0);
    coded.WriteVarint64(carol.id);
  }
  std::string bytes = request.send_message().SerializeAsString() + extra;
  REQUIRE(request.mutable_send_message()->ParseFromString(bytes));
  call_ok(*p.alice.client, request);
  auto pushed = p.bob.client->next_log();
  REQUIRE(pushed.has_value());
  CHECK(pushed->message().sender_id() == p.alice.id);
}

TEST_CASE("messages: a message to a non-friend is refused unless strangers are allowed") {
  TestServer server;
  auto alice = server.create_user("alice");
  auto bob = server.create_user("bob");
  CHECK(call_error(*alice.client, req::send_text(bob.id, "hi", req::new_client_msg_id())) ==
        Error::kNotFriends);
  CHECK(call_error(*alice.client, req::send_text(424242, "hi", req::new_client_msg_id())) ==
        Error::kNotFound);

  TestServer open_server([](ServerOptions& o) { o.allow_strangers = true; });
  auto x = open_server.create_user("xavier");
  auto y = open_server.create_user("yvonne");
  CHECK(call_error(*x.client, req::send_text(y.id, "hi", req::new_client_msg_id())) == Error::kOk);
}

TEST_CASE("messages: malformed sends get clear errors and store nothing") {
  Pair p;
  CHECK(call_error(*p.alice.client, req::send_text(p.bob.id, "hi", "short-id")) ==
        Error::kInvalidArgument);
  CHECK(call_error(*p.alice.client, req::send_text(p.bob.id, "   ", req::new_client_msg_id())) ==
        Error::kInvalidArgument);
  CHECK(call_error(*p.alice.client, req::send_text(p.bob.id, std::string(16 * 1024 + 1, 'x'),
                                                   req::new_client_msg_id())) ==
        Error::kMessageTooLarge);
  CHECK(call_error(*p.alice.client, req::send_text(p.alice.id, "me", req::new_client_msg_id())) ==
        Error::kInvalidArgument);
  CHECK(sync_all(*p.bob.client).size() == 2);  // only the friendship entries
}

TEST_CASE("messages: a conversation one does not belong to cannot be read, marked or typed in") {
  Pair p;
  auto ack = send(*p.alice.client, p.bob.id, "private");
  auto eve = p.server.create_user("eve");
  CHECK(call_error(*eve.client, req::history(ack.conversation_id(), 0)) ==
        Error::kPermissionDenied);
  CHECK(call_error(*eve.client, req::mark_read(ack.conversation_id(), 1)) ==
        Error::kPermissionDenied);
  v1::Request typing;
  typing.mutable_set_typing()->set_conversation_id(ack.conversation_id());
  typing.mutable_set_typing()->set_typing(true);
  CHECK(call_error(*eve.client, typing) == Error::kPermissionDenied);
  CHECK(call_error(*eve.client, req::history(987654, 0)) == Error::kPermissionDenied);
}

TEST_CASE("messages: history pages backwards by sequence number") {
  Pair p;
  std::uint64_t conversation = 0;
  for (int i = 1; i <= 25; ++i) {
    conversation = send(*p.alice.client, p.bob.id, "m" + std::to_string(i)).conversation_id();
  }
  auto page1 = call_ok(*p.bob.client, req::history(conversation, 0, 10)).history();
  REQUIRE(page1.messages_size() == 10);
  CHECK(page1.messages(0).seq() == 25);
  CHECK(page1.messages(9).seq() == 16);
  CHECK(page1.has_more());
  auto page3 = call_ok(*p.bob.client, req::history(conversation, 6, 10)).history();
  REQUIRE(page3.messages_size() == 5);
  CHECK(page3.messages(4).text() == "m1");
  CHECK_FALSE(page3.has_more());
}

TEST_CASE("messages: a recipient who was offline gets everything by sync after logging in") {
  Pair p;
  p.bob.client.reset();
  for (int i = 0; i < 30; ++i) send(*p.alice.client, p.bob.id, "while away " + std::to_string(i));
  auto bob = p.server.login(p.bob, "laptop");
  auto entries = sync_all(*bob, 0, 7);
  std::vector<std::string> texts;
  std::uint64_t last = 0;
  for (const auto& e : entries) {
    CHECK(e.user_seq() == last + 1);  // dense, in order
    last = e.user_seq();
    if (e.has_message()) texts.push_back(e.message().text());
  }
  REQUIRE(texts.size() == 30);
  CHECK(texts.front() == "while away 0");
  CHECK(texts.back() == "while away 29");
}

TEST_CASE("messages: every device of the recipient gets a push, and the sender's other device too") {
  Pair p;
  auto bob_phone = p.server.login(p.bob, "phone");
  auto alice_phone = p.server.login(p.alice, "phone");
  p.bob.client->drain(100ms);
  p.alice.client->drain(100ms);
  auto ack = send(*p.alice.client, p.bob.id, "to every device");
  for (TestClient* device : {p.bob.client.get(), bob_phone.get(), alice_phone.get()}) {
    auto pushed = device->next_log();
    REQUIRE(pushed.has_value());
    REQUIRE(pushed->has_message());
    CHECK(pushed->message().message_id() == ack.message_id());
  }
}

TEST_CASE("messages: read markers reach the reader's devices and the sender as a receipt") {
  Pair p;
  auto bob_phone = p.server.login(p.bob, "phone");
  auto a1 = send(*p.alice.client, p.bob.id, "one");
  send(*p.alice.client, p.bob.id, "two");
  p.bob.client->drain(100ms);
  bob_phone->drain(100ms);
  p.alice.client->drain(100ms);

  call_ok(*p.bob.client, req::mark_read(a1.conversation_id(), 2));
  for (TestClient* device : {p.alice.client.get(), p.bob.client.get(), bob_phone.get()}) {
    auto marker = device->next_log();
    REQUIRE(marker.has_value());
    REQUIRE(marker->has_read_marker());
    CHECK(marker->read_marker().reader_id() == p.bob.id);
    CHECK(marker->read_marker().up_to_seq() == 2);
  }
  // Markers never move back; a marker past the end is clamped.
  call_ok(*p.bob.client, req::mark_read(a1.conversation_id(), 1));
  call_ok(*p.bob.client, req::mark_read(a1.conversation_id(), 99));
  CHECK_FALSE(p.alice.client->next_log(300ms).has_value());

  v1::Request list;
  list.mutable_list_conversations();
  auto alice_view = call_ok(*p.alice.client, list).list_conversations();
  REQUIRE(alice_view.conversations_size() == 1);
  CHECK(alice_view.conversations(0).peer_read_seq() == 2);
  CHECK(alice_view.conversations(0).last_seq() == 2);
  CHECK(alice_view.conversations(0).last_message().text() == "two");
}

TEST_CASE("messages: unread counts derive from the last sequence and the read marker") {
  Pair p;
  send(*p.alice.client, p.bob.id, "a");
  send(*p.alice.client, p.bob.id, "b");
  send(*p.alice.client, p.bob.id, "c");
  v1::Request list;
  list.mutable_list_conversations();
  auto bob_view = call_ok(*p.bob.client, list).list_conversations().conversations(0);
  CHECK(bob_view.last_seq() - bob_view.read_seq() == 3);
  // Replying implies having read: the sender's marker moves to their own message.
  send(*p.bob.client, p.alice.id, "reply");
  bob_view = call_ok(*p.bob.client, list).list_conversations().conversations(0);
  CHECK(bob_view.last_seq() - bob_view.read_seq() == 0);
}

TEST_CASE("messages: typing notices reach the peer and are not stored in the log") {
  Pair p;
  auto ack = send(*p.alice.client, p.bob.id, "hi");
  p.bob.client->drain(100ms);
  v1::Request typing;
  typing.mutable_set_typing()->set_conversation_id(ack.conversation_id());
  typing.mutable_set_typing()->set_typing(true);
  call_ok(*p.alice.client, typing);
  auto event = p.bob.client->next_event();
  REQUIRE(event.has_value());
  REQUIRE(event->has_typing());
  CHECK(event->typing().user_id() == p.alice.id);
  CHECK(event->typing().typing());
  const auto before = sync_all(*p.bob.client).size();
  CHECK(sync_all(*p.bob.client).size() == before);
}

TEST_CASE("messages: sync with presence includes a snapshot of every friend") {
  Pair p;
  v1::Request r = req::sync(0);
  r.mutable_sync()->set_include_presence(true);
  auto ok = call_ok(*p.alice.client, r).sync();
  REQUIRE(ok.presence_size() == 1);
  CHECK(ok.presence(0).user_id() == p.bob.id);
  CHECK(ok.presence(0).online());
}

TEST_CASE("messages: a server restart between send and sync loses nothing") {
  Pair p;
  p.bob.client.reset();
  std::vector<std::uint64_t> acked;
  for (int i = 0; i < 20; ++i) acked.push_back(send(*p.alice.client, p.bob.id, "x").message_id());
  p.server.restart();
  auto bob = p.server.login(p.bob, "laptop");
  std::vector<std::uint64_t> received;
  for (const auto& e : sync_all(*bob)) {
    if (e.has_message()) received.push_back(e.message().message_id());
  }
  CHECK(received == acked);
}
