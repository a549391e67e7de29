// SPDX-License-Identifier: MIT
#include "work_dir.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace wechat::chaos {

bool write_users(const WorkDir& dir, const std::vector<UserId>& ids) {
  std::ofstream out(dir.users(), std::ios::trunc);
  for (std::size_t i = 0; i < ids.size(); ++i) out << i << " " << ids[i] << "\n";
  return static_cast<bool>(out);
}

bool write_groups(const WorkDir& dir, const GroupTable& groups) {
  std::ofstream out(dir.groups(), std::ios::trunc);
  for (const auto& [id, members] : groups) {
    out << id;
    for (UserId m : members) out << " " << m;
    out << "\n";
  }
  return static_cast<bool>(out);
}

GroupTable read_groups(const WorkDir& dir) {
  GroupTable out;
  std::ifstream in(dir.groups());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    ConversationId id = 0;
    if (!(fields >> id)) continue;
    auto& members = out[id];
    UserId m = 0;
    while (fields >> m) members.insert(m);
  }
  return out;
}

std::vector<DeviceTruth> gather_truth(const WorkDir& dir) {
  std::vector<UserId> ids;
  {
    std::ifstream in(dir.users());
    std::size_t index = 0;
    UserId id = 0;
    while (in >> index >> id) {
      if (ids.size() <= index) ids.resize(index + 1);
      ids[index] = id;
    }
  }
  // One device per record file, in name order (so that reports list devices the same way).
  std::vector<std::pair<int, int>> devices;
  static const std::regex kName(R"(u(\d+)-d(\d+)\.txt)");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir.root + "/records", ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, kName)) devices.emplace_back(std::stoi(m[1]), std::stoi(m[2]));
  }
  std::sort(devices.begin(), devices.end());
  std::vector<DeviceTruth> out;
  for (const auto& [u, d] : devices) {
    if (static_cast<std::size_t>(u) >= ids.size()) continue;
    DeviceTruth t;
    t.user = ids[static_cast<std::size_t>(u)];
    t.device = d;
    t.record = read_record(dir.record(u, d));
    t.dump = read_dump(dir.dump(u, d));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace wechat::chaos
