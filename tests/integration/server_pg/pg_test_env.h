// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_INTEGRATION_SERVER_PG_PG_TEST_ENV_H_
#define WECHAT_TESTS_INTEGRATION_SERVER_PG_PG_TEST_ENV_H_

#include <string>

namespace wechat::testing::pg {

/// The test PostgreSQL server (scripts/pg-test-server.sh, started by the ctest fixture):
/// $WECHAT_PG_TEST_URL, or the URL CMake compiled in.
std::string server_url();

/// A URL to a fresh, empty schema of the test server (created now, dropped when the test
/// process exits). Every test gets its own, so tests may run in parallel on one server.
std::string fresh_store_url();

/// The store URL for a server's data directory: a fresh schema the first time a directory is
/// seen, the same one after (TestServer::restart keeps its data).
std::string store_url_for(const std::string& data_dir);

}  // namespace wechat::testing::pg

#endif  // WECHAT_TESTS_INTEGRATION_SERVER_PG_PG_TEST_ENV_H_
