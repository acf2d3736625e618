#pragma once
// engine::Random for a real dns-node: xoshiro256** seeded once from the OS.

#include <cstdint>
#include <random>

#include "engine/io.h"

namespace net {

// Randomness for election timeouts and backoff jitter. The seed is drawn once from
// std::random_device (so two nodes started together still time out differently) and kept, so
// a log line can show it; the generator itself is xoshiro256** (Blackman & Vigna), fast and
// good enough for timing, not for secrets.
class OsRandom final : public engine::Random {
 public:
  OsRandom() : OsRandom(seed_from_os()) {}
  explicit OsRandom(std::uint64_t seed) : seed_(seed) {
    // SplitMix64 spreads one 64-bit seed over the 256-bit state (never all zero).
    std::uint64_t x = seed;
    for (auto& word : state_) {
      std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

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

  std::uint64_t seed() const { return seed_; }

  static std::uint64_t seed_from_os() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t seed_;
  std::uint64_t state_[4];
};

}  // namespace net
