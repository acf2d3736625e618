#pragma once
// The simulator's only source of randomness: xoshiro256** seeded through splitmix64, with named
// sub-streams so that adding a new kind of draw does not shift the draws of unrelated parts.

#include <cmath>
#include <cstdint>
#include <string_view>

#include "engine/io.h"

namespace sim {

// splitmix64 step: used to expand one seed into a full xoshiro state and to mix stream names.
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

// A seeded xoshiro256** generator; also usable wherever engine::Random is expected.
class Prng final : public engine::Random {
 public:
  explicit Prng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : state_) word = splitmix64(sm);
  }

  // An independent generator derived from `seed` and a stream name ("network", "faults", ...).
  static Prng stream(std::uint64_t seed, std::string_view name) {
    std::uint64_t mixed = seed ^ stable_name_hash(name);
    return Prng(splitmix64(mixed));
  }
  // An independent generator derived from this one's seed-independent state and a name.
  Prng fork(std::string_view name) { return stream(next_u64(), name); }

  std::uint64_t next_u64() override {
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

  // Uniform in [0, 1).
  double real01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // True with probability p (p <= 0 never draws true, p >= 1 always does).
  bool chance(double p) { return p > 0 && (p >= 1 || real01() < p); }
  // Exponentially distributed with the given mean (same unit as the mean).
  double exponential(double mean) { return mean <= 0 ? 0.0 : -mean * std::log1p(-real01()); }
  // Uniform index in [0, n).
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next_u64() % n; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

}  // namespace sim
