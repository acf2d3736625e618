#pragma once
// The simulator's single queue of future events, ordered by (virtual time, sequence number) so
// that events at the same instant run in the order they were scheduled: one seed, one order.

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace sim {

// Virtual time since the start of the run, in nanoseconds.
using SimTime = std::int64_t;

inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;

// A handle to cancel a scheduled event; stale handles (already fired/cancelled) are harmless.
using EventId = std::uint64_t;

// Priority queue of callbacks keyed by virtual time, with O(1) cancellation.
class EventQueue {
 public:
  SimTime now() const { return now_; }

  // Runs `fire` at virtual time `at` (clamped to now: the past is not schedulable).
  EventId schedule_at(SimTime at, std::function<void()> fire);
  EventId schedule_after(SimTime delay, std::function<void()> fire) {
    return schedule_at(now_ + delay, std::move(fire));
  }
  void cancel(EventId id);

  // Pops the earliest live event, advances now() to its time and runs it. False when empty.
  bool run_next();
  // Runs events until none is left before `until` (inclusive); now() ends at `until`.
  void run_until(SimTime until);
  // Time of the earliest pending event (live or cancelled), or -1 when empty.
  SimTime next_time() const { return heap_.empty() ? -1 : heap_.top().time; }
  bool empty() const { return live_ == 0; }
  std::size_t pending() const { return live_; }
  std::uint64_t executed() const { return executed_; }

 private:
  struct Slot {
    std::function<void()> fire;
    std::uint32_t generation = 0;
    bool live = false;
  };
  struct Entry {
    SimTime time;
    std::uint64_t seq;
    std::uint32_t slot;
    // std::priority_queue is a max-heap: "greater" means "later".
    bool operator<(const Entry& other) const {
      return time != other.time ? time > other.time : seq > other.seq;
    }
  };
  static EventId make_id(std::uint32_t slot, std::uint32_t generation) {
    return (static_cast<EventId>(generation) << 32) | slot;
  }
  void release(std::uint32_t slot);

  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
  std::size_t live_ = 0;
  std::priority_queue<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace sim
