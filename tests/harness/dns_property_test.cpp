// Properties over generated fault schedules, checkpoint intervals and workloads (the workload
// follows the seed): every DNS invariant holds. A failure shrinks to a minimal schedule and prints
// the sim-runner command that reproduces it.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "harness/dns_cluster_run.h"

namespace harness {
namespace {

// One fault within a 5 s fault phase (not an rc::Arbitrary: the raft property test owns that).
rc::Gen<Fault> fault() {
  return rc::gen::build<Fault>(
      rc::gen::set(&Fault::at, rc::gen::map(rc::gen::inRange(0, 500),
                                            [](int t) { return t * 10 * sim::kMillisecond; })),
      rc::gen::set(&Fault::kind,
                   rc::gen::element(FaultKind::Crash, FaultKind::CrashLeader, FaultKind::Isolate,
                                    FaultKind::IsolateFollower, FaultKind::Partition,
                                    FaultKind::OneWay, FaultKind::Clog)),
      rc::gen::set(&Fault::a, rc::gen::inRange<std::uint64_t>(1, 6)),
      rc::gen::set(&Fault::b, rc::gen::inRange<std::uint64_t>(1, 6)),
      rc::gen::set(&Fault::duration, rc::gen::map(rc::gen::inRange(1, 150), [](int t) {
        return t * 10 * sim::kMillisecond;
      })));
}

// Runs `schedule` (folded into range for `nodes`) under `scenario`; `options` is set to what
// reproduces the run.
RunResult run_schedule(const std::string& scenario, std::size_t nodes, std::vector<Fault> schedule,
                       std::uint64_t seed, std::int64_t checkpoint_ms, const std::string& bug,
                       RunOptions& options) {
  for (Fault& f : schedule) {
    f.a = 1 + (f.a - 1) % nodes;
    f.b = 1 + (f.b - 1) % nodes;
    if (f.kind == FaultKind::Partition) f.a = (f.a * 0x2B) & (((1ULL << nodes) - 1) << 1);
  }
  std::sort(schedule.begin(), schedule.end(),
            [](const Fault& x, const Fault& y) { return x.at < y.at; });
  options = default_options(seed, scenario);
  options.knobs.bug = bug;
  options.knobs.nodes = nodes;
  options.knobs.time_s = 5;
  options.knobs.checkpoint_ms = checkpoint_ms;
  options.schedule = schedule;
  return run_dns_cluster(options);
}

void check(const std::string& scenario, std::size_t nodes, const std::string& bug = "") {
  const auto schedule = *rc::gen::container<std::vector<Fault>>(fault());
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1000000);
  // Checkpoints from "every few messages" to "slower than the write timeout".
  const auto checkpoint_ms = *rc::gen::element<std::int64_t>(10, 50, 100, 300, 1500);
  RunOptions options;
  const RunResult r = run_schedule(scenario, nodes, schedule, seed, checkpoint_ms, bug, options);
  if (!r.ok)
    RC_FAIL(r.detail + "\nfault schedule: " + describe(r.schedule) +
            "\nreproduce: " + reproduce_command(options));
}

RC_GTEST_PROP(DnsProperty, ThreeNodesKeepEveryDnsInvariantUnderAnySchedule, ()) {
  check("random-dns", 3);
}

RC_GTEST_PROP(DnsProperty, CheckpointRaceSettingsKeepEveryDnsInvariantUnderAnySchedule, ()) {
  check("checkpoint-race", 3);
}

RC_GTEST_PROP(DnsProperty, FiveNodesKeepEveryDnsInvariantUnderAnySchedule, ()) {
  check("random-dns", 5);
}

// The property itself fails on a broken engine, shrinks, and reports a reproduce command.
TEST(DnsProperty, ThePropertyFailsOnABrokenEngine) {
  for (const char* bug : {"ack-before-fsync", "drop-on-majority-ack"}) {
    testing::internal::CaptureStderr();
    const bool held = rc::check([bug] { check("random-dns", 3, bug); });
    const std::string report = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(held) << bug;
    EXPECT_NE(report.find("reproduce: build/sim-runner --seed "), std::string::npos) << report;
    EXPECT_NE(report.find(std::string("--bug ") + bug), std::string::npos) << report;
  }
}

// The deliberately broken engines fail the same property on the first generated case that has
// any write committed (bounded: every one of a handful of seeds catches each bug).
TEST(DnsProperty, BrokenEnginesAreCaughtWithinAFewSeeds) {
  for (const char* bug : {"ack-before-fsync", "drop-on-majority-ack"}) {
    std::size_t caught = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      RunOptions options = default_options(seed, "random-dns");
      options.knobs.time_s = 5;
      options.knobs.bug = bug;
      options.schedule = std::vector<Fault>{
          {2 * sim::kSecond, FaultKind::Crash, 1 + seed % 3, 0, 500 * sim::kMillisecond}};
      const RunResult r = run_dns_cluster(options);
      if (!r.ok) ++caught;
      EXPECT_NE(reproduce_command(options).find("--bug " + std::string(bug)), std::string::npos);
    }
    EXPECT_EQ(caught, 5u) << bug;
  }
}

}  // namespace
}  // namespace harness
