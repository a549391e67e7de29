// SPDX-License-Identifier: MIT
// wechat-cli: a terminal chat client over wechat::Client. Full-screen when stdin and stdout
// are a terminal; line mode (scriptable) with --plain or when either is not.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "commands.h"
#include "line_mode.h"
#include "tui/app.h"
#include "wechat/client.h"
#include "wechat/version.h"

namespace {

bool parse_server(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    std::size_t used = 0;
    const std::string digits = text.substr(colon + 1);
    const long value = std::stol(digits, &used);
    if (used != digits.size() || value < 1 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

/// $XDG_DATA_HOME/wechat-cli, else ~/.local/share/wechat-cli, else ./wechat-cli-data.
std::string default_data_dir() {
  namespace fs = std::filesystem;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
    return (fs::path(xdg) / "wechat-cli").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return (fs::path(home) / ".local" / "share" / "wechat-cli").string();
  }
  return "wechat-cli-data";
}

/// The library's log goes to a file in the data dir: never onto the screen or into the
/// line-mode output.
wechat::LogSink file_sink(const std::string& path) {
  std::error_code ec;
  // Keep it from growing without bound: start over past 1 MiB.
  if (std::filesystem::file_size(path, ec) > (1u << 20) && !ec) std::filesystem::remove(path, ec);
  std::shared_ptr<std::FILE> file(std::fopen(path.c_str(), "a"), [](std::FILE* f) {
    if (f != nullptr) std::fclose(f);
  });
  auto mutex = std::make_shared<std::mutex>();
  return
      [file, mutex](wechat::LogLevel level, std::string_view component, std::string_view message) {
        if (!file) return;
        char stamp[32];
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::lock_guard lock(*mutex);
        std::fprintf(file.get(), "%s %-5s %.*s: %.*s\n", stamp, wechat::log_level_name(level),
                     static_cast<int>(component.size()), component.data(),
                     static_cast<int>(message.size()), message.data());
        std::fflush(file.get());
      };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "wechat-cli: chat over a wechat-server from the terminal.\n"
      "Full-screen when run in a terminal; line mode (one command per line, one result or\n"
      "event per output line) with --plain or when stdin or stdout is not a terminal.\n"
      "Commands: type /help, or see docs/cli.md."};
  app.set_version_flag("--version", std::string("wechat-cli ") + wechat::version());

  std::string server = "127.0.0.1:7600";
  std::string data_dir = default_data_dir();
  wechat::ClientOptions options;
  bool plain = false;
  app.add_option("--server", server, "Server address, HOST:PORT")->capture_default_str();
  app.add_option("--data-dir", data_dir,
                 "Folder for local messages and the saved session (default: "
                 "$XDG_DATA_HOME/wechat-cli or ~/.local/share/wechat-cli)")
      ->capture_default_str();
  app.add_option("--ca", options.ca_file, "Trust the server certificate signed by this CA (PEM)")
      ->check(CLI::ExistingFile);
  app.add_option("--fingerprint", options.pinned_sha256,
                 "Trust exactly the server certificate with this SHA-256 fingerprint "
                 "(what wechat-server prints)");
  app.add_flag("--plaintext", options.plaintext, "No TLS (only for loopback testing)");
  app.add_flag("--plain", plain, "Line mode even in a terminal");
  CLI11_PARSE(app, argc, argv);

  if (!parse_server(server, options.host, options.port)) {
    std::fprintf(stderr, "wechat-cli: --server wants HOST:PORT, not '%s'\n", server.c_str());
    return 2;
  }
  if (options.plaintext && (!options.ca_file.empty() || !options.pinned_sha256.empty())) {
    std::fprintf(stderr, "wechat-cli: --plaintext does not go with --ca or --fingerprint\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);  // a closed output pipe is an error to report, not a crash
  options.data_dir = data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  options.log.sink = file_sink((std::filesystem::path(data_dir) / "wechat-cli.log").string());
  options.log.min_level = wechat::LogLevel::kInfo;

  const bool full_screen = !plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (full_screen) std::setlocale(LC_ALL, "");  // wide characters need the user's UTF-8 locale

  // Declared before the client so that it outlives every event the client may still deliver.
  wechat::cli::LineOutput output(stdout);
  auto client = wechat::Client::create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "wechat-cli: %s\n", client.status().to_string().c_str());
    return 2;
  }
  wechat::cli::Commands commands(std::move(*client));
  if (!full_screen) return wechat::cli::run_line_mode(commands, std::cin, output);

  const char* no_color = std::getenv("NO_COLOR");
  wechat::cli::tui::AppOptions ui;
  ui.colour = no_color == nullptr || no_color[0] == '\0';
  ui.server_label = server + (options.plaintext ? " (plaintext)" : "");
  return wechat::cli::tui::run_full_screen(commands, ui);
}
