#pragma once
// A worker thread's cache of recent responses, so that a repeated query skips the lookup and
// the encoding (the largest user-space costs of answering, see docs/design.md).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dns {

// Responses keyed by everything of the query but its ID (flags, question in its case, EDNS),
// the transport and the database version they were computed from. A response is a pure
// function of those (dns/answer.h), so a hit returns exactly the bytes answer_query would write,
// with the ID of the new query. Direct-mapped, fixed size, allocated once; a newer database
// version empties it. Not thread-safe: one per worker thread.
class AnswerCache {
 public:
  // Queries and responses together larger than this are never cached.
  static constexpr size_t kSlotBytes = 504;

  explicit AnswerCache(size_t slots = 2048);

  // Writes the cached response to `query` into `out` and returns its length; 0 on a miss.
  size_t lookup(uint64_t version, std::span<const uint8_t> query, bool tcp,
                std::span<uint8_t> out);
  // Remembers `response` as the answer to `query` (evicting whatever shared its slot).
  void store(uint64_t version, std::span<const uint8_t> query, bool tcp,
             std::span<const uint8_t> response);

  uint64_t hits() const { return hits_; }

 private:
  struct Slot {
    uint32_t generation = 0;  // 0: empty; else valid while it equals generation_
    uint16_t key_length = 0;  // query octets from offset 2, then 1 octet of transport
    uint16_t response_length = 0;
    uint8_t bytes[kSlotBytes];  // the key, then the response
  };
  // The slot for this key, after moving to `version` (a new version starts a new generation).
  Slot& slot_for(uint64_t version, std::span<const uint8_t> key_part, bool tcp);

  std::vector<Slot> slots_;
  uint64_t version_ = 0;
  uint32_t generation_ = 1;
  uint64_t hits_ = 0;
};

}  // namespace dns
