// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/mail/mailer.h"

namespace fs = std::filesystem;
using wechat::Error;
using wechat::ManualClock;
using wechat::server::FileMailer;
using wechat::server::latest_mail_to;
using wechat::server::MailMessage;
using wechat::server::verification_mail_body;
using wechat::server::verification_mail_subject;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wechat-mail-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<std::string> file_names(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

MailMessage code_mail(const std::string& to, const std::string& code) {
  return {to, verification_mail_subject("register"), verification_mail_body(code, "register", 10)};
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// "<32 lowercase hex digits@domain>"
bool is_message_id(std::string_view id, std::string_view domain) {
  if (id.size() != 35 + domain.size() || id.front() != '<' || id.back() != '>') return false;
  if (id.substr(1, 32).find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return false;
  return id.substr(33, 1 + domain.size()) == "@" + std::string(domain);
}

// The value of header `name` in `mail`, or "" when absent.
std::string header(const std::string& mail, const std::string& name) {
  const std::string key = "\r\n" + name + ": ";
  const auto start = mail.find(key);
  if (start == std::string::npos) return "";
  const auto value = start + key.size();
  return mail.substr(value, mail.find("\r\n", value) - value);
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777u;
}

}  // namespace

TEST_CASE("file mailer: a mail becomes one readable file that holds the code") {
  TempDir tmp;
  const std::string dir = tmp.sub("mail");
  auto clock = std::make_shared<ManualClock>(1'700'000'000'000);
  FileMailer mailer(dir, clock);

  REQUIRE(mailer.send(code_mail("alice@example.com", "482913")).ok());

  const auto names = file_names(dir);
  REQUIRE(names.size() == 1);  // and no temporary file left behind
  const std::string_view name = names[0];
  const std::string_view prefix = "1700000000000-";
  const std::string_view suffix = "-alice@example.com.eml";
  CHECK(name.starts_with(prefix));
  CHECK(name.ends_with(suffix));
  CHECK(all_digits(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size())));

  auto mail = latest_mail_to(dir, "alice@example.com");
  REQUIRE(mail.ok());
  CHECK(mail->find("    482913\r\n") != std::string::npos);
  CHECK(mail->starts_with("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
  CHECK(mail->find("\r\nFrom: libwechat <no-reply@localhost>\r\n") != std::string::npos);
  CHECK(mail->find("\r\nTo: alice@example.com\r\n") != std::string::npos);
  CHECK(mail->find("\r\nSubject: Your verification code\r\n") != std::string::npos);
  CHECK(mail->find("\r\nContent-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  CHECK(mail->find("\r\nMIME-Version: 1.0\r\n") != std::string::npos);
  CHECK(is_message_id(header(*mail, "Message-ID"), "localhost"));
  CHECK(mail->find("\r\n\r\nYour verification code is:") != std::string::npos);
}

TEST_CASE("file mailer: of two mails to one recipient, latest_mail_to returns the newer") {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  auto clock = std::make_shared<ManualClock>();
  FileMailer mailer(dir, clock);

  SUBCASE("sent in the same millisecond") {
    REQUIRE(mailer.send(code_mail("bob@example.com", "111111")).ok());
    REQUIRE(mailer.send(code_mail("bob@example.com", "222222")).ok());
  }
  SUBCASE("sent later by another mailer on the same directory") {
    REQUIRE(mailer.send(code_mail("bob@example.com", "111111")).ok());
    clock->advance_ms(1);
    FileMailer other(dir, clock);
    REQUIRE(other.send(code_mail("bob@example.com", "222222")).ok());
  }
  REQUIRE(mailer.send(code_mail("carol@example.com", "333333")).ok());

  auto mail = latest_mail_to(dir, "bob@example.com");
  REQUIRE(mail.ok());
  CHECK(mail->find("222222") != std::string::npos);
  CHECK(mail->find("111111") == std::string::npos);
  // Addresses are matched ignoring case, like the store's lowercased emails.
  auto upper = latest_mail_to(dir, "Bob@Example.COM");
  REQUIRE(upper.ok());
  CHECK(*upper == *mail);
}

TEST_CASE("file mailer: the newest file is chosen by time first, then by counter") {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  // As if written by two processes: the later one restarted its counter.
  const auto write = [&](const std::string& name, const std::string& code) {
    FILE* f = std::fopen((tmp.path() / name).c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string content = "To: dave@example.com\r\n\r\ncode " + code + "\r\n";
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  };
  write("1700000000000-7-dave@example.com.eml", "old");
  write("1700000000001-0-dave@example.com.eml", "new");
  write("999999999999-99-dave@example.com.eml", "older");  // fewer digits: numeric, not text order
  write(".1700000000002-0-dave@example.com.eml.tmp", "unfinished");

  auto mail = latest_mail_to(dir, "dave@example.com");
  REQUIRE(mail.ok());
  CHECK(mail->find("code new") != std::string::npos);
}

TEST_CASE("file mailer: files are mode 0600 and a missing directory is created 0700") {
  TempDir tmp;
  const std::string dir = tmp.sub("not/yet/there");
  FileMailer mailer(dir);
  REQUIRE(mailer.send(code_mail("erin@example.com", "555555")).ok());

  CHECK(mode_of(dir) == 0700u);
  CHECK(mode_of(tmp.sub("not/yet")) == 0700u);
  const auto names = file_names(dir);
  REQUIRE(names.size() == 1);
  CHECK(mode_of((fs::path(dir) / names[0]).string()) == 0600u);
}

TEST_CASE("file mailer: header injection is refused and nothing is written") {
  TempDir tmp;
  const std::string dir = tmp.sub("mail");
  FileMailer mailer(dir);
  const std::string body = verification_mail_body("123456", "reset", 10);

  const std::vector<MailMessage> refused = {
      {"alice@example.com\r\nBcc: eve@example.com", "Code", body},
      {"alice@example.com\nBcc: eve@example.com", "Code", body},
      {"alice@example.com", "Code\r\nBcc: eve@example.com", body},
      {"alice@example.com", "Code\nBcc: eve@example.com", body},
      {"alice@example.com", "Code\rBcc: eve@example.com", body},
      {"alice@example.com, eve@example.com", "Code", body},
      {"Alice <alice@example.com>", "Code", body},
      {"alice@example.com>\r\nRCPT TO:<eve@example.com", "Code", body},
      {"", "Code", body},
  };
  for (const MailMessage& m : refused) {
    CAPTURE(m.to);
    CAPTURE(m.subject);
    const auto status = mailer.send(m);
    CHECK(status.code() == Error::kInvalidArgument);
  }
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("file mailer: latest_mail_to says kNotFound when there is no such mail") {
  TempDir tmp;
  CHECK(latest_mail_to(tmp.sub("missing"), "alice@example.com").code() == Error::kNotFound);

  FileMailer mailer(tmp.path().string());
  REQUIRE(mailer.send(code_mail("alice@example.com", "123456")).ok());
  CHECK(latest_mail_to(tmp.path().string(), "bob@example.com").code() == Error::kNotFound);
  CHECK(latest_mail_to(tmp.path().string(), "alice@example.co").code() == Error::kNotFound);
}

TEST_CASE("file mailer: addresses that share a file name are told apart by the To header") {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  FileMailer mailer(dir);
  // '/' is legal in an address but not in a file name: both become "a_b@example.com".
  REQUIRE(mailer.send(code_mail("a/b@example.com", "101010")).ok());
  REQUIRE(mailer.send(code_mail("a_b@example.com", "202020")).ok());

  auto slash = latest_mail_to(dir, "a/b@example.com");
  REQUIRE(slash.ok());
  CHECK(slash->find("101010") != std::string::npos);
  auto underscore = latest_mail_to(dir, "a_b@example.com");
  REQUIRE(underscore.ok());
  CHECK(underscore->find("202020") != std::string::npos);
}

TEST_CASE("file mailer: concurrent sends from several threads each write their own file") {
  TempDir tmp;
  const std::string dir = tmp.path().string();
  FileMailer mailer(dir, std::make_shared<ManualClock>());  // one millisecond for all
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!mailer.send(code_mail("frank@example.com", std::to_string(100000 + t * 100 + i)))
                 .ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int f : failures) CHECK(f == 0);
  const auto names = file_names(dir);
  CHECK(names.size() == kThreads * kEach);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
}
