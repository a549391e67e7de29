// SPDX-License-Identifier: MIT
// Verification codes, registration, login, resume, logout, password reset.
#include <fmt/format.h>

#include <algorithm>

#include "common/crypto.h"
#include "common/random.h"
#include "server/async_util.h"
#include "server/handlers/handlers.h"
#include "server/password.h"
#include "server/validation.h"

namespace wechat::server {

namespace {

constexpr std::size_t kTokenBytes = 32;

/// The client's IP without the port: rate limits are per address, not per connection.
std::string host_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

std::string code_hash(const std::string& email, CodePurpose purpose, std::string_view code) {
  return detail::sha256(fmt::format("{}\n{}\n{}", email, static_cast<int>(purpose), code));
}

/// The wait travels in Error.retry_after_ms for programs; the message repeats it for people.
Status rate_limited(std::int64_t retry_after_ms, std::string what) {
  return Status(Error::kRateLimited,
                fmt::format("{}; try again in {} s", what, (retry_after_ms + 999) / 1000))
      .with_retry_after_ms(retry_after_ms);
}

/// Checks `code` against the live code of (email, purpose). A wrong guess is counted (and kept
/// even though the request fails); the code is deleted when `consume` and it matches.
Status check_code(ServerStore& store, Effects& effects, const std::string& email,
                  CodePurpose purpose, const std::string& code, UnixMillis now,
                  unsigned max_attempts, bool consume) {
  WECHAT_ASSIGN_OR_RETURN(auto row, store.code(email, purpose));
  if (!row || row->expires_at <= now) {
    return Status(Error::kCodeExpired, "no valid code for this email; request a new one");
  }
  if (row->attempts >= max_attempts) {
    return Status(Error::kCodeAttemptsExhausted, "too many wrong codes; request a new one");
  }
  if (!detail::constant_time_equal(row->code_hash, code_hash(email, purpose, code))) {
    WECHAT_TRY(store.add_code_attempt(email, purpose));
    effects.commit_even_if_failed();
    return Status(Error::kWrongCode, "that code is not right");
  }
  if (consume) WECHAT_TRY(store.delete_code(email, purpose));
  return {};
}

std::optional<CodePurpose> purpose_of(v1::CodePurpose p) {
  switch (p) {
    case v1::CODE_PURPOSE_REGISTER: return CodePurpose::kRegister;
    case v1::CODE_PURPOSE_RESET: return CodePurpose::kReset;
    default: return std::nullopt;
  }
}

v1::UserInfo user_info(const UserRow& row) {
  v1::UserInfo info;
  info.set_user_id(row.id);
  info.set_username(row.username);
  return info;
}

/// A hash of a random password, verified against when the user does not exist, so a login
/// for an unknown user costs the same time as one with a wrong password.
const std::string& dummy_hash(unsigned log2_n) {
  static const std::string hash = [&] {
    auto h = hash_password("not a real password", log2_n);
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

struct NewSession {
  UserRow user;
  std::string token;
  SessionRow session;
  std::uint64_t head = 0;
};

Reply login_reply(const NewSession& s, bool with_token, const ServerContext::ChatNode& chat_node) {
  v1::Response response;
  auto* ok = with_token ? response.mutable_login() : response.mutable_resume();
  *ok->mutable_user() = user_info(s.user);
  if (with_token) ok->set_token(s.token);
  ok->set_expires_at_ms(s.session.expires_at);
  ok->set_device_id(s.session.device_id);
  ok->set_head_user_seq(s.head);
  if (chat_node) {
    ok->mutable_chat_node()->set_host(chat_node->first);
    ok->mutable_chat_node()->set_port(chat_node->second);
  }
  return response;
}

/// Milliseconds until `key` may act again under `counter` (which may ask Redis).
asio::awaitable<std::int64_t> retry_after(AbuseCounter& counter, const std::string& key) {
  auto ask = [&counter, key](std::function<void(std::int64_t)> done) {
    counter.retry_after(key, std::move(done));
  };
  co_return co_await await_callback<std::int64_t>(std::move(ask));
}

/// On a gate: the chat node this client goes to (nullopt elsewhere). Chosen before any work, so
/// that a cluster with no chat node up answers at once, without creating a session nobody can
/// use.
asio::awaitable<Result<ServerContext::ChatNode>> chat_node_for_gate(ServerContext& c) {
  if (c.options.cluster.role != ServerRole::kGate) co_return ServerContext::ChatNode();
  if (!c.pick_chat_node) co_return Status(Error::kInternal, "this gate has no cluster registry");
  auto ask = [&c](std::function<void(ServerContext::ChatNode)> done) {
    c.pick_chat_node(std::move(done));
  };
  auto node = co_await await_callback<ServerContext::ChatNode>(std::move(ask));
  if (!node) co_return Status(Error::kUnavailable, "no chat node is available; try again shortly");
  co_return node;
}

}  // namespace

asio::awaitable<Reply> handle_request_code(ServerContext& c, Session& s,
                                           const v1::RequestCode& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const std::string email, normalize_email(req.email()));
  const auto purpose = purpose_of(req.purpose());
  if (!purpose) co_return Status(Error::kInvalidArgument, "purpose must be register or reset");

  // Register and reset codes are counted apart: a new user's reset right after registering
  // is not blocked by the registration code.
  const std::string email_key = fmt::format("{}|{}", email, static_cast<int>(*purpose));
  const std::string address = host_of(s.address());
  // One limit after the other, each awaited in a statement of its own (not inside one ||
  // condition, which GCC 12 miscompiles around co_await).
  for (auto* counter : {c.codes_per_address.get(), c.codes_per_email_burst.get(),
                        c.codes_per_email.get()}) {
    const std::string& key = counter == c.codes_per_address.get() ? address : email_key;
    const std::int64_t wait = co_await retry_after(*counter, key);
    if (wait > 0) co_return rate_limited(wait, "too many codes requested");
  }
  c.codes_per_address->record(address);
  c.codes_per_email_burst->record(email_key);
  c.codes_per_email->record(email_key);

  const std::string code = fmt::format("{:06}", detail::random_below(1'000'000));
  const UnixMillis now = c.clock.now_ms();
  CodeRow row{email, *purpose, code_hash(email, *purpose, code), now + c.options.code_ttl.count(), 0};
  // For a reset, the answer is the same whether or not the email has an account.
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work1 = [row](ServerStore& store, Effects&) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(auto user, store.user_by_email(row.email));
      if (row.purpose == CodePurpose::kRegister && user) {
        return Status(Error::kEmailTaken, "an account with this email exists; log in or reset");
      }
      if (row.purpose == CodePurpose::kReset && !user) return false;
      WECHAT_TRY(store.put_code(row));
      return true;
    };
  auto stored = co_await c.store.run<bool>(std::move(work1));
  if (!stored.ok()) co_return stored.status();

  if (*stored) {
    const std::string purpose_name = *purpose == CodePurpose::kRegister ? "register" : "reset";
    MailMessage mail{email, verification_mail_subject(purpose_name),
                     verification_mail_body(code, purpose_name,
                                            static_cast<int>(c.options.code_ttl.count() / 60000))};
    // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
    // co_await expression twice.
    auto work2 = [&c, mail] { return c.mailer.send(mail); };
    const Status sent = co_await offload(c.workers, std::move(work2));
    if (!sent.ok()) {
      c.log.warn("could not mail a code: {}", sent.to_string());
      co_return Status(Error::kUnavailable, "the server could not send mail right now");
    }
  }
  v1::Response response;
  response.mutable_request_code()->set_expires_in_ms(c.options.code_ttl.count());
  co_return response;
}

asio::awaitable<Reply> handle_register(ServerContext& c, Session&,
                                       const v1::RegisterAccount& req) {
  WECHAT_CO_TRY(validate_username(req.username()));
  WECHAT_CO_ASSIGN_OR_RETURN(const std::string email, normalize_email(req.email()));
  WECHAT_CO_TRY(validate_password(req.password(), c.options.min_password_length));
  if (!is_code_shaped(req.code())) co_return Status(Error::kWrongCode, "a code is six digits");

  const unsigned max_attempts = c.options.code_max_attempts;
  const std::string username = req.username();
  const std::string code = req.code();
  // 1. Check everything cheap before spending a password hash on it.
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work3 = [=, now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<bool> {
      WECHAT_ASSIGN_OR_RETURN(auto by_name, store.user_by_username(username));
      if (by_name) return Status(Error::kUsernameTaken, "that username is taken");
      WECHAT_ASSIGN_OR_RETURN(auto by_email, store.user_by_email(email));
      if (by_email) return Status(Error::kEmailTaken, "an account with this email exists");
      WECHAT_TRY(check_code(store, effects, email, CodePurpose::kRegister, code, now,
                            max_attempts, false));
      return true;
    };
  auto checked = co_await c.store.run<bool>(std::move(work3));
  if (!checked.ok()) co_return checked.status();

  // 2. Hash on the worker pool.
  const unsigned cost = c.options.scrypt_log2_n;
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work4 = [password = req.password(), cost] {
      return hash_password(password, cost);
    };
  auto hash = co_await offload(c.hashing, std::move(work4));
  if (!hash.ok()) co_return hash.status();

  // 3. Check again and create: another registration may have won the race meanwhile.
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work5 = [=, hash = *hash, now = c.clock.now_ms()](ServerStore& store,
                                              Effects& effects) -> Result<UserRow> {
      WECHAT_TRY(check_code(store, effects, email, CodePurpose::kRegister, code, now,
                            max_attempts, true));
      UserRow user;
      user.username = username;
      user.email = email;
      user.password_hash = hash;
      user.created_at = now;
      WECHAT_ASSIGN_OR_RETURN(user.id, store.create_user(user));
      return user;
    };
  auto created = co_await c.store.run<UserRow>(std::move(work5));
  if (!created.ok()) co_return created.status();
  c.log.info("registered user {} ({})", created->username, created->id);
  v1::Response response;
  *response.mutable_register_account()->mutable_user() = user_info(*created);
  co_return response;
}

asio::awaitable<Reply> handle_login(ServerContext& c, Session& s, const v1::Login& req) {
  if (s.identity()) co_return Status(Error::kInvalidArgument, "already logged in; log out first");
  if (req.login().empty() || req.login().size() > 254 || req.password().size() > 1024) {
    co_return Status(Error::kWrongCredentials, "wrong username, email or password");
  }
  // Without a name, every login is its own device (they must not replace each other).
  const std::string device_name = req.device_name().empty()
                                      ? "device-" + detail::Id128::random().to_hex().substr(0, 8)
                                      : req.device_name();
  if (device_name.size() > 64 || !is_valid_utf8(device_name)) {
    co_return Status(Error::kInvalidArgument, "a device name is at most 64 bytes of UTF-8");
  }
  const bool by_email = req.login().find('@') != std::string::npos;
  std::string login = req.login();
  if (by_email) {
    auto normalized = normalize_email(login);
    if (!normalized.ok()) co_return Status(Error::kWrongCredentials, "wrong username, email or password");
    login = *normalized;
  } else {
    // Usernames are lowercase; "Alice" logs in as "alice", as search finds her.
    std::transform(login.begin(), login.end(), login.begin(), [](char ch) {
      return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
    });
  }
  const std::string address = host_of(s.address());
  if (const auto wait = co_await retry_after(*c.login_failures_per_address, address); wait > 0) {
    co_return rate_limited(wait, "too many failed logins");
  }
  WECHAT_CO_ASSIGN_OR_RETURN(const auto chat_node, co_await chat_node_for_gate(c));

  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a

  // co_await expression twice.

  auto work6 = [login, by_email](ServerStore& store, Effects&) {
       return by_email ? store.user_by_email(login) : store.user_by_username(login);
     };

  auto user = co_await c.store.run<std::optional<UserRow>>(std::move(work6));
  if (!user.ok()) co_return user.status();
  // One failure budget per account, whether it is named by username or by email.
  const std::string account_key = *user ? "user:" + std::to_string((*user)->id) : "login:" + login;
  if (const auto wait = co_await retry_after(*c.login_failures_per_account, account_key);
      wait > 0) {
    co_return rate_limited(wait, "too many failed logins");
  }

  const std::string stored_hash = *user ? (*user)->password_hash : dummy_hash(c.options.scrypt_log2_n);
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work7 = [password = req.password(), stored_hash] {
      return verify_password(password, stored_hash);
    };
  auto verified = co_await offload(c.hashing, std::move(work7));
  if (!verified.ok()) co_return verified.status();
  if (!*user || !*verified) {
    c.login_failures_per_address->record(address);
    c.login_failures_per_account->record(account_key);
    co_return Status(Error::kWrongCredentials, "wrong username, email or password");
  }
  c.login_failures_per_account->reset(account_key);

  std::string token(kTokenBytes, '\0');
  detail::random_bytes({reinterpret_cast<std::uint8_t*>(token.data()), token.size()});
  const UnixMillis now = c.clock.now_ms();
  NewSession fresh;
  fresh.user = **user;
  fresh.token = token;
  fresh.session.user_id = fresh.user.id;
  fresh.session.token_hash = detail::sha256(token);
  fresh.session.device_name = device_name;
  fresh.session.created_at = now;
  fresh.session.expires_at = now + c.options.session_ttl.count();
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work8 = [fresh](ServerStore& store, Effects& effects) mutable -> Result<NewSession> {
      std::vector<std::uint64_t> replaced;
      WECHAT_ASSIGN_OR_RETURN(fresh.session.device_id,
                              store.create_session(fresh.session, replaced));
      for (auto device : replaced) {
        effects.end_sessions(fresh.user.id,
                             Status(Error::kSessionExpired,
                                    "logged in again on this device elsewhere"),
                             device);
      }
      WECHAT_ASSIGN_OR_RETURN(fresh.head, store.log_head(fresh.user.id));
      return fresh;
    };
  auto created = co_await c.store.run<NewSession>(std::move(work8));
  if (!created.ok()) co_return created.status();
  if (s.identity()) co_return Status(Error::kInvalidArgument, "already logged in; log out first");
  if (chat_node) {
    c.log.info("user {} logged in on device {}, sent to {}:{}", created->user.id,
               created->session.device_id, chat_node->first, chat_node->second);
    co_return login_reply(*created, true, chat_node);
  }
  s.authenticate({created->user.id, created->session.device_id, created->user.username});
  c.log.info("user {} logged in on device {}", created->user.id, created->session.device_id);
  co_return login_reply(*created, true, std::nullopt);
}

asio::awaitable<Reply> handle_resume(ServerContext& c, Session& s, const v1::Resume& req) {
  if (s.identity()) co_return Status(Error::kInvalidArgument, "already logged in; log out first");
  const std::string address = host_of(s.address());
  if (const auto wait = co_await retry_after(*c.login_failures_per_address, address); wait > 0) {
    co_return rate_limited(wait, "too many failed logins");
  }
  if (req.token().size() != kTokenBytes) {
    c.login_failures_per_address->record(address);
    co_return Status(Error::kSessionExpired, "this session is not valid; log in again");
  }
  WECHAT_CO_ASSIGN_OR_RETURN(const auto chat_node, co_await chat_node_for_gate(c));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work9 = [hash = detail::sha256(req.token()), now = c.clock.now_ms()](
        ServerStore& store, Effects&) -> Result<NewSession> {
      WECHAT_ASSIGN_OR_RETURN(auto session, store.session_by_token_hash(hash));
      if (!session || session->expires_at <= now) {
        return Status(Error::kSessionExpired, "this session is not valid; log in again");
      }
      WECHAT_ASSIGN_OR_RETURN(auto user, store.user_by_id(session->user_id));
      if (!user) return Status(Error::kSessionExpired, "this account no longer exists");
      NewSession out;
      out.user = std::move(*user);
      out.session = std::move(*session);
      WECHAT_ASSIGN_OR_RETURN(out.head, store.log_head(out.user.id));
      return out;
    };
  auto resumed = co_await c.store.run<NewSession>(std::move(work9));
  if (!resumed.ok()) {
    if (resumed.code() == Error::kSessionExpired) c.login_failures_per_address->record(address);
    co_return resumed.status();
  }
  if (s.identity()) co_return Status(Error::kInvalidArgument, "already logged in; log out first");
  // A gate checked the token (so a stale one fails here, at once) but serves no session.
  if (chat_node) co_return login_reply(*resumed, false, chat_node);
  s.authenticate({resumed->user.id, resumed->session.device_id, resumed->user.username});
  co_return login_reply(*resumed, false, std::nullopt);
}

asio::awaitable<Reply> handle_logout(ServerContext& c, Session& s, const v1::Logout&) {
  WECHAT_CO_ASSIGN_OR_RETURN(const auto me, require_login(s));
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work10 = [device = me.device_id](ServerStore& store, Effects&) -> Result<bool> {
      WECHAT_TRY(store.delete_session(device));
      return true;
    };
  auto done = co_await c.store.run<bool>(std::move(work10));
  if (!done.ok()) co_return done.status();
  s.deauthenticate();
  v1::Response response;
  response.mutable_logout();
  co_return response;
}

asio::awaitable<Reply> handle_reset_password(ServerContext& c, Session&,
                                             const v1::ResetPassword& req) {
  WECHAT_CO_ASSIGN_OR_RETURN(const std::string email, normalize_email(req.email()));
  WECHAT_CO_TRY(validate_password(req.new_password(), c.options.min_password_length));
  if (!is_code_shaped(req.code())) co_return Status(Error::kWrongCode, "a code is six digits");
  const unsigned max_attempts = c.options.code_max_attempts;
  const std::string code = req.code();

  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a

  // co_await expression twice.

  auto work11 = [=, now = c.clock.now_ms()](ServerStore& store, Effects& effects) -> Result<bool> {
       WECHAT_TRY(check_code(store, effects, email, CodePurpose::kReset, code, now,
                             max_attempts, false));
       return true;
     };

  auto checked = co_await c.store.run<bool>(std::move(work11));
  if (!checked.ok()) co_return checked.status();

  const unsigned cost = c.options.scrypt_log2_n;
  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a
  // co_await expression twice.
  auto work12 = [password = req.new_password(), cost] {
      return hash_password(password, cost);
    };
  auto hash = co_await offload(c.hashing, std::move(work12));
  if (!hash.ok()) co_return hash.status();

  // Named, not a temporary: GCC 12 destroys a capturing lambda temporary in a

  // co_await expression twice.

  auto work13 = [=, hash = *hash, now = c.clock.now_ms()](ServerStore& store,
                                               Effects& effects) -> Result<std::uint64_t> {
       WECHAT_TRY(check_code(store, effects, email, CodePurpose::kReset, code, now,
                             max_attempts, true));
       WECHAT_ASSIGN_OR_RETURN(auto user, store.user_by_email(email));
       if (!user) return Status(Error::kCodeExpired, "no valid code for this email");
       WECHAT_TRY(store.set_password_hash(user->id, hash));
       WECHAT_TRY(store.delete_sessions_of_user(user->id));
       effects.end_sessions(user->id, Status(Error::kSessionExpired,
                                             "the password was reset; log in again"));
       return user->id;
     };

  auto done = co_await c.store.run<std::uint64_t>(std::move(work13));
  if (!done.ok()) co_return done.status();
  c.log.info("password reset for user {}", *done);
  v1::Response response;
  response.mutable_reset_password();
  co_return response;
}

}  // namespace wechat::server
