#pragma once
// The stored shape of zone data: RRsets grouped by owner name, and the lowercase wire keys that
// index them. Everything here is immutable once published in a DatabaseVersion.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"

namespace dns {

// All records of one owner and type, sharing one TTL (RFC 2181 §5.2: the last TTL set wins).
struct RRset {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<std::vector<uint8_t>> rdatas;  // uncompressed wire form, insertion order
};

// One owner name in a zone: its RRsets, and how many names with data lie below it, so that an
// empty non-terminal (no RRsets, count > 0) is told apart from a name that does not exist.
struct ZoneNode {
  Name owner;         // case as first loaded
  std::string key;    // owner's wire form, lowercased: the map key
  uint64_t hash = 0;  // name_key_hash(key)
  uint32_t names_below = 0;
  uint64_t edit = 0;          // writer batch that created this copy (see NodeMap)
  std::vector<RRset> rrsets;  // sorted by type

  const RRset* find(uint16_t rrtype) const {
    for (const RRset& s : rrsets)
      if (s.type == rrtype) return &s;
    return nullptr;
  }
  bool has_data() const { return !rrsets.empty(); }
};

// Hash of a lowercase wire key: 8 octets per step, with a final avalanche so that every bit
// range of the result is usable by the hash trie.
inline uint64_t name_key_hash(std::string_view key) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = key.size() * kMul;
  const char* p = key.data();
  size_t n = key.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, p, 8);
    h = (h ^ chunk) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    uint64_t chunk = 0;
    std::memcpy(&chunk, p, n);
    h = (h ^ chunk) * kMul;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline std::string name_key(const Name& name) {
  return name.lowercased().wire();
}

}  // namespace dns
