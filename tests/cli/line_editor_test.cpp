// SPDX-License-Identifier: MIT
#include "tui/line_editor.h"

#include <doctest/doctest.h>

using namespace wechat::cli::tui;

namespace {
void type(LineEditor& e, const std::wstring& s) {
  for (wchar_t c : s) e.insert(c);
}
}  // namespace

TEST_CASE("line editor: cursor movement, insertion and deletion") {
  LineEditor e;
  type(e, L"helo world");
  CHECK(e.cursor() == 10);
  for (int i = 0; i < 7; ++i) e.left();
  e.insert(L'l');
  CHECK(e.text() == L"hello world");
  e.home();
  e.erase_forward();
  CHECK(e.text() == L"ello world");
  e.end();
  e.backspace();
  CHECK(e.text() == L"ello worl");
  e.right();  // at the end already
  CHECK(e.cursor() == e.text().size());
  e.home();
  e.left();  // at the start already
  CHECK(e.cursor() == 0);
  e.backspace();
  CHECK(e.text() == L"ello worl");
}

TEST_CASE("line editor: ctrl-w deletes the word before the cursor, ctrl-u and ctrl-k kill") {
  LineEditor e;
  type(e, L"/msg bob hello   ");
  e.delete_word_before();
  CHECK(e.text() == L"/msg bob ");
  e.delete_word_before();
  CHECK(e.text() == L"/msg ");
  type(e, L"alice hi");
  for (int i = 0; i < 3; ++i) e.left();
  e.kill_to_end();
  CHECK(e.text() == L"/msg alice");
  e.left();
  e.kill_to_start();
  CHECK(e.text() == L"e");
  CHECK(e.cursor() == 0);
}

TEST_CASE("line editor: history recalls older lines and keeps the draft") {
  LineEditor e;
  type(e, L"first");
  CHECK(e.submit() == L"first");
  type(e, L"second");
  e.submit();
  type(e, L"second");
  e.submit();  // a repeat is kept once
  type(e, L"   ");
  e.submit();  // blank lines are not kept
  CHECK(e.history().size() == 2);
  type(e, L"draft");
  e.history_previous();
  CHECK(e.text() == L"second");
  e.history_previous();
  CHECK(e.text() == L"first");
  e.history_previous();
  CHECK(e.text() == L"first");
  e.history_next();
  e.history_next();
  CHECK(e.text() == L"draft");
  CHECK(e.cursor() == 5);
}

TEST_CASE("line editor: passwords are masked on screen and in history") {
  LineEditor e;
  type(e, L"/login alice s3cret");
  CHECK(e.display() == L"/login alice ******");
  CHECK(e.text() == L"/login alice s3cret");
  CHECK(e.submit() == L"/login alice s3cret");
  REQUIRE(e.history().size() == 1);
  CHECK(e.history()[0] == L"/login alice ******");
  type(e, L"/register 张三 z@x.cn 密码密码 123456");
  CHECK(e.display() == L"/register 张三 z@x.cn **** 123456");
}

TEST_CASE("line editor: tab completes commands and friend names") {
  const std::vector<std::wstring> commands = {L"/friends", L"/find", L"/help", L"/history"};
  const std::vector<std::wstring> names = {L"alice", L"albert", L"bob"};
  LineEditor e;
  type(e, L"/he");
  CHECK(e.complete(commands, names).size() == 1);
  CHECK(e.text() == L"/help ");
  e.submit();
  type(e, L"/f");
  CHECK(e.complete(commands, names).size() == 2);
  CHECK(e.text() == L"/f");
  e.insert(L'i');
  CHECK(e.complete(commands, names).size() == 1);
  CHECK(e.text() == L"/find ");
  e.submit();
  type(e, L"/msg b");
  e.complete(commands, names);
  CHECK(e.text() == L"/msg bob ");
  e.submit();
  type(e, L"/open al");
  CHECK(e.complete(commands, names).size() == 2);
  CHECK(e.text() == L"/open al");
  e.submit();
  type(e, L"zzz");
  CHECK(e.complete(commands, names).empty());
  CHECK(e.text() == L"zzz");
}

TEST_CASE("line editor: the word under the cursor is counted, for completing subcommands") {
  LineEditor e;
  CHECK(e.word_index() == 0);
  type(e, L"/group");
  CHECK(e.word_index() == 0);
  type(e, L" ");
  CHECK(e.word_index() == 1);
  type(e, L"cr");
  CHECK(e.word_index() == 1);
  CHECK(e.complete({L"/group"}, {L"create", L"invite"}).size() == 1);
  CHECK(e.text() == L"/group create ");
  CHECK(e.word_index() == 2);
  type(e, L"hiking  b");
  CHECK(e.word_index() == 3);
  e.home();
  CHECK(e.word_index() == 0);
}
