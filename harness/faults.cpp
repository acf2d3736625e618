#include "harness/faults.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>

namespace harness {

const char* to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::Crash:
      return "crash";
    case FaultKind::CrashLeader:
      return "crash-leader";
    case FaultKind::Isolate:
      return "isolate";
    case FaultKind::IsolateFollower:
      return "isolate-follower";
    case FaultKind::Partition:
      return "partition";
    case FaultKind::OneWay:
      return "one-way";
    case FaultKind::Clog:
      return "clog";
    case FaultKind::DiskFull:
      return "disk-full";
    case FaultKind::FsyncFail:
      return "fsync-fail";
    case FaultKind::IsolateLeader:
      return "isolate-leader";
  }
  return "?";
}

bool is_disk_fault(FaultKind kind) {
  return kind == FaultKind::DiskFull || kind == FaultKind::FsyncFail;
}

std::string describe(const Fault& f) {
  const double at = static_cast<double>(f.at) / 1e9;
  const double dur = static_cast<double>(f.duration) / 1e9;
  switch (f.kind) {
    case FaultKind::Crash:
    case FaultKind::Isolate:
    case FaultKind::DiskFull:
    case FaultKind::FsyncFail:
      return fmt::format("{:.3f}s {} n{} for {:.3f}s", at, to_string(f.kind), f.a, dur);
    case FaultKind::CrashLeader:
    case FaultKind::IsolateFollower:
    case FaultKind::IsolateLeader:
      return fmt::format("{:.3f}s {} for {:.3f}s", at, to_string(f.kind), dur);
    case FaultKind::Partition: {
      std::string side;
      for (int n = 1; n < 64; ++n)
        if (f.a >> n & 1) side += fmt::format("{}n{}", side.empty() ? "" : ",", n);
      return fmt::format("{:.3f}s partition {{{}}} | rest for {:.3f}s", at, side, dur);
    }
    case FaultKind::OneWay:
    case FaultKind::Clog:
      return fmt::format("{:.3f}s {} n{}->n{} for {:.3f}s", at, to_string(f.kind), f.a, f.b, dur);
  }
  return "?";
}

std::string describe(const std::vector<Fault>& schedule) {
  std::string out;
  for (const Fault& f : schedule) out += (out.empty() ? "" : "; ") + describe(f);
  return out.empty() ? "(no faults)" : out;
}

std::string format_schedule(const std::vector<Fault>& schedule) {
  std::string out;
  for (const Fault& f : schedule)
    out += fmt::format("{}{}@{}/{}/{}/{}", out.empty() ? "" : ",", to_string(f.kind),
                       f.at / sim::kMillisecond, f.a, f.b, f.duration / sim::kMillisecond);
  return out;
}

std::vector<Fault> parse_schedule(const std::string& text) {
  // Beyond this, milliseconds overflow nanoseconds of SimTime (about 292 years).
  constexpr long long kMaxMs = std::numeric_limits<sim::SimTime>::max() / sim::kMillisecond;
  std::vector<Fault> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    const std::size_t at_sign = item.find('@');
    const std::string kind = item.substr(0, at_sign);
    Fault f;
    bool known = false;
    for (auto k :
         {FaultKind::Crash, FaultKind::CrashLeader, FaultKind::Isolate, FaultKind::IsolateFollower,
          FaultKind::Partition, FaultKind::OneWay, FaultKind::Clog, FaultKind::DiskFull,
          FaultKind::FsyncFail, FaultKind::IsolateLeader})
      if (kind == to_string(k)) f.kind = k, known = true;
    long long at = 0, dur = 0;
    unsigned long long a = 0, b = 0;
    int used = 0;
    if (!known || at_sign == std::string::npos ||
        std::sscanf(item.c_str() + at_sign + 1, "%lld/%llu/%llu/%lld%n", &at, &a, &b, &dur,
                    &used) != 4 ||
        static_cast<std::size_t>(used) != item.size() - at_sign - 1 || at < 0 || dur < 0 ||
        at > kMaxMs || dur > kMaxMs)
      throw std::invalid_argument(
          fmt::format("--faults: bad item '{}' (want kind@AT_MS/A/B/DURATION_MS)", item));
    f.at = at * sim::kMillisecond;
    f.a = a;
    f.b = b;
    f.duration = dur * sim::kMillisecond;
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Fault& x, const Fault& y) { return x.at < y.at; });
  return out;
}

namespace {

// Draws the arrival times of a Poisson process of `rate` per second over [start, end).
void add_arrivals(sim::Prng& prng, double rate, sim::SimTime start, sim::SimTime end,
                  const std::function<void(sim::SimTime)>& add) {
  if (rate <= 0) return;
  const double mean_gap = 1e9 / rate;
  for (double t = static_cast<double>(start) + prng.exponential(mean_gap);
       t < static_cast<double>(end); t += prng.exponential(mean_gap))
    add(static_cast<sim::SimTime>(t));
}

}  // namespace

std::vector<Fault> random_schedule(sim::Prng& prng, const FaultRates& rates, std::size_t nodes,
                                   sim::SimTime start, sim::SimTime end) {
  std::vector<Fault> out;
  auto duration = [&] {
    return static_cast<sim::SimTime>(
        prng.uniform(static_cast<std::uint64_t>(rates.min_duration),
                     static_cast<std::uint64_t>(std::max(rates.min_duration, rates.max_duration))));
  };
  auto node = [&] { return 1 + prng.below(nodes); };
  auto other = [&](std::uint64_t n) {
    const std::uint64_t o = 1 + prng.below(nodes - 1);
    return o >= n ? o + 1 : o;
  };
  auto add = [&](FaultKind kind) {
    return [&, kind](sim::SimTime at) {
      Fault f{at, kind, 0, 0, duration()};
      switch (kind) {
        case FaultKind::Partition: {
          // A random non-trivial side: neither empty nor everyone.
          const std::uint64_t all = ((1ULL << nodes) - 1) << 1;
          do f.a = (prng.next_u64() << 1) & all;
          while (f.a == 0 || f.a == all);
          break;
        }
        case FaultKind::OneWay:
        case FaultKind::Clog:
          f.a = node();
          f.b = other(f.a);
          break;
        default:
          f.a = node();
      }
      out.push_back(f);
    };
  };
  if (nodes >= 2) {
    add_arrivals(prng, rates.crash, start, end, add(FaultKind::Crash));
    add_arrivals(prng, rates.crash_leader, start, end, add(FaultKind::CrashLeader));
    add_arrivals(prng, rates.isolate, start, end, add(FaultKind::Isolate));
    add_arrivals(prng, rates.isolate_follower, start, end, add(FaultKind::IsolateFollower));
    add_arrivals(prng, rates.partition, start, end, add(FaultKind::Partition));
    add_arrivals(prng, rates.one_way, start, end, add(FaultKind::OneWay));
    add_arrivals(prng, rates.clog, start, end, add(FaultKind::Clog));
    add_arrivals(prng, rates.disk_full, start, end, add(FaultKind::DiskFull));
    add_arrivals(prng, rates.fsync_fail, start, end, add(FaultKind::FsyncFail));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Fault& x, const Fault& y) { return x.at < y.at; });
  return out;
}

}  // namespace harness
