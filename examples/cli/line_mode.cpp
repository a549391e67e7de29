// SPDX-License-Identifier: MIT
#include "line_mode.h"

#include "format.h"

namespace wechat::cli {

void LineOutput::write(const std::string& line) {
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

int run_line_mode(Commands& commands, std::istream& in, LineOutput& out,
                  const LineModeOptions& options) {
  commands.client().set_event_handler([&commands, &out](const Event& event) {
    if (commands.observe(event)) out.write(format_event(event, commands));
  });

  bool failed = false;
  auto print = [&](const CommandResult& result) {
    for (const auto& line : format_result(result, commands)) out.write(line);
  };
  if (auto resumed = commands.resume()) print(*resumed);

  std::string line;
  while (std::getline(in, line)) {
    auto parsed = parse_command(line);
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      print(parse_error_result(*error));
      failed = true;
      continue;
    }
    const Command& command = std::get<Command>(parsed);
    if (command.kind == CommandKind::kEmpty) continue;
    const CommandResult result = commands.execute(command);
    print(result);
    if (!result.status.ok()) failed = true;
    if (result.quit) break;
  }

  // Everything sent must reach the server before the process goes (bounded).
  if (!commands.wait_outbox_empty(options.drain_timeout)) {
    const std::size_t left = commands.queued_messages();
    out.write("error outbox timeout: " + std::to_string(left) +
              " message(s) not acknowledged by the server; they stay queued for the next run");
    failed = true;
  }
  if (commands.any_send_failed()) failed = true;
  return failed ? 1 : 0;
}

}  // namespace wechat::cli
