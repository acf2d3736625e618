#include "sim/event_queue.h"

#include <algorithm>

namespace sim {

EventId EventQueue::schedule_at(SimTime at, std::function<void()> fire) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.fire = std::move(fire);
  s.live = true;
  ++live_;
  heap_.push(Entry{std::max(at, now_), next_seq_++, slot});
  return make_id(slot, s.generation);
}

void EventQueue::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xFFFFFFFFu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return;
  // The heap entry stays until popped; the slot is only recycled then, so ids stay unique.
  s.live = false;
  s.fire = nullptr;
  --live_;
}

void EventQueue::release(std::uint32_t slot) {
  ++slots_[slot].generation;
  free_slots_.push_back(slot);
}

bool EventQueue::run_next() {
  while (!heap_.empty()) {
    const Entry top = heap_.top();
    heap_.pop();
    Slot& s = slots_[top.slot];
    if (!s.live) {
      release(top.slot);
      continue;
    }
    now_ = top.time;
    std::function<void()> fire = std::move(s.fire);
    s.fire = nullptr;
    s.live = false;
    --live_;
    release(top.slot);
    ++executed_;
    fire();
    return true;
  }
  return false;
}

void EventQueue::run_until(SimTime until) {
  while (!heap_.empty() && heap_.top().time <= until) run_next();
  now_ = std::max(now_, until);
}

}  // namespace sim
