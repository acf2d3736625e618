#include "net/metrics_histogram.h"

#include <cmath>
#include <stdexcept>

namespace net {

DurationHistogram::DurationHistogram(std::initializer_list<double> bounds_seconds) {
  if (bounds_seconds.size() > kMaxBounds)
    throw std::invalid_argument("histogram: too many buckets");
  double previous = 0;
  for (double b : bounds_seconds) {
    if (!(b > previous))
      throw std::invalid_argument("histogram: bounds must be positive, ascending");
    previous = b;
    bounds_seconds_[bound_count_] = b;
    bounds_ns_[bound_count_] = static_cast<std::int64_t>(std::llround(b * 1e9));
    ++bound_count_;
  }
}

HistogramSnapshot DurationHistogram::snapshot() const {
  HistogramSnapshot h;
  h.bounds.assign(bounds_seconds_.begin(), bounds_seconds_.begin() + bound_count_);
  h.counts.resize(bound_count_ + 1);
  for (std::size_t i = 0; i <= bound_count_; ++i)
    h.counts[i] = counts_[i].load(std::memory_order_relaxed);
  h.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return h;
}

}  // namespace net
