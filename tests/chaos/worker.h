// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_WORKER_H_
#define WECHAT_TESTS_CHAOS_WORKER_H_

// A worker is one device: one wechat::Client on its own data directory, in its own process so
// that the driver can SIGKILL it with messages in its outbox and start it again on the same
// directory. It sends chaos texts to random friends, now and then marks a conversation read,
// and records everything in its record file (record.h).

#include <cstdint>
#include <string>
#include <vector>

#include "wechat/types.h"

namespace wechat::chaos {

struct WorkerOptions {
  std::string data_dir;     ///< Set up by set_up_accounts: holds a saved session.
  std::string record_path;  ///< Appended to, across incarnations.
  std::string dump_path;    ///< Rewritten (by rename) once `stop_path` exists.
  /// Created by the driver when the faults are over: stop sending, then dump the local store
  /// every few hundred milliseconds until SIGTERM.
  std::string stop_path;
  std::uint16_t port = 0;  ///< The fault proxy.
  int device = 0;          ///< This device's index within its user.
  std::vector<UserId> peers;
  std::vector<ConversationId> groups;  ///< Groups of this user (--groups), to send to.
  double group_share = 0.3;            ///< Of the messages, the share sent to a group.
  double rate = 5;              ///< Messages per second (Poisson).
  double mark_read_rate = 0.5;  ///< mark_read calls per second.
  std::uint64_t seed = 1;
};

/// Runs until SIGTERM (exit 0) or a setup failure (exit 1).
int run_worker(const WorkerOptions& options);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_WORKER_H_
