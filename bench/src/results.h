// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_RESULTS_H_
#define WECHAT_BENCH_RESULTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace wechat::bench {

/// One result record: a flat JSON object, appended as one line to the results file that
/// bench/report.py turns into docs/performance.md. Also printed to stdout.
class Record {
 public:
  Record& set(const std::string& key, const std::string& value);
  Record& set(const std::string& key, const char* value) { return set(key, std::string(value)); }
  Record& set(const std::string& key, double value);
  Record& set(const std::string& key, std::int64_t value);
  Record& set(const std::string& key, std::uint64_t value) {
    return set(key, static_cast<std::int64_t>(value));
  }
  Record& set(const std::string& key, int value) { return set(key, std::int64_t{value}); }
  Record& set(const std::string& key, bool value);
  /// `labels`: "k=v,k=v" pairs added as strings (the run's identity: system, mode, rep ...).
  Record& labels(const std::string& labels);
  std::string json() const;
  /// Appends to `path` (if not empty) and prints to stdout.
  void emit(const std::string& path) const;

 private:
  std::map<std::string, std::string> fields_;  // key -> JSON-encoded value
};

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_RESULTS_H_
