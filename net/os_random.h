#pragma once
// engine::Random for a real dns-node: raft::Prng seeded once from the OS.

#include <cstdint>
#include <random>

#include "engine/io.h"
#include "raft/prng.h"

namespace net {

// Randomness for election timeouts and backoff jitter. The seed is drawn once from
// std::random_device (so two nodes started together still time out differently) and kept, so
// a log line can show it; the generator is raft::Prng, fast and good enough for timing, not for
// secrets.
class OsRandom final : public engine::Random {
 public:
  OsRandom() : OsRandom(seed_from_os()) {}
  explicit OsRandom(std::uint64_t seed) : seed_(seed), generator_(seed) {}

  std::uint64_t next_u64() override { return generator_.next_u64(); }

  std::uint64_t seed() const { return seed_; }

  static std::uint64_t seed_from_os() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }

 private:
  std::uint64_t seed_;
  raft::Prng generator_;
};

}  // namespace net
