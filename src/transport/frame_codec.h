// SPDX-License-Identifier: MIT
#ifndef WECHAT_TRANSPORT_FRAME_CODEC_H_
#define WECHAT_TRANSPORT_FRAME_CODEC_H_

/// @file
/// The wire framing (docs/protocol.md): every frame is a 4-byte big-endian length `N` followed by
/// `N` bytes of a serialized `wechat.v1.Frame`. `N` is never 0 and never above the receiver's
/// limit; a Frame on the wire always has its `body` set.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wechat/status.h"
#include "wechat/v1/frame.pb.h"

namespace wechat::transport {

/// Size of the length prefix.
inline constexpr std::size_t kFrameHeaderBytes = 4;

/// The default limit on a frame's payload (the bytes after the length prefix): 1 MiB.
inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{1} << 20;

/// The largest limit a decoder accepts (protobuf parses at most 2 GiB - 1); larger limits are
/// clamped to it.
inline constexpr std::size_t kMaxFrameBytesCeiling = (std::size_t{1} << 31) - 1 - kFrameHeaderBytes;

/// Encodes `frame` as length prefix + payload, in one allocation.
///
/// REQUIRES: the serialized frame is smaller than 2 GiB. The receiver enforces its own limit
/// (see FrameDecoder); this function does not know it.
/// Not safe to call on the same `frame` object from two threads at once: protobuf caches the
/// computed sizes inside the message.
std::string encode_frame(const v1::Frame& frame);

/// Turns a byte stream into frames, incrementally.
///
/// Bytes go in with append() or, without a copy, with prepare()/commit() (read the socket
/// straight into the span prepare() returns). next() hands out complete frames in order.
/// Fed through prepare(), the buffer never grows beyond `max_frame_bytes + kFrameHeaderBytes`,
/// and nothing is allocated on the strength of a length read off the wire before it passed the
/// limit check. A large buffer is released once it is empty again.
///
/// Errors from next() (after one, the decoder stays failed and returns the same error):
///  - kResourceExhausted: a length above the limit ("frame of N bytes exceeds the limit of M");
///  - kProtocol: a length of 0, a payload that does not parse, or a Frame without a body.
///
/// @par Thread Safety
/// Not synchronised: one decoder belongs to one connection (its strand).
///
/// @code
///   FrameDecoder decoder(kDefaultMaxFrameBytes);
///   decoder.append(bytes);
///   for (;;) {
///     auto next = decoder.next();
///     if (!next.ok()) return next.status();   // close the connection
///     if (!next->has_value()) break;          // need more bytes
///     handle(std::move(**next));
///   }
/// @endcode
class FrameDecoder {
 public:
  /// `max_frame_bytes` limits a frame's payload (the length prefix is not counted).
  /// REQUIRES: max_frame_bytes > 0; values above kMaxFrameBytesCeiling are clamped.
  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

  /// A writable span of at most `max_bytes` bytes at the end of the buffer: read into it, then
  /// commit() the number of bytes written. Invalidated by any other non-const call.
  /// The span is empty only if the decoder has failed or if complete frames are still buffered
  /// and the buffer is at its bound (call next() until it returns nullopt, then prepare() again).
  /// Memory follows the bytes actually received (it grows geometrically up to the bound), never
  /// a length announced by the peer: a 4-byte header alone costs nothing.
  std::span<char> prepare(std::size_t max_bytes);

  /// Marks `n` bytes of the last prepare() span as filled. REQUIRES: n <= that span's size.
  void commit(std::size_t n);

  /// Copies `bytes` into the buffer (ignored once failed). The bound above holds for the
  /// prepare() path; append() buffers at most the undecoded bytes plus this chunk, so a caller
  /// must drain next() between appends, as with prepare().
  void append(std::string_view bytes);

  /// The next complete frame, nullopt if more bytes are needed, or the error (see the class
  /// comment). A frame is consumed when returned.
  [[nodiscard]] Result<std::optional<v1::Frame>> next();

  /// Bytes buffered and not yet returned as frames (0 between frames).
  std::size_t buffered_bytes() const noexcept { return end_ - begin_; }
  /// Frees the buffer when it holds no bytes (idle connections then cost no buffer memory).
  void release_if_empty() noexcept;
  /// True once next() has reported an error.
  bool failed() const noexcept { return !error_.ok(); }
  std::size_t max_frame_bytes() const noexcept { return max_frame_bytes_; }

 private:
  Status fail(Status status);
  void compact();

  std::size_t max_frame_bytes_;
  std::vector<char> storage_;  // storage_.size() is the capacity in use; bytes in [begin_, end_)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  Status error_;
};

}  // namespace wechat::transport

#endif  // WECHAT_TRANSPORT_FRAME_CODEC_H_
