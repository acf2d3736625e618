#include "dns/answer_cache.h"

#include <cstring>
#include <string_view>

#include "dns/rrset.h"

namespace dns {

namespace {
// A query is only looked up if its ID, flags and counts are there.
constexpr size_t kMinQuery = 12;
}  // namespace

AnswerCache::AnswerCache(size_t slots) : slots_(slots == 0 ? 1 : slots) {}

AnswerCache::Slot& AnswerCache::slot_for(uint64_t version, std::span<const uint8_t> key_part,
                                         bool tcp) {
  if (version != version_) {
    // Invalidate everything at once: slots of older generations read as empty.
    version_ = version;
    if (++generation_ == 0) {
      for (Slot& s : slots_) s.generation = 0;
      generation_ = 1;
    }
  }
  const uint64_t h =
      name_key_hash({reinterpret_cast<const char*>(key_part.data()), key_part.size()}) ^ tcp;
  return slots_[h % slots_.size()];
}

size_t AnswerCache::lookup(uint64_t version, std::span<const uint8_t> query, bool tcp,
                           std::span<uint8_t> out) {
  if (query.size() < kMinQuery || query.size() - 1 > kSlotBytes) return 0;
  const std::span<const uint8_t> key = query.subspan(2);
  const Slot& s = slot_for(version, key, tcp);
  if (s.generation != generation_ || s.key_length != key.size() + 1 ||
      s.bytes[key.size()] != static_cast<uint8_t>(tcp) ||
      std::memcmp(s.bytes, key.data(), key.size()) != 0 || s.response_length > out.size())
    return 0;
  std::memcpy(out.data(), s.bytes + s.key_length, s.response_length);
  out[0] = query[0];  // the new query's ID
  out[1] = query[1];
  ++hits_;
  return s.response_length;
}

void AnswerCache::store(uint64_t version, std::span<const uint8_t> query, bool tcp,
                        std::span<const uint8_t> response) {
  if (query.size() < kMinQuery || response.size() < 2) return;
  const std::span<const uint8_t> key = query.subspan(2);
  if (key.size() + 1 + response.size() > kSlotBytes) return;
  Slot& s = slot_for(version, key, tcp);
  std::memcpy(s.bytes, key.data(), key.size());
  s.bytes[key.size()] = static_cast<uint8_t>(tcp);
  std::memcpy(s.bytes + key.size() + 1, response.data(), response.size());
  s.key_length = static_cast<uint16_t>(key.size() + 1);
  s.response_length = static_cast<uint16_t>(response.size());
  s.generation = generation_;
}

}  // namespace dns
