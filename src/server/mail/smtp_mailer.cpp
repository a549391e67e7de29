// SPDX-License-Identifier: MIT
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "server/mail/mail_format.h"
#include "server/mail/mailer.h"

namespace wechat::server {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// curl_global_init must run once before any other curl call and, before curl 7.84, is not
// thread-safe; a function-local static gives exactly-once initialisation on any thread. There
// is deliberately no curl_global_cleanup: a mailer may still be sending on a worker thread while
// static destructors run, and the process exit frees everything anyway.
Status curl_ready() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK) {
    return Status(Error::kUnavailable,
                  fmt::format("curl_global_init failed: {}", curl_easy_strerror(result)));
  }
  return {};
}

// The message being uploaded; curl pulls it through read_upload in chunks.
struct Upload {
  std::string_view rest;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

// The server's last 4xx or 5xx reply, for error messages: curl's own text says "RCPT failed:
// 550" but not the server's reason. Only the last error is kept because curl closes with QUIT
// (and its 221) before curl_easy_perform returns. Only server replies are looked at (never what
// we sent, which includes AUTH), reduced to printable ASCII and capped.
int remember_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view text(data, size);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (const auto eol = text.rfind('\n'); eol != std::string_view::npos) text.remove_prefix(eol + 1);
  if (text.size() < 3 || (text[0] != '4' && text[0] != '5')) return 0;
  auto* reply = static_cast<std::string*>(user);
  reply->clear();
  for (char c : text.substr(0, 200)) {
    *reply += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return 0;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

// "host:port" of an smtp:// or smtps:// URL, or why the URL is refused.
Result<std::string> relay_of(std::string_view url) {
  std::size_t scheme_length = 0;
  if (starts_with_ignoring_case(url, "smtp://")) {
    scheme_length = 7;
  } else if (starts_with_ignoring_case(url, "smtps://")) {
    scheme_length = 8;
  } else {
    return Status(Error::kInvalidArgument, "SMTP url must start with smtp:// or smtps://");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
      })) {
    return Status(Error::kInvalidArgument, "SMTP url contains a space or a control character");
  }
  const std::string_view rest = url.substr(scheme_length);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // Credentials in the URL would end up in curl's messages and in our logs.
  if (authority.find('@') != std::string_view::npos) {
    return Status(Error::kInvalidArgument,
                  "SMTP url must not hold credentials: set username and password instead");
  }
  if (authority.empty() || authority.front() == ':') {
    return Status(Error::kInvalidArgument, "SMTP url has no host");
  }
  return std::string(authority);
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

Status SmtpMailer::validate(const SmtpOptions& options) {
  WECHAT_TRY(relay_of(options.url));
  WECHAT_TRY(detail::parse_mailbox(options.from));
  if (options.username.empty() && !options.password.empty()) {
    return Status(Error::kInvalidArgument, "SMTP password given without a username");
  }
  if (options.timeout.count() <= 0) {
    return Status(Error::kInvalidArgument, "SMTP timeout must be positive");
  }
  return {};
}

SmtpMailer::SmtpMailer(SmtpOptions options, std::shared_ptr<const Clock> clock,
                       detail::Logger logger)
    : options_(std::move(options)),
      clock_(clock ? std::move(clock) : std::make_shared<const SystemClock>()),
      logger_(std::move(logger)),
      options_status_(validate(options_)) {
  if (!options_status_.ok()) return;
  relay_ = relay_of(options_.url).value();
  const detail::Mailbox from = detail::parse_mailbox(options_.from).value();
  envelope_from_ = "<" + from.address + ">";
  from_header_ = detail::format_mailbox(from);
  from_domain_ = from.address.substr(from.address.find('@') + 1);
}

Status SmtpMailer::send(const MailMessage& message) {
  WECHAT_TRY(options_status_);
  WECHAT_TRY(validate_mail_message(message));
  WECHAT_TRY(curl_ready());

  const std::string payload = detail::format_mail(message, from_header_, clock_->now_ms(),
                                                  detail::new_message_id(from_domain_));
  Upload upload{payload};
  std::array<char, CURL_ERROR_SIZE> error_text{};
  std::string last_reply;  // see remember_reply

  // The address passed validation, so it has no '<', '>', space or line break: curl sends it
  // as "RCPT TO:<address>" and nothing else.
  CurlList recipients(curl_slist_append(nullptr, message.to.c_str()));
  if (!recipients) return Status(Error::kUnavailable, "curl_slist_append failed");
  // Declared after everything the handle points to: curl_easy_cleanup may still talk to the
  // server (QUIT) and call remember_reply.
  CurlEasy easy(curl_easy_init());
  if (!easy) return Status(Error::kUnavailable, "curl_easy_init failed");

  CURL* h = easy.get();
  CURLcode rc = CURLE_OK;
  const auto set = [&rc](CURLcode result) {
    if (rc == CURLE_OK) rc = result;
  };
  const long timeout_ms = static_cast<long>(options_.timeout.count());
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text.data()));
  set(curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str()));
  // VERBOSE only feeds remember_reply: with a DEBUGFUNCTION set, curl prints nothing itself.
  set(curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &remember_reply));
  set(curl_easy_setopt(h, CURLOPT_DEBUGDATA, &last_reply));
  set(curl_easy_setopt(h, CURLOPT_VERBOSE, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
#else
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_SMTP | CURLPROTO_SMTPS)));
#endif
  // No signals: the default resolver would use SIGALRM for timeouts, unsafe with threads.
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_USE_SSL,
                       static_cast<long>(options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY)));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
  if (!options_.ca_file.empty()) set(curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str()));
  if (!options_.username.empty()) {
    set(curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str()));
    set(curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str()));
  }
  set(curl_easy_setopt(h, CURLOPT_MAIL_FROM, envelope_from_.c_str()));
  set(curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get()));
  set(curl_easy_setopt(h, CURLOPT_UPLOAD, 1L));
  set(curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_upload));
  set(curl_easy_setopt(h, CURLOPT_READDATA, &upload));
  // Announced as SIZE= in MAIL FROM when the server supports it, so it can refuse early.
  set(curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.size())));
  if (rc == CURLE_OK) rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    logger_.debug("mail to {} accepted by {}", message.to, relay_);
    return {};
  }

  std::string why = error_text[0] != '\0' ? std::string(error_text.data()) : curl_easy_strerror(rc);
  while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
  std::string text = fmt::format("cannot send mail through {}: {}", relay_, why);
  if (!last_reply.empty()) {
    text += fmt::format(" (server said: {})", last_reply);
  }
  // curl never reports the password, but a server may echo anything back: make sure.
  replace_all(text, options_.password, "********");
  logger_.warn("mail to {} not sent: {}", message.to, text);
  return Status(Error::kUnavailable, std::move(text));
}

}  // namespace wechat::server
