#pragma once
// The configurations a node's log defines: the one it starts from (the snapshot's, or the
// bootstrap voters) and one per ConfChange entry after it. The newest is in effect as soon as its
// entry is appended (thesis §4.1); when a conflicting suffix replaces that entry, the node falls
// back to the configuration before it.

#include <vector>

#include "raft/log.h"
#include "raft/membership.h"

namespace raft {

class ConfigHistory {
 public:
  ConfigHistory(Index base_index, Term base_term, Membership base);

  const Membership& current() const { return records_.back().membership; }
  // The index of the entry that made current() (the base's index if no entry did).
  Index current_index() const { return records_.back().index; }
  // The configuration in effect once the log up to `index` is applied (for snapshots).
  const Membership& at(Index index) const;

  // Follows `log` after entries were written from index `from` on: forgets configurations whose
  // entries are no longer in the log, then reads the ConfChange entries from `from` on. Entries
  // whose data does not decode change nothing (every node skips them alike).
  void sync(const RaftLog& log, Index from);
  // A snapshot was installed: its configuration replaces the whole history.
  void reset(Index base_index, Term base_term, Membership base);
  // The log up to `index` was compacted into a snapshot: the configuration as of `index` becomes
  // the base.
  void compact_to(Index index, Term term);

 private:
  struct Record {
    Index index = 0;
    Term term = 0;
    Membership membership{};
  };
  std::vector<Record> records_;  // records_[0] is the base; indexes strictly ascending
};

}  // namespace raft
