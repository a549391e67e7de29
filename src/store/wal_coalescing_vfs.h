// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_WAL_COALESCING_VFS_H_
#define WECHAT_STORE_WAL_COALESCING_VFS_H_

namespace wechat::store {

/// The name of a SQLite VFS that is the platform's default VFS in every respect but one: a
/// transaction's appends to a write-ahead log reach the OS as one write per commit instead of
/// two per page. Registered (not as the default) on the first call; null if SQLite has no
/// default VFS to wrap, in which case callers open with the default.
///
/// Why: SQLite writes each WAL frame as two writes, the 24-byte frame header and then the page,
/// so a commit of N pages costs 2N system calls and touches each page-cache page about three
/// times (a 4,120-byte frame straddles two 4 KiB pages). On the server's send path that was
/// most of the commit's cost (15.5 pwrites per message at 5,000 msg/s; docs/performance.md).
///
/// What it keeps: the file's contents as every reader sees them. Contiguous writes to a WAL file
/// are held in memory and written together, and the buffer is written out before anything that
/// could observe the file: a read, a sync, a truncate, a size query, a close, a write somewhere
/// else, and the end of a commit's frames. The end of a commit is the page that follows a
/// frame header whose commit field (the database size after the commit) is non-zero; SQLite
/// publishes a commit in the shared WAL index only after that write returns, so no other
/// connection can see a frame before it is in the OS, and a write error fails the commit the
/// way an unbuffered one would. A process that dies before that point loses frames of a
/// transaction that had not committed, exactly as SQLite's recovery would discard them.
/// Non-WAL files (the database, journals) are the default VFS's own, untouched.
const char* wal_coalescing_vfs_name();

}  // namespace wechat::store

#endif  // WECHAT_STORE_WAL_COALESCING_VFS_H_
