#pragma once
// Counters and duration histograms written by one thread and read by another (the scrape)
// without locks: relaxed atomics, each written only by its owner, so an increment is a plain
// load and store (no locked instruction) and a reader sees every value whole.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "net/metrics_text.h"

namespace net {

// Adds `n` to a counter that only the calling thread writes.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// A histogram of durations with fixed buckets (at most kMaxBounds upper bounds), for a single
// writer thread; snapshot() may run on any thread.
class DurationHistogram {
 public:
  static constexpr std::size_t kMaxBounds = 20;

  // Upper bounds in seconds, ascending (throws std::invalid_argument otherwise).
  explicit DurationHistogram(std::initializer_list<double> bounds_seconds);

  void observe(std::chrono::nanoseconds took) {
    const std::int64_t ns = took.count() < 0 ? 0 : took.count();
    std::size_t i = 0;
    while (i < bound_count_ && ns > bounds_ns_[i]) ++i;  // short: most values are small
    bump(counts_[i]);
    bump(sum_ns_, static_cast<std::uint64_t>(ns));
  }
  HistogramSnapshot snapshot() const;

 private:
  std::size_t bound_count_ = 0;
  std::array<std::int64_t, kMaxBounds> bounds_ns_{};
  std::array<double, kMaxBounds> bounds_seconds_{};
  std::array<std::atomic<std::uint64_t>, kMaxBounds + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Buckets for DNS answers (microseconds) and for disk work (fsync, checkpoints: milliseconds to
// seconds).
inline constexpr std::initializer_list<double> kQueryDurationBounds = {
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2};
inline constexpr std::initializer_list<double> kDiskDurationBounds = {
    1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace net
