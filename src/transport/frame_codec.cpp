// SPDX-License-Identifier: MIT
#include "transport/frame_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

namespace wechat::transport {
namespace {

// An empty decoder gives back a buffer larger than this, so an idle connection that once
// received a big frame does not keep a megabyte around.
constexpr std::size_t kReleaseAbove = std::size_t{64} << 10;

void put_be32(std::uint8_t* out, std::uint32_t value) noexcept {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t get_be32(const char* in) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::string encode_frame(const v1::Frame& frame) {
  // ByteSizeLong() caches the sizes of every sub-message, which the serializer below reuses.
  const std::size_t size = frame.ByteSizeLong();
  assert(size <= kMaxFrameBytesCeiling);
  std::string out(kFrameHeaderBytes + size, '\0');
  auto* bytes = reinterpret_cast<std::uint8_t*>(out.data());
  put_be32(bytes, static_cast<std::uint32_t>(size));
  frame.SerializeWithCachedSizesToArray(bytes + kFrameHeaderBytes);
  return out;
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes)
    : max_frame_bytes_(std::clamp<std::size_t>(max_frame_bytes, 1, kMaxFrameBytesCeiling)) {}

void FrameDecoder::compact() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (storage_.size() > kReleaseAbove) std::vector<char>().swap(storage_);
  } else if (begin_ > 0) {
    // At most one partial frame is left behind after next() drained the complete ones, and a
    // frame that keeps arriving stays at offset 0, so each byte moves at most once.
    std::memmove(storage_.data(), storage_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
}

std::span<char> FrameDecoder::prepare(std::size_t max_bytes) {
  if (failed()) return {};
  compact();
  const std::size_t bound = max_frame_bytes_ + kFrameHeaderBytes;
  if (end_ >= bound) return {};
  const std::size_t want = std::min(max_bytes, bound - end_);
  if (want == 0) return {};
  if (end_ + want > storage_.size()) {
    // Geometric growth keeps a large frame arriving in small reads linear, capped at the bound.
    const std::size_t grown = std::min(bound, storage_.size() * 2);
    storage_.resize(std::max(end_ + want, grown));
  }
  return {storage_.data() + end_, want};
}

void FrameDecoder::commit(std::size_t n) {
  assert(end_ + n <= storage_.size());
  end_ += std::min(n, storage_.size() - end_);
}

void FrameDecoder::append(std::string_view bytes) {
  if (failed() || bytes.empty()) return;
  compact();
  if (end_ + bytes.size() > storage_.size()) {
    storage_.resize(std::max(end_ + bytes.size(),
                             std::min(max_frame_bytes_ + kFrameHeaderBytes, storage_.size() * 2)));
  }
  std::memcpy(storage_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

void FrameDecoder::release_if_empty() noexcept {
  if (buffered_bytes() == 0 && !storage_.empty()) {
    std::vector<char>().swap(storage_);
    begin_ = end_ = 0;
  }
}

Status FrameDecoder::fail(Status status) {
  error_ = std::move(status);
  std::vector<char>().swap(storage_);
  begin_ = end_ = 0;
  return error_;
}

Result<std::optional<v1::Frame>> FrameDecoder::next() {
  if (failed()) return error_;
  if (buffered_bytes() < kFrameHeaderBytes) return std::optional<v1::Frame>();

  // Layout: [u32 big-endian payload length][payload: serialized wechat.v1.Frame].
  const std::size_t length = get_be32(storage_.data() + begin_);
  if (length > max_frame_bytes_) {
    return fail(
        Status(Error::kResourceExhausted,
               fmt::format("frame of {} bytes exceeds the limit of {}", length, max_frame_bytes_)));
  }
  if (length == 0) return fail(Status(Error::kProtocol, "frame of length 0"));
  if (buffered_bytes() - kFrameHeaderBytes < length) return std::optional<v1::Frame>();

  v1::Frame frame;
  if (!frame.ParseFromArray(storage_.data() + begin_ + kFrameHeaderBytes,
                            static_cast<int>(length))) {
    return fail(Status(Error::kProtocol,
                       fmt::format("frame of {} bytes does not parse as wechat.v1.Frame", length)));
  }
  if (frame.body_case() == v1::Frame::BODY_NOT_SET) {
    return fail(Status(Error::kProtocol, "frame without a body"));
  }
  begin_ += kFrameHeaderBytes + length;
  if (begin_ == end_) begin_ = end_ = 0;
  return std::optional<v1::Frame>(std::move(frame));
}

}  // namespace wechat::transport
