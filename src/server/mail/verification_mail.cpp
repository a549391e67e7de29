// SPDX-License-Identifier: MIT
#include <fmt/format.h>

#include "server/mail/mailer.h"

namespace wechat::server {

std::string verification_mail_subject(std::string_view purpose) {
  if (purpose == "register") return "Your verification code";
  if (purpose == "reset") return "Your password reset code";
  return "Your verification code";
}

std::string verification_mail_body(std::string_view code, std::string_view purpose,
                                   int minutes_valid) {
  const std::string validity =
      minutes_valid == 1 ? "1 minute" : fmt::format("{} minutes", minutes_valid);
  // The code sits alone on an indented line so it is easy to spot, select and copy.
  if (purpose == "register") {
    return fmt::format(
        "Your verification code is:\n"
        "\n"
        "    {}\n"
        "\n"
        "Enter it in the app to finish creating your account. It expires in {}.\n"
        "Do not share this code with anyone.\n"
        "\n"
        "If you did not ask to create an account, ignore this mail: no account is created\n"
        "without the code.\n",
        code, validity);
  }
  if (purpose == "reset") {
    return fmt::format(
        "Your password reset code is:\n"
        "\n"
        "    {}\n"
        "\n"
        "Enter it in the app to choose a new password. It expires in {}.\n"
        "Do not share this code with anyone: it lets whoever has it take over your account.\n"
        "\n"
        "If you did not ask to reset your password, ignore this mail: your password stays\n"
        "as it is.\n",
        code, validity);
  }
  return fmt::format(
      "Your verification code is:\n"
      "\n"
      "    {}\n"
      "\n"
      "It expires in {}. If you did not ask for it, ignore this mail.\n",
      code, validity);
}

}  // namespace wechat::server
