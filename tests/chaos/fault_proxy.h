// SPDX-License-Identifier: MIT
#ifndef WECHAT_TESTS_CHAOS_FAULT_PROXY_H_
#define WECHAT_TESTS_CHAOS_FAULT_PROXY_H_

// A TCP proxy on loopback between the clients and the server that breaks connections on a
// random schedule. It understands the framing (4-byte big-endian length, docs/protocol.md §1)
// so that it can cut a frame in the middle, split one across writes, or pick out the answer to
// a catch-up Sync.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wechat::chaos {

enum class FaultKind {
  kReset,      ///< RST both sides before a frame.
  kStall,      ///< Forward nothing for 0.2-6 s, then go on (or reset).
  kHalfClose,  ///< Shut down one direction (the receiver reads EOF); the other stays open.
  kSplit,      ///< Write each of the next frames in 2-4 pieces with pauses between them.
  kCut,        ///< Forward the first part of a frame, then RST: EOF in the middle of a frame.
  kCatchup,    ///< Cut or reset the server's answer to a Sync (a client catching up).
  kCount
};

const char* fault_name(FaultKind kind);
/// "reset", "stall", "half-close", "split", "cut" or "catchup"; kCount for anything else.
FaultKind fault_from_name(std::string_view name);

struct ProxyOptions {
  std::vector<FaultKind> kinds;           ///< Faults to inject. Empty: forward faithfully.
  double fault_probability = 0.5;         ///< Chance that a new connection gets one fault.
  std::uint32_t max_trigger_frame = 400;  ///< The fault hits a frame in [0, this), log-uniform.
  std::uint64_t seed = 1;
  std::string log_path;  ///< One line per connection and per fault. Default: none.
};

/// Listens on 127.0.0.1 (a free port) and forwards each connection to 127.0.0.1:upstream.
///
/// @par Thread Safety
/// Runs on its own thread. Every public method may be called from any thread.
class FaultProxy {
 public:
  explicit FaultProxy(ProxyOptions options);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const;
  /// Where new connections go (the server gets a new port on each restart).
  void set_upstream_port(std::uint16_t port);
  /// Off: new connections get no fault (open ones keep the plan they have).
  void set_faults_enabled(bool enabled);
  /// Resets every open connection (ends stalls and half-closes before the final check).
  void reset_all();
  /// Faults injected so far, by kind.
  std::array<std::uint64_t, static_cast<std::size_t>(FaultKind::kCount)> fault_counts() const;
  std::uint64_t connections() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace wechat::chaos

#endif  // WECHAT_TESTS_CHAOS_FAULT_PROXY_H_
