// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "server/mail/mailer.h"

using wechat::server::MailMessage;
using wechat::server::validate_mail_message;
using wechat::server::verification_mail_body;
using wechat::server::verification_mail_subject;

TEST_CASE("verification mail: the body holds the code on its own line and the validity") {
  for (const char* purpose : {"register", "reset", "something-else"}) {
    CAPTURE(purpose);
    const std::string body = verification_mail_body("048213", purpose, 10);
    CHECK(body.find("\n    048213\n") != std::string::npos);
    CHECK(body.find("10 minutes") != std::string::npos);
    const std::string subject = verification_mail_subject(purpose);
    CHECK(subject.find("048213") == std::string::npos);
    // Whatever the wording becomes, it must stay sendable.
    CHECK(validate_mail_message(MailMessage{"alice@example.com", subject, body}).ok());
  }
  CHECK(verification_mail_body("1", "register", 1).find("1 minute.") != std::string::npos);
}

TEST_CASE("verification mail: registration and password reset read differently") {
  CHECK(verification_mail_subject("register") != verification_mail_subject("reset"));
  CHECK(verification_mail_subject("reset").find("password") != std::string::npos);
  CHECK(verification_mail_body("123456", "reset", 10).find("password") != std::string::npos);
  CHECK(verification_mail_body("123456", "register", 10).find("account") != std::string::npos);
}
