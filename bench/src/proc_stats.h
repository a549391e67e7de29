// SPDX-License-Identifier: MIT
#ifndef WECHAT_BENCH_PROC_STATS_H_
#define WECHAT_BENCH_PROC_STATS_H_

#include <cstdint>
#include <optional>
#include <string>

namespace wechat::bench {

/// utime + stime of every thread of `pid`, in microseconds (from /proc/PID/stat); nullopt if
/// the process is gone or pid <= 0.
std::optional<double> process_cpu_us(int pid);
/// CPU time of this process (getrusage), microseconds.
double self_cpu_us();
/// The whole machine's CPU time from /proc/stat's first line, in clock ticks: all of it, and the
/// part the hypervisor ran other guests on our CPUs ("steal"), which no process is charged for
/// but which slows every one of them.
struct MachineCpu {
  unsigned long long total = 0;
  unsigned long long steal = 0;
};
std::optional<MachineCpu> machine_cpu();
/// Steal as a percentage of the machine's CPU time between two readings; NaN without both.
double steal_pct(const std::optional<MachineCpu>& before, const std::optional<MachineCpu>& after);
/// A field of /proc/PID/smaps_rollup in KiB: "Pss" (shared pages divided among the processes
/// that map them) or "Anonymous" (the process's own heap and stacks, whoever else runs).
std::optional<std::int64_t> process_smaps_kib(int pid, const std::string& field);
/// Total kernel slab memory in KiB: the sum of num_objs * objsize over /proc/slabinfo, or
/// nullopt when that file is not readable (then the caller reports /proc/meminfo's Slab).
std::optional<std::int64_t> slabinfo_kib();
/// A field of /proc/meminfo in KiB ("Slab", "SUnreclaim", ...).
std::optional<std::int64_t> meminfo_kib(const std::string& field);
/// Pages of TCP buffer memory ("TCP: ... mem N" in /proc/net/sockstat), in KiB.
std::optional<std::int64_t> tcp_buffer_kib();

}  // namespace wechat::bench

#endif  // WECHAT_BENCH_PROC_STATS_H_
