// SPDX-License-Identifier: MIT
#include "store/statement.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

using wechat::Error;
using wechat::Status;
using wechat::store::Blob;
using wechat::store::Database;
using wechat::store::Statement;

namespace {

Database memory_db() {
  auto db = Database::open(":memory:", {});
  REQUIRE(db.ok());
  REQUIRE(db->exec("CREATE TABLE v(id INTEGER PRIMARY KEY, x)").ok());
  return std::move(db).value();
}

// Inserts `value` as row `id` and leaves `read` on that row, with typeof(x) in column 1.
template <typename T>
void round_trip(Database& db, std::int64_t id, const T& value, Statement& read) {
  auto insert = db.prepare("INSERT INTO v(id, x) VALUES(?, ?)");
  REQUIRE(insert.ok());
  Status s = insert->run(id, value);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  auto select = db.prepare("SELECT x, typeof(x) FROM v WHERE id = ?");
  REQUIRE(select.ok());
  read = std::move(select).value();
  REQUIRE(read.bind(1, id).ok());
  auto row = read.step();
  REQUIRE(row.ok());
  REQUIRE(*row);
}

}  // namespace

TEST_CASE("store: integers round-trip at the int64 limits and uint64 up to INT64_MAX") {
  Database db = memory_db();
  Statement read;
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();

  round_trip(db, 1, kMin, read);
  CHECK(read.int64(0) == kMin);
  CHECK(read.text(1) == "integer");
  round_trip(db, 2, kMax, read);
  CHECK(read.int64(0) == kMax);
  round_trip(db, 3, -7, read);  // int
  CHECK(read.int64(0) == -7);
  round_trip(db, 4, static_cast<std::uint64_t>(kMax), read);
  CHECK(read.int64(0) == kMax);
  round_trip(db, 5, true, read);
  CHECK(read.int64(0) == 1);
  round_trip(db, 6, static_cast<std::uint32_t>(4'000'000'000u), read);
  CHECK(read.int64(0) == 4'000'000'000);
}

TEST_CASE("store: a uint64 above INT64_MAX is refused with kInvalidArgument") {
  Database db = memory_db();
  auto insert = db.prepare("INSERT INTO v(id, x) VALUES(?, ?)");
  REQUIRE(insert.ok());
  const std::uint64_t too_big =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
  Status s = insert->run(1, too_big);
  CHECK(s.code() == Error::kInvalidArgument);
  CHECK(insert->bind(2, std::numeric_limits<std::uint64_t>::max()).code() ==
        Error::kInvalidArgument);
  auto count = db.prepare("SELECT count(*) FROM v");
  REQUIRE(count.ok());
  auto n = count->query_int64();
  REQUIRE(n.ok());
  CHECK(*n == 0);  // Nothing was written.
}

TEST_CASE("store: doubles, UTF-8 text and blobs with NUL bytes round-trip") {
  Database db = memory_db();
  Statement read;

  round_trip(db, 1, 3.25, read);
  CHECK(read.real(0) == 3.25);
  CHECK(read.text(1) == "real");

  const std::string chinese = "你好，世界 🌏";
  round_trip(db, 2, std::string_view(chinese), read);
  CHECK(read.text(0) == chinese);
  CHECK(read.text(1) == "text");

  round_trip(db, 3, chinese, read);  // const std::string&
  CHECK(read.text(0) == chinese);

  round_trip(db, 4, "plain literal", read);  // const char*, not bool
  CHECK(read.text(0) == "plain literal");
  CHECK(read.text(1) == "text");

  const std::string bytes("\0a\0b\xff\0", 6);
  round_trip(db, 5, Blob{bytes}, read);
  CHECK(read.blob(0) == bytes);
  CHECK(read.blob(0).size() == 6);
  CHECK(read.text(1) == "blob");

  // An empty blob or text is empty, not NULL (SQLite binds NULL for a null data pointer).
  round_trip(db, 6, Blob{std::string_view()}, read);
  CHECK_FALSE(read.is_null(0));
  CHECK(read.blob(0).empty());
  CHECK(read.text(1) == "blob");
  round_trip(db, 7, std::string_view(), read);
  CHECK_FALSE(read.is_null(0));
  CHECK(read.text(0).empty());
  CHECK(read.text(1) == "text");
}

TEST_CASE("store: NULL binds from nullptr, nullopt and an empty optional") {
  Database db = memory_db();
  Statement read;

  round_trip(db, 1, nullptr, read);
  CHECK(read.is_null(0));
  CHECK(read.text(1) == "null");
  round_trip(db, 2, std::nullopt, read);
  CHECK(read.is_null(0));
  round_trip(db, 3, std::optional<std::int64_t>(), read);
  CHECK(read.is_null(0));
  round_trip(db, 4, static_cast<const char*>(nullptr), read);
  CHECK(read.is_null(0));

  round_trip(db, 5, std::optional<std::int64_t>(12), read);
  CHECK_FALSE(read.is_null(0));
  CHECK(read.int64(0) == 12);
  round_trip(db, 6, std::optional<std::string>("文本"), read);
  CHECK(read.text(0) == "文本");
}

TEST_CASE("store: bind_all checks the number of values and bind the parameter index") {
  Database db = memory_db();
  auto insert = db.prepare("INSERT INTO v(id, x) VALUES(?, ?)");
  REQUIRE(insert.ok());
  CHECK(insert->bind_all(1).code() == Error::kInvalidArgument);
  CHECK(insert->bind_all(1, 2, 3).code() == Error::kInvalidArgument);
  CHECK(insert->bind(3, 1).code() == Error::kInvalidArgument);
  CHECK(insert->bind(0, 1).code() == Error::kInvalidArgument);
  CHECK(insert->bind_all(1, "one").ok());
  auto row = insert->step();
  REQUIRE(row.ok());
  CHECK_FALSE(*row);
  insert->reset();
  // After reset the bindings are NULL again: id NULL picks a fresh rowid.
  REQUIRE(insert->run().ok());
  CHECK(db.last_insert_rowid() == 2);
}

TEST_CASE("store: step reports rows then done, and query_int64 reads one value") {
  Database db = memory_db();
  REQUIRE(db.exec("INSERT INTO v VALUES (1, 10), (2, 20), (3, NULL)").ok());
  auto select = db.prepare("SELECT id, x FROM v WHERE id >= ? ORDER BY id");
  REQUIRE(select.ok());
  CHECK(select->column_count() == 2);
  REQUIRE(select->bind(1, 2).ok());
  auto row = select->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  CHECK(select->int64(0) == 2);
  CHECK(select->int64(1) == 20);
  row = select->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  CHECK(select->is_null(1));
  row = select->step();
  REQUIRE(row.ok());
  CHECK_FALSE(*row);

  auto x_of = db.prepare("SELECT x FROM v WHERE id = ?");
  REQUIRE(x_of.ok());
  auto ten = x_of->query_int64(1);
  REQUIRE(ten.ok());
  CHECK(*ten == std::optional<std::int64_t>(10));
  auto null_value = x_of->query_int64(3);
  REQUIRE(null_value.ok());
  CHECK_FALSE(null_value->has_value());
  auto no_row = x_of->query_int64(99);
  REQUIRE(no_row.ok());
  CHECK_FALSE(no_row->has_value());
  CHECK(x_of->sql() == "SELECT x FROM v WHERE id = ?");
}

TEST_CASE("store: run resets a statement left in the middle of its rows") {
  Database db = memory_db();
  REQUIRE(db.exec("INSERT INTO v VALUES (1, 10), (2, 20)").ok());
  auto select = db.prepare("SELECT x FROM v WHERE id >= ? ORDER BY id");
  REQUIRE(select.ok());
  auto first = select->query_int64(1);
  REQUIRE(first.ok());
  CHECK(*first == 10);
  REQUIRE(select->bind(1, 1).ok());
  auto row = select->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  auto second = select->query_int64(2);  // Mid-iteration: rewinds before binding.
  REQUIRE(second.ok());
  CHECK(*second == 20);
}

TEST_CASE("store: an empty statement reports kInternal instead of crashing") {
  Statement empty;
  CHECK_FALSE(empty.valid());
  CHECK(empty.step().code() == Error::kInternal);
  CHECK(empty.bind(1, 1).code() == Error::kInternal);
  CHECK(empty.run().code() == Error::kInternal);
  empty.reset();
}
