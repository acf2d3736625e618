#pragma once
// A tiny deterministic PRNG (SplitMix64) so election timeouts depend only on the configured seed.

#include <cstdint>

namespace raft {

class Prng {
 public:
  explicit Prng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [lo, hi) for timeouts; hi <= lo yields lo.
  std::uint64_t in_range(std::uint64_t lo, std::uint64_t hi) {
    return hi <= lo ? lo : lo + next() % (hi - lo);
  }

 private:
  std::uint64_t state_;
};

}  // namespace raft
