// SPDX-License-Identifier: MIT
// Fuzzes FrameDecoder with arbitrary wire bytes (the input is exactly what a peer could send).
// The same bytes go through three feeding patterns (one append, one byte at a time through
// prepare()/commit(), pseudo-random chunks) which must agree on the frames and on the error;
// every frame must survive encode_frame() -> decode unchanged; the buffer must respect its bound.
// Any violation traps, which libFuzzer reports as a crash.

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "transport/frame_codec.h"

namespace {

using wechat::transport::encode_frame;
using wechat::transport::FrameDecoder;
using wechat::transport::kFrameHeaderBytes;
using wechat::transport::kMaxFrameBytesCeiling;

constexpr std::size_t kLimit = 1024;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  std::vector<std::string> frames;  // serialized payloads
  wechat::Status error;             // ok if the input ended cleanly or mid-frame
  std::size_t left_over = 0;        // bytes buffered at the end (no error)
};

// Drains `decoder`; returns false once it reported an error.
bool drain(FrameDecoder& decoder, Outcome& out) {
  for (;;) {
    auto next = decoder.next();
    if (!next.ok()) {
      check(next.code() == wechat::Error::kResourceExhausted ||
            next.code() == wechat::Error::kProtocol);
      check(decoder.failed());
      auto again = decoder.next();  // stays failed with the same error
      check(!again.ok() && again.status() == next.status());
      check(decoder.prepare(64).empty());
      out.error = next.status();
      return false;
    }
    if (!next->has_value()) return true;
    const wechat::v1::Frame& frame = **next;
    check(frame.body_case() != wechat::v1::Frame::BODY_NOT_SET);
    out.frames.push_back(frame.SerializeAsString());

    // Round trip. Re-serialising may grow a frame (e.g. a negative int32 sent as a 5-byte
    // varint comes back as 10 bytes), so the second decoder has the widest limit.
    FrameDecoder round(kMaxFrameBytesCeiling);
    round.append(encode_frame(frame));
    auto back = round.next();
    check(back.ok() && back->has_value());
    check((*back)->SerializeAsString() == out.frames.back());
    check(round.buffered_bytes() == 0);
  }
}

Outcome feed_whole(std::string_view input) {
  Outcome out;
  FrameDecoder decoder(kLimit);
  decoder.append(input);
  if (drain(decoder, out)) out.left_over = decoder.buffered_bytes();
  return out;
}

// Through prepare()/commit() in chunks of sizes from `next_chunk`.
template <typename NextChunk>
Outcome feed_chunks(std::string_view input, NextChunk next_chunk) {
  Outcome out;
  FrameDecoder decoder(kLimit);
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t want = next_chunk();
    auto span = decoder.prepare(want);
    // The bound: never more than asked, never beyond limit + header in total.
    check(span.size() <= want);
    check(decoder.buffered_bytes() + span.size() <= kLimit + kFrameHeaderBytes);
    check(!span.empty());  // drained after every commit, so there is always room
    const std::size_t n = std::min(span.size(), input.size() - pos);
    std::memcpy(span.data(), input.data() + pos, n);
    decoder.commit(n);
    pos += n;
    if (!drain(decoder, out)) return out;
  }
  out.left_over = decoder.buffered_bytes();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Protobuf logs every string field with invalid UTF-8 it rejects; drop that noise.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const Outcome whole = feed_whole(input);
  const Outcome bytewise = feed_chunks(input, [] { return std::size_t{1}; });
  std::uint32_t state = static_cast<std::uint32_t>(size) * 2654435761u + 1;
  const Outcome random = feed_chunks(input, [&state] {
    state = state * 1664525u + 1013904223u;
    return std::size_t{1} + (state >> 16) % 300;
  });

  for (const Outcome* other : {&bytewise, &random}) {
    check(other->frames == whole.frames);
    check(other->error == whole.error);
    check(other->left_over == whole.left_over);
  }
  return 0;
}
