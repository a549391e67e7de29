// SPDX-License-Identifier: MIT
// Writes the seed corpora of the handler and command-parser fuzzers:
//   build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus
// replaces every file in <dir>/handlers/ and <dir>/command_parser/ (fuzz/README.md).
//
// Handler seeds: one per request kind (found by reflection over the Request oneof, so new kinds
// get a seed when this is re-run), with plausible fields for the fixture (request_stream.h), sent
// logged in as alice; the kinds again without a login; and short scenarios a client really plays
// (register with the mailed code, reset, chat, friends, groups, hello errors).
// Command-parser seeds: one full line per command of the CLI's grammar table, and lines that
// exercise the text rules (escapes, blanks, '\r', UTF-8, errors).

#include <google/protobuf/descriptor.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "command_parser.h"
#include "request_stream.h"
#include "wechat/v1/frame.pb.h"

namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using wechat::v1::Request;
using namespace wechat::fuzz;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

/// Empties `dir` (creating it) so a regeneration leaves no stale seed behind.
void reset_dir(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
}

/// A request of the kind named `kind` (a field of the Request oneof) with plausible fields,
/// acting as fixture user `variant`; nullopt if this build has no such kind.
std::optional<Request> plausible(const std::string& kind, unsigned variant = 0) {
  Request request;
  const pb::FieldDescriptor* f = Request::descriptor()->FindFieldByName(kind);
  if (f == nullptr || f->containing_oneof() == nullptr) return std::nullopt;
  fill_plausible(*request.GetReflection()->MutableMessage(&request, f), variant);
  return request;
}

class Scenario {
 public:
  explicit Scenario(std::uint8_t flags) { stream_.flags = flags; }
  Scenario& add(const Request& r) {
    stream_.chunks.push_back(r.SerializeAsString());
    return *this;
  }
  Scenario& add(const std::string& kind, unsigned variant = 0) {
    if (auto r = plausible(kind, variant)) add(*r);
    return *this;
  }
  Scenario& raw(std::string bytes) {
    stream_.chunks.push_back(std::move(bytes));
    return *this;
  }
  std::string bytes() const { return write_stream(stream_); }

 private:
  RequestStream stream_;
};

constexpr std::uint8_t kAlice = 1, kBob = 2, kCarol = 3;

Request login(const std::string& name, const std::string& password) {
  Request r;
  r.mutable_login()->set_login(name);
  r.mutable_login()->set_password(password);
  r.mutable_login()->set_device_name("seed-device");
  return r;
}

Request send_message(std::uint64_t to, const std::string& text, char id) {
  Request r;
  r.mutable_send_message()->set_client_msg_id(std::string(16, id));
  r.mutable_send_message()->set_to_user_id(to);
  r.mutable_send_message()->set_text(text);
  return r;
}

void handler_seeds(const fs::path& dir) {
  reset_dir(dir);
  std::size_t files = 0;
  auto save = [&](const std::string& name, const Scenario& s) {
    write_file(dir / name, s.bytes());
    ++files;
  };

  // Every kind, logged in as alice; then all of them without a login, a dozen per seed.
  const pb::OneofDescriptor* kinds = Request::descriptor()->FindOneofByName("kind");
  Scenario anonymous(0);
  int in_anonymous = 0, anonymous_seeds = 0;
  for (int i = 0; i < kinds->field_count(); ++i) {
    const std::string kind = kinds->field(i)->name();
    save("kind-" + kind, Scenario(kAlice).add(kind));
    anonymous.add(kind, 1);
    if (++in_anonymous == 12 || i + 1 == kinds->field_count()) {
      save("anonymous-kinds-" + std::to_string(++anonymous_seeds), anonymous);
      anonymous = Scenario(kPipelined);
      in_anonymous = 0;
    }
  }

  // Accounts: a new user registers with the mailed code (the harness fills in "@code"), logs in
  // by email in another case; dave resets his password (to the same one: the fixture stays).
  Request code;
  code.mutable_request_code()->set_email("erin@example.com");
  code.mutable_request_code()->set_purpose(wechat::v1::CODE_PURPOSE_REGISTER);
  Request reg;
  reg.mutable_register_account()->set_username("erin");
  reg.mutable_register_account()->set_email("erin@example.com");
  reg.mutable_register_account()->set_password("password-erin");
  reg.mutable_register_account()->set_code(kCodePlaceholder);
  Request search;
  search.mutable_search_users()->set_query("ali");
  save("scenario-register", Scenario(0).add(code).add(reg).add(login("Erin", "password-erin"))
                                .add(search).add("send_friend_request", 3));
  Request reset_code = code;
  reset_code.mutable_request_code()->set_email("Dave@Example.com");
  reset_code.mutable_request_code()->set_purpose(wechat::v1::CODE_PURPOSE_RESET);
  Request reset;
  reset.mutable_reset_password()->set_email("dave@example.com");
  reset.mutable_reset_password()->set_code(kCodePlaceholder);
  reset.mutable_reset_password()->set_new_password("password-dave");
  save("scenario-reset", Scenario(0).add(reset_code).add(reset).add(login("dave", "password-dave")));
  Request sync;
  sync.mutable_sync()->set_include_presence(true);
  save("scenario-login-by-email", Scenario(0).add(login("ALICE@example.com", "password-alice"))
                                      .add(sync).add("logout").add("list_friends"));
  save("scenario-wrong-password", Scenario(0).add(login("bob", "password-alice")).add(login("", "")));
  save("scenario-logout-login", Scenario(kAlice).add("logout").add("list_friends")
                                    .add(login("alice", "password-alice")).add("list_friends"));

  // Chat between alice and bob, one request at a time and pipelined (with a resend).
  Request history;
  history.mutable_history()->set_conversation_id(kConversation);
  Request read;
  read.mutable_mark_read()->set_conversation_id(kConversation);
  read.mutable_mark_read()->set_up_to_seq(1000);
  Request delivered;
  delivered.mutable_mark_delivered()->set_conversation_id(kConversation);
  delivered.mutable_mark_delivered()->set_up_to_seq(2);
  save("scenario-chat", Scenario(kAlice).add(send_message(2, "hi bob", 'x')).add(history)
                            .add(delivered).add(read).add("set_typing").add("list_conversations")
                            .add(sync));
  save("scenario-chat-pipelined",
       Scenario(kBob | kPipelined).add(send_message(1, "hi alice", 'y'))
           .add(send_message(1, "hi alice", 'y')).add(send_message(1, "你好 😀", 'z'))
           .add(history).add(read));
  save("scenario-message-stranger", Scenario(kCarol).add(send_message(1, "hello?", 'c'))
                                        .add(send_message(3, "me", 'd')).add("list_friend_requests"));

  // Friends: alice turns carol's request down, removes a stranger, asks carol herself.
  Request answer;
  answer.mutable_answer_friend_request()->set_request_id(kPendingRequest);
  Request remove;
  remove.mutable_remove_friend()->set_user_id(4);
  Request befriend;
  befriend.mutable_send_friend_request()->set_to_user_id(3);
  befriend.mutable_send_friend_request()->set_note("we met at the fuzzing meetup");
  save("scenario-friends", Scenario(kAlice).add("list_friend_requests").add(answer).add(remove)
                               .add(befriend).add("list_friends").add("search_users"));

  // Groups (by name: absent kinds are skipped).
  save("scenario-groups", Scenario(kAlice).add("create_group").add("get_group").add("rename_group")
                              .add("invite_to_group").add("set_group_role").add("list_groups")
                              .add("get_read_receipts").add("remove_group_member")
                              .add("transfer_group_ownership").add("leave_group")
                              .add("dissolve_group"));

  // A group chat: alice makes a group with bob (id 2 on a fresh server) and writes to it.
  if (auto group_message = plausible("send_message")) {
    auto* m = group_message->mutable_send_message();
    m->set_to_user_id(0);
    if (const auto* f = m->GetDescriptor()->FindFieldByName("group_id")) {
      m->GetReflection()->SetUInt64(m, f, kConversation + 1);
    }
    Request group_history = history;
    group_history.mutable_history()->set_conversation_id(kConversation + 1);
    Request group_read = read;
    group_read.mutable_mark_read()->set_conversation_id(kConversation + 1);
    Scenario chat(kAlice);
    chat.add("create_group").add(*group_message).add(group_history).add(group_read);
    if (auto receipts = plausible("get_read_receipts")) {
      if (const auto* f = receipts->GetDescriptor()->FindFieldByName("get_read_receipts")) {
        auto* body = receipts->GetReflection()->MutableMessage(&*receipts, f);
        body->GetReflection()->SetUInt64(body, body->GetDescriptor()->FindFieldByName("conversation_id"),
                                         kConversation + 1);
      }
      chat.add(*receipts);
    }
    save("scenario-group-chat", chat);
  }

  // The session rules: hello first, once, with version 1; a kind this build does not know.
  Request hello;
  hello.mutable_hello()->set_protocol_version(1);
  Request hello2 = hello;
  hello2.mutable_hello()->set_protocol_version(2);
  save("scenario-no-hello", Scenario(kNoHello).add(search).add(hello).add(login("bob", "password-bob")));
  save("scenario-bad-version", Scenario(kNoHello).add(hello2).add(search));
  save("scenario-second-hello", Scenario(kAlice).add(hello));
  // Field 79 (reserved for groups), empty: a kind from the future; and a Request of no kind.
  save("scenario-unknown-kind", Scenario(kAlice).raw(std::string("\xFA\x04\x00", 3)).raw(""));
  std::printf("%zu handler seeds in %s\n", files, dir.c_str());
}

void command_parser_seeds(const fs::path& dir) {
  reset_dir(dir);
  // An example value for each placeholder of the usage strings.
  const std::map<std::string, std::string> values = {
      {"email", "alice@example.com"}, {"register|reset", "register"}, {"username", "bob"},
      {"password", "s3cret"},         {"code", "123456"},             {"username-or-email", "alice"},
      {"new-password", "n3w-pässword"}, {"query", "ali ce"},          {"note", "let us talk"},
      {"text", "hello  there, 你好"},  {"count", "5"},                  {"seconds", "2.5"},
      {"command", "/msg"},            {"group", "hiking"}};
  std::size_t files = 0;
  auto save = [&](const std::string& name, const std::string& line) {
    write_file(dir / name, line);
    ++files;
  };
  for (const auto& spec : wechat::cli::command_specs()) {
    // "/msg <username> <text>" -> "/msg bob hello  there, 你好"
    // "/group create|invite|... ..." -> "/group create"
    std::string line = "/" + std::string(spec.name);
    std::istringstream usage{std::string(spec.usage)};
    std::string token;
    usage >> token;  // the command itself
    while (usage >> token) {
      if (token == "...") continue;
      if (token.front() == '<' || token.front() == '[') token = token.substr(1, token.size() - 2);
      token = token.substr(0, token.find('|'));  // the first of alternatives
      const auto it = values.find(token);
      line += " " + (it != values.end() ? it->second : token);
    }
    save("cmd-" + std::string(spec.name), line);
  }
  const std::pair<const char*, std::string> extras[] = {
      {"text", "hello there"},
      {"text-slash", "//usr/bin is a folder"},
      {"text-crlf", "  hello /there\r"},
      {"blank", " \t "},
      {"empty", ""},
      {"unknown", "/frends"},
      {"help-topic", "/help /msg"},
      {"upper", "/HISTORY bob 1000"},
      {"usage", "/login alice"},
      {"too-many", "/logout now"},
      {"wait-bounds", "/wait 86400.0"},
      {"mask-utf8", "/register al a@b.c pässwörd 123456"},
      {"tabs", "/msg\tbob\t\thi\t"},
      {"bytes", std::string("/\0\xff\xfe", 4)},
      {"group-create", "/group create hiking bob carol"},
      {"group-invite", "/GROUP Invite hiking dave"},
      {"group-kick", "/group kick hiking bob"},
      {"group-members", "/group members #7"},
      {"group-typo", "/group creat hiking bob"},
  };
  for (const auto& [name, line] : extras) save(std::string("extra-") + name, line);
  std::printf("%zu command parser seeds in %s\n", files, dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir, e.g. fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  handler_seeds(root / "handlers");
  command_parser_seeds(root / "command_parser");
  return 0;
}
