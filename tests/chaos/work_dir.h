// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_WORK_DIR_H_
#define WECHAT_TESTS_CHAOS_WORK_DIR_H_

// The layout of a run's work directory, shared by the driver, the workers it starts, and a
// later `wechat-chaos recheck` of a kept directory:
//
//   server/               the server's data directory (server.db, mail/)
//   logs/                 server.log, server-stdout-<n>.txt, u<u>-d<d>.log (worker stderr)
//   devices/u<u>-d<d>/    each device's client data directory
//   records/u<u>-d<d>.txt each device's record, dumps/u<u>-d<d>.txt its last dump (record.h)
//   users.txt             "<user index> <user id>" per line
//   groups.txt            "<group id> <member user id>..." per line (--groups; record.h)
//   stop                  created when the faults are over

#include <string>
#include <vector>

#include "checker.h"

namespace wechat::chaos {

struct WorkDir {
  std::string root;

  std::string tag(int user, int device) const {
    return "u" + std::to_string(user) + "-d" + std::to_string(device);
  }
  std::string device_dir(int user, int device) const {
    return root + "/devices/" + tag(user, device);
  }
  std::string record(int user, int device) const {
    return root + "/records/" + tag(user, device) + ".txt";
  }
  std::string dump(int user, int device) const {
    return root + "/dumps/" + tag(user, device) + ".txt";
  }
  std::string log(int user, int device) const {
    return root + "/logs/" + tag(user, device) + ".log";
  }
  std::string users() const { return root + "/users.txt"; }
  std::string groups() const { return root + "/groups.txt"; }
  std::string stop() const { return root + "/stop"; }
};

/// Writes users.txt.
bool write_users(const WorkDir& dir, const std::vector<UserId>& ids);
/// Writes groups.txt.
bool write_groups(const WorkDir& dir, const GroupTable& groups);
/// Reads groups.txt; empty if it is missing (a run without groups).
GroupTable read_groups(const WorkDir& dir);
/// Every device's record and dump, for the checker. Empty if users.txt is missing.
std::vector<DeviceTruth> gather_truth(const WorkDir& dir);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_WORK_DIR_H_
