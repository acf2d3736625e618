// The history checker on a real cluster's history:
// tests/data/histories/real_isolate_then_kill.jsonl was recorded by experiments/real_faults
// (raftdns.history) on a real 3-node cluster through the fault proxy (`--faults
// isolate-leader@1500/1/0/1500,crash-leader@3500/1/0/800 --time 5 --seed 4
// --write-rate 6 --query-rate 6 --history-read-rate 10`): n1 isolated (two writes through it of
// unknown outcome), then n2 killed -9 and restarted (a second process). dns-node has no bug
// switch, so what a real bug would show clients is made by mutating that history the way each
// bug would, and the checker must flag each mutation and name the line.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "harness/history.h"
#include "harness/history_check.h"

namespace harness {
namespace {

const char* const kFile = RAFTDNS_REAL_HISTORY;

History recorded() {
  std::ifstream in(kFile);
  if (!in) throw std::runtime_error(std::string("cannot open ") + kFile);
  return parse_history(in, "real.jsonl");
}

const CheckOutcome& outcome(const CheckReport& report, const std::string& name) {
  for (const CheckOutcome& c : report.checks)
    if (c.name == name) return c;
  throw std::logic_error("no check " + name);
}

// The check `name` fails and one of its failures names `line`.
void expect_flagged(const History& h, const std::string& name, std::size_t line) {
  const CheckReport report = check_history(h, "real.jsonl");
  const CheckOutcome& c = outcome(report, name);
  ASSERT_FALSE(c.passed()) << format_report(report);
  const std::string at = "real.jsonl:" + std::to_string(line) + ":";
  EXPECT_TRUE(std::any_of(c.failures.begin(), c.failures.end(),
                          [&](const std::string& f) { return f.find(at) != std::string::npos; }))
      << "no " << name << " failure names line " << line << "\n"
      << format_report(report);
}

bool ok(const HistoryWrite& w) {
  return w.result == WriteOutcome::Ok;
}

HistoryRead* final_read(History& h, std::uint64_t node, const std::string& name) {
  for (HistoryRead& r : h.reads)
    if (r.final && r.node == node && r.name == name) return &r;
  return nullptr;
}

// Two live reads of one node process, one after the other, whose values of `key` differ.
template <typename Key>
std::pair<HistoryRead*, HistoryRead*> consecutive_differing(History& h, Key key) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<HistoryRead*>> by_process;
  for (HistoryRead& r : h.reads)
    if (!r.final) by_process[{r.node, r.process}].push_back(&r);
  for (auto& [_, reads] : by_process) {
    std::stable_sort(reads.begin(), reads.end(), [](const HistoryRead* a, const HistoryRead* b) {
      return a->time_ns < b->time_ns;
    });
    for (std::size_t i = 1; i < reads.size(); ++i)
      if (reads[i - 1]->zone == reads[i]->zone && key(*reads[i - 1]) < key(*reads[i]))
        return {reads[i - 1], reads[i]};
  }
  return {nullptr, nullptr};
}

TEST(RealHistory, TheRecordedHistoryPassesAndHasWhatTheMutationsNeed) {
  const History h = recorded();
  const CheckReport report = check_history(h, "real.jsonl");
  EXPECT_EQ(report.failed(), 0u) << format_report(report);
  std::set<std::pair<std::uint64_t, std::uint64_t>> processes;
  for (const HistoryRead& r : h.reads) processes.insert({r.node, r.process});
  EXPECT_EQ(processes.size(), 4u) << "three nodes, one of them restarted";
  EXPECT_GE(std::count_if(h.writes.begin(), h.writes.end(),
                          [](const HistoryWrite& w) { return w.result == WriteOutcome::Unknown; }),
            1);
  EXPECT_GE(std::count_if(h.writes.begin(), h.writes.end(), ok), 20);
}

// A node that lost an acknowledged write (a commit without its data, an ack before fsync).
TEST(RealHistory, AnAcknowledgedWriteMissingFromOneNodeAfterTheHealIsFlagged) {
  History h = recorded();
  const HistoryWrite& w = *std::find_if(h.writes.begin(), h.writes.end(), ok);
  HistoryRead* r = final_read(h, 2, w.changes[0].name);
  ASSERT_NE(r, nullptr);
  r->answer.clear();
  r->rcode = "NXDOMAIN";
  expect_flagged(h, "acked-visible-after-heal", w.line);
  expect_flagged(h, "final-reads", r->line);
}

// A serial that goes back on one node (a re-import, a rollback of the served view).
TEST(RealHistory, SerialsReorderedOnOneNodeAreFlagged) {
  History h = recorded();
  auto [first, second] =
      consecutive_differing(h, [](const HistoryRead& r) { return r.serial.value_or(0); });
  ASSERT_NE(first, nullptr);
  std::swap(first->serial, second->serial);
  expect_flagged(h, "monotonic-serials", second->line);
}

// A node serving an older index after a newer one (a stale replica answering).
TEST(RealHistory, AServedIndexGoingBackIsFlagged) {
  History h = recorded();
  auto [first, second] = consecutive_differing(h, [](const HistoryRead& r) { return r.index; });
  ASSERT_NE(first, nullptr);
  std::swap(first->index, second->index);
  expect_flagged(h, "monotonic-reads", second->line);
}

// Two acknowledged writes in the wrong order (an index handed out twice, a lost leader's ack).
TEST(RealHistory, AcknowledgedWritesCommittedAgainstRealTimeAreFlagged) {
  History h = recorded();
  std::vector<HistoryWrite*> acked;
  for (HistoryWrite& w : h.writes)
    if (ok(w)) acked.push_back(&w);
  std::sort(acked.begin(), acked.end(), [](const HistoryWrite* a, const HistoryWrite* b) {
    return *a->complete_ns < *b->complete_ns;
  });
  // The first pair where one completed before the other was invoked.
  for (std::size_t i = 0; i + 1 < acked.size(); ++i)
    for (std::size_t j = i + 1; j < acked.size(); ++j)
      if (*acked[i]->complete_ns < acked[j]->invoke_ns) {
        std::swap(acked[i]->index, acked[j]->index);
        expect_flagged(h, "real-time-order", acked[j]->line);
        return;
      }
  FAIL() << "no two acknowledged writes one after the other";
}

TEST(RealHistory, TwoWritesAcknowledgedAtOneIndexAreFlagged) {
  History h = recorded();
  std::vector<HistoryWrite*> acked;
  for (HistoryWrite& w : h.writes)
    if (ok(w)) acked.push_back(&w);
  ASSERT_GE(acked.size(), 2u);
  acked[1]->index = acked[0]->index;
  expect_flagged(h, "one-write-per-index", acked[1]->line);
}

// A read showing a write at an index before the write's own (a dirty read of an uncommitted
// entry).
TEST(RealHistory, AReadShowingAWriteBeforeItCommittedIsFlagged) {
  History h = recorded();
  for (const HistoryWrite& w : h.writes) {
    if (!ok(w)) continue;
    for (HistoryRead& r : h.reads)
      if (!r.final && r.name == w.changes[0].name && r.index < w.index) {
        r.answer.push_back(w.changes[0].data);
        r.rcode = "NOERROR";
        expect_flagged(h, "read-shows-only-committed", r.line);
        return;
      }
  }
  FAIL() << "no read of a name before its write committed";
}

// Nodes that disagree, after the heal, on a write whose client never learned its outcome (a
// write applied on one replica only).
TEST(RealHistory, NodesDisagreeingOnAnUnacknowledgedWriteAreFlagged) {
  History h = recorded();
  const auto w = std::find_if(h.writes.begin(), h.writes.end(), [](const HistoryWrite& x) {
    return x.result == WriteOutcome::Unknown;
  });
  ASSERT_NE(w, h.writes.end());
  HistoryRead* r = final_read(h, 3, w->changes[0].name);
  ASSERT_NE(r, nullptr);
  if (std::find(r->answer.begin(), r->answer.end(), w->changes[0].data) == r->answer.end()) {
    r->answer.push_back(w->changes[0].data);
    r->rcode = "NOERROR";
  } else {
    r->answer.clear();
    r->rcode = "NXDOMAIN";
  }
  expect_flagged(h, "unacked-agree", w->line);
}

// A node never read after the heal (down, or the history ends too soon).
TEST(RealHistory, ANodeWithoutFinalReadsIsFlagged) {
  History h = recorded();
  std::erase_if(h.reads, [](const HistoryRead& r) { return r.final && r.node == 1; });
  const CheckReport report = check_history(h, "real.jsonl");
  const CheckOutcome& c = outcome(report, "final-reads");
  ASSERT_FALSE(c.passed());
  EXPECT_NE(c.failures[0].find("n1 has no final read"), std::string::npos) << c.failures[0];
}

}  // namespace
}  // namespace harness
