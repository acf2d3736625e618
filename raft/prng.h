#pragma once
// The project's one pseudo-random generator: xoshiro256** (Blackman & Vigna) seeded through
// splitmix64, with named sub-streams. Raft's election timeouts, the simulator (sim::Prng) and a
// real node's timing jitter (net::OsRandom) all draw from it; only the seeds differ.

#include <cmath>
#include <cstdint>
#include <string_view>

namespace raft {

// splitmix64 step: expands one seed into a full xoshiro state and mixes stream names.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a over a name; stable across builds and platforms (unlike std::hash).
inline std::uint64_t stable_name_hash(std::string_view name) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

// A seeded xoshiro256** generator: the same seed gives the same draws on every platform.
class Prng {
 public:
  explicit Prng(std::uint64_t seed) {
    // splitmix64 never leaves the 256-bit state all zero, whatever the seed.
    std::uint64_t sm = seed;
    for (auto& word : state_) word = splitmix64(sm);
  }

  // An independent generator derived from `seed` and a stream name ("network", "faults", ...),
  // so that drawing more from one stream never shifts the draws of another.
  static Prng stream(std::uint64_t seed, std::string_view name) {
    std::uint64_t mixed = seed ^ stable_name_hash(name);
    return Prng(splitmix64(mixed));
  }
  // An independent generator seeded from this one's next draw and a name.
  Prng fork(std::string_view name) { return stream(next_u64(), name); }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform index in [0, n); n == 0 yields 0. (Modulo bias is below 2^-40 for the small n used.)
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next_u64() % n; }
  // Uniform in [lo, hi); hi <= lo yields lo.
  std::uint64_t in_range(std::uint64_t lo, std::uint64_t hi) {
    return hi <= lo ? lo : lo + below(hi - lo);
  }
  // Uniform in [0, 1).
  double real01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // True with probability p (p <= 0 never draws true, p >= 1 always does).
  bool chance(double p) { return p > 0 && (p >= 1 || real01() < p); }
  // Exponentially distributed with the given mean (same unit as the mean).
  double exponential(double mean) { return mean <= 0 ? 0.0 : -mean * std::log1p(-real01()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

}  // namespace raft
