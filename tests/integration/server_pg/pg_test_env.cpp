// SPDX-License-Identifier: MIT
// Runs the unchanged server integration tests against PostgreSQL.
//
// Installs TestServer::default_tweak: every server the tests start (through TestServer,
// tests/support) gets a store_url naming a schema of its own on the test PostgreSQL server. The
// test sources stay those of tests/integration/server; only the store under them changes.
#include "pg_test_env.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "server/store/pg/pg_connection.h"
#include "support/test_server.h"
#include "wechat/server.h"

namespace wechat::testing::pg {

namespace {

struct Schemas {
  std::mutex mutex;
  std::map<std::string, std::string> by_data_dir;
  std::vector<std::string> created;

  // Tidy up at exit; the whole cluster is deleted by the fixture's cleanup anyway.
  ~Schemas() {
    if (created.empty()) return;
    server::pg::PgConnection admin(server_url());
    for (const auto& s : created) (void)admin.exec("DROP SCHEMA IF EXISTS " + s + " CASCADE");
  }
};

Schemas& schemas() {
  static Schemas s;
  return s;
}

std::string with_search_path(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema;
}

}  // namespace

std::string server_url() {
  if (const char* url = std::getenv("WECHAT_PG_TEST_URL"); url && *url) return url;
  return WECHAT_PG_TEST_URL;
}

std::string fresh_store_url() {
  static std::atomic<int> counter{0};
  const std::string schema =
      "t" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  server::pg::PgConnection admin(server_url());
  const auto made = admin.exec("CREATE SCHEMA " + schema);
  const std::string hint =
      "is the test PostgreSQL running (scripts/pg-test-server.sh)? " + made.to_string();
  REQUIRE_MESSAGE(made.ok(), hint);
  {
    std::lock_guard lock(schemas().mutex);
    schemas().created.push_back(schema);
  }
  return with_search_path(server_url(), schema);
}

std::string store_url_for(const std::string& data_dir) {
  {
    std::lock_guard lock(schemas().mutex);
    auto it = schemas().by_data_dir.find(data_dir);
    if (it != schemas().by_data_dir.end()) return it->second;
  }
  auto url = fresh_store_url();
  std::lock_guard lock(schemas().mutex);
  return schemas().by_data_dir.emplace(data_dir, url).first->second;
}

}  // namespace wechat::testing::pg

// Every TestServer of this binary (tests/support) gets a store_url naming a schema of its own.
namespace {
const bool installed = [] {
  wechat::testing::TestServer::default_tweak() = [](wechat::ServerOptions& options) {
    if (options.store_url.empty()) {
      options.store_url = wechat::testing::pg::store_url_for(options.data_dir);
    }
  };
  return true;
}();
}  // namespace
