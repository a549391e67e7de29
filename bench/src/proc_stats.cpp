// SPDX-License-Identifier: MIT
#include "proc_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace wechat::bench {

std::optional<double> process_cpu_us(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // The command name (field 2) may hold spaces: parse after its closing parenthesis.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  // After ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15).
  for (int i = 3; i < 14; ++i) fields >> skip;
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  if (!fields) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(utime + stime) * 1e6 / ticks;
}

double self_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

std::optional<MachineCpu> machine_cpu() {
  std::ifstream in("/proc/stat");
  std::string label;
  if (!(in >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal; guest time is already inside user.
  MachineCpu cpu;
  for (int field = 0; field < 8; ++field) {
    unsigned long long ticks = 0;
    if (!(in >> ticks)) return std::nullopt;
    cpu.total += ticks;
    if (field == 7) cpu.steal = ticks;
  }
  return cpu;
}

double steal_pct(const std::optional<MachineCpu>& before, const std::optional<MachineCpu>& after) {
  if (!before || !after || after->total <= before->total) return NAN;
  return 100.0 * static_cast<double>(after->steal - before->steal) /
         static_cast<double>(after->total - before->total);
}

std::optional<std::int64_t> process_smaps_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  const std::string key = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
  }
  return std::nullopt;
}

std::optional<std::int64_t> slabinfo_kib() {
  std::ifstream in("/proc/slabinfo");
  if (!in) return std::nullopt;
  std::string line;
  long double bytes = 0;
  bool any = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("slabinfo", 0) == 0) continue;
    std::istringstream fields(line);
    std::string name;
    long long active = 0, num = 0, size = 0;
    fields >> name >> active >> num >> size;
    if (!fields) continue;
    bytes += static_cast<long double>(num) * size;
    any = true;
  }
  if (!any) return std::nullopt;
  return static_cast<std::int64_t>(bytes / 1024);
}

std::optional<std::int64_t> meminfo_kib(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  const std::string key = field + ":";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
  }
  return std::nullopt;
}

std::optional<std::int64_t> tcp_buffer_kib() {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    const auto at = line.find(" mem ");
    if (at == std::string::npos) return std::nullopt;
    return std::stoll(line.substr(at + 5)) * (sysconf(_SC_PAGESIZE) / 1024);
  }
  return std::nullopt;
}

}  // namespace wechat::bench
