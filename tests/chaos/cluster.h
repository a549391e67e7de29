// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_CLUSTER_H_
#define WECHAT_TESTS_CHAOS_CLUSTER_H_

// What the driver needs around a cluster run (--cluster N): a PostgreSQL schema of the run's
// own, an empty Redis database, and a look at the node registry in Redis.

#include <cstddef>
#include <string>

#include "wechat/status.h"

namespace wechat::chaos {

/// A fresh schema on the PostgreSQL server of `server_url` (a libpq URI), created now; drop()
/// removes it with everything in it.
class PgSchema {
 public:
  /// Creates "chaos_<pid>_<time>". Errors: kUnavailable, kStorage.
  static Result<PgSchema> create(const std::string& server_url);
  const std::string& name() const { return name_; }
  /// `server_url` with this schema as the search path: the store URL the nodes get.
  const std::string& store_url() const { return store_url_; }
  Status drop();

 private:
  std::string server_url_;
  std::string name_;
  std::string store_url_;
};

/// Runs `redis-cli` with `args` against the host, port and database of `redis_url`
/// (redis://host:port[/db]); its stdout, trimmed. Empty on any failure.
std::string redis_cli(const std::string& redis_url, const std::string& args);

/// True if `redis_url` is redis://host:port[/db] with nothing else (no password: redis-cli
/// gets the parts on its command line).
bool plain_redis_url(const std::string& redis_url);

/// Live chat nodes in the registry (keys wechat:node:<id> of the set wechat:nodes whose value
/// is "chat <host> <port> <devices>").
std::size_t live_chat_nodes(const std::string& redis_url);

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_CLUSTER_H_
