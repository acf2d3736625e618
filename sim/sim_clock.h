#pragma once
// One node's view of virtual time: runs at a slightly wrong rate (drift) and fires timers a
// little late (jitter), like a real oscillator and scheduler. Timers die with a crash.

#include <cstdint>
#include <functional>

#include "engine/io.h"
#include "sim/event_queue.h"
#include "sim/prng.h"

namespace sim {

// engine::Clock over the shared EventQueue, with per-node drift and jitter.
class SimClock final : public engine::Clock {
 public:
  // drift_ppm > 0 runs fast; jitter_max delays each timer by a uniform [0, jitter_max].
  SimClock(EventQueue& queue, Prng prng, std::int64_t drift_ppm, SimTime jitter_max,
           SimTime offset);

  engine::TimePoint now() const override;
  TimerId start_timer(engine::Duration after, std::function<void()> fire) override;
  void cancel_timer(TimerId id) override { queue_.cancel(id); }

  // The node crashed: timers it started never fire (they belonged to the dead process).
  void drop_timers() { ++epoch_; }
  // Called before a timer's callback runs (e.g. to record it in the trace).
  void set_on_fire(std::function<void()> hook) { on_fire_ = std::move(hook); }

  std::int64_t drift_ppm() const { return drift_ppm_; }

 private:
  EventQueue& queue_;
  Prng prng_;
  std::int64_t drift_ppm_;
  SimTime jitter_max_;
  SimTime offset_;
  std::uint64_t epoch_ = 0;
  std::function<void()> on_fire_;
};

}  // namespace sim
