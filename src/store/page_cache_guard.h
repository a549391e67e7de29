// SPDX-License-Identifier: MIT
#ifndef WECHAT_STORE_PAGE_CACHE_GUARD_H_
#define WECHAT_STORE_PAGE_CACHE_GUARD_H_

namespace wechat::store {

/// Installs, once per process and only if SQLite is not initialised yet, a page cache that is
/// SQLite's default one with a single change: a commit's "drop the pages past the end of the
/// database" call is skipped when no such page can exist. Returns whether it is installed
/// (false if something in the process initialised SQLite first, which costs only speed).
///
/// Why: when a B-tree page splits, SQLite 3.40 swaps new pages' numbers through a temporary
/// number, the database's lock page (page 262,145 with 4 KiB pages). The default cache then
/// believes pages up to that number may exist, and the truncation every commit makes walks its
/// whole hash table (one bucket per cached page) to find none. With the server's 64 MiB cache
/// that walk was 8 % of the server store's time per message (R2, docs/performance.md).
///
/// How it stays exact: the guard keeps an upper bound of the page numbers in each cache (every
/// page the cache creates or is renumbered to, except that temporary number, which the split
/// leaves before it returns) and forwards a truncation only when the bound reaches the limit.
bool install_page_cache_guard();

}  // namespace wechat::store

#endif  // WECHAT_STORE_PAGE_CACHE_GUARD_H_
