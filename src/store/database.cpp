// SPDX-License-Identifier: MIT
#include "store/database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <list>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "store/page_cache_guard.h"
#include "store/sqlite_error.h"
#include "store/wal_coalescing_vfs.h"

namespace wechat::store {
namespace {

// Enough SQL in an error message to recognise the statement.
std::string_view sql_excerpt(std::string_view sql) {
  constexpr std::size_t kMax = 200;
  return sql.size() <= kMax ? sql : sql.substr(0, kMax);
}

Status closed() { return Status(Error::kInternal, "database is not open (moved from?)"); }

bool is_memory_path(const std::string& path) { return path.empty() || path == ":memory:"; }

// A file path whose directory is missing would fail in sqlite3_open_v2 with the vague "unable
// to open database file"; say what is wrong instead.
Status check_directory(const std::string& path) {
  if (is_memory_path(path)) return Status();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status();  // Relative to the working directory.
  std::error_code ec;
  if (std::filesystem::is_directory(parent, ec)) return Status();
  return Status(Error::kStorage,
                fmt::format("cannot open database '{}': directory '{}' does not exist", path,
                            parent.string()));
}

// Runs a statement that returns one text value (a PRAGMA) and returns that value.
Result<std::string> query_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db, rc, sql);
  std::string value;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) value = reinterpret_cast<const char*>(text);
  }
  Status status = rc == SQLITE_ROW || rc == SQLITE_DONE ? Status() : sqlite_status(db, rc, sql);
  sqlite3_finalize(stmt);
  if (!status.ok()) return status;
  return value;
}

Status exec_literal(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : sqlite_status(db, rc, sql);
}

const char* synchronous_pragma(OpenOptions::Sync sync) {
  switch (sync) {
    case OpenOptions::Sync::kOff:
      return "PRAGMA synchronous = OFF";
    case OpenOptions::Sync::kFull:
      return "PRAGMA synchronous = FULL";
    case OpenOptions::Sync::kNormal:
      break;
  }
  return "PRAGMA synchronous = NORMAL";
}

}  // namespace

struct Database::Impl {
  struct CacheEntry {
    std::string sql;
    Statement statement;
    bool in_use = false;  // Lent to a CachedStatement, which clears it on release.
  };

  Impl(sqlite3* connection, std::string path_in, const OpenOptions& options)
      : db(connection),
        path(std::move(path_in)),
        cache_capacity(options.statement_cache_capacity),
        logger(options.logger) {}

  ~Impl() {
    // Statements first: sqlite3_close_v2 would otherwise keep the connection as a zombie until
    // they were finalized. Lent statements must be gone by now (REQUIRES in the header).
    index.clear();
    lru.clear();
    sqlite3_close_v2(db);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<Statement> prepare(std::string_view sql, unsigned int flags);
  // Drops the least recently used statement that is not lent out; false if all are lent.
  bool evict_one();

  sqlite3* db;
  std::string path;
  std::size_t cache_capacity;
  detail::Logger logger;
  // Most recently used first. std::list: entries never move, so the string_view keys of
  // `index` (which point into CacheEntry::sql) and the pointers held by CachedStatement stay
  // valid while other entries come and go.
  std::list<CacheEntry> lru;
  std::unordered_map<std::string_view, std::list<CacheEntry>::iterator> index;
};

Result<Statement> Database::Impl::prepare(std::string_view sql, unsigned int flags) {
  if (sql.size() >= static_cast<std::size_t>(INT_MAX)) {
    return Status(Error::kInvalidArgument, "SQL text is too long");
  }
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &raw, &tail);
  if (rc != SQLITE_OK) {
    return sqlite_status(db, rc, fmt::format("prepare '{}'", sql_excerpt(sql)));
  }
  Statement statement(raw);
  if (raw == nullptr) {
    return Status(Error::kInvalidArgument,
                  fmt::format("no SQL statement in '{}'", sql_excerpt(sql)));
  }
  // Whatever follows the first statement must be whitespace or comments: preparing it yields
  // no statement then. Anything else would be silently ignored by sqlite3_prepare.
  const char* end = sql.data() + sql.size();
  if (tail != nullptr && tail < end) {
    sqlite3_stmt* extra = nullptr;
    rc = sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &extra, nullptr);
    sqlite3_finalize(extra);
    if (rc != SQLITE_OK || extra != nullptr) {
      return Status(Error::kInvalidArgument,
                    fmt::format("more than one SQL statement in '{}' (use exec for scripts)",
                                sql_excerpt(sql)));
    }
  }
  return statement;
}

bool Database::Impl::evict_one() {
  for (auto it = lru.end(); it != lru.begin();) {
    --it;
    if (!it->in_use) {
      index.erase(std::string_view(it->sql));
      lru.erase(it);
      return true;
    }
  }
  return false;
}

// ---- Database

Database::Database(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Database::Database(Database&& other) noexcept = default;
Database& Database::operator=(Database&& other) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::string& path, const OpenOptions& options) {
  // We open with SQLITE_OPEN_NOMUTEX, which relies on SQLite being built thread-safe.
  if (sqlite3_threadsafe() == 0) {
    return Status(Error::kStorage, "the SQLite library was built without thread support");
  }
  WECHAT_TRY(check_directory(path));
  if (!options.create && !options.read_only && !is_memory_path(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Status(Error::kStorage,
                    fmt::format("cannot open database '{}': the file does not exist", path));
    }
  }

  int flags = SQLITE_OPEN_NOMUTEX;  // One thread at a time (see the class comment).
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  // Before anything initialises SQLite (page_cache_guard.h); then the default VFS, with a
  // commit's log appends written as one write (wal_coalescing_vfs.h).
  install_page_cache_guard();
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, wal_coalescing_vfs_name());
  if (rc != SQLITE_OK) {
    Status status = sqlite_status(raw, rc, fmt::format("cannot open database '{}'", path));
    sqlite3_close_v2(raw);  // sqlite3_open_v2 may allocate a handle even when it fails.
    return status;
  }
  // From here the Impl owns (and on any early return closes) the connection.
  auto impl = std::make_unique<Impl>(raw, path, options);
  sqlite3* db = impl->db;

  // Extended codes everywhere, so a UNIQUE violation is told apart from NOT NULL and CHECK.
  sqlite3_extended_result_codes(db, 1);
  const auto timeout_ms =
      std::clamp<std::chrono::milliseconds::rep>(options.busy_timeout.count(), 0, INT_MAX);
  sqlite3_busy_timeout(db, static_cast<int>(timeout_ms));

  // Reading the schema here makes a file that is not a database fail in open, not later.
  WECHAT_ASSIGN_OR_RETURN(const std::string journal,
                          options.wal && !options.read_only
                              ? query_text(db, "PRAGMA journal_mode = WAL")
                              : query_text(db, "PRAGMA journal_mode"));
  // An in-memory (or temporary) database has no file name and cannot use WAL.
  const char* file = sqlite3_db_filename(db, "main");
  const bool on_disk = file != nullptr && file[0] != '\0';
  if (options.wal && !options.read_only && on_disk && journal != "wal") {
    return Status(Error::kStorage,
                  fmt::format("cannot open database '{}': WAL mode could not be enabled "
                              "(journal_mode is '{}')",
                              path, journal));
  }
  WECHAT_TRY(exec_literal(db, synchronous_pragma(options.synchronous)));
  WECHAT_TRY(exec_literal(db, "PRAGMA foreign_keys = ON"));
  if (options.cache_kib != 0) {
    WECHAT_TRY(exec_literal(db, fmt::format("PRAGMA cache_size = -{}", options.cache_kib).c_str()));
  }

  impl->logger.debug("opened database '{}' (journal_mode={})", path, journal);
  return Database(std::move(impl));
}

namespace {
/// BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE without a second statement: what a server runs for
/// every request, worth preparing once.
bool is_transaction_control(std::string_view sql) {
  if (sql.find(';') != std::string_view::npos || sql.find("--") != std::string_view::npos) {
    return false;
  }
  for (std::string_view keyword : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT ", "RELEASE "}) {
    if (sql.substr(0, keyword.size()) == keyword) return true;
  }
  return false;
}
}  // namespace

Status Database::exec(std::string_view sql) {
  if (!impl_) return closed();
  if (sql.size() >= static_cast<std::size_t>(INT_MAX)) {
    return Status(Error::kInvalidArgument, "SQL text is too long");
  }
  // Transaction control runs once per request in the server: prepared once and kept, because
  // parsing it again each time showed up in server profiles.
  if (impl_->cache_capacity != 0 && is_transaction_control(sql)) {
    WECHAT_ASSIGN_OR_RETURN(auto statement, prepare_cached(sql));
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(const bool row, statement->step());
      if (!row) break;
    }
    return Status();
  }
  // sqlite3_exec needs a NUL-terminated copy; this loop does what it does on the view itself.
  const char* next = sql.data();
  const char* const end = sql.data() + sql.size();
  while (next != nullptr && next < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(impl_->db, next, static_cast<int>(end - next), &raw, &tail);
    if (rc != SQLITE_OK) {
      return sqlite_status(
          impl_->db, rc, fmt::format("exec '{}'", sql_excerpt(std::string_view(next, end - next))));
    }
    Statement statement(raw);
    if (tail == next) break;  // Nothing consumed: only whitespace or comments were left.
    next = tail;
    if (raw == nullptr) continue;  // A comment or a lone ';'.
    for (;;) {
      WECHAT_ASSIGN_OR_RETURN(const bool row, statement.step());
      if (!row) break;
    }
  }
  return Status();
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (!impl_) return closed();
  return impl_->prepare(sql, 0);
}

Result<CachedStatement> Database::prepare_cached(std::string_view sql) {
  if (!impl_) return closed();
  Impl& impl = *impl_;
  auto one_off = [&]() -> Result<CachedStatement> {
    WECHAT_ASSIGN_OR_RETURN(Statement statement, impl.prepare(sql, 0));
    return CachedStatement(std::make_unique<Statement>(std::move(statement)));
  };
  if (impl.cache_capacity == 0) return one_off();

  if (auto found = impl.index.find(sql); found != impl.index.end()) {
    auto entry = found->second;
    if (entry->in_use) return one_off();  // E.g. the same query run inside its own loop.
    impl.lru.splice(impl.lru.begin(), impl.lru, entry);  // Iterators stay valid.
    entry->in_use = true;
    return CachedStatement(&entry->statement, &entry->in_use);
  }

  if (impl.lru.size() >= impl.cache_capacity && !impl.evict_one()) return one_off();
  // PERSISTENT: a hint that the statement lives long, so SQLite allocates it accordingly.
  WECHAT_ASSIGN_OR_RETURN(Statement statement, impl.prepare(sql, SQLITE_PREPARE_PERSISTENT));
  impl.lru.push_front(Impl::CacheEntry{std::string(sql), std::move(statement), true});
  auto entry = impl.lru.begin();
  impl.index.emplace(std::string_view(entry->sql), entry);
  return CachedStatement(&entry->statement, &entry->in_use);
}

std::int64_t Database::last_insert_rowid() const noexcept {
  return impl_ ? sqlite3_last_insert_rowid(impl_->db) : 0;
}

int Database::changes() const noexcept { return impl_ ? sqlite3_changes(impl_->db) : 0; }

bool Database::in_transaction() const noexcept {
  return impl_ && sqlite3_get_autocommit(impl_->db) == 0;
}

int Database::last_extended_error_code() const noexcept {
  return impl_ ? sqlite3_extended_errcode(impl_->db) : SQLITE_MISUSE;
}

std::size_t Database::cached_statement_count() const noexcept {
  return impl_ ? impl_->lru.size() : 0;
}

const std::string& Database::path() const noexcept {
  static const std::string kNone;
  return impl_ ? impl_->path : kNone;
}

const detail::Logger& Database::logger() const noexcept {
  static const detail::Logger kQuiet;
  return impl_ ? impl_->logger : kQuiet;
}

sqlite3* Database::raw() const noexcept { return impl_ ? impl_->db : nullptr; }

}  // namespace wechat::store
