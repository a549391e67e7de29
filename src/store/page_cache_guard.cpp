// SPDX-License-Identifier: MIT
#include "store/page_cache_guard.h"

#include <sqlite3.h>

#include <new>

namespace wechat::store {
namespace {

// SQLite's default page cache, which every call below forwards to.
sqlite3_pcache_methods2 inner{};

// SQLite's lock page, PENDING_BYTE (1 GiB) / page size + 1: the number balance_nonroot()
// parks a page under while it swaps two new pages' numbers.
unsigned swap_key(int page_size) {
  return page_size > 0 ? 0x40000000u / static_cast<unsigned>(page_size) + 1 : 0;
}

struct Cache {
  sqlite3_pcache* inner;
  unsigned swap_key;
  unsigned max_key = 0;  // No page with a larger number is in the cache.
};

Cache* cache(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

int init(void*) { return inner.xInit(inner.pArg); }
void shutdown(void*) {
  if (inner.xShutdown != nullptr) inner.xShutdown(inner.pArg);
}

sqlite3_pcache* create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* made = inner.xCreate(page_size, extra_size, purgeable);
  if (made == nullptr) return nullptr;
  auto* c = new (std::nothrow) Cache{made, swap_key(page_size)};
  if (c == nullptr) {
    inner.xDestroy(made);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void cache_size(sqlite3_pcache* p, int pages) { inner.xCachesize(cache(p)->inner, pages); }
int page_count(sqlite3_pcache* p) { return inner.xPagecount(cache(p)->inner); }

sqlite3_pcache_page* fetch(sqlite3_pcache* p, unsigned key, int create_flag) {
  Cache* c = cache(p);
  sqlite3_pcache_page* page = inner.xFetch(c->inner, key, create_flag);
  // A fetch that may create is counted whether it created or found: the bound only needs to
  // be an upper one.
  if (page != nullptr && create_flag != 0 && key > c->max_key) c->max_key = key;
  return page;
}

void unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  inner.xUnpin(cache(p)->inner, page, discard);
}

void rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = cache(p);
  inner.xRekey(c->inner, page, old_key, new_key);
  // The swap number is left again within the same balance_nonroot() call, before any
  // truncation could run.
  if (new_key != c->swap_key && new_key > c->max_key) c->max_key = new_key;
}

void truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = cache(p);
  if (limit > c->max_key) return;  // Nothing at or past `limit` to drop.
  inner.xTruncate(c->inner, limit);
  c->max_key = limit > 0 ? limit - 1 : 0;
}

void destroy(sqlite3_pcache* p) {
  Cache* c = cache(p);
  inner.xDestroy(c->inner);
  delete c;
}

void shrink(sqlite3_pcache* p) { inner.xShrink(cache(p)->inner); }

}  // namespace

bool install_page_cache_guard() {
  static const bool installed = [] {
    // Both calls fail (SQLITE_MISUSE) once SQLite is initialised: then the default stays.
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK) return false;
    if (inner.xInit == nullptr || inner.xFetch == nullptr) return false;
    static sqlite3_pcache_methods2 guard{};
    guard.iVersion = 1;
    guard.pArg = nullptr;
    guard.xInit = init;
    guard.xShutdown = shutdown;
    guard.xCreate = create;
    guard.xCachesize = cache_size;
    guard.xPagecount = page_count;
    guard.xFetch = fetch;
    guard.xUnpin = unpin;
    guard.xRekey = rekey;
    guard.xTruncate = truncate;
    guard.xDestroy = destroy;
    guard.xShrink = inner.xShrink != nullptr ? shrink : nullptr;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &guard) == SQLITE_OK;
  }();
  return installed;
}

}  // namespace wechat::store
