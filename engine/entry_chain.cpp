#include "engine/entry_chain.h"

namespace engine {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDULL;
  return h ^ (h >> 33);
}

}  // namespace

std::uint64_t chain_hash(std::uint64_t previous, const raft::Entry& entry) {
  std::uint64_t h = mix(previous, entry.index);
  h = mix(h, entry.term);
  h = mix(h, static_cast<std::uint64_t>(entry.kind));
  for (std::uint8_t b : entry.data) h = mix(h, b);
  return h;
}

}  // namespace engine
