// Simulator speed: simulated seconds per CPU second and events per second for 3- to 9-node
// raft clusters under the `random` scenario (every fault kind on). One iteration = one seeded run
// of 60 simulated seconds of faults plus the heal phase.

#include <benchmark/benchmark.h>

#include "harness/raft_cluster_run.h"

namespace {

void BM_RandomScenario(benchmark::State& state) {
  const auto nodes = static_cast<std::size_t>(state.range(0));
  std::uint64_t seed = 1;
  double sim_seconds = 0, events = 0, messages = 0;
  for (auto _ : state) {
    harness::RunOptions options = harness::default_options(seed++, "random");
    options.knobs.nodes = nodes;
    options.knobs.time_s = 60;
    const harness::RunResult r = harness::run_raft_cluster(options);
    if (!r.ok) state.SkipWithError(("violation: " + r.detail).c_str());
    sim_seconds += r.sim_seconds;
    events += static_cast<double>(r.events);
    messages += static_cast<double>(r.messages);
  }
  // Rates are per CPU second of this thread (the default), which the shared machine's load
  // does not distort; pass --benchmark_... real time flags to compare.
  state.counters["sim_s_per_s"] = benchmark::Counter(sim_seconds, benchmark::Counter::kIsRate);
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["messages_per_s"] = benchmark::Counter(messages, benchmark::Counter::kIsRate);
  // Per-iteration means: with the JSON output's real_time they give simulated seconds per wall
  // second (experiments/suite.d computes that for the sim-speed experiment).
  state.counters["sim_s_per_iter"] =
      benchmark::Counter(sim_seconds, benchmark::Counter::kAvgIterations);
  state.counters["events_per_iter"] =
      benchmark::Counter(events, benchmark::Counter::kAvgIterations);
}

BENCHMARK(BM_RandomScenario)->Arg(3)->Arg(5)->Arg(7)->Arg(9)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
