#pragma once
// What the in-simulation benchmarks (raft-in-sim, engine-in-sim) share: simulated-time units,
// nearest-rank percentiles and the hash of printed results that shows two runs were equal.
// (Running a cluster until a condition holds is harness::SimCluster::run_until.)

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "sim/event_queue.h"

namespace sim_measure {

inline double to_ms(sim::SimTime t) {
  return static_cast<double>(t) / static_cast<double>(sim::kMillisecond);
}
inline double to_s(sim::SimTime t) {
  return static_cast<double>(t) / static_cast<double>(sim::kSecond);
}
inline sim::SimTime from_ms(double ms) {
  return static_cast<sim::SimTime>(std::llround(ms * static_cast<double>(sim::kMillisecond)));
}

// Nearest-rank percentile of an unsorted sample (p in [0, 100]); NaN when empty.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// FNV-1a over the printed results: equal hashes, equal runs.
class ResultHash {
 public:
  void add(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; ++i) h_ = (h_ ^ ((bits >> (8 * i)) & 0xFF)) * 0x100000001B3ULL;
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xCBF29CE484222325ULL;
};

}  // namespace sim_measure
