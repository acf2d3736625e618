#include "raft/log.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace raft {

RaftLog::RaftLog(std::optional<Snapshot> snapshot, std::vector<Entry> entries, Index commit) {
  if (snapshot) snapshot_ = std::move(*snapshot);
  Index expect = snapshot_.meta.index + 1;
  Term prev_term = snapshot_.meta.term;
  for (const Entry& e : entries) {
    if (e.index != expect) {
      throw std::invalid_argument(
          fmt::format("restored log: entry index {} where {} was expected", e.index, expect));
    }
    if (e.term < prev_term) {
      throw std::invalid_argument(fmt::format("restored log: entry {} has term {} after term {}",
                                              e.index, e.term, prev_term));
    }
    prev_term = e.term;
    ++expect;
  }
  entries_ = std::move(entries);
  // The commit index may lag a snapshot written just before a crash; it never exceeds the log.
  committed_ = std::clamp(commit, snapshot_.meta.index, last_index());
  applied_ = snapshot_.meta.index;
  unstable_from_ = last_index() + 1;
}

const Entry* RaftLog::at(Index index) const {
  if (index < first_index() || index > last_index()) return nullptr;
  return &entries_[index - first_index()];
}

Term RaftLog::last_term() const {
  return entries_.empty() ? snapshot_.meta.term : entries_.back().term;
}

std::optional<Term> RaftLog::term(Index index) const {
  if (index == snapshot_.meta.index) return snapshot_.meta.term;
  if (const Entry* e = at(index)) return e->term;
  return std::nullopt;
}

bool RaftLog::match_term(Index index, Term t) const {
  auto actual = term(index);
  return actual && *actual == t;
}

bool RaftLog::is_up_to_date(Index index, Term t) const {
  return t > last_term() || (t == last_term() && index >= last_index());
}

std::optional<Index> RaftLog::maybe_append(Index index, Term log_term, Index leader_commit,
                                           std::span<const Entry> entries) {
  if (!match_term(index, log_term)) return std::nullopt;
  Index last_new = index + entries.size();
  // Skip the prefix we already have (a duplicate or reordered append must not truncate).
  size_t skip = 0;
  while (skip < entries.size() && match_term(entries[skip].index, entries[skip].term)) ++skip;
  if (skip < entries.size()) {
    if (entries[skip].index <= committed_) {
      // A leader may never overwrite committed entries; such a message is garbage or stale.
      return std::nullopt;
    }
    truncate_and_append(entries.subspan(skip));
  }
  commit_to(std::min(leader_commit, last_new));
  return last_new;
}

void RaftLog::truncate_and_append(std::span<const Entry> entries) {
  Index from = entries.front().index;
  if (from <= snapshot_.meta.index) return;  // callers never do this; refuse rather than corrupt
  entries_.resize(std::min<size_t>(entries_.size(), from - first_index()));
  entries_.insert(entries_.end(), entries.begin(), entries.end());
  unstable_from_ = std::min(unstable_from_, from);
}

Index RaftLog::append(std::vector<Entry> entries) {
  for (Entry& e : entries) {
    e.index = last_index() + 1;
    entries_.push_back(std::move(e));
  }
  return last_index();
}

std::pair<Index, Term> RaftLog::find_conflict_by_term(Index index, Term t) const {
  index = std::min(index, last_index());
  while (true) {
    auto actual = term(index);
    if (!actual) return {index, 0};  // compacted: the caller falls back to a snapshot
    if (*actual <= t) return {index, *actual};
    if (index == 0) return {0, 0};
    --index;
  }
}

std::optional<std::vector<Entry>> RaftLog::slice(Index lo, Index hi, size_t max_bytes) const {
  if (lo < first_index()) return std::nullopt;
  hi = std::min(hi, last_index() + 1);
  std::vector<Entry> out;
  size_t bytes = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - first_index()];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

void RaftLog::commit_to(Index index) {
  index = std::min(index, last_index());
  if (index > committed_) committed_ = index;
}

std::vector<Entry> RaftLog::unstable_entries() const {
  if (unstable_from_ > last_index()) return {};
  return {entries_.begin() + (unstable_from_ - first_index()), entries_.end()};
}

void RaftLog::stable_to(Index index, Term t) {
  // Only if the entry handed out is still there: a truncation since then re-exposed it.
  if (index >= unstable_from_ && match_term(index, t)) unstable_from_ = index + 1;
}

void RaftLog::restore(Snapshot snapshot) {
  snapshot_ = std::move(snapshot);
  entries_.clear();
  committed_ = snapshot_.meta.index;
  unstable_from_ = snapshot_.meta.index + 1;
}

void RaftLog::compact(Snapshot snapshot) {
  Index index = snapshot.meta.index;
  if (index <= snapshot_.meta.index || index > last_index()) return;
  entries_.erase(entries_.begin(), entries_.begin() + (index - snapshot_.meta.index));
  snapshot_ = std::move(snapshot);
  unstable_from_ = std::max(unstable_from_, index + 1);
}

}  // namespace raft
