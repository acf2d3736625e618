#include "harness/scenario_run.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

#include "engine/io.h"

#include "harness/dns_cluster_run.h"
#include "harness/raft_cluster_run.h"
#include "harness/sites.h"

namespace harness {

RunResult run_scenario(const RunOptions& options) {
  return find_scenario(options.scenario).dns ? run_dns_cluster(options) : run_raft_cluster(options);
}

template <typename Node>
ScenarioRun<Node>::ScenarioRun(const RunOptions& options, const Scenario& scenario,
                               typename Node::Options node_options)
    : options_(options),
      scenario_(scenario),
      fault_end_(static_cast<sim::SimTime>(options.knobs.time_s * 1e9)),
      cluster_(options.seed, ClusterOptions{.world = world_options(options.knobs), .links = {}},
               std::move(node_options)),
      raft_checks_(options.knobs.nodes),
      workload_prng_(world().stream("workload")),
      fault_prng_(world().stream("faults")),
      faults_(world(), cluster_.links(),
              {.up = [this](std::uint64_t n) { return cluster_.up(n); },
               .crash = [this](std::uint64_t n) { cluster_.crash(n); },
               .restart_after = [this](std::uint64_t n,
                                       sim::SimTime after) { restart_later(n, after); },
               .leader = [this] { return cluster_.leader(); },
               .active = [this] { return workload_on_; },
               .disk_window = nullptr}),
      held_down_(options.knobs.nodes + 1, false) {
  if (options.knobs.nodes < 1 || options.knobs.nodes > 9)
    throw std::invalid_argument("--nodes must be in 1..9");
  if (!options.knobs.sites.empty())
    for (const Fault& f : parse_sites(options.knobs.sites, options.knobs.nodes).delays())
      cluster_.links().set_site_delay(f.a, f.b, f.delay_ms * sim::kMillisecond,
                                      f.jitter_ms * sim::kMillisecond);
  if (scenario.spares >= options.knobs.nodes)
    throw std::invalid_argument(
        fmt::format("--nodes must be above the scenario's {} spare(s)", scenario.spares));
  world().trace().set_verbose(options.trace);
  if (options.trace_formatter) world().trace().set_formatter(options.trace_formatter);
}

template <typename Node>
void ScenarioRun<Node>::restart_later(engine::NodeId node, sim::SimTime after) {
  world().queue().schedule_after(after, [this, node] {
    // After the heal began everyone is up already; a plan may hold a node down for longer.
    if (workload_on_ && !held_down_[node]) start_or_retry(node);
  });
}

template <typename Node>
void ScenarioRun<Node>::start_or_retry(engine::NodeId node) {
  try {
    cluster_.start(node);
  } catch (const engine::DiskError&) {
    // Loading touched the disk (cut a torn tail, synced what it read) and failed: the process
    // exits. What it left only in the page cache is not to be trusted: power-cycle the machine.
    world().crash(node);
    world().queue().schedule_after(kStartRetry, [this, node] {
      if (workload_on_ && !held_down_[node]) start_or_retry(node);
    });
  }
}

template <typename Node>
void ScenarioRun<Node>::hold_down(engine::NodeId node) {
  cluster_.crash(node);
  held_down_[node] = true;
}

template <typename Node>
void ScenarioRun<Node>::release(engine::NodeId node) {
  held_down_[node] = false;
  start_or_retry(node);
}

template <typename Node>
void ScenarioRun<Node>::heal() {
  workload_on_ = false;
  raft_checks_.stop_requiring_stable_leader();
  world().trace().record({world().now(), sim::EventKind::Heal, 0, 0, 0, 0});
  faults_.heal_network();
  faults_.heal_disks();
  // Every node restarts from its disk: acknowledged writes must survive that too. A spare never
  // started (never added) stays out.
  for (engine::NodeId n = 1; n <= nodes(); ++n) cluster_.crash(n);
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (restart_at_heal(n)) cluster_.start(n);
}

template <typename Node>
RunResult ScenarioRun<Node>::run() {
  RunResult result;
  const Knobs& k = options_.knobs;
  result.schedule = options_.schedule ? *options_.schedule
                                      : random_schedule(fault_prng_, fault_rates(scenario_, k),
                                                        k.nodes, kWarmup, fault_end_);
  sim::EventQueue& queue = world().queue();
  try {
    // Spares (Scenario::spares, the last slots) start only once a plan added them.
    for (engine::NodeId n = 1; n + scenario_.spares <= nodes(); ++n) cluster_.start(n);
    for (const Fault& f : result.schedule)
      if (f.at < fault_end_) queue.schedule_at(f.at, [this, f] { faults_.apply(f, fault_prng_); });
    extra_faults_ = !result.schedule.empty();
    only_disk_faults_ = scenario_.plan == nullptr &&
                        std::all_of(result.schedule.begin(), result.schedule.end(),
                                    [](const Fault& f) { return is_disk_fault(f.kind); });
    start_workload();
    queue.run_until(fault_end_);
    heal();
    healed_at_ = world().now();
    const sim::SimTime deadline = world().now() + kHealBound;
    std::string gap = "not checked";
    while (world().now() < deadline) {
      queue.run_until(world().now() + kPoll);
      gap = convergence_gap();
      if (gap.empty()) break;
    }
    if (!gap.empty())
      throw InvariantViolation(
          "no convergence",
          fmt::format("{} s after healing: {}", static_cast<double>(kHealBound) / 1e9, gap));
    after_convergence();
  } catch (const InvariantViolation& v) {
    result.ok = false;
    result.invariant = v.invariant();
    result.detail = v.what();
  } catch (const std::exception& e) {
    // raft, the engine or a store threw where it must not (a crash of the real process).
    result.ok = false;
    result.invariant = "no unexpected exception";
    result.detail = fmt::format("no unexpected exception: {}", e.what());
  }
  result.history = world().trace().tail(30);
  result.trace_hash = world().trace().hash();
  result.events = queue.executed();
  result.sim_seconds = static_cast<double>(world().now()) / 1e9;
  result.elections = raft_checks_.elections();
  result.highest_term = raft_checks_.highest_term();
  result.committed = raft_checks_.max_committed();
  result.crashes = cluster_.crashes();
  result.messages = cluster_.links().sent();
  finish_result(result);
  return result;
}

template class ScenarioRun<RaftNodeDriver>;
template class ScenarioRun<DnsNodeDriver>;

}  // namespace harness
