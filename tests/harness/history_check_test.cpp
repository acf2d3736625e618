// The history checker (harness/history_check.h): each claim fails on a history that breaks it
// and names the line; a model of a correct cluster passes, mutated ones do not (rapidcheck).

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "harness/bug_switches.h"
#include "harness/dns_scenarios.h"
#include "harness/history.h"
#include "harness/history_check.h"
#include "harness/scenario_run.h"

namespace harness {
namespace {

HistoryChange add(const std::string& data) {
  return {true, "h0.z1.test.", "A", data};
}
HistoryChange remove(const std::string& data) {
  return {false, "h0.z1.test.", "A", data};
}

HistoryWrite write(std::vector<HistoryChange> changes, std::int64_t invoke, std::int64_t complete,
                   WriteOutcome result, std::uint64_t index, std::uint64_t node = 1) {
  HistoryWrite w;
  w.client = "c";
  w.node = node;
  w.process = 1;
  w.invoke_ns = invoke;
  w.complete_ns = complete;
  w.changes = std::move(changes);
  w.result = result;
  w.index = index;
  return w;
}

HistoryRead read(std::uint64_t node, std::int64_t time, std::uint64_t index,
                 std::vector<std::string> answer, std::uint32_t serial, bool final = false) {
  HistoryRead r;
  r.client = "r";
  r.node = node;
  r.process = 1;
  r.time_ns = time;
  r.name = "h0.z1.test.";
  r.qtype = "A";
  r.rcode = answer.empty() ? "NXDOMAIN" : "NOERROR";
  r.answer = std::move(answer);
  std::sort(r.answer.begin(), r.answer.end());
  r.zone = "z1.test.";
  r.serial = serial;
  r.index = index;
  r.final = final;
  return r;
}

// Writes the operations through HistoryWriter and parses them back, as history-check does.
struct Ops {
  std::vector<HistoryWrite> writes;
  std::vector<HistoryRead> reads;
};
History round_trip(const Ops& ops) {
  std::ostringstream out;
  HistoryWriter writer(out);
  for (const HistoryWrite& w : ops.writes) writer.write(w);
  for (const HistoryRead& r : ops.reads) writer.read(r);
  std::istringstream in(out.str());
  return parse_history(in, "h.jsonl");
}

const CheckOutcome& outcome(const CheckReport& report, const std::string& name) {
  for (const CheckOutcome& c : report.checks)
    if (c.name == name) return c;
  throw std::logic_error("no check " + name);
}

// Two nodes: write A at index 5, both read it, both read it after the heal.
Ops good() {
  Ops o;
  o.writes.push_back(write({add("10.0.0.1")}, 100, 200, WriteOutcome::Ok, 5));
  o.reads.push_back(read(1, 150, 4, {}, 3));
  o.reads.push_back(read(1, 250, 5, {"10.0.0.1"}, 4));
  o.reads.push_back(read(2, 300, 5, {"10.0.0.1"}, 4));
  o.reads.push_back(read(1, 900, 5, {"10.0.0.1"}, 4, true));
  o.reads.push_back(read(2, 900, 5, {"10.0.0.1"}, 4, true));
  return o;
}

TEST(HistoryCheck, ACorrectHistoryPassesEveryCheck) {
  const CheckReport r = check_history(round_trip(good()), "h.jsonl");
  EXPECT_EQ(r.failed(), 0u) << format_report(r);
  EXPECT_EQ(r.passed(), r.checks.size());
  EXPECT_NE(format_report(r).find("12 passed, 0 failed\n"), std::string::npos);
}

TEST(HistoryCheck, RoundTripKeepsEveryField) {
  Ops o = good();
  o.writes.push_back(write({remove("10.0.0.2")}, 300, 400, WriteOutcome::Unknown, 0));
  o.writes.back().complete_ns.reset();
  const History h = round_trip(o);
  ASSERT_TRUE(h.errors.empty()) << h.errors.front();
  ASSERT_EQ(h.writes.size(), 2u);
  EXPECT_EQ(h.writes[1].line, 2u);
  o.writes[0].line = 1, o.writes[1].line = 2;
  EXPECT_EQ(h.writes, o.writes);
  for (std::size_t i = 0; i < o.reads.size(); ++i) o.reads[i].line = 3 + i;
  EXPECT_EQ(h.reads, o.reads);
}

TEST(HistoryCheck, MalformedLinesAreNamedAndFail) {
  std::istringstream in("{\"type\":\"read\"}\nnot json\n\n{\"type\":\"write\",\"client\":\"c\"}\n");
  const History h = parse_history(in, "x.jsonl");
  ASSERT_EQ(h.errors.size(), 3u);
  EXPECT_EQ(h.errors[0], "x.jsonl:1: no field \"client\"");
  EXPECT_EQ(h.errors[1].rfind("x.jsonl:2: not JSON", 0), 0u) << h.errors[1];
  EXPECT_EQ(h.errors[2], "x.jsonl:4: no field \"node\"");
  EXPECT_FALSE(outcome(check_history(h, "x.jsonl"), "well-formed").passed());
  // Numbers are integers of the right sign and size, not converted floats or wrapped negatives.
  for (const char* bad : {"-1", "1.5", "1e300", "4294967296"}) {
    HistoryRead r = good().reads[0];
    std::string line = history_line(r);
    line.replace(line.find("\"serial\":3"), 10, std::string("\"serial\":") + bad);
    std::istringstream one(line);
    const History parsed = parse_history(one, "y");
    ASSERT_EQ(parsed.errors.size(), 1u) << bad;
    EXPECT_EQ(parsed.errors[0].rfind("y:1: field \"serial\" is not a non-negative integer", 0), 0u)
        << parsed.errors[0];
  }
}

TEST(HistoryCheck, LostAcknowledgedWriteFailsNamingItsLine) {
  Ops o = good();
  o.reads[4].answer.clear();  // n2 lost it after the heal
  o.reads[4].rcode = "NXDOMAIN";
  const CheckReport r = check_history(round_trip(o), "h.jsonl");
  const CheckOutcome& c = outcome(r, "acked-visible-after-heal");
  ASSERT_EQ(c.failures.size(), 1u) << format_report(r);
  EXPECT_EQ(c.failures[0].rfind("h.jsonl:1: acknowledged ADD of h0.z1.test. A 10.0.0.1", 0), 0u)
      << c.failures[0];
  EXPECT_FALSE(outcome(r, "final-reads").passed());
  EXPECT_FALSE(outcome(r, "read-shows-all-committed").passed());
}

TEST(HistoryCheck, AFinalIndexBelowAnAcknowledgedWriteFails) {
  Ops o = good();
  o.reads[4].index = 4;
  o.reads[4].answer.clear();
  EXPECT_FALSE(outcome(check_history(round_trip(o), "h"), "acked-visible-after-heal").passed());
}

TEST(HistoryCheck, MissingFinalReadsFail) {
  Ops o = good();
  o.reads.pop_back();
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "final-reads");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_NE(c.failures[0].find("n2 has no final read"), std::string::npos);
}

TEST(HistoryCheck, ARemovedMemberOwesNoFinalReadAndItsLineMustBeWellFormed) {
  Ops o = good();
  o.reads.pop_back();  // n2's final read: n2 was removed before the heal
  std::ostringstream out;
  HistoryWriter writer(out);
  for (const HistoryWrite& w : o.writes) writer.write(w);
  for (const HistoryRead& r : o.reads) writer.read(r);
  writer.removed({0, 2, 600});
  std::istringstream in(out.str());
  const History h = parse_history(in, "h");
  ASSERT_TRUE(h.errors.empty()) << h.errors.front();
  ASSERT_EQ(h.removals.size(), 1u);
  EXPECT_EQ(h.removals[0], (HistoryRemoval{6, 2, 600}));  // line 6: after 1 write, 4 reads
  const CheckReport r = check_history(h, "h");
  EXPECT_EQ(r.failed(), 0u) << format_report(r);

  std::istringstream bad("{\"type\":\"removed\",\"time_ns\":5}\n");
  const History broken = parse_history(bad, "b");
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_EQ(broken.errors[0], "b:1: no field \"node\"");
  EXPECT_TRUE(broken.removals.empty());
}

TEST(HistoryCheck, TwoWritesAcknowledgedAtOneIndexFail) {
  Ops o = good();
  o.writes.push_back(write({add("10.0.0.3")}, 100, 210, WriteOutcome::Ok, 5, 2));
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "one-write-per-index");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_EQ(c.failures[0].rfind("h:2: write acknowledged at index 5", 0), 0u) << c.failures[0];
}

TEST(HistoryCheck, ACommitOrderAgainstRealTimeFails) {
  Ops o = good();
  // Invoked after the index-5 write was acknowledged, yet ordered before it.
  o.writes.push_back(write({add("10.0.0.2")}, 220, 230, WriteOutcome::Noop, 3));
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "real-time-order");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_EQ(c.failures[0].rfind("h:2: write invoked at 220 ns committed at index 3", 0), 0u)
      << c.failures[0];
  // Concurrent writes may commit in either order.
  o.writes.back().invoke_ns = 150;
  EXPECT_TRUE(outcome(check_history(round_trip(o), "h"), "real-time-order").passed());
}

TEST(HistoryCheck, AReadGoingBackFails) {
  Ops o = good();
  o.reads.push_back(read(1, 260, 4, {}, 3));  // after index 5 at 250 on the same process
  const CheckReport r = check_history(round_trip(o), "h");
  EXPECT_FALSE(outcome(r, "monotonic-reads").passed());
  EXPECT_FALSE(outcome(r, "monotonic-serials").passed());
  // A restarted node is a new process: it may serve less than before (its datastore's hw).
  o.reads.back().process = 2;
  o.reads.back().time_ns = 400;
  EXPECT_TRUE(outcome(check_history(round_trip(o), "h"), "monotonic-reads").passed());
}

TEST(HistoryCheck, DivergentAnswersAtOneIndexFail) {
  Ops o = good();
  o.reads[2].serial = 7;
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "reads-agree-at-index");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_NE(c.failures[0].find("n2 at index 5 has z1.test. at serial 7"), std::string::npos);
}

TEST(HistoryCheck, AReadShowingAWriteBeforeItsIndexFails) {
  Ops o = good();
  o.reads[0].answer = {"10.0.0.1"};  // index 4 shows what commits at 5
  o.reads[0].rcode = "NOERROR";
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "read-shows-only-committed");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_EQ(c.failures[0].rfind("h:2: n1 at index 4 shows h0.z1.test. A 10.0.0.1", 0), 0u)
      << c.failures[0];
}

TEST(HistoryCheck, AnIndexServedBeforeItsWriteWasInvokedFails) {
  Ops o = good();
  o.reads[0].index = 5;  // at 150 n1 serves index 5, which a write invoked at 100 got: fine
  o.reads[0].answer = {"10.0.0.1"};
  o.reads[0].serial = 4;
  EXPECT_TRUE(outcome(check_history(round_trip(o), "h"), "served-after-invoke").passed());
  o.writes[0].invoke_ns = 160;  // ... but not one invoked after that read
  const CheckOutcome c = outcome(check_history(round_trip(o), "h"), "served-after-invoke");
  ASSERT_EQ(c.failures.size(), 1u);
  EXPECT_EQ(c.failures[0].rfind("h:1: write invoked at 160 ns acknowledged at index 5, but n1 "
                                "already served index 5 at 150 ns (h:2)",
                                0),
            0u)
      << c.failures[0];
}

TEST(HistoryCheck, AWriteWithUnknownOutcomeMayOrMayNotShow) {
  Ops o = good();
  o.writes.push_back(write({add("10.0.0.9")}, 300, 400, WriteOutcome::Unknown, 0));
  o.reads.push_back(read(1, 500, 6, {"10.0.0.1", "10.0.0.9"}, 5));
  {
    // Showing it is fine; serving index 6 and then 5 after the heal is not.
    const CheckReport r = check_history(round_trip(o), "h");
    EXPECT_TRUE(outcome(r, "read-shows-only-committed").passed());
    EXPECT_FALSE(outcome(r, "monotonic-reads").passed());
    EXPECT_FALSE(outcome(r, "monotonic-serials").passed());
    EXPECT_EQ(r.failed(), 2u) << format_report(r);
  }
  o.reads[3].answer.push_back("10.0.0.9");
  o.reads[4].answer.push_back("10.0.0.9");
  o.reads[3].index = o.reads[4].index = 6;
  o.reads[3].serial = o.reads[4].serial = 5;
  const CheckReport r = check_history(round_trip(o), "h");
  EXPECT_EQ(r.failed(), 0u) << format_report(r);
  // ... but every node or none at the end.
  o.reads[4].answer = {"10.0.0.1"};
  EXPECT_FALSE(outcome(check_history(round_trip(o), "h"), "unacked-agree").passed());
  // Before the last write acknowledged ahead of it, it cannot have committed.
  o.writes.back().invoke_ns = 250;
  o.reads.push_back(read(2, 260, 5, {"10.0.0.1", "10.0.0.9"}, 4));
  EXPECT_FALSE(outcome(check_history(round_trip(o), "h"), "read-shows-only-committed").passed());
}

TEST(HistoryCheck, StalenessIsTimeFromCommitToTheFirstReadServingIt) {
  const CheckReport r = check_history(round_trip(good()), "h");
  ASSERT_EQ(r.staleness.size(), 2u);
  // Committed by 200 (the ack); n1 first served it at 250, n2 at 300.
  EXPECT_EQ(r.staleness[0].seen, 1u);
  EXPECT_DOUBLE_EQ(r.staleness[0].max_ms, 50e-6);
  EXPECT_DOUBLE_EQ(r.staleness[1].max_ms, 100e-6);
}

// ---- property: a correct model's histories pass, mutated ones fail --------------------------

// A single-leader store over one name: writes commit in invocation order at increasing indices,
// every node applies them in order with its own delay, reads show its applied prefix.
Ops model_history(const std::vector<std::pair<bool, int>>& ops, int nodes,
                  const std::vector<int>& lag) {
  Ops o;
  std::vector<std::vector<std::string>> states{{}};  // state after each committed write
  std::vector<std::int64_t> commit_time{0};
  std::int64_t t = 1000;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const auto [is_add, value] = ops[i];
    const std::string data = "10.0.0." + std::to_string(value);
    std::vector<std::string> next = states.back();
    const auto it = std::find(next.begin(), next.end(), data);
    const bool changes = is_add == (it == next.end());
    if (is_add && it == next.end()) next.push_back(data);
    if (!is_add && it != next.end()) next.erase(it);
    std::sort(next.begin(), next.end());
    o.writes.push_back(write({is_add ? add(data) : remove(data)}, t, t + 50,
                             changes ? WriteOutcome::Ok : WriteOutcome::Noop, i + 1,
                             1 + i % nodes));
    states.push_back(next);
    commit_time.push_back(t + 40);
    t += 100;
  }
  // Each node reads every 30 ns and serves what committed lag[n] ns before.
  for (int n = 1; n <= nodes; ++n)
    for (std::int64_t rt = 1000; rt < t; rt += 30) {
      std::size_t index = 0;
      while (index + 1 < commit_time.size() && commit_time[index + 1] + lag[n - 1] <= rt) ++index;
      o.reads.push_back(read(n, rt, index, states[index], 1 + index));
    }
  for (int n = 1; n <= nodes; ++n)
    o.reads.push_back(read(n, t + 1000, ops.size(), states.back(), 1 + ops.size(), true));
  return o;
}

rc::Gen<std::vector<std::pair<bool, int>>> ops_gen() {
  return rc::gen::resize(20,
                         rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<bool, int>>>(
                             rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 3)))));
}

RC_GTEST_PROP(HistoryCheckProperty, ACorrectModelPasses, ()) {
  const auto ops = *ops_gen();
  const int nodes = *rc::gen::inRange(1, 4);
  const auto lag = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 300));
  const CheckReport r = check_history(round_trip(model_history(ops, nodes, lag)), "h");
  RC_ASSERT(r.failed() == 0u);
}

RC_GTEST_PROP(HistoryCheckProperty, ALostAcknowledgedWriteFails, ()) {
  const auto ops = *ops_gen();
  const int nodes = *rc::gen::inRange(1, 4);
  const auto lag = *rc::gen::container<std::vector<int>>(3, rc::gen::inRange(0, 300));
  Ops o = model_history(ops, nodes, lag);
  // The last write that changed something is lost on one node: its final read shows the state
  // before it.
  std::size_t last = o.writes.size();
  while (last > 0 && o.writes[last - 1].result != WriteOutcome::Ok) --last;
  RC_PRE(last > 0u);
  const HistoryChange& c = o.writes[last - 1].changes[0];
  const int victim = *rc::gen::inRange(1, nodes + 1);
  HistoryRead& final = o.reads[o.reads.size() - static_cast<std::size_t>(nodes) + victim - 1];
  if (c.add)
    final.answer.erase(std::find(final.answer.begin(), final.answer.end(), c.data));
  else
    final.answer.push_back(c.data);
  std::sort(final.answer.begin(), final.answer.end());
  const CheckReport r = check_history(round_trip(o), "h");
  RC_ASSERT(!outcome(r, "read-shows-only-committed").passed() ||
            !outcome(r, "read-shows-all-committed").passed());
  // Unless a later (NOOP) write had the last word on that record, the write itself is named.
  if (std::none_of(o.writes.begin() + static_cast<std::ptrdiff_t>(last), o.writes.end(),
                   [&](const HistoryWrite& w) { return w.changes[0].data == c.data; }))
    RC_ASSERT(!outcome(r, "acked-visible-after-heal").passed());
}

RC_GTEST_PROP(HistoryCheckProperty, AReadGoingBackFails, ()) {
  const auto ops = *ops_gen();
  RC_PRE(ops.size() >= 2u);
  Ops o = model_history(ops, 1, {0, 0, 0});
  // A later read of the one node answers from an earlier index than one before it.
  std::vector<std::size_t> advanced;
  for (std::size_t i = 1; i + 1 < o.reads.size(); ++i)
    if (o.reads[i].index > o.reads[i - 1].index) advanced.push_back(i);
  RC_PRE(!advanced.empty());
  const std::size_t i = *rc::gen::elementOf(advanced);
  HistoryRead back = o.reads[i - 1];
  back.time_ns = o.reads[i].time_ns + 1;
  o.reads.push_back(back);
  RC_ASSERT(!outcome(check_history(round_trip(o), "h"), "monotonic-reads").passed());
}

// Bad input is reported, never a crash: random edits of a good history's lines (cut, spliced,
// retyped fields) parse into errors naming their line, and the checker still ends its report.
RC_GTEST_PROP(HistoryCheckProperty, DamagedLinesAreReportedNotFatal, ()) {
  std::ostringstream out;
  HistoryWriter writer(out);
  for (const HistoryWrite& w : good().writes) writer.write(w);
  for (const HistoryRead& r : good().reads) writer.read(r);
  std::string text = out.str();
  const int edits = *rc::gen::inRange(1, 8);
  for (int i = 0; i < edits; ++i) {
    const std::size_t at = *rc::gen::inRange<std::size_t>(0, text.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text.erase(at, *rc::gen::inRange<std::size_t>(0, 20));
        break;
      case 1:
        text.insert(at, *rc::gen::element<std::string>("\"", "{", "}", "-1", "1e400", "null", "[]",
                                                       "\"x\"", "\n", "18446744073709551616"));
        break;
      default:
        text[at] = *rc::gen::inRange<char>(0, 127);
    }
  }
  std::istringstream in(text);
  const History h = parse_history(in, "d.jsonl");
  for (const std::string& e : h.errors) RC_ASSERT(e.rfind("d.jsonl:", 0) == 0u);
  const CheckReport r = check_history(h, "d.jsonl");
  RC_ASSERT(format_report(r).find(" failed\n") != std::string::npos);
  RC_ASSERT(outcome(r, "well-formed").passed() == h.errors.empty());
}

// ---- the simulator's histories -------------------------------------------------------------

// One run of `scenario` with its history judged; `bug` switched on with every invariant off, so
// that only the history can tell.
CheckReport judged_run(const std::string& scenario, std::uint64_t seed, const std::string& bug,
                       RunResult* run = nullptr) {
  RunOptions options = default_options(seed, scenario);
  std::ostringstream out;
  options.history = &out;
  options.knobs.bug = bug;
  options.no_invariants = !bug.empty();
  const RunResult result = run_scenario(options);
  if (run) *run = result;
  std::istringstream in(out.str());
  return check_history(parse_history(in, scenario), scenario);
}

// Every DNS scenario (new ones included) records a history the checker passes, seeds 1..10:
// every check, monotonic serials included (an unfinished import re-proposed after a crash no
// longer sets a serial back, see ImportBatchesNeverSetASerialBack).
TEST(SimHistory, EveryDnsScenarioHistoryPasses) {
  for (const Scenario& s : dns_scenarios())
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      RunResult run;
      const CheckReport r = judged_run(s.name, seed, "", &run);
      EXPECT_TRUE(run.ok) << s.name << " seed " << seed << ": " << run.detail;
      for (const CheckOutcome& c : r.checks)
        EXPECT_TRUE(c.passed()) << s.name << " seed " << seed << "\n" << format_report(r, 5);
      EXPECT_GT(outcome(r, "read-shows-all-committed").cases, 100u) << s.name;
    }
}

TEST(SimHistory, HistoryDoesNotChangeTheRun) {
  for (const char* scenario : {"random-dns", "disk-full"}) {
    RunResult with;
    judged_run(scenario, 4, "", &with);
    EXPECT_EQ(run_scenario(default_options(4, scenario)).trace_hash, with.trace_hash) << scenario;
  }
}

// An unfinished first-boot import re-proposes the zone file after the crash. Its SOA (serial 1)
// used to replace the served one, setting the serial back on every node (found by this checker:
// seeds 91 and 122 of 1..150). Import batches (command kind 7) now never lower an existing
// zone's serial when applied (engine/import_batch.h): on those seeds serials only go up.
TEST(SimHistory, ImportBatchesNeverSetASerialBack) {
  for (std::uint64_t seed : {91u, 122u}) {
    const CheckReport r = judged_run("crash-before-fsync", seed, "");
    EXPECT_TRUE(outcome(r, "monotonic-serials").passed()) << "seed " << seed << "\n"
                                                          << format_report(r, 5);
    EXPECT_GT(outcome(r, "monotonic-serials").cases, 0u) << "seed " << seed;
    EXPECT_EQ(r.failed(), 0u) << format_report(r, 5);
  }
}

// Each DNS bug switch, with every invariant off, shows in the history within a few seeds (the
// first seed found for each, with the checks that flagged it, is in the failure message if not).
TEST(SimHistory, EveryDnsBugSwitchIsFlaggedByTheChecker) {
  struct Case {
    std::string bug, scenario;
    std::uint64_t seeds;
  };
  // drop-failed-write shows first at seed 127 since a leader sends one append per follower for
  // the proposals of a round (48 before; the direct invariants catch it within 10 seeds).
  const std::vector<Case> cases{{"commit-without-majority", "random-dns", 5},
                                {"drop-failed-write", "disk-full", 150}};
  // Bugs whose damage the datastore transfer repairs before any client sees it: a node that
  // acknowledged batches and then lost them (or never stored them) finds R dropped them and
  // copies a peer's datastore, serving its older data at its older index meanwhile, which is
  // consistent. The direct invariant "no node loses what it acknowledged" still catches each.
  const std::vector<Case> repaired{{"ack-before-fsync", "crash-before-fsync", 5},
                                   {"drop-on-majority-ack", "random-dns", 5},
                                   {"ignore-fsync-error", "disk-full", 10}};
  std::set<std::string> covered;
  for (const Case& c : repaired) {
    covered.insert(c.bug);
    bool caught = false;
    for (std::uint64_t seed = 1; seed <= c.seeds && !caught; ++seed) {
      RunOptions options = default_options(seed, c.scenario);
      options.knobs.bug = c.bug;
      caught = !run_scenario(options).ok;
    }
    EXPECT_TRUE(caught) << c.bug << " on " << c.scenario << ": no invariant caught it in "
                        << c.seeds << " seeds";
  }
  for (const Case& c : cases) {
    covered.insert(c.bug);
    std::uint64_t flagged = 0;
    for (std::uint64_t seed = 1; seed <= c.seeds && !flagged; ++seed) {
      const CheckReport r = judged_run(c.scenario, seed, c.bug);
      // Flagged by what clients saw, not by an unfinished history.
      const bool seen = std::any_of(r.checks.begin(), r.checks.end(), [](const CheckOutcome& o) {
        return !o.passed() && o.name != "monotonic-serials" && o.name != "well-formed";
      });
      if (seen) flagged = seed;
    }
    EXPECT_NE(flagged, 0u) << c.bug << " on " << c.scenario << " went unflagged in " << c.seeds
                           << " seeds";
  }
  // Bugs of the cluster-lifetime scenarios no client sees (0 of 8 seeds each): a copy installed
  // before it is durable is only lost if the node loses power before its next checkpoint, and
  // then it copies again; a re-imported zone file brings back a removed record no query asks
  // for. Their invariants (a transfer is durable when installed; records removed stay removed)
  // catch each. A wiped node voting at once votes twice in one term now and then (seed 15 of the
  // first 60), which no client saw there; the raft checker (one vote per term, one leader per
  // term, leader completeness) catches it.
  const std::vector<Case> unseen{{"transfer-before-fsync", "wipe-rejoin", 3},
                                 {"reimport-after-wipe", "wipe-rejoin", 3},
                                 {"wiped-node-votes", "wipe-rejoin", 15}};
  for (const Case& c : unseen) {
    covered.insert(c.bug);
    bool caught = false;
    for (std::uint64_t seed = 1; seed <= c.seeds && !caught; ++seed) {
      RunOptions options = default_options(seed, c.scenario);
      options.knobs.bug = c.bug;
      caught = !run_scenario(options).ok;
    }
    EXPECT_TRUE(caught) << c.bug << " on " << c.scenario << ": no invariant caught it in "
                        << c.seeds << " seeds";
  }
  // Every bug a DNS scenario accepts is here, but those no client can see: keep-removed-acks
  // only keeps `pending` from draining (every answer stays right), which the run's convergence
  // check catches (sim_runner_catches_keep-removed-acks_*); ignore-pending-bound only lets
  // pending grow past its bound (every answer stays right), which the check after every apply
  // catches (sim_runner_catches_ignore-pending-bound).
  const std::set<std::string> invisible{"keep-removed-acks", "ignore-pending-bound"};
  for (const Scenario& s : dns_scenarios())
    for (const std::string& bug : s.bugs)
      EXPECT_TRUE(covered.contains(bug) || invisible.contains(bug))
          << bug << " (scenario " << s.name << ") has no case";
}

}  // namespace
}  // namespace harness
