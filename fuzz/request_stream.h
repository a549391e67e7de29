// SPDX-License-Identifier: MIT
// The input format of the request-handler fuzzer, the fixture it runs against, and the
// name-driven field filler the seed generator and the mutator share.
//
// An input is a flags byte and then requests, each a serialized wechat.v1.Request behind a
// 2-byte big-endian length (a length that runs past the end takes what is left):
//
//   [flags] [len_hi len_lo] [Request bytes] [len_hi len_lo] [Request bytes] ...
//
// flags bits 0-1: who the connection is logged in as before the requests run (0: nobody,
//                 1-3: the fixture user kUsers[n - 1], by Resume with a token made at start-up);
//       bit 2:    pipelined: every request is sent at once (they run concurrently on the server),
//                 instead of one at a time, each waiting for its answer;
//       bit 3:    no hello from the harness: the input's requests are the first on the
//                 connection (and no login, whatever bits 0-1 say).
// Chunks that do not parse as a Request are skipped: the frame decoder fuzzer owns bad bytes.

#ifndef WECHAT_FUZZ_REQUEST_STREAM_H_
#define WECHAT_FUZZ_REQUEST_STREAM_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace wechat::fuzz {

inline constexpr std::uint8_t kUserMask = 0x03;
inline constexpr std::uint8_t kPipelined = 0x04;
inline constexpr std::uint8_t kNoHello = 0x08;

/// Requests past this many in one input are ignored (keeps an iteration cheap).
inline constexpr std::size_t kMaxRequests = 16;

struct RequestStream {
  std::uint8_t flags = 0;
  std::vector<std::string> chunks;  ///< Serialized Requests (not necessarily parseable).
};

RequestStream parse_stream(std::string_view input);
std::string write_stream(const RequestStream& stream);

/// The users the harness registers at every (re)start, in this order, so their ids are 1..4.
/// alice and bob are friends (direct conversation kConversation, a message each way); carol has a
/// pending request to alice (kPendingRequest); alice has one to dave.
struct FixtureUser {
  const char* username;
  const char* email;
  const char* password;
};
inline constexpr FixtureUser kUsers[] = {
    {"alice", "alice@example.com", "password-alice"},
    {"bob", "bob@example.com", "password-bob"},
    {"carol", "carol@example.com", "password-carol"},
    {"dave", "dave@example.com", "password-dave"},
};
inline constexpr std::uint64_t kConversation = 1;    ///< alice <-> bob.
inline constexpr std::uint64_t kPendingRequest = 2;  ///< carol -> alice, pending.
/// The device name the harness logs in with (an input that logs in under it replaces the
/// harness's session; the harness logs in again).
inline constexpr char kHarnessDevice[] = "fuzz-harness";

/// A string field named "code" with this value is replaced, just before it is sent, by the
/// newest code mailed to the message's "email" field (if any), so that register and reset can
/// succeed. Only in one-at-a-time mode, where the code has been mailed by then.
inline constexpr char kCodePlaceholder[] = "@code";

/// Gives every field of `message` (recursively, `depth` levels) a value a real client would plausibly
/// send, chosen by the field's name: user ids of the fixture users, kConversation, the fixture
/// emails, "@code", 16-byte client ids... Works for any message, so new request kinds get
/// sensible seeds without changes here. `variant` picks among alternatives (e.g. which user).
void fill_plausible(google::protobuf::Message& message, unsigned variant, int depth = 3);

/// A value for the mutator: "interesting" strings and numbers for any field.
std::string interesting_string(std::minstd_rand& rng);
std::uint64_t interesting_number(std::minstd_rand& rng);

bool is_valid_utf8(std::string_view s);

}  // namespace wechat::fuzz

#endif  // WECHAT_FUZZ_REQUEST_STREAM_H_
