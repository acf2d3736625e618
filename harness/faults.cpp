#include "harness/faults.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
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
    case FaultKind::Delay:
      return "delay";
    case FaultKind::Loss:
      return "loss";
  }
  return "?";
}

bool is_link_shaping(FaultKind kind) {
  return kind == FaultKind::Delay || kind == FaultKind::Loss;
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
    case FaultKind::Delay:
    case FaultKind::Loss: {
      const std::string what =
          f.kind == FaultKind::Delay
              ? fmt::format("delay n{}->n{} {}ms+{}ms", f.a, f.b, f.delay_ms, f.jitter_ms)
              : fmt::format("loss n{}->n{} {}", f.a, f.b, f.loss);
      return f.duration == 0 ? fmt::format("{:.3f}s {} until the heal", at, what)
                             : fmt::format("{:.3f}s {} for {:.3f}s", at, what, dur);
    }
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
  for (const Fault& f : schedule) {
    out += fmt::format("{}{}@{}/{}/{}/{}", out.empty() ? "" : ",", to_string(f.kind),
                       f.at / sim::kMillisecond, f.a, f.b, f.duration / sim::kMillisecond);
    if (f.kind == FaultKind::Delay) out += fmt::format("/{}/{}", f.delay_ms, f.jitter_ms);
    if (f.kind == FaultKind::Loss) out += fmt::format("/{}", f.loss);
  }
  return out;
}

namespace {

// One '/'-separated field of a --faults item; throws naming the item and the field.
struct ItemFields {
  const std::string& item;
  std::vector<std::string> fields;

  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument(fmt::format(
        "--faults: bad item '{}': {} (want kind@AT_MS/A/B/DURATION_MS, "
        "delay@AT_MS/A/B/DURATION_MS/DELAY_MS[/JITTER_MS] or loss@AT_MS/A/B/DURATION_MS/P)",
        item, why));
  }
  unsigned long long number(std::size_t i, const char* name, unsigned long long max) const {
    const std::string& w = fields[i];
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (w.empty() || ec != std::errc() || end != w.data() + w.size() || v > max)
      fail(fmt::format("{} '{}' is not an integer in 0..{}", name, w, max));
    return v;
  }
};

}  // namespace

std::vector<Fault> parse_schedule(const std::string& text) {
  // Beyond this, milliseconds overflow nanoseconds of SimTime (about 292 years).
  constexpr unsigned long long kMaxMs =
      std::numeric_limits<sim::SimTime>::max() / sim::kMillisecond;
  constexpr unsigned long long kMaxDelayMs = 600000;
  std::vector<Fault> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    ItemFields in{item, {}};
    const std::size_t at_sign = item.find('@');
    if (at_sign == std::string::npos) in.fail("no '@'");
    const std::string kind = item.substr(0, at_sign);
    Fault f;
    bool known = false;
    for (auto k :
         {FaultKind::Crash, FaultKind::CrashLeader, FaultKind::Isolate, FaultKind::IsolateFollower,
          FaultKind::Partition, FaultKind::OneWay, FaultKind::Clog, FaultKind::DiskFull,
          FaultKind::FsyncFail, FaultKind::IsolateLeader, FaultKind::Delay, FaultKind::Loss})
      if (kind == to_string(k)) f.kind = k, known = true;
    if (!known) in.fail(fmt::format("unknown kind '{}'", kind));
    for (std::size_t from = at_sign + 1;;) {
      const std::size_t slash = item.find('/', from);
      in.fields.push_back(item.substr(from, slash == std::string::npos ? slash : slash - from));
      if (slash == std::string::npos) break;
      from = slash + 1;
    }
    const std::size_t want_min = f.kind == FaultKind::Delay ? 5 : f.kind == FaultKind::Loss ? 5 : 4;
    const std::size_t want_max = f.kind == FaultKind::Delay ? 6 : want_min;
    if (in.fields.size() < want_min || in.fields.size() > want_max)
      in.fail(fmt::format("{} fields after '@', {} wants {}", in.fields.size(), kind,
                          want_min == want_max ? fmt::format("{}", want_min)
                                               : fmt::format("{} or {}", want_min, want_max)));
    f.at = static_cast<sim::SimTime>(in.number(0, "AT_MS", kMaxMs)) * sim::kMillisecond;
    f.a = in.number(1, "A", std::numeric_limits<std::uint64_t>::max());
    f.b = in.number(2, "B", std::numeric_limits<std::uint64_t>::max());
    f.duration = static_cast<sim::SimTime>(in.number(3, "DURATION_MS", kMaxMs)) * sim::kMillisecond;
    if (f.kind == FaultKind::Delay) {
      f.delay_ms = static_cast<std::uint32_t>(in.number(4, "DELAY_MS", kMaxDelayMs));
      if (in.fields.size() == 6)
        f.jitter_ms = static_cast<std::uint32_t>(in.number(5, "JITTER_MS", kMaxDelayMs));
    }
    if (f.kind == FaultKind::Loss) {
      const std::string& w = in.fields[4];
      double p = -1;
      auto [end_p, ec] = std::from_chars(w.data(), w.data() + w.size(), p);
      if (w.empty() || ec != std::errc() || end_p != w.data() + w.size() || !(p >= 0 && p <= 1))
        in.fail(fmt::format("P '{}' is not a probability in [0, 1]", w));
      f.loss = p;
    }
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
