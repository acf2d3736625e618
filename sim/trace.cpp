#include "sim/trace.h"

#include <fmt/core.h>

#include <cstdio>
#include <cstring>

namespace sim {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::Deliver:
      return "deliver";
    case EventKind::Drop:
      return "drop";
    case EventKind::Send:
      return "send";
    case EventKind::Timer:
      return "timer";
    case EventKind::Crash:
      return "crash";
    case EventKind::Restart:
      return "restart";
    case EventKind::Partition:
      return "link";
    case EventKind::Heal:
      return "heal";
    case EventKind::Propose:
      return "propose";
    case EventKind::Apply:
      return "apply";
    case EventKind::RoleChange:
      return "role";
    case EventKind::Fault:
      return "fault";
    case EventKind::Note:
      return "note";
  }
  return "?";
}

void Trace::mix(std::uint64_t value) {
  // One multiply-xorshift per word: cheap enough to run on every event.
  hash_ = (hash_ ^ value) * 0x9E3779B97F4A7C15ULL;
  hash_ ^= hash_ >> 29;
}

void Trace::record(const TraceEvent& event, std::span<const std::uint8_t> bytes) {
  mix(static_cast<std::uint64_t>(event.time_ns));
  mix(static_cast<std::uint64_t>(event.kind));
  mix(event.node);
  mix(event.peer);
  mix(event.a);
  mix(event.b);
  // Eight bytes per multiply: message bodies dominate the hashing cost.
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    hash_ = (hash_ ^ word) * 0x9E3779B97F4A7C15ULL;
    hash_ ^= hash_ >> 29;
  }
  for (; i < bytes.size(); ++i) {
    hash_ ^= bytes[i];
    hash_ *= 0x100000001B3ULL;
  }
  ring_[count_ % kHistory] = event;
  ++count_;
  if (verbose_)
    std::fprintf(stderr, "%s\n", (formatter_ ? formatter_(event) : format(event)).c_str());
}

std::vector<TraceEvent> Trace::tail(std::size_t n) const {
  n = std::min<std::size_t>({n, kHistory, static_cast<std::size_t>(count_)});
  std::vector<TraceEvent> out;
  out.reserve(n);
  for (std::uint64_t i = count_ - n; i < count_; ++i) out.push_back(ring_[i % kHistory]);
  return out;
}

std::string Trace::format(const TraceEvent& e) {
  return fmt::format("{:>12.6f}s n{} {:<8} peer={} a={} b={}", static_cast<double>(e.time_ns) / 1e9,
                     e.node, to_string(e.kind), e.peer, e.a, e.b);
}

}  // namespace sim
