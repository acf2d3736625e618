#include "sim/sim_clock.h"

namespace sim {

SimClock::SimClock(EventQueue& queue, Prng prng, std::int64_t drift_ppm, SimTime jitter_max,
                   SimTime offset)
    : queue_(queue), prng_(prng), drift_ppm_(drift_ppm), jitter_max_(jitter_max), offset_(offset) {}

engine::TimePoint SimClock::now() const {
  // 128-bit to stay exact for long runs with large drift.
  const __int128 global = queue_.now();
  const auto local = static_cast<std::int64_t>(global * (1'000'000 + drift_ppm_) / 1'000'000);
  return engine::TimePoint(engine::Duration(local + offset_));
}

engine::Clock::TimerId SimClock::start_timer(engine::Duration after, std::function<void()> fire) {
  const __int128 local = after.count() < 0 ? 0 : after.count();
  auto global = static_cast<SimTime>(local * 1'000'000 / (1'000'000 + drift_ppm_));
  if (jitter_max_ > 0) global += static_cast<SimTime>(prng_.below(jitter_max_ + 1));
  return queue_.schedule_after(global, [this, epoch = epoch_, fire = std::move(fire)] {
    if (epoch != epoch_) return;
    if (on_fire_) on_fire_();
    fire();
  });
}

}  // namespace sim
