#pragma once
// The run's event trace: a running hash of every event (for determinism checks) and a ring of
// the most recent events (printed when an invariant fails). Events are recorded as numbers and
// formatted only when printed, so recording stays cheap on the hot path.

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/io.h"

namespace sim {

enum class EventKind : std::uint8_t {
  Deliver,     // a message arrived at a node (a = message type, b = term)
  Drop,        // a message was lost/blocked (a = reason)
  Send,        // a node handed a message to the network (a = size)
  Timer,       // a node's timer fired
  Crash,       // a node crashed
  Restart,     // a node restarted from its disk
  Partition,   // link state changed (a = from, b = to; node = kind of change)
  Heal,        // every link came back
  Propose,     // the client proposed command a at a node
  Apply,       // a node applied index a (b = command or 0)
  RoleChange,  // a node's role changed (a = role, b = term)
  Fault,       // a scheduled fault began (a = fault kind)
  Note,        // anything else the harness wants in the history (a, b free)
};

const char* to_string(EventKind kind);

// One recorded event; what `a` and `b` mean depends on the kind (see EventKind).
struct TraceEvent {
  std::int64_t time_ns = 0;
  EventKind kind = EventKind::Note;
  std::uint64_t node = 0;
  std::uint64_t peer = 0;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

// Hash of everything that happened plus the last events, for the failure report.
class Trace {
 public:
  static constexpr std::size_t kHistory = 40;

  void record(const TraceEvent& event, std::span<const std::uint8_t> bytes = {});
  std::uint64_t hash() const { return hash_; }
  std::uint64_t events() const { return count_; }
  // The last min(n, kHistory) events, oldest first.
  std::vector<TraceEvent> tail(std::size_t n) const;
  // When set, every event is also printed to stderr as it happens (--trace).
  void set_verbose(bool verbose) { verbose_ = verbose; }
  // How verbose output renders an event (the harness knows what `a` and `b` mean).
  void set_formatter(std::function<std::string(const TraceEvent&)> formatter) {
    formatter_ = std::move(formatter);
  }

  static std::string format(const TraceEvent& event);

 private:
  void mix(std::uint64_t value);
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
  std::uint64_t count_ = 0;
  std::array<TraceEvent, kHistory> ring_{};
  bool verbose_ = false;
  std::function<std::string(const TraceEvent&)> formatter_;
};

}  // namespace sim
