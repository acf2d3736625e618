// Properties whose generated input is a fault schedule, so a failing case shrinks to a minimal
// list of faults (rapidcheck removes and simplifies faults one by one).

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "harness/raft_cluster_run.h"

namespace rc {

template <>
struct Arbitrary<harness::Fault> {
  static Gen<harness::Fault> arbitrary() {
    return gen::build<harness::Fault>(
        gen::set(&harness::Fault::at,
                 gen::map(gen::inRange(0, 400), [](int t) { return t * 10 * sim::kMillisecond; })),
        gen::set(&harness::Fault::kind,
                 gen::element(harness::FaultKind::Crash, harness::FaultKind::CrashLeader,
                              harness::FaultKind::Isolate, harness::FaultKind::Partition,
                              harness::FaultKind::OneWay, harness::FaultKind::Clog)),
        gen::set(&harness::Fault::a, gen::inRange<std::uint64_t>(1, 6)),
        gen::set(&harness::Fault::b, gen::inRange<std::uint64_t>(1, 6)),
        gen::set(&harness::Fault::duration,
                 gen::map(gen::inRange(1, 200), [](int t) { return t * 10 * sim::kMillisecond; })));
  }
};

}  // namespace rc

namespace harness {
namespace {

// Runs a generated schedule on `nodes` nodes; partition masks are folded into range.
void check_schedule(std::size_t nodes, std::vector<Fault> schedule, std::uint64_t seed) {
  for (Fault& f : schedule) {
    f.a = 1 + (f.a - 1) % nodes;
    f.b = 1 + (f.b - 1) % nodes;
    if (f.kind == FaultKind::Partition) f.a = (f.a * 0x2B) & (((1ULL << nodes) - 1) << 1);
  }
  std::sort(schedule.begin(), schedule.end(),
            [](const Fault& x, const Fault& y) { return x.at < y.at; });
  RunOptions options = default_options(seed, "random");
  options.knobs.nodes = nodes;
  options.knobs.time_s = 4;
  options.schedule = schedule;
  const RunResult r = run_raft_cluster(options);
  if (!r.ok) {
    RC_FAIL(r.detail + "\nfault schedule: " + describe(schedule) +
            "\nreproduce: " + reproduce_command(options));
  }
}

RC_GTEST_PROP(ScheduleProperty, ThreeNodesSurviveAnyFaultSchedule, (std::vector<Fault> schedule)) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1000000);
  check_schedule(3, std::move(schedule), seed);
}

RC_GTEST_PROP(ScheduleProperty, FiveNodesSurviveAnyFaultSchedule, (std::vector<Fault> schedule)) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1000000);
  check_schedule(5, std::move(schedule), seed);
}

TEST(ScheduleProperty, AMinorityLeaderThatCommitsAloneIsCaughtByASmallSchedule) {
  // One hand-written schedule that needs the buggy leader to be cut off: proof that the schedule
  // input reaches the simulator (the property above would shrink to something like it).
  RunOptions options = default_options(3, "random");
  options.knobs.bug = "commit-without-majority";
  options.knobs.time_s = 4;
  options.knobs.loss = 0;
  options.knobs.dup = 0;
  bool caught = false;
  for (std::uint64_t mask : {0b0010ULL, 0b0100ULL, 0b1000ULL}) {
    options.schedule = std::vector<Fault>{
        {1500 * sim::kMillisecond, FaultKind::Partition, mask, 0, 1500 * sim::kMillisecond}};
    caught |= !run_raft_cluster(options).ok;
  }
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace harness
