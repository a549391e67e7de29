// SPDX-License-Identifier: MIT
#include "request_stream.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <array>
#include <limits>

namespace wechat::fuzz {

namespace pb = google::protobuf;

RequestStream parse_stream(std::string_view input) {
  RequestStream stream;
  if (input.empty()) return stream;
  stream.flags = static_cast<std::uint8_t>(input[0]);
  input.remove_prefix(1);
  while (!input.empty()) {
    std::size_t length = static_cast<std::uint8_t>(input[0]);
    if (input.size() >= 2) length = length << 8 | static_cast<std::uint8_t>(input[1]);
    input.remove_prefix(std::min<std::size_t>(2, input.size()));
    length = std::min(length, input.size());
    stream.chunks.emplace_back(input.substr(0, length));
    input.remove_prefix(length);
  }
  return stream;
}

std::string write_stream(const RequestStream& stream) {
  std::string out(1, static_cast<char>(stream.flags));
  for (const auto& chunk : stream.chunks) {
    const std::size_t length = std::min<std::size_t>(chunk.size(), 0xFFFF);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length & 0xFF);
    out.append(chunk, 0, length);
  }
  return out;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string fixed_bytes(std::size_t n, unsigned variant) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(0x41 + (variant * 7 + i) % 26);
  return out;
}

/// The plausible number for a field called `name`, acting as user index `u`.
std::uint64_t plausible_number(std::string_view name, unsigned u) {
  if (name == "conversation_id") return kConversation;
  if (name == "group_id") return kConversation + 1;  // the first group created after the fixture
  if (name == "request_id") return kPendingRequest;
  if (name == "message_id") return 1;
  if (name == "protocol_version") return 1;
  if (name == "after_user_seq") return 0;
  if (name == "limit") return 10;
  if (name == "before_seq") return 0;
  if (ends_with(name, "seq")) return 1;
  // Anybody else: a user id other than the acting user's (alice acts, bob is the peer).
  if (ends_with(name, "_id") || ends_with(name, "_ids")) return (u + 1) % 4 + 1;
  return 1;
}

std::string plausible_string(std::string_view name, unsigned u) {
  const FixtureUser& user = kUsers[u % 4];
  if (name == "username" || name == "login") return user.username;
  if (name == "email") return user.email;
  if (name == "password" || name == "new_password") return user.password;
  if (name == "code") return kCodePlaceholder;
  if (name == "device_name") return "seed-device";
  if (name == "query") return "a";
  if (name == "name") return "fuzzers";
  if (name == "client_name") return "fuzz";
  if (name == "client_version") return "0.1.0";
  return "hello";
}

void fill_field(pb::Message& m, const pb::FieldDescriptor* f, unsigned u, int depth) {
  const pb::Reflection* r = m.GetReflection();
  const std::string& name = f->name();
  using T = pb::FieldDescriptor;
  if (f->is_repeated()) {
    if (f->cpp_type() == T::CPPTYPE_UINT64) {
      r->AddUInt64(&m, f, plausible_number(name, u));  // one: alice's only friend is bob
    } else if (f->cpp_type() == T::CPPTYPE_MESSAGE && depth > 0) {
      fill_plausible(*r->AddMessage(&m, f), u, depth - 1);
    }
    return;
  }
  switch (f->cpp_type()) {
    case T::CPPTYPE_INT32: r->SetInt32(&m, f, static_cast<std::int32_t>(plausible_number(name, u))); break;
    case T::CPPTYPE_INT64: r->SetInt64(&m, f, static_cast<std::int64_t>(plausible_number(name, u))); break;
    case T::CPPTYPE_UINT32: r->SetUInt32(&m, f, static_cast<std::uint32_t>(plausible_number(name, u))); break;
    case T::CPPTYPE_UINT64: r->SetUInt64(&m, f, plausible_number(name, u)); break;
    case T::CPPTYPE_BOOL: r->SetBool(&m, f, true); break;
    case T::CPPTYPE_DOUBLE: r->SetDouble(&m, f, 1.0); break;
    case T::CPPTYPE_FLOAT: r->SetFloat(&m, f, 1.0f); break;
    case T::CPPTYPE_ENUM: {
      // The first value after UNSPECIFIED.
      const pb::EnumDescriptor* e = f->enum_type();
      r->SetEnumValue(&m, f, e->value(std::min(1, e->value_count() - 1))->number());
      break;
    }
    case T::CPPTYPE_STRING:
      if (f->type() == T::TYPE_BYTES) {
        r->SetString(&m, f, fixed_bytes(name == "token" ? 32 : 16, u));
      } else {
        r->SetString(&m, f, plausible_string(name, u));
      }
      break;
    case T::CPPTYPE_MESSAGE:
      if (depth > 0) fill_plausible(*r->MutableMessage(&m, f), u, depth - 1);
      break;
  }
}

}  // namespace

void fill_plausible(pb::Message& message, unsigned variant, int depth) {
  const pb::Descriptor* d = message.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr) continue;  // the caller picks the oneof member
    // A message addressed to a user is direct: a group id would make it ambiguous.
    if (f->name() == "group_id" && d->FindFieldByName("to_user_id") != nullptr) continue;
    fill_field(message, f, variant % 4, depth);
  }
}

std::string interesting_string(std::minstd_rand& rng) {
  using namespace std::literals;
  static const std::array<std::string_view, 24> kPool = {
      "", "a", "alice", "bob", "carol", "dave", "ALICE", "Alice@Example.COM", "alice@example.com",
      "bob@example.com", "x@y", "a@b.c", "@code", "password-alice", "password-bob", "000000",
      "123456", "   ", "\t\n", "hi\0there"sv, "你好", "\xF0\x9F\x98\x80", "a b", "fuzz-harness"};
  static constexpr std::array<std::size_t, 14> kLengths = {1,   3,   32,   33,   64,    65,   254,
                                                           255, 256, 257,  1024, 1025,  16384, 16385};
  const unsigned pick = rng() % (kPool.size() + kLengths.size());
  if (pick < kPool.size()) return std::string(kPool[pick]);
  return std::string(kLengths[pick - kPool.size()], static_cast<char>('a' + rng() % 26));
}

std::uint64_t interesting_number(std::minstd_rand& rng) {
  static constexpr std::array<std::uint64_t, 14> kPool = {
      0,          1,          2,          3,          4,          5,
      6,          255,        1000,       1001,       0x7FFFFFFF, 0xFFFFFFFF,
      0x7FFFFFFFFFFFFFFF, std::numeric_limits<std::uint64_t>::max()};
  switch (rng() % 4) {
    case 0: return rng() % 8;
    case 1: return (static_cast<std::uint64_t>(rng()) << 32) ^ rng();
    default: return kPool[rng() % kPool.size()];
  }
}

}  // namespace wechat::fuzz
