// SPDX-License-Identifier: MIT
// ClientStore: full-text search over the cached messages, and the index that trails them.
#include <algorithm>
#include <limits>
#include <string>

#include "client/store/client_store.h"
#include "client/store/client_store_internal.h"
#include "store/transaction.h"

namespace wechat::client {

namespace {

// Characters, not bytes: the trigram tokenizer works on Unicode characters.
std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// `text` as one FTS5 phrase: in double quotes, with inner double quotes doubled, so that no
// user text is ever read as FTS5 query syntax (AND, NEAR, column filters, '*').
std::string fts_phrase(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

Result<std::size_t> ClientStore::index_for_search(std::size_t max_rows) {
  std::lock_guard lock(mu_);
  return index_locked(max_rows);
}

// Messages are inserted with ever larger rowids and never deleted, and their text never
// changes, so "every row above the watermark" is exactly what the index lacks.
Result<std::size_t> ClientStore::index_locked(std::size_t max_rows) {
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(max_rows, std::numeric_limits<std::int64_t>::max()));
  WECHAT_ASSIGN_OR_RETURN(auto tx, store::Transaction::begin(db_));
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t rows = 0;
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("SELECT p.indexed_up_to, (SELECT max(id) FROM (SELECT id "
                                    "FROM messages WHERE id > p.indexed_up_to ORDER BY id "
                                    "LIMIT ?1)), (SELECT count(*) FROM (SELECT id FROM messages "
                                    "WHERE id > p.indexed_up_to LIMIT ?1)) "
                                    "FROM search_progress p WHERE p.id = 1"));
    WECHAT_TRY(st->bind(1, limit));
    WECHAT_ASSIGN_OR_RETURN(const bool row, st->step());
    if (!row) return Status(Error::kStorage, "the search index lost its progress row");
    from = st->int64(0);
    rows = st->int64(2);
    if (rows == 0) return std::size_t{0};
    to = st->int64(1);
  }
  {
    // One statement for the whole range: FTS5 buffers its terms and writes one segment.
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("INSERT INTO message_search (rowid, text) SELECT id, text "
                                    "FROM messages WHERE id > ? AND id <= ? ORDER BY id"));
    WECHAT_TRY(st->run(from, to));
  }
  {
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached("UPDATE search_progress SET indexed_up_to = ? WHERE id = 1"));
    WECHAT_TRY(st->run(to));
  }
  WECHAT_TRY(tx.commit());
  return static_cast<std::size_t>(rows);
}

Result<std::vector<Message>> ClientStore::search(const std::string& text, std::uint32_t limit) {
  std::vector<Message> out;
  const std::size_t length = utf8_length(text);
  if (length == 0 || limit == 0) return out;
  std::lock_guard lock(mu_);
  if (length >= 3) {
    // Whatever the index still lacks goes in first, so a search never misses a stored message.
    WECHAT_TRY(index_locked(std::numeric_limits<std::size_t>::max()).status());
    // The trigram index; the tokenizer folds case, so "HELLO" finds "hello".
    WECHAT_ASSIGN_OR_RETURN(
        auto st, db_.prepare_cached(std::string(internal::kMessageSelect) +
                                    "WHERE m.id IN (SELECT rowid FROM message_search WHERE "
                                    "message_search MATCH ?) "
                                    "ORDER BY m.time_ms DESC, m.id DESC LIMIT ?"));
    WECHAT_TRY(st->bind_all(fts_phrase(text), limit));
    WECHAT_TRY(internal::read_messages(*st, out));
  } else {
    // Shorter than a trigram: the index cannot serve it (SQLite 3.40 answers MATCH and LIKE with
    // nothing), so scan. lower() folds ASCII only, as the index does for these queries' needs.
    WECHAT_ASSIGN_OR_RETURN(auto st,
                            db_.prepare_cached(std::string(internal::kMessageSelect) +
                                               "WHERE instr(lower(m.text), lower(?)) > 0 "
                                               "ORDER BY m.time_ms DESC, m.id DESC LIMIT ?"));
    WECHAT_TRY(st->bind_all(text, limit));
    WECHAT_TRY(internal::read_messages(*st, out));
  }
  return out;
}

}  // namespace wechat::client
