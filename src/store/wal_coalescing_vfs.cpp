// SPDX-License-Identifier: MIT
#include "store/wal_coalescing_vfs.h"

#include <sqlite3.h>

#include <cstddef>
#include <new>
#include <vector>

namespace wechat::store {
namespace {

constexpr std::size_t kFrameHeaderBytes = 24;
// The unix VFS writes at most 0x1ffff bytes per call (seekAndWriteFd masks the length), so a
// larger commit goes out in pieces of about 128 KiB, 31 frames of a 4 KiB page each.
constexpr std::size_t kMaxBuffered = 0x1ffff;

sqlite3_vfs* base_vfs = nullptr;

// Lives in the memory SQLite allocates for a WAL file (szOsFile bytes), followed by the default
// VFS's own file object, to which every call is forwarded.
struct WalFile {
  sqlite3_file base;  // Must be first: SQLite sees a WalFile as a sqlite3_file.
  sqlite3_file* real;
  std::vector<unsigned char> buffer;
  sqlite3_int64 buffer_offset = 0;  // Where buffer[0] goes in the file.
  bool commit_frame_next = false;   // The last write was a commit frame's header.
};

constexpr std::size_t real_file_offset() {
  return (sizeof(WalFile) + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);
}

WalFile* wal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }

int flush(WalFile* f) {
  if (f->buffer.empty()) return SQLITE_OK;
  const int rc = f->real->pMethods->xWrite(f->real, f->buffer.data(),
                                           static_cast<int>(f->buffer.size()), f->buffer_offset);
  f->buffer.clear();
  return rc;
}

int wal_close(sqlite3_file* file) {
  WalFile* f = wal(file);
  // Anything still buffered belongs to a transaction that never committed; write it anyway, so
  // that the file is what SQLite believes it wrote.
  flush(f);
  // open_file() installs these methods only once the default VFS's file is open.
  const int rc = f->real->pMethods->xClose(f->real);
  f->~WalFile();
  return rc;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile* f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, out, amount, offset);
}

bool is_commit_frame_header(const void* data, int amount) {
  if (amount != static_cast<int>(kFrameHeaderBytes)) return false;
  // Bytes 4-7: the database size in pages after a commit, zero in every other frame.
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile* f = wal(file);
  const auto size = static_cast<std::size_t>(amount);
  const bool contiguous = offset == f->buffer_offset + static_cast<sqlite3_int64>(f->buffer.size());
  if (!f->buffer.empty() && (!contiguous || f->buffer.size() + size > kMaxBuffered)) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  const bool ends_commit = f->commit_frame_next;
  f->commit_frame_next = is_commit_frame_header(data, amount);
  if (size > kMaxBuffered) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  if (f->buffer.empty()) f->buffer_offset = offset;
  const auto* bytes = static_cast<const unsigned char*>(data);
  f->buffer.insert(f->buffer.end(), bytes, bytes + size);
  // The commit frame's page is the commit's last write: after it returns, SQLite makes the
  // commit visible to other connections, so the frames must be in the OS by then.
  return ends_commit ? flush(f) : SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  WalFile* f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

// Everything else is the default VFS's, unchanged. SQLite uses a WAL file's shared-memory and
// memory-map methods never (those belong to the database file), so version 1 is all it offers.
int wal_lock(sqlite3_file* file, int level) {
  return wal(file)->real->pMethods->xLock(wal(file)->real, level);
}
int wal_unlock(sqlite3_file* file, int level) {
  return wal(file)->real->pMethods->xUnlock(wal(file)->real, level);
}
int wal_check_reserved_lock(sqlite3_file* file, int* out) {
  return wal(file)->real->pMethods->xCheckReservedLock(wal(file)->real, out);
}
int wal_file_control(sqlite3_file* file, int op, void* arg) {
  return wal(file)->real->pMethods->xFileControl(wal(file)->real, op, arg);
}
int wal_sector_size(sqlite3_file* file) {
  return wal(file)->real->pMethods->xSectorSize(wal(file)->real);
}
int wal_device_characteristics(sqlite3_file* file) {
  return wal(file)->real->pMethods->xDeviceCharacteristics(wal(file)->real);
}

const sqlite3_io_methods kWalMethods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved_lock,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int open_file(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a log: the default VFS's file, in place (our szOsFile is larger than its).
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  }
  auto* f = new (file) WalFile{};
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset());
  f->real->pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
  // SQLite calls xClose if and only if pMethods is set, even when xOpen failed.
  if (f->real->pMethods != nullptr) {
    f->base.pMethods = &kWalMethods;
  } else {
    f->~WalFile();
  }
  return rc;
}

int delete_file(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}
void* dl_open(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void dl_error(sqlite3_vfs*, int size, char* out) { base_vfs->xDlError(base_vfs, size, out); }
void (*dl_sym(sqlite3_vfs*, void* handle, const char* symbol))() {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void dl_close(sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); }
int randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}
int sleep_for(sqlite3_vfs*, int micros) { return base_vfs->xSleep(base_vfs, micros); }
int current_time(sqlite3_vfs*, double* out) { return base_vfs->xCurrentTime(base_vfs, out); }
int last_error(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError(base_vfs, size, out);
}
int current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}
int set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr call) {
  return base_vfs->xSetSystemCall(base_vfs, name, call);
}
sqlite3_syscall_ptr get_system_call(sqlite3_vfs*, const char* name) {
  return base_vfs->xGetSystemCall(base_vfs, name);
}
const char* next_system_call(sqlite3_vfs*, const char* name) {
  return base_vfs->xNextSystemCall(base_vfs, name);
}

sqlite3_vfs vfs{};

const char* register_vfs() {
  if (sqlite3_initialize() != SQLITE_OK) return nullptr;
  base_vfs = sqlite3_vfs_find(nullptr);
  // Version 3 has every method forwarded below (the unix and win32 VFSes are version 3).
  if (base_vfs == nullptr || base_vfs->iVersion < 3) return nullptr;
  vfs.iVersion = 3;
  vfs.szOsFile = static_cast<int>(real_file_offset()) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = "wechat-wal-coalescing";
  vfs.xOpen = open_file;
  vfs.xDelete = delete_file;
  vfs.xAccess = access;
  vfs.xFullPathname = full_pathname;
  vfs.xDlOpen = dl_open;
  vfs.xDlError = dl_error;
  vfs.xDlSym = dl_sym;
  vfs.xDlClose = dl_close;
  vfs.xRandomness = randomness;
  vfs.xSleep = sleep_for;
  vfs.xCurrentTime = current_time;
  vfs.xGetLastError = last_error;
  vfs.xCurrentTimeInt64 = current_time_int64;
  vfs.xSetSystemCall = set_system_call;
  vfs.xGetSystemCall = get_system_call;
  vfs.xNextSystemCall = next_system_call;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return vfs.zName;
}

}  // namespace

const char* wal_coalescing_vfs_name() {
  static const char* const name = register_vfs();
  return name;
}

}  // namespace wechat::store
