// SPDX-License-Identifier: MIT
#include "setup.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "wechat/client.h"

namespace wechat::chaos {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto kStepTimeout = 30s;

std::string username(int user) { return "chaos_u" + std::to_string(user); }
std::string email(int user) { return username(user) + "@example.com"; }
std::string password(int user) { return "password-chaos-" + std::to_string(user); }

template <typename T, typename Start>
Result<T> await(Start start) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  start([promise](Result<T> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kStepTimeout) != std::future_status::ready) {
    return Status(Error::kTimeout, "no answer in time");
  }
  return future.get();
}

template <typename Start>
Status await_done(Start start) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  start([promise](Status s) { promise->set_value(std::move(s)); });
  if (future.wait_for(kStepTimeout) != std::future_status::ready) {
    return Status(Error::kTimeout, "no answer in time");
  }
  return future.get();
}

/// The code in the development mailer's newest file to `to` (files are named
/// "<millis>-<counter>-<recipient>.eml"; see src/server/mail/mailer.h).
std::string mailed_code(const std::string& mail_dir, const std::string& to) {
  std::string newest;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(mail_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > to.size() + 4 && name.ends_with("-" + to + ".eml") && name > newest) {
      newest = name;
    }
  }
  if (newest.empty()) return {};
  std::ifstream in(fs::path(mail_dir) / newest);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::smatch match;
  static const std::regex kCode(R"(\n\s+(\d{6})\s*\n)");
  return std::regex_search(text, match, kCode) ? match[1].str() : std::string();
}

Result<std::unique_ptr<Client>> make_client(const std::string& dir, std::uint16_t port) {
  ClientOptions options;
  options.port = port;
  options.plaintext = true;
  options.data_dir = dir;
  return Client::create(options);
}

/// Waits until `client` has every group of `ids` in its local store.
Status await_groups(const Client& client, const std::vector<ConversationId>& ids) {
  for (int i = 0; i < 3000; ++i) {
    bool all = true;
    for (ConversationId id : ids) all = all && client.group(id).ok();
    if (all) return Status();
    std::this_thread::sleep_for(10ms);
  }
  return Status(Error::kTimeout, "a device never learnt of its groups");
}

Status create_groups(std::vector<std::unique_ptr<Client>>& first, const std::vector<UserId>& ids,
                     int groups, std::uint64_t seed, GroupTable& table) {
  std::mt19937_64 rng(seed * 7919 + 17);
  const int users = static_cast<int>(ids.size());
  for (int k = 0; k < groups; ++k) {
    const int owner = k % users;
    std::vector<int> others;
    for (int u = 0; u < users; ++u) {
      if (u != owner) others.push_back(u);
    }
    std::shuffle(others.begin(), others.end(), rng);
    // At least 2 others (3 members), up to all of them.
    const int min_others = std::min(2, users - 1);
    const int count = min_others + static_cast<int>(rng() % (users - 1 - min_others + 1));
    std::vector<UserId> members;
    std::set<UserId> all = {ids[owner]};
    for (int i = 0; i < count; ++i) {
      members.push_back(ids[others[i]]);
      all.insert(ids[others[i]]);
    }
    WECHAT_ASSIGN_OR_RETURN(Group g, await<Group>([&](auto cb) {
                              first[owner]->create_group("chaos-g" + std::to_string(k), members,
                                                         cb);
                            }));
    table[g.id] = all;
  }
  return Status();
}

}  // namespace

std::vector<ConversationId> groups_of(const GroupTable& table, UserId user) {
  std::vector<ConversationId> out;
  for (const auto& [id, members] : table) {
    if (members.count(user)) out.push_back(id);
  }
  return out;
}

Result<std::vector<UserId>> set_up_accounts(const WorkDir& work, const std::string& mail_dir,
                                            std::uint16_t port, int users, int devices,
                                            int groups, std::uint64_t seed,
                                            GroupTable* group_table) {
  GroupTable table;
  std::vector<std::unique_ptr<Client>> first;  // device 0 of each user
  std::vector<UserId> ids;
  for (int u = 0; u < users; ++u) {
    WECHAT_ASSIGN_OR_RETURN(auto client, make_client(work.device_dir(u, 0), port));
    Client& c = *client;
    WECHAT_TRY(await_done([&](auto cb) { c.request_code(email(u), CodePurpose::kRegister, cb); }));
    std::string code;
    for (int i = 0; i < 200 && code.empty(); ++i) {  // the mail is written off the request path
      code = mailed_code(mail_dir, email(u));
      if (code.empty()) std::this_thread::sleep_for(10ms);
    }
    if (code.empty()) return Status(Error::kNotFound, "no code mailed to " + email(u));
    WECHAT_TRY(await<User>(
        [&](auto cb) { c.register_account(username(u), email(u), password(u), code, cb); }));
    WECHAT_ASSIGN_OR_RETURN(User me,
                            await<User>([&](auto cb) { c.login(username(u), password(u), cb); }));
    ids.push_back(me.id);
    first.push_back(std::move(client));
  }
  for (int a = 0; a < users; ++a) {
    for (int b = a + 1; b < users; ++b) {
      WECHAT_ASSIGN_OR_RETURN(FriendRequest request, await<FriendRequest>([&](auto cb) {
                                first[a]->send_friend_request(ids[b], "chaos", cb);
                              }));
      WECHAT_TRY(
          await_done([&](auto cb) { first[b]->answer_friend_request(request.id, true, cb); }));
    }
  }
  if (groups > 0) {
    WECHAT_TRY(create_groups(first, ids, groups, seed, table));
  }
  for (int u = 0; u < users; ++u) {
    WECHAT_TRY(await_groups(*first[u], groups_of(table, ids[u])));
    for (int d = 1; d < devices; ++d) {
      WECHAT_ASSIGN_OR_RETURN(auto client, make_client(work.device_dir(u, d), port));
      Client& c = *client;
      WECHAT_TRY(await<User>([&](auto cb) { c.login(username(u), password(u), cb); }));
      WECHAT_TRY(await_groups(c, groups_of(table, ids[u])));
    }
  }
  if (group_table) *group_table = std::move(table);
  return ids;
}

}  // namespace wechat::chaos
