// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "server/mail/mail_format.h"
#include "server/mail/mailer.h"

namespace wechat::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".eml";
constexpr std::size_t kMaxNameRecipientBytes = 128;

// Process-wide, not per FileMailer: two mailers on one directory in one millisecond still get
// distinct names, numbered in the order they took a number.
std::atomic<std::uint64_t> g_mail_counter{0};

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// The recipient part of a file name. '/' and anything else a shell or a file system might
// mind becomes '_'; the result is never "." or "..", since the name always starts with digits.
std::string name_for_recipient(std::string_view recipient) {
  std::string out;
  for (char c : recipient.substr(0, kMaxNameRecipientBytes)) {
    const char l = ascii_lower(c);
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '@' ||
                      l == '_' || l == '+' || l == '-';
    out += keep ? l : '_';
  }
  return out;
}

Status io_error(std::string_view what, const std::string& path, int error) {
  return Status(Error::kIo, fmt::format("{} {}: {}", what, path,
                                        std::error_code(error, std::generic_category()).message()));
}

// Like `mkdir -p -m 0700`, but existing directories keep their mode: changing the mode of a
// directory the operator chose is not ours to do.
Status ensure_private_directory(const std::string& directory) {
  struct stat st {};
  if (::stat(directory.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return Status(Error::kIo, fmt::format("mail directory {} is not a directory", directory));
  }
  fs::path prefix;
  for (const fs::path& part : fs::path(directory)) {
    prefix /= part;
    if (part.empty()) continue;  // a trailing '/'
    const std::string p = prefix.string();
    if (::mkdir(p.c_str(), 0700) == 0) {
      // The umask may only have removed bits; make sure the owner can use the directory.
      ::chmod(p.c_str(), 0700);
    } else if (errno != EEXIST) {
      return io_error("cannot create mail directory", p, errno);
    }
  }
  return {};
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Readers see the whole file or nothing: the content goes to a hidden temporary name (which
// latest_mail_to never matches, since it does not end in ".eml"), is fsynced, then renamed.
Status write_file_atomically(const std::string& directory, const std::string& name,
                             std::string_view content, const detail::Logger& logger) {
  const std::string final_path = (fs::path(directory) / name).string();
  const std::string temp_path = (fs::path(directory) / ("." + name + ".tmp")).string();
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", temp_path, errno);
  Status status = write_all(fd, content, temp_path);
  // 0600 whatever the umask: a mail holds a code that grants an account.
  if (status.ok() && ::fchmod(fd, 0600) != 0) status = io_error("cannot chmod", temp_path, errno);
  if (status.ok() && ::fsync(fd) != 0) status = io_error("cannot fsync", temp_path, errno);
  if (::close(fd) != 0 && status.ok()) status = io_error("cannot close", temp_path, errno);
  if (status.ok() && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    status = io_error("cannot rename to", final_path, errno);
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  // Make the rename itself durable. The mail is already visible to readers, so a failure here
  // is only logged: reporting it would make the caller send the code again.
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    logger.warn("cannot fsync mail directory {}: {}", directory,
                std::error_code(errno, std::generic_category()).message());
  }
  if (dir_fd >= 0) ::close(dir_fd);
  return {};
}

bool parse_decimal(std::string_view text, std::uint64_t& out) noexcept {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The value of the first `name:` header, before the empty line that ends the headers.
std::string_view header_value(std::string_view mail, std::string_view name) {
  while (!mail.empty()) {
    const auto eol = mail.find('\n');
    std::string_view line = mail.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.size() > name.size() && line[name.size()] == ':' &&
        iequals(line.substr(0, name.size()), name)) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    if (eol == std::string_view::npos) break;
    mail.remove_prefix(eol + 1);
  }
  return {};
}

}  // namespace

FileMailer::FileMailer(std::string directory, std::shared_ptr<const Clock> clock,
                       detail::Logger logger)
    : directory_(std::move(directory)),
      clock_(clock ? std::move(clock) : std::make_shared<const SystemClock>()),
      logger_(std::move(logger)) {}

Status FileMailer::send(const MailMessage& message) {
  WECHAT_TRY(validate_mail_message(message));
  if (directory_.empty()) return Status(Error::kInvalidArgument, "mail directory is empty");
  const UnixMillis now = std::max<UnixMillis>(clock_->now_ms(), 0);
  const std::uint64_t counter = g_mail_counter.fetch_add(1, std::memory_order_relaxed);
  const std::string name =
      fmt::format("{}-{}-{}{}", now, counter, name_for_recipient(message.to), kSuffix);
  const std::string content =
      detail::format_mail(message, kFrom, now, detail::new_message_id("localhost"));
  WECHAT_TRY(ensure_private_directory(directory_));
  WECHAT_TRY(write_file_atomically(directory_, name, content, logger_));
  logger_.info("mail to {} written to {}", message.to, (fs::path(directory_) / name).string());
  return {};
}

Result<std::string> latest_mail_to(const std::string& directory, const std::string& recipient) {
  const Status not_found(Error::kNotFound,
                         fmt::format("no mail to {} in {}", recipient, directory));
  const std::string wanted = name_for_recipient(recipient);

  struct Candidate {
    std::uint64_t millis;
    std::uint64_t counter;
    fs::path path;
  };
  std::vector<Candidate> candidates;
  std::error_code ec;
  fs::directory_iterator it(directory, ec);
  if (ec == std::errc::no_such_file_or_directory) return not_found;
  if (ec) return io_error("cannot list", directory, ec.value());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return io_error("cannot list", directory, ec.value());
    // <millis>-<counter>-<recipient>.eml; the recipient part may itself contain '-'.
    const std::string name = it->path().filename().string();
    const std::string_view view = name;
    if (view.size() <= kSuffix.size() || !view.ends_with(kSuffix)) continue;
    const auto dash1 = view.find('-');
    if (dash1 == std::string_view::npos) continue;
    const auto dash2 = view.find('-', dash1 + 1);
    if (dash2 == std::string_view::npos) continue;
    Candidate c{0, 0, it->path()};
    if (!parse_decimal(view.substr(0, dash1), c.millis) ||
        !parse_decimal(view.substr(dash1 + 1, dash2 - dash1 - 1), c.counter)) {
      continue;
    }
    if (view.substr(dash2 + 1, view.size() - kSuffix.size() - dash2 - 1) != wanted) continue;
    candidates.push_back(std::move(c));
  }
  if (ec) return io_error("cannot list", directory, ec.value());

  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.millis != b.millis ? a.millis > b.millis : a.counter > b.counter;
  });
  for (const Candidate& c : candidates) {
    std::ifstream in(c.path, std::ios::binary);
    if (!in) continue;  // removed since it was listed
    std::ostringstream content;
    content << in.rdbuf();
    std::string mail = std::move(content).str();
    // Distinct addresses can share a file name (see name_for_recipient): To: decides.
    if (iequals(header_value(mail, "To"), recipient)) return mail;
  }
  return not_found;
}

}  // namespace wechat::server
