#pragma once
// The simulator's only source of randomness: raft::Prng (xoshiro256** with named sub-streams)
// made usable wherever engine::Random is expected.

#include <cstdint>
#include <string_view>

#include "engine/io.h"
#include "raft/prng.h"

namespace sim {

// raft::Prng as an engine::Random; stream() and fork() hand back sim::Prng again.
class Prng final : public raft::Prng, public engine::Random {
 public:
  explicit Prng(std::uint64_t seed) : raft::Prng(seed) {}

  static Prng stream(std::uint64_t seed, std::string_view name) {
    return Prng(raft::Prng::stream(seed, name));
  }
  Prng fork(std::string_view name) { return Prng(raft::Prng::fork(name)); }

  std::uint64_t next_u64() override { return raft::Prng::next_u64(); }

 private:
  explicit Prng(const raft::Prng& generator) : raft::Prng(generator) {}
};

}  // namespace sim
