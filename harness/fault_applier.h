#pragma once
// Applies scheduled faults to a simulated cluster and undoes each when it ends: the one place
// that decides which nodes and links a fault hits, shared by the raft and the DNS cluster runs.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "harness/faults.h"
#include "harness/sim_links.h"
#include "sim/prng.h"
#include "sim/world.h"

namespace harness {

// What a fault needs from the run it happens in. Nodes are numbered 1..N.
struct FaultHooks {
  std::function<bool(std::uint64_t node)> up;     // running, not crashed
  std::function<void(std::uint64_t node)> crash;  // called only when up
  std::function<void(std::uint64_t node, sim::SimTime after)> restart_after;
  std::function<std::uint64_t()> leader;  // 0 when none
  std::function<bool()> active;           // false once the heal began: then nothing is undone
  // A disk fault window on `node` begins or ends (after the disk's switch moved). Null: the run
  // cannot survive disk faults (raft-only runs) and they are ignored.
  std::function<void(std::uint64_t node, FaultKind kind, bool begins)> disk_window;
  // Whether a fault may hit `node` now; null: every node. A node outside the cluster (a spare not
  // yet added, a removed member) is skipped, and a link fault leaves its links alone.
  std::function<bool(std::uint64_t node)> in_play;
};

// How long after a disk fault window ends its node still counts as disk-faulted: time for a
// retry or an operator's restart and for catching up. No new disk fault hits it before.
inline constexpr sim::SimTime kDiskSettle = 1 * sim::kSecond;

// Link blocks are counted per ordered pair so that overlapping faults compose: a link is up
// again only when the last fault blocking it ended.
class FaultApplier {
 public:
  FaultApplier(sim::World& world, SimLinks& links, FaultHooks hooks);

  // Records the fault in the trace and applies it; draws from `prng` only to pick a follower.
  void apply(const Fault& fault, sim::Prng& prng);

  void set_link_blocked(std::uint64_t from, std::uint64_t to, bool blocked);
  void isolate(std::uint64_t node, bool on);  // every link of `node`, both ways
  bool isolated(std::uint64_t node) const { return isolations_[node] > 0; }

  // Every link up again, message loss and duplication off, all counts forgotten.
  void heal_network();
  // Every disk works again.
  void heal_disks();

  // Sets FaultHooks::disk_window (a run that can survive disk faults).
  void set_disk_window_hook(std::function<void(std::uint64_t, FaultKind, bool)> hook) {
    hooks_.disk_window = std::move(hook);
  }
  // Sets FaultHooks::in_play.
  void set_in_play_hook(std::function<bool(std::uint64_t)> hook) {
    hooks_.in_play = std::move(hook);
  }
  // A disk fault window is open on `node`.
  bool disk_faulted(std::uint64_t node) const { return disk_windows_[node] > 0; }

 private:
  void later(sim::SimTime after, std::function<void()> undo);
  bool in_play(std::uint64_t node) const { return !hooks_.in_play || hooks_.in_play(node); }
  // Disk faults hit at most a minority at a time (counting each node until kDiskSettle after its
  // window), so that the rest of the cluster must keep committing; a fault that would break
  // that is skipped.
  void disk_fault(const Fault& fault);
  // Delay and Loss: the link's shaping is the largest active delay and jitter and the combined
  // loss of its active faults (as the proxy composes them, testbed/link_faults.h).
  void shape(const Fault& fault);
  void reshape(std::uint64_t from, std::uint64_t to);

  sim::World& world_;
  SimLinks& links_;
  std::size_t nodes_;
  FaultHooks hooks_;
  std::vector<int> block_count_;               // per link, how many active faults block it
  std::vector<int> isolations_;                // per node, active isolation faults
  std::vector<int> disk_windows_;              // per node, open disk fault windows
  std::vector<sim::SimTime> disk_settled_at_;  // per node, when it may take a new disk fault
  std::map<std::uint64_t, Fault> shaping_;     // active Delay and Loss faults by a counter
  std::uint64_t next_shaping_ = 1;
};

}  // namespace harness
