// SPDX-License-Identifier: MIT
#include "transport/frame_codec.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

using wechat::Error;
using wechat::transport::encode_frame;
using wechat::transport::FrameDecoder;
using wechat::transport::kDefaultMaxFrameBytes;
using wechat::transport::kFrameHeaderBytes;
namespace v1 = wechat::v1;

// The largest single allocation made while tracking is on: proves the decoder never sizes a
// buffer from a length it has not checked yet.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

// The replacement allocator pairs operator new with malloc and operator delete with free, which
// GCC cannot see through.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

v1::Frame make_frame(std::uint64_t id, const std::string& text = "hello") {
  v1::Frame frame;
  frame.set_request_id(id);
  frame.mutable_request()->mutable_hello()->set_client_name(text);
  return frame;
}

std::string header(std::uint32_t length) {
  std::string h(4, '\0');
  h[0] = static_cast<char>(length >> 24);
  h[1] = static_cast<char>(length >> 16);
  h[2] = static_cast<char>(length >> 8);
  h[3] = static_cast<char>(length);
  return h;
}

// Feeds `bytes` through prepare()/commit() in pieces of at most `piece`, draining frames.
std::vector<v1::Frame> feed(FrameDecoder& decoder, const std::string& bytes, std::size_t piece) {
  std::vector<v1::Frame> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    auto span = decoder.prepare(std::min(piece, bytes.size() - pos));
    REQUIRE(!span.empty());
    std::copy_n(bytes.data() + pos, span.size(), span.data());
    decoder.commit(span.size());
    pos += span.size();
    for (;;) {
      auto next = decoder.next();
      REQUIRE(next.ok());
      if (!next->has_value()) break;
      out.push_back(std::move(**next));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("codec: an encoded frame starts with its payload length, big-endian") {
  const v1::Frame frame = make_frame(7);
  const std::string bytes = encode_frame(frame);
  REQUIRE(bytes.size() == kFrameHeaderBytes + frame.ByteSizeLong());
  CHECK(bytes.substr(0, 4) == header(static_cast<std::uint32_t>(frame.ByteSizeLong())));
  v1::Frame parsed;
  REQUIRE(parsed.ParseFromString(bytes.substr(4)));
  CHECK(parsed.request_id() == 7);
}

TEST_CASE("codec: a frame round-trips through append and next") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(encode_frame(make_frame(42, "round trip")));
  auto next = decoder.next();
  REQUIRE(next.ok());
  REQUIRE(next->has_value());
  CHECK((*next)->request_id() == 42);
  CHECK((*next)->request().hello().client_name() == "round trip");
  CHECK(decoder.buffered_bytes() == 0);
  auto again = decoder.next();
  REQUIRE(again.ok());
  CHECK_FALSE(again->has_value());
}

TEST_CASE("codec: a frame of exactly the limit decodes, one byte more is rejected") {
  const std::string bytes = encode_frame(make_frame(1, std::string(1000, 'x')));
  const std::size_t payload = bytes.size() - kFrameHeaderBytes;

  FrameDecoder at_limit(payload);
  auto frames = feed(at_limit, bytes, 64);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].request().hello().client_name().size() == 1000);

  FrameDecoder below(payload - 1);
  below.append(bytes);
  auto next = below.next();
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kResourceExhausted);
  CHECK(next.status().message() == "frame of " + std::to_string(payload) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(payload - 1));
}

TEST_CASE("codec: a frame at the default limit of 1 MiB round-trips") {
  // request_id (2 bytes) + request (1 tag + 3 length + hello (1 tag + 3 length + name (1 tag +
  // 3 length + text))): solve for a payload of exactly kDefaultMaxFrameBytes.
  v1::Frame probe = make_frame(1, std::string(kDefaultMaxFrameBytes - 100, 'y'));
  const std::size_t overhead = probe.ByteSizeLong() - (kDefaultMaxFrameBytes - 100);
  const v1::Frame frame = make_frame(1, std::string(kDefaultMaxFrameBytes - overhead, 'y'));
  REQUIRE(frame.ByteSizeLong() == kDefaultMaxFrameBytes);
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  auto frames = feed(decoder, encode_frame(frame), 64 << 10);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].request().hello().client_name().size() == kDefaultMaxFrameBytes - overhead);
}

TEST_CASE("codec: a frame delivered one byte at a time decodes once") {
  const std::string bytes = encode_frame(make_frame(9, "split at every boundary"));
  SUBCASE("through prepare and commit") {
    FrameDecoder decoder(kDefaultMaxFrameBytes);
    auto frames = feed(decoder, bytes, 1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].request_id() == 9);
  }
  SUBCASE("through append") {
    FrameDecoder decoder(kDefaultMaxFrameBytes);
    int decoded = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      decoder.append(bytes.substr(i, 1));
      auto next = decoder.next();
      REQUIRE(next.ok());
      if (next->has_value()) {
        ++decoded;
        CHECK(i == bytes.size() - 1);
      }
    }
    CHECK(decoded == 1);
  }
}

TEST_CASE("codec: a stream split at every possible point yields the same frames") {
  const std::string bytes = encode_frame(make_frame(1, "a")) + encode_frame(make_frame(2, "bb")) +
                            encode_frame(make_frame(3, "ccc"));
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameDecoder decoder(kDefaultMaxFrameBytes);
    std::vector<std::uint64_t> ids;
    for (std::string_view part :
         {std::string_view(bytes).substr(0, cut), std::string_view(bytes).substr(cut)}) {
      decoder.append(part);
      for (;;) {
        auto next = decoder.next();
        REQUIRE(next.ok());
        if (!next->has_value()) break;
        ids.push_back((*next)->request_id());
      }
    }
    CHECK(ids == std::vector<std::uint64_t>{1, 2, 3});
  }
}

TEST_CASE("codec: two frames in one chunk both decode, in order") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(encode_frame(make_frame(1)) + encode_frame(make_frame(2)));
  auto first = decoder.next();
  auto second = decoder.next();
  auto third = decoder.next();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  REQUIRE(third.ok());
  REQUIRE(first->has_value());
  REQUIRE(second->has_value());
  CHECK((*first)->request_id() == 1);
  CHECK((*second)->request_id() == 2);
  CHECK_FALSE(third->has_value());
}

TEST_CASE("codec: an oversized length is rejected before any large allocation") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  g_largest_allocation = 0;
  g_track_allocations = true;
  auto span = decoder.prepare(4096);
  REQUIRE(span.size() >= 4);
  const std::string h = header(0xFFFFFFF0u);
  std::copy(h.begin(), h.end(), span.data());
  decoder.commit(4);
  auto next = decoder.next();
  auto after = decoder.prepare(1 << 20);
  g_track_allocations = false;
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kResourceExhausted);
  CHECK(next.status().message() == "frame of 4294967280 bytes exceeds the limit of 1048576");
  CHECK(g_largest_allocation.load() <= 4096);
  CHECK(after.empty());
  CHECK(decoder.failed());
}

TEST_CASE("codec: a length just over the limit is rejected as soon as the header is in") {
  FrameDecoder decoder(100);
  decoder.append(header(101));
  auto next = decoder.next();
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kResourceExhausted);
}

TEST_CASE("codec: the buffer never grows beyond the limit plus the header") {
  FrameDecoder decoder(16);
  auto span = decoder.prepare(1 << 20);
  CHECK(span.size() == 16 + kFrameHeaderBytes);
  decoder.commit(3);
  CHECK(decoder.prepare(1 << 20).size() == 16 + kFrameHeaderBytes - 3);
}

TEST_CASE("codec: a frame of length 0 is a protocol error") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(header(0));
  auto next = decoder.next();
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kProtocol);
}

TEST_CASE("codec: a payload that does not parse is a protocol error") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  // 0xFF starts a field with number 31 and wire type 7, which does not exist.
  decoder.append(header(4) + std::string("\xff\xff\xff\xff", 4));
  auto next = decoder.next();
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kProtocol);
}

TEST_CASE("codec: a frame without a body is a protocol error") {
  v1::Frame frame;
  frame.set_request_id(5);  // no request/response/event/ping/pong
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(encode_frame(frame));
  auto next = decoder.next();
  REQUIRE_FALSE(next.ok());
  CHECK(next.code() == Error::kProtocol);
  CHECK(next.status().message() == "frame without a body");
}

TEST_CASE("codec: after an error the decoder stays failed") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(header(0));
  const auto first = decoder.next();
  REQUIRE_FALSE(first.ok());
  decoder.append(encode_frame(make_frame(1)));
  const auto second = decoder.next();
  REQUIRE_FALSE(second.ok());
  CHECK(second.status() == first.status());
  CHECK(decoder.prepare(100).empty());
  CHECK(decoder.failed());
}

TEST_CASE("codec: a truncated frame reports that more bytes are needed") {
  const std::string bytes = encode_frame(make_frame(3, "truncated"));
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(bytes.substr(0, bytes.size() - 1));
  auto next = decoder.next();
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
  CHECK(decoder.buffered_bytes() == bytes.size() - 1);
  decoder.append(bytes.substr(bytes.size() - 1));
  auto done = decoder.next();
  REQUIRE(done.ok());
  REQUIRE(done->has_value());
  CHECK((*done)->request_id() == 3);
}

TEST_CASE("codec: a partial header alone is not an error") {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.append(std::string("\0\0", 2));
  auto next = decoder.next();
  REQUIRE(next.ok());
  CHECK_FALSE(next->has_value());
}

TEST_CASE("codec: many small frames read in large chunks all decode") {
  std::string bytes;
  for (int i = 1; i <= 1000; ++i) bytes += encode_frame(make_frame(static_cast<std::uint64_t>(i)));
  FrameDecoder decoder(64);  // small limit: reads are capped at 68 bytes at a time
  auto frames = feed(decoder, bytes, 1 << 16);
  REQUIRE(frames.size() == 1000);
  for (std::size_t i = 0; i < frames.size(); ++i) CHECK(frames[i].request_id() == i + 1);
}
