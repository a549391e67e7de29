// SPDX-License-Identifier: MIT
#include "results.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace wechat::bench {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

Record& Record::set(const std::string& key, const std::string& value) {
  fields_[key] = quote(value);
  return *this;
}

Record& Record::set(const std::string& key, double value) {
  if (!std::isfinite(value)) {
    fields_[key] = "null";
    return *this;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  fields_[key] = buf;
  return *this;
}

Record& Record::set(const std::string& key, std::int64_t value) {
  fields_[key] = std::to_string(value);
  return *this;
}

Record& Record::set(const std::string& key, bool value) {
  fields_[key] = value ? "true" : "false";
  return *this;
}

Record& Record::labels(const std::string& labels) {
  std::istringstream in(labels);
  std::string pair;
  while (std::getline(in, pair, ',')) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    set(pair.substr(0, eq), pair.substr(eq + 1));
  }
  return *this;
}

std::string Record::json() const {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : fields_) {
    if (!first) out += ", ";
    first = false;
    out += quote(k) + ": " + v;
  }
  return out + "}";
}

void Record::emit(const std::string& path) const {
  const std::string line = json();
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (path.empty()) return;
  std::ofstream out(path, std::ios::app);
  out << line << '\n';
}

}  // namespace wechat::bench
