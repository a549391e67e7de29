// SPDX-License-Identifier: MIT
// Structure-aware mutation for the handler fuzzer (Debian ships no libprotobuf-mutator): most
// mutations keep the input a well-formed request stream (request_stream.h) and change one
// request through protobuf reflection (a field set to an interesting value, a new request kind,
// an element added to a repeated field), or reorder, copy and drop requests. The rest are
// libFuzzer's own byte mutations, on one request's bytes or on the whole input, which keep the
// comparison-guided search (e.g. a user id compared in SQL) working. Reflection reaches every
// field of every kind in the Request oneof, so new kinds need nothing here.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "request_stream.h"
#include "wechat/v1/frame.pb.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

namespace pb = google::protobuf;
using wechat::fuzz::interesting_number;
using wechat::fuzz::interesting_string;
using T = pb::FieldDescriptor;

std::string mutate_bytes(std::string s, std::size_t max_size) {
  const std::size_t size = s.size();
  s.resize(std::max(max_size, size));
  s.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(s.data()), size, s.size()));
  return s;
}

struct Slot {
  pb::Message* message;
  const pb::FieldDescriptor* field;
  int index;  // -1: the field itself (singular, or the whole repeated field)
};

void collect(pb::Message& m, std::vector<Slot>& out, int depth) {
  const pb::Reflection* r = m.GetReflection();
  const pb::Descriptor* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    // Inside a oneof only the member that is set (the Request kind is switched separately).
    if (f->containing_oneof() != nullptr && !r->HasField(m, f)) continue;
    out.push_back({&m, f, -1});
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        out.push_back({&m, f, k});
        if (f->cpp_type() == T::CPPTYPE_MESSAGE && depth > 0) {
          collect(*r->MutableRepeatedMessage(&m, f, k), out, depth - 1);
        }
      }
    } else if (f->cpp_type() == T::CPPTYPE_MESSAGE && r->HasField(m, f) && depth > 0) {
      collect(*r->MutableMessage(&m, f), out, depth - 1);
    }
  }
}

std::string some_bytes(std::minstd_rand& rng) {
  static constexpr std::size_t kLengths[] = {0, 1, 15, 16, 17, 31, 32, 33, 64};
  std::string s(kLengths[rng() % std::size(kLengths)], '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string some_string(const std::string& current, std::minstd_rand& rng) {
  if (rng() % 3 == 0) {
    std::string s = mutate_bytes(current, current.size() + 16);
    if (wechat::fuzz::is_valid_utf8(s)) return s;
  }
  return interesting_string(rng);
}

void mutate_slot(const Slot& slot, std::minstd_rand& rng) {
  pb::Message& m = *slot.message;
  const pb::FieldDescriptor* f = slot.field;
  const pb::Reflection* r = m.GetReflection();
  if (f->is_repeated() && slot.index < 0) {
    if (rng() % 2 == 0 && r->FieldSize(m, f) > 0) {
      r->RemoveLast(&m, f);
      return;
    }
    switch (f->cpp_type()) {
      case T::CPPTYPE_INT32: r->AddInt32(&m, f, static_cast<std::int32_t>(interesting_number(rng))); break;
      case T::CPPTYPE_INT64: r->AddInt64(&m, f, static_cast<std::int64_t>(interesting_number(rng))); break;
      case T::CPPTYPE_UINT32: r->AddUInt32(&m, f, static_cast<std::uint32_t>(interesting_number(rng))); break;
      case T::CPPTYPE_UINT64: r->AddUInt64(&m, f, interesting_number(rng)); break;
      case T::CPPTYPE_BOOL: r->AddBool(&m, f, rng() % 2 == 0); break;
      case T::CPPTYPE_DOUBLE: r->AddDouble(&m, f, static_cast<double>(interesting_number(rng))); break;
      case T::CPPTYPE_FLOAT: r->AddFloat(&m, f, static_cast<float>(interesting_number(rng))); break;
      case T::CPPTYPE_ENUM: r->AddEnumValue(&m, f, static_cast<int>(rng() % 5)); break;
      case T::CPPTYPE_STRING:
        r->AddString(&m, f, f->type() == T::TYPE_BYTES ? some_bytes(rng) : interesting_string(rng));
        break;
      case T::CPPTYPE_MESSAGE: wechat::fuzz::fill_plausible(*r->AddMessage(&m, f), rng(), 1); break;
    }
    return;
  }
  const int k = slot.index;
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case T::CPPTYPE_INT32: {
      const auto v = static_cast<std::int32_t>(interesting_number(rng));
      rep ? r->SetRepeatedInt32(&m, f, k, v) : r->SetInt32(&m, f, v);
      break;
    }
    case T::CPPTYPE_INT64: {
      const auto v = static_cast<std::int64_t>(interesting_number(rng));
      rep ? r->SetRepeatedInt64(&m, f, k, v) : r->SetInt64(&m, f, v);
      break;
    }
    case T::CPPTYPE_UINT32: {
      const auto v = static_cast<std::uint32_t>(interesting_number(rng));
      rep ? r->SetRepeatedUInt32(&m, f, k, v) : r->SetUInt32(&m, f, v);
      break;
    }
    case T::CPPTYPE_UINT64: {
      const auto v = interesting_number(rng);
      rep ? r->SetRepeatedUInt64(&m, f, k, v) : r->SetUInt64(&m, f, v);
      break;
    }
    case T::CPPTYPE_BOOL: {
      const bool v = rep ? !r->GetRepeatedBool(m, f, k) : !r->GetBool(m, f);
      rep ? r->SetRepeatedBool(&m, f, k, v) : r->SetBool(&m, f, v);
      break;
    }
    case T::CPPTYPE_DOUBLE: {
      const double v = static_cast<double>(interesting_number(rng)) / (1 + rng() % 4);
      rep ? r->SetRepeatedDouble(&m, f, k, v) : r->SetDouble(&m, f, v);
      break;
    }
    case T::CPPTYPE_FLOAT: {
      const float v = static_cast<float>(interesting_number(rng));
      rep ? r->SetRepeatedFloat(&m, f, k, v) : r->SetFloat(&m, f, v);
      break;
    }
    case T::CPPTYPE_ENUM: {
      // A declared value, or any number (proto3 enums are open).
      const pb::EnumDescriptor* e = f->enum_type();
      const int v = rng() % 4 != 0 ? e->value(static_cast<int>(rng() % e->value_count()))->number()
                                   : static_cast<int>(interesting_number(rng));
      rep ? r->SetRepeatedEnumValue(&m, f, k, v) : r->SetEnumValue(&m, f, v);
      break;
    }
    case T::CPPTYPE_STRING: {
      const std::string current = rep ? r->GetRepeatedString(m, f, k) : r->GetString(m, f);
      std::string v;
      if (f->type() == T::TYPE_BYTES) {
        v = rng() % 2 == 0 ? some_bytes(rng) : mutate_bytes(current, current.size() + 16);
      } else {
        v = some_string(current, rng);
      }
      rep ? r->SetRepeatedString(&m, f, k, std::move(v)) : r->SetString(&m, f, std::move(v));
      break;
    }
    case T::CPPTYPE_MESSAGE:
      if (rep) {
        wechat::fuzz::fill_plausible(*r->MutableRepeatedMessage(&m, f, k), rng(), 1);
      } else if (rng() % 3 == 0) {
        r->ClearField(&m, f);
      } else {
        wechat::fuzz::fill_plausible(*r->MutableMessage(&m, f), rng(), 1);
      }
      break;
  }
}

/// A request of a random kind, with plausible fields (or none).
wechat::v1::Request random_request(std::minstd_rand& rng) {
  wechat::v1::Request request;
  const pb::OneofDescriptor* kinds = request.GetDescriptor()->FindOneofByName("kind");
  const pb::FieldDescriptor* f = kinds->field(static_cast<int>(rng() % kinds->field_count()));
  pb::Message* body = request.GetReflection()->MutableMessage(&request, f);
  if (rng() % 4 != 0) wechat::fuzz::fill_plausible(*body, rng());
  return request;
}

/// Mutates one serialized request: its fields through reflection, or its bytes.
std::string mutate_request(const std::string& chunk, std::minstd_rand& rng) {
  wechat::v1::Request request;
  if (rng() % 4 == 0 || !request.ParseFromString(chunk)) return mutate_bytes(chunk, chunk.size() + 64);
  if (request.kind_case() == wechat::v1::Request::KIND_NOT_SET || rng() % 10 == 0) {
    return random_request(rng).SerializeAsString();
  }
  const int rounds = 1 + static_cast<int>(rng() % 3 == 0);
  for (int i = 0; i < rounds; ++i) {
    // Collected again each round: a mutation may remove elements or whole sub-messages.
    std::vector<Slot> slots;
    collect(request, slots, 3);
    // The slot of the kind itself would only clear or refill it wholesale; skip it if there are
    // others.
    if (slots.size() > 1) slots.erase(slots.begin());
    if (slots.empty()) break;  // the kind was cleared
    mutate_slot(slots[rng() % slots.size()], rng);
  }
  return request.SerializeAsString();
}

std::size_t emit(wechat::fuzz::RequestStream& stream, std::uint8_t* out, std::size_t max_size) {
  std::string bytes = wechat::fuzz::write_stream(stream);
  while (bytes.size() > max_size && !stream.chunks.empty()) {
    stream.chunks.pop_back();
    bytes = wechat::fuzz::write_stream(stream);
  }
  bytes.resize(std::min(bytes.size(), max_size));
  std::memcpy(out, bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  if (rng() % 10 == 0) return LLVMFuzzerMutate(data, size, max_size);
  auto stream = wechat::fuzz::parse_stream({reinterpret_cast<const char*>(data), size});
  auto& chunks = stream.chunks;
  unsigned op = chunks.empty() ? 0 : rng() % 100;
  // Requests past kMaxRequests are ignored, and every request costs a round trip: at the limit,
  // a mutation that would add one drops one instead.
  if (chunks.size() >= wechat::fuzz::kMaxRequests && (op < 10 || (op >= 22 && op < 29))) op = 15;
  if (op < 10) {  // a new request somewhere
    const auto at = chunks.begin() + static_cast<long>(chunks.empty() ? 0 : rng() % (chunks.size() + 1));
    chunks.insert(at, random_request(rng).SerializeAsString());
  } else if (op < 15) {  // other flags: who is logged in, pipelining, hello
    stream.flags = static_cast<std::uint8_t>(stream.flags ^ (1u << (rng() % 4)));
  } else if (op < 22) {  // drop one
    chunks.erase(chunks.begin() + static_cast<long>(rng() % chunks.size()));
  } else if (op < 29) {  // copy one (the same request again: retries, duplicates)
    const std::string copy = chunks[rng() % chunks.size()];
    chunks.insert(chunks.begin() + static_cast<long>(rng() % (chunks.size() + 1)), copy);
  } else if (op < 34) {  // swap two
    std::swap(chunks[rng() % chunks.size()], chunks[rng() % chunks.size()]);
  } else {  // change one
    auto& chunk = chunks[rng() % chunks.size()];
    chunk = mutate_request(chunk, rng);
  }
  return emit(stream, data, max_size);
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  std::minstd_rand rng(seed);
  auto a = wechat::fuzz::parse_stream({reinterpret_cast<const char*>(data1), size1});
  const auto b = wechat::fuzz::parse_stream({reinterpret_cast<const char*>(data2), size2});
  // A prefix of one input's requests, then a suffix of the other's.
  a.chunks.resize(a.chunks.empty() ? 0 : rng() % (a.chunks.size() + 1));
  const std::size_t from = b.chunks.empty() ? 0 : rng() % (b.chunks.size() + 1);
  a.chunks.insert(a.chunks.end(), b.chunks.begin() + static_cast<long>(from), b.chunks.end());
  return emit(a, out, max_out_size);
}
