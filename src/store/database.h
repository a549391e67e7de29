// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_DATABASE_H_
#define WECHAT_STORE_DATABASE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/logger.h"
#include "store/statement.h"
#include "wechat/status.h"

struct sqlite3;

namespace wechat::store {

/// How `Database::open` opens and configures a connection.
struct OpenOptions {
  /// Create the file if it is missing. The directory must exist either way.
  /// Default: true. Ignored when read_only.
  bool create = true;

  /// Switch the file to write-ahead logging (readers do not block the writer, and a commit is
  /// one append). `open` fails if a file database does not end up in WAL mode. When false the
  /// journal mode is left as the file has it ("delete" for a new file). In-memory databases
  /// have no WAL and ignore this. Default: true. Ignored when read_only.
  bool wal = true;

  /// PRAGMA synchronous. kNormal with WAL is crash-safe (a power loss may undo the last
  /// commits, never corrupt); kFull also survives power loss. Default: kNormal.
  enum class Sync { kOff, kNormal, kFull } synchronous = Sync::kNormal;

  /// How long a statement waits for another connection's lock before failing with
  /// kUnavailable. Default: 5 s.
  std::chrono::milliseconds busy_timeout{5000};

  /// Open read-only: every write fails with kStorage. Default: false.
  bool read_only = false;

  /// Upper bound of SQLite's page cache for this connection, in KiB; 0 keeps SQLite's default
  /// (2 MiB). A server that reads its hot pages through the OS cache pays a pread per page.
  std::size_t cache_kib = 0;

  /// Most statements `prepare_cached` keeps (least recently used evicted first); 0 disables
  /// the cache. Default: 64.
  std::size_t statement_cache_capacity = 64;

  /// Where open and migrate report what they did. Default: drops everything.
  detail::Logger logger;
};

/// One SQLite connection, configured for the stores: WAL, foreign_keys=ON, a busy timeout, and
/// a bounded cache of prepared statements. Closed on destruction (statements still held by the
/// caller keep the connection alive until they are finalized: sqlite3_close_v2).
///
/// Errors, from every fallible call here, in Statement and in Transaction (sqlite_error.h):
/// kAlreadyExists for a UNIQUE or PRIMARY KEY violation, kUnavailable when the database stayed
/// locked past the busy timeout, kStorage for everything else SQLite reports. Messages carry
/// sqlite3_errmsg and the extended result code.
///
/// @par Thread Safety
/// A Database, with its statements and transactions, is used by one thread at a time: it is
/// opened with SQLITE_OPEN_NOMUTEX, so SQLite does not lock it and callers must not share it
/// without their own synchronisation. Distinct Database objects (even on the same file) may
/// be used from different threads at once; SQLite's file locks order their writes.
///
/// @code
///   OpenOptions options;
///   WECHAT_ASSIGN_OR_RETURN(Database db, Database::open(dir + "/client.db", options));
///   WECHAT_TRY(migrate(db, kClientMigrations));
///   WECHAT_ASSIGN_OR_RETURN(CachedStatement insert,
///                           db.prepare_cached("INSERT INTO contacts(id, name) VALUES(?, ?)"));
///   WECHAT_TRY(insert->run(user_id, name));
/// @endcode
class Database {
 public:
  /// Opens (and, with options.create, creates) the database at `path`; ":memory:" opens a
  /// private in-memory database. Never creates directories.
  /// Errors: kStorage when the directory does not exist, the file is missing and !create, the
  /// file is not a database, or WAL could not be enabled; kUnavailable when another connection
  /// held a lock past the busy timeout while the connection was being configured.
  [[nodiscard]] static Result<Database> open(const std::string& path,
                                             const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// Runs `sql`, which may hold several statements separated by ';' (a schema script); rows
  /// they return are discarded. Stops at the first failing statement; those before it stay
  /// applied unless a Transaction around the call rolls them back.
  [[nodiscard]] Status exec(std::string_view sql);

  /// Prepares one statement for the caller to own. Errors: kStorage for invalid SQL (the message
  /// has SQLite's reason and the SQL); kInvalidArgument when `sql` holds no statement or more
  /// than one.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);

  /// Lends the cached statement for `sql` (the cache is keyed by the exact text), preparing
  /// and caching it on first use, so hot paths do not parse SQL again. The handle resets the
  /// statement and returns it to the cache on destruction. When that SQL's statement is lent
  /// out already, or the cache is full of lent statements, a private one-off is returned
  /// instead (see CachedStatement::from_cache): the cache never grows past its capacity.
  /// Errors: as prepare.
  [[nodiscard]] Result<CachedStatement> prepare_cached(std::string_view sql);

  /// The rowid of the most recent successful INSERT on this connection (0 if none).
  std::int64_t last_insert_rowid() const noexcept;
  /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  int changes() const noexcept;
  /// True between BEGIN and COMMIT/ROLLBACK (i.e. not in autocommit mode).
  bool in_transaction() const noexcept;
  /// The extended result code of the most recent failed call (e.g. SQLITE_CONSTRAINT_UNIQUE,
  /// 2067), for the rare caller that needs more than the Error code.
  int last_extended_error_code() const noexcept;
  /// How many statements the cache holds now (at most the capacity).
  std::size_t cached_statement_count() const noexcept;

  /// The path given to open.
  const std::string& path() const noexcept;
  /// The logger from OpenOptions.
  const detail::Logger& logger() const noexcept;
  /// The connection, for the rare call this class does not wrap. The Database keeps ownership.
  sqlite3* raw() const noexcept;

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl) noexcept;

  // Stable across moves of the Database, so lent statements and their cache flags stay valid.
  std::unique_ptr<Impl> impl_;
};

}  // namespace wechat::store

#endif  // WECHAT_STORE_DATABASE_H_
