#pragma once
// The history checker (build/history-check): judges a client-observed history (history.h) of a
// DNS cluster run against what a replicated, linearizably committed record store promises, with
// no knowledge of the run beyond the file. The commit order is the commit index each OK/NOOP
// answer carries and the index each read reports serving; writes whose outcome the client never
// learned may have committed anywhere after the last write acknowledged before they began, so the
// records they touch are "unknown" from there on. Records are absent before their first write.

#include <cstdint>
#include <string>
#include <vector>

#include "harness/history.h"

namespace harness {

// One named claim and how the history fared against it.
struct CheckOutcome {
  std::string name;
  std::string claim;
  std::size_t cases = 0;              // how many things it could judge
  std::vector<std::string> failures;  // "FILE:LINE: ..." each
  bool passed() const { return failures.empty(); }
};

// How long after a write committed each node was first seen serving it (an upper bound: it is
// only seen when a read happens there).
struct NodeStaleness {
  std::uint64_t node = 0;
  std::size_t seen = 0;        // acknowledged writes seen by a read on this node before the heal
  std::size_t only_final = 0;  // ... seen first by the final reads
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct CheckReport {
  std::vector<CheckOutcome> checks;
  std::vector<NodeStaleness> staleness;
  std::size_t passed() const;
  std::size_t failed() const;
};

// The claims, in report order (each a CheckOutcome::name):
//   well-formed                every line is a write or a read record
//   final-reads                every node that served anything was read after the heal, and
//                              all of them agree (index, serials, answers)
//   acked-visible-after-heal   every acknowledged write is in every node's final state
//   one-write-per-index        no two acknowledged writes carry the same commit index
//   real-time-order            a write acknowledged before another was invoked has a lower index
//   monotonic-reads            per node process, the served index never goes back
//   monotonic-serials          per node process, each zone's SOA serial never goes back
//   reads-agree-at-index       reads at the same index (any node) give the same serial and answer
//   read-shows-only-committed  no read shows a record its index's committed writes do not give it
//   read-shows-all-committed   no read misses a record its index's committed writes give it
//   served-after-invoke        no node serves a write's commit index before the write was invoked
//   unacked-agree              a write with unknown outcome is in every node's final state or none
CheckReport check_history(const History& history, const std::string& file);

// The report as text: each failure (at most `max_failures` per check), the staleness table, one
// line per check, and last "N passed, M failed" over the checks.
std::string format_report(const CheckReport& report, std::size_t max_failures = 20);

}  // namespace harness
