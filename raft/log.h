#pragma once
// The in-memory raft log: a snapshot offset, the entries after it, what is committed, applied and
// not yet persisted. Mirrors etcd's raftLog (storage + unstable) in one structure because the
// caller persists everything a Ready hands out before the next step.

#include <optional>
#include <span>
#include <vector>

#include "raft/types.h"

namespace raft {

class RaftLog {
 public:
  RaftLog() = default;
  // Rebuilds from durable state; `entries` must continue the snapshot contiguously.
  RaftLog(std::optional<Snapshot> snapshot, std::vector<Entry> entries, Index commit);

  Index first_index() const { return snapshot_meta().index + 1; }
  Index last_index() const { return snapshot_meta().index + entries_.size(); }
  Term last_term() const;
  // Term of the entry at `index`; the snapshot's term at its index; nullopt if compacted/absent.
  std::optional<Term> term(Index index) const;
  bool match_term(Index index, Term term) const;
  // Raft §5.4.1: is (last_index, last_term) at least as up to date as ours?
  bool is_up_to_date(Index last_index, Term last_term) const;

  // Follower side of AppendEntries: if the entry at `index` has `log_term`, appends `entries`
  // (overwriting a conflicting suffix) and returns the index of the last new entry.
  std::optional<Index> maybe_append(Index index, Term log_term, Index leader_commit,
                                    std::span<const Entry> entries);
  // Leader side: appends entries with fresh indexes; returns the new last index.
  Index append(std::vector<Entry> entries);
  // Where to probe next after a rejection: the largest index <= `index` whose term <= `term`.
  std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

  // Entries in [lo, hi), at most `max_bytes` of data (but always at least one entry);
  // nullopt if lo is compacted.
  std::optional<std::vector<Entry>> slice(Index lo, Index hi, size_t max_bytes) const;

  Index committed() const { return committed_; }
  void commit_to(Index index);  // only moves forward, never past last_index()
  Index applied() const { return applied_; }
  void applied_to(Index index) { applied_ = index > applied_ ? index : applied_; }

  // Entries not yet handed out for persistence, and marking them persisted.
  Index unstable_from() const { return unstable_from_; }
  std::vector<Entry> unstable_entries() const;
  void stable_to(Index index, Term term);

  // Replaces the whole log with a snapshot received from the leader.
  void restore(Snapshot snapshot);
  // Drops entries <= index, keeping `snapshot` (made by the application) for lagging followers.
  void compact(Snapshot snapshot);

  const SnapshotMeta& snapshot_meta() const { return snapshot_.meta; }
  const Snapshot& snapshot() const { return snapshot_; }
  bool has_snapshot() const { return snapshot_.meta.index > 0; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  const Entry* at(Index index) const;
  void truncate_and_append(std::span<const Entry> entries);

  Snapshot snapshot_;
  std::vector<Entry> entries_;  // entries_[0].index == snapshot_.meta.index + 1
  Index committed_ = 0;
  Index applied_ = 0;
  Index unstable_from_ = 1;
};

}  // namespace raft
