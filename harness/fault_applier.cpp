#include "harness/fault_applier.h"

#include <algorithm>
#include <utility>

namespace harness {

FaultApplier::FaultApplier(sim::World& world, SimLinks& links, FaultHooks hooks)
    : world_(world),
      links_(links),
      nodes_(world.nodes()),
      hooks_(std::move(hooks)),
      block_count_((nodes_ + 1) * (nodes_ + 1), 0),
      isolations_(nodes_ + 1, 0),
      disk_windows_(nodes_ + 1, 0),
      disk_settled_at_(nodes_ + 1, 0) {}

void FaultApplier::set_link_blocked(std::uint64_t from, std::uint64_t to, bool blocked) {
  int& count = block_count_[from * (nodes_ + 1) + to];
  count += blocked ? 1 : -1;
  links_.set_blocked(from, to, count > 0);
}

void FaultApplier::isolate(std::uint64_t node, bool on) {
  isolations_[node] += on ? 1 : -1;
  for (std::uint64_t o = 1; o <= nodes_; ++o)
    if (o != node) set_link_blocked(node, o, on), set_link_blocked(o, node, on);
}

void FaultApplier::heal_network() {
  shaping_.clear();
  std::fill(block_count_.begin(), block_count_.end(), 0);
  std::fill(isolations_.begin(), isolations_.end(), 0);
  links_.heal_all();
}

void FaultApplier::heal_disks() {
  for (std::uint64_t n = 1; n <= nodes_; ++n) world_.disk(n).clear_faults();
  std::fill(disk_windows_.begin(), disk_windows_.end(), 0);
}

void FaultApplier::disk_fault(const Fault& f) {
  if (!hooks_.disk_window || f.a < 1 || f.a > nodes_ || !in_play(f.a)) return;
  const sim::SimTime now = world_.now();
  std::size_t unsettled = 0;
  for (std::uint64_t o = 1; o <= nodes_; ++o) unsettled += disk_settled_at_[o] > now;
  if (disk_settled_at_[f.a] > now || unsettled + 1 > (nodes_ - 1) / 2) return;
  disk_settled_at_[f.a] = now + f.duration + kDiskSettle;
  const sim::DiskFault kind =
      f.kind == FaultKind::DiskFull ? sim::DiskFault::Full : sim::DiskFault::FailingSyncs;
  world_.disk(f.a).begin_fault(kind);
  ++disk_windows_[f.a];
  hooks_.disk_window(f.a, f.kind, true);
  later(f.duration, [this, node = f.a, kind, fault_kind = f.kind] {
    world_.disk(node).end_fault(kind);
    --disk_windows_[node];
    hooks_.disk_window(node, fault_kind, false);
  });
}

void FaultApplier::shape(const Fault& f) {
  if (f.a < 1 || f.a > nodes_ || f.b < 1 || f.b > nodes_ || f.a == f.b) return;
  const std::uint64_t id = next_shaping_++;
  shaping_.emplace(id, f);
  reshape(f.a, f.b);
  if (f.duration > 0)  // 0: until the heal
    later(f.duration, [this, id, a = f.a, b = f.b] {
      shaping_.erase(id);
      reshape(a, b);
    });
}

void FaultApplier::reshape(std::uint64_t from, std::uint64_t to) {
  std::uint32_t delay = 0, jitter = 0;
  double pass = 1;
  for (const auto& [id, f] : shaping_) {
    if (f.a != from || f.b != to) continue;
    if (f.kind == FaultKind::Delay) {
      delay = std::max(delay, f.delay_ms);
      jitter = std::max(jitter, f.jitter_ms);
    } else {
      pass *= 1 - f.loss;
    }
  }
  links_.shape(from, to, delay * sim::kMillisecond, jitter * sim::kMillisecond, 1 - pass);
}

void FaultApplier::later(sim::SimTime after, std::function<void()> undo) {
  world_.queue().schedule_after(after, [this, undo = std::move(undo)] {
    if (hooks_.active()) undo();  // after the heal began, everything is healed already
  });
}

void FaultApplier::apply(const Fault& f, sim::Prng& prng) {
  const std::size_t n = nodes_;
  world_.trace().record({world_.now(), sim::EventKind::Fault, f.a, f.b,
                         static_cast<std::uint64_t>(f.kind),
                         static_cast<std::uint64_t>(f.duration)});
  auto crash = [&](std::uint64_t node) {
    if (!hooks_.up(node) || !in_play(node)) return;
    hooks_.crash(node);
    hooks_.restart_after(node, f.duration);
  };
  auto isolate_for = [&](std::uint64_t node) {
    if (!in_play(node)) return;
    isolate(node, true);
    later(f.duration, [this, node] { isolate(node, false); });
  };
  switch (f.kind) {
    case FaultKind::Crash:
      if (f.a >= 1 && f.a <= n) crash(f.a);
      break;
    case FaultKind::CrashLeader: {
      const std::uint64_t leader = hooks_.leader();
      crash(leader != 0 ? leader : 1 + (f.a - 1) % n);
      break;
    }
    case FaultKind::Isolate:
      if (f.a >= 1 && f.a <= n) isolate_for(f.a);
      break;
    case FaultKind::IsolateLeader: {
      const std::uint64_t leader = hooks_.leader();
      isolate_for(leader != 0 ? leader : 1 + (f.a - 1) % n);
      break;
    }
    case FaultKind::IsolateFollower: {
      // Keep a majority around the leader: only a minority minus the leader may be cut off.
      std::size_t isolated = 0;
      for (std::uint64_t o = 1; o <= n; ++o) isolated += isolations_[o] > 0;
      if (isolated + 1 > (n - 1) / 2) break;
      const std::uint64_t leader = hooks_.leader();
      std::vector<std::uint64_t> candidates;
      for (std::uint64_t o = 1; o <= n; ++o)
        if (o != leader && isolations_[o] == 0 && in_play(o)) candidates.push_back(o);
      if (leader == 0 || candidates.empty()) break;
      isolate_for(candidates[prng.below(candidates.size())]);
      break;
    }
    case FaultKind::Partition: {
      std::vector<std::pair<std::uint64_t, std::uint64_t>> cut;
      for (std::uint64_t x = 1; x <= n; ++x)
        for (std::uint64_t y = 1; y <= n; ++y)
          if (((f.a >> x) & 1) != ((f.a >> y) & 1) && in_play(x) && in_play(y))
            cut.push_back({x, y});
      for (auto [x, y] : cut) set_link_blocked(x, y, true);
      later(f.duration, [this, cut] {
        for (auto [x, y] : cut) set_link_blocked(x, y, false);
      });
      break;
    }
    case FaultKind::OneWay:
      if (f.a < 1 || f.a > n || f.b < 1 || f.b > n || f.a == f.b) break;
      if (!in_play(f.a) || !in_play(f.b)) break;
      set_link_blocked(f.a, f.b, true);
      later(f.duration, [this, a = f.a, b = f.b] { set_link_blocked(a, b, false); });
      break;
    case FaultKind::Clog:
      if (f.a < 1 || f.a > n || f.b < 1 || f.b > n || f.a == f.b) break;
      if (!in_play(f.a) || !in_play(f.b)) break;
      links_.clog(f.a, f.b, world_.now() + f.duration);
      break;
    case FaultKind::DiskFull:
    case FaultKind::FsyncFail:
      disk_fault(f);
      break;
    case FaultKind::Delay:
    case FaultKind::Loss:
      shape(f);
      break;
  }
}

}  // namespace harness
