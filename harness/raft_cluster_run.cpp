#include "harness/raft_cluster_run.h"

#include <fmt/core.h>

#include <algorithm>

#include "harness/bug_switches.h"

namespace harness {

RaftClusterRun::RaftClusterRun(const RunOptions& options)
    : options_(options),
      scenario_(find_scenario(options.scenario)),
      world_(options.seed, world_options(options.knobs)),
      checker_(options.knobs.nodes),
      workload_prng_(world_.stream("workload")),
      fault_prng_(world_.stream("faults")),
      faults_(world_, options.knobs.nodes,
              {.up = [this](std::uint64_t n) { return drivers_[n] != nullptr; },
               .crash = [this](std::uint64_t n) { crash_node(n); },
               .restart_after =
                   [this](std::uint64_t n, sim::SimTime after) {
                     world_.queue().schedule_after(after, [this, n] {
                       if (workload_on_ && !drivers_[n]) start_node(n);
                     });
                   },
               .leader = [this] { return current_leader(); },
               .active = [this] { return workload_on_; }}),
      drivers_(options.knobs.nodes + 1),
      incarnations_(options.knobs.nodes + 1, 0) {
  const Knobs& k = options.knobs;
  if (k.nodes < 1 || k.nodes > 9) throw std::invalid_argument("--nodes must be in 1..9");
  if (!k.bug.empty()) find_bug_switch(scenario_, k.bug).raft_run(driver_options_);
  driver_options_.nodes = k.nodes;
  world_.trace().set_verbose(options.trace);
  if (options.trace_formatter) world_.trace().set_formatter(options.trace_formatter);
  if (scenario_.stable_leader) checker_.require_stable_leader(kWarmup);
  world_.network().set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes bytes) {
    if (drivers_[to]) drivers_[to]->deliver(from, bytes);
  });
}

RaftClusterRun::~RaftClusterRun() {
  // Drivers reference the world; make sure they go first.
  drivers_.clear();
}

void RaftClusterRun::start_node(raft::NodeId node) {
  world_.restart(node);
  drivers_[node] = std::make_unique<RaftNodeDriver>(node, incarnations_[node]++, world_, checker_,
                                                    driver_options_,
                                                    [this](CommandId id) { acked_.push_back(id); });
}

void RaftClusterRun::crash_node(raft::NodeId node) {
  if (!drivers_[node]) return;
  drivers_[node].reset();
  world_.crash(node);
  ++crashes_;
}

void RaftClusterRun::schedule_workload(sim::SimTime until) {
  if (scenario_.proposals_per_second <= 0) return;
  const double gap = workload_prng_.exponential(1e9 / scenario_.proposals_per_second);
  const sim::SimTime at = world_.now() + static_cast<sim::SimTime>(gap);
  if (at >= until) return;
  world_.queue().schedule_at(at, [this, until] {
    if (!workload_on_) return;
    const raft::NodeId node = 1 + workload_prng_.below(options_.knobs.nodes);
    if (drivers_[node]) drivers_[node]->propose(next_command_++);
    schedule_workload(until);
  });
}

raft::NodeId RaftClusterRun::current_leader() const {
  raft::NodeId leader = 0;
  raft::Term term = 0;
  for (raft::NodeId n = 1; n < drivers_.size(); ++n) {
    if (!drivers_[n]) continue;
    const raft::Status s = drivers_[n]->status();
    if (s.role == raft::Role::Leader && s.term >= term) leader = n, term = s.term;
  }
  return leader;
}

void RaftClusterRun::heal() {
  workload_on_ = false;
  checker_.stop_requiring_stable_leader();
  world_.trace().record({world_.now(), sim::EventKind::Heal, 0, 0, 0, 0});
  faults_.heal_network();
  // Every node restarts from its disk: acknowledged commands must survive that too.
  for (raft::NodeId n = 1; n < drivers_.size(); ++n) crash_node(n);
  for (raft::NodeId n = 1; n < drivers_.size(); ++n) start_node(n);
}

std::string RaftClusterRun::convergence_gap() const {
  const raft::NodeId leader = current_leader();
  if (leader == 0) return "no leader";
  const raft::Status ls = drivers_[leader]->status();
  if (ls.commit < ls.last_index)
    return fmt::format("leader n{} has committed {} of {}", leader, ls.commit, ls.last_index);
  const CommandLog& reference = drivers_[leader]->app();
  for (raft::NodeId n = 1; n < drivers_.size(); ++n) {
    const raft::Status s = drivers_[n]->status();
    if (s.term != ls.term) return fmt::format("n{} at term {}, leader at {}", n, s.term, ls.term);
    const CommandLog& app = drivers_[n]->app();
    if (app.applied() != ls.commit)
      return fmt::format("n{} applied {} of {} committed", n, app.applied(), ls.commit);
    if (app.hash() != reference.hash())
      return fmt::format("n{} applied a different sequence than leader n{}", n, leader);
  }
  for (CommandId id : acked_)
    if (!reference.contains(id)) return fmt::format("acknowledged command {} is not applied", id);
  return "";
}

RunResult RaftClusterRun::run() {
  RunResult result;
  const Knobs& k = options_.knobs;
  const sim::SimTime fault_end = static_cast<sim::SimTime>(k.time_s * 1e9);
  result.schedule = options_.schedule ? *options_.schedule
                                      : random_schedule(fault_prng_, fault_rates(scenario_, k),
                                                        k.nodes, kWarmup, fault_end);
  try {
    for (raft::NodeId n = 1; n <= k.nodes; ++n) start_node(n);
    for (const Fault& f : result.schedule)
      if (f.at < fault_end)
        world_.queue().schedule_at(f.at, [this, f] { faults_.apply(f, fault_prng_); });
    schedule_workload(fault_end);
    world_.queue().run_until(fault_end);
    heal();
    const sim::SimTime deadline = world_.now() + kHealBound;
    std::string gap = "not checked";
    while (world_.now() < deadline) {
      world_.queue().run_until(world_.now() + kPoll);
      gap = convergence_gap();
      if (gap.empty()) break;
    }
    if (!gap.empty())
      throw InvariantViolation(
          "no convergence",
          fmt::format("{} s after healing: {}", static_cast<double>(kHealBound) / 1e9, gap));
  } catch (const InvariantViolation& v) {
    result.ok = false;
    result.invariant = v.invariant();
    result.detail = v.what();
  } catch (const std::exception& e) {
    // raft or the store threw where it must not (a crash of the real process).
    result.ok = false;
    result.invariant = "no unexpected exception";
    result.detail = e.what();
  }
  result.history = world_.trace().tail(30);
  result.trace_hash = world_.trace().hash();
  result.events = world_.queue().executed();
  result.sim_seconds = static_cast<double>(world_.now()) / 1e9;
  result.elections = checker_.elections();
  result.highest_term = checker_.highest_term();
  result.committed = checker_.max_committed();
  result.proposed = next_command_ - 1;
  result.acknowledged = acked_.size();
  result.crashes = crashes_;
  result.messages = world_.network().sent();
  return result;
}

RunResult run_raft_cluster(const RunOptions& options) {
  return RaftClusterRun(options).run();
}

}  // namespace harness
