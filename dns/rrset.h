#pragma once
// The stored shape of zone data: RRsets grouped by owner name, and the lowercase wire keys that
// index them. Everything here is immutable once published in a DatabaseVersion.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/rdata_list.h"

namespace dns {

// All records of one owner and type, sharing one TTL (RFC 2181 §5.2: the last TTL set wins).
struct RRset {
  uint16_t type = 0;
  uint32_t ttl = 0;
  RdataList rdatas;  // uncompressed wire form, insertion order
};

// One owner name in a zone: its RRsets, and how many names with data lie below it, so that an
// empty non-terminal (no RRsets, count > 0) is told apart from a name that does not exist.
// One allocation holds the node and its names: the lowercase key, then (only when it differs)
// the owner as first loaded. Shared between versions by an atomic reference count (NodeMap).
class ZoneNode {
 public:
  // A new node with no data; `owner_wire` is the owner's wire form in its original case and
  // must lowercase to `key`.
  static ZoneNode* create(std::string_view key, std::string_view owner_wire, uint64_t hash);
  // A copy with the same names and data (what a writer edits instead of a published node).
  static ZoneNode* clone(const ZoneNode& other);
  ZoneNode(const ZoneNode&) = delete;
  ZoneNode& operator=(const ZoneNode&) = delete;

  std::string_view key() const { return {names(), key_length_}; }  // lowercase wire form
  Name owner() const;                                              // case as first loaded
  // The owner's uncompressed wire form, case as first loaded (valid as long as the node).
  std::string_view owner_wire() const {
    return {own_case_ ? names() + key_length_ : names(), key_length_};
  }
  uint64_t hash = 0;  // name_key_hash(key)
  uint64_t edit = 0;  // writer batch that created this copy (see NodeMap)
  uint32_t names_below = 0;
  std::vector<RRset> rrsets;  // sorted by type

  const RRset* find(uint16_t rrtype) const {
    for (const RRset& s : rrsets)
      if (s.type == rrtype) return &s;
    return nullptr;
  }
  RRset* find(uint16_t rrtype) {
    for (RRset& s : rrsets)
      if (s.type == rrtype) return &s;
    return nullptr;
  }
  bool has_data() const { return !rrsets.empty(); }

  void retain() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Frees the node when this was the last reference.
  void release() const;
  bool shared() const { return refs_.load(std::memory_order_acquire) > 1; }

 private:
  ZoneNode(uint8_t key_length, bool own_case) : key_length_(key_length), own_case_(own_case) {}
  ~ZoneNode() = default;
  static ZoneNode* allocate(std::string_view key, std::string_view owner_wire);
  const char* names() const { return reinterpret_cast<const char*>(this + 1); }
  char* names() { return reinterpret_cast<char*>(this + 1); }

  mutable std::atomic<uint32_t> refs_{0};
  uint8_t key_length_ = 0;
  bool own_case_ = false;  // the owner's case differs from the key: its octets follow the key
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

// name_key() written into buf instead of a new string (hot paths: a lookup per record).
inline std::string_view name_key(const Name& name, char (&buf)[Name::kMaxWireLength]) {
  const std::string& wire = name.wire();
  for (size_t i = 0; i < wire.size(); ++i)
    buf[i] = static_cast<char>(ascii_lower(static_cast<uint8_t>(wire[i])));
  return {buf, wire.size()};
}

}  // namespace dns
