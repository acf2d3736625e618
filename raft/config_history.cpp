#include "raft/config_history.h"

#include <algorithm>

#include "raft/codec.h"

namespace raft {

ConfigHistory::ConfigHistory(Index base_index, Term base_term, Membership base) {
  reset(base_index, base_term, std::move(base));
}

const Membership& ConfigHistory::at(Index index) const {
  auto it = std::upper_bound(records_.begin() + 1, records_.end(), index,
                             [](Index i, const Record& r) { return i < r.index; });
  return std::prev(it)->membership;
}

void ConfigHistory::sync(const RaftLog& log, Index from) {
  // Same index and term means the same entry (log matching), so a record whose entry still
  // matches the log is still right; the first one that does not was truncated with all after it.
  while (records_.size() > 1 && !log.match_term(records_.back().index, records_.back().term)) {
    records_.pop_back();
  }
  const std::vector<Entry>& entries = log.entries();
  Index start = std::max({from, log.first_index(), records_.back().index + 1});
  for (Index i = start; i <= log.last_index(); ++i) {
    const Entry& e = entries[i - log.first_index()];
    if (e.kind != EntryKind::ConfChange) continue;
    ConfChange change;
    try {
      change = decode_conf_change(e.data);
    } catch (const DecodeError&) {
      continue;
    }
    records_.push_back(Record{e.index, e.term, apply_conf_change(current(), change)});
  }
}

void ConfigHistory::reset(Index base_index, Term base_term, Membership base) {
  records_.clear();
  records_.push_back(Record{base_index, base_term, std::move(base)});
}

void ConfigHistory::compact_to(Index index, Term term) {
  auto it = std::upper_bound(records_.begin() + 1, records_.end(), index,
                             [](Index i, const Record& r) { return i < r.index; });
  Record base{index, term, std::prev(it)->membership};
  records_.erase(records_.begin(), it);
  records_.insert(records_.begin(), std::move(base));
}

}  // namespace raft
