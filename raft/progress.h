#pragma once
// What a leader knows about one follower's log: match/next indexes, the replication mode
// (probe / pipelined replicate / waiting for a snapshot) and the bounded window of unacknowledged
// appends. Modelled on etcd's tracker.Progress and Inflights.

#include <cstddef>
#include <cstdint>
#include <deque>

#include "raft/types.h"

namespace raft {

class Progress {
 public:
  enum class State : std::uint8_t {
    Probe,      // one append at a time until we learn where the follower's log matches
    Replicate,  // pipelined appends, next optimistically advanced
    Snapshot,   // a snapshot is on its way; wait for it to be acknowledged
  };

  Progress() = default;
  Progress(Index next, size_t max_inflight) : next_(next), max_inflight_(max_inflight) {}

  State state() const { return state_; }
  Index match() const { return match_; }
  Index next() const { return next_; }
  Index pending_snapshot() const { return pending_snapshot_; }
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }
  // Check-quorum closes a window: what recent_active() said is kept for one more window, so
  // heard_recently() does not read "silent" right after every reset.
  void end_activity_window() {
    active_last_window_ = recent_active_;
    recent_active_ = false;
  }
  bool heard_recently() const { return recent_active_ || active_last_window_; }

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);
  // The snapshot (or its acknowledgement) was presumably lost: probe again from the known match,
  // which sends the snapshot anew if the follower still needs it.
  void retry_snapshot();

  // An acknowledgement of everything <= index; false if it told us nothing new.
  bool maybe_update(Index index);
  // After sending entries up to `last` in Replicate mode: move next and record the inflight.
  void sent_entries(Index last);
  // A rejection of the append that followed `rejected`; `hint` is the follower's match guess.
  // False if the rejection is stale.
  bool maybe_decrease_to(Index rejected, Index hint);
  // The follower's log is empty although it acknowledged entries up to match: its durable state
  // was lost (a wiped data directory rejoining). Probe again from the start; the commit index
  // never goes back, so a lower match only costs resends (or a snapshot).
  void forget_match();

  // No more appends now: probe already sent, inflight window full or snapshot pending.
  bool is_paused() const;
  // Heartbeat response arrived: a probe may go out again.
  void resume_probe() { probe_sent_ = false; }
  // Counts leader ticks spent waiting in Snapshot state so a lost snapshot gets resent.
  size_t& snapshot_wait_ticks() { return snapshot_wait_ticks_; }
  // Snapshot state: the offset of the chunk sent last, so that a duplicated answer asking for it
  // again does not send it twice.
  std::uint64_t snapshot_chunk_sent() const { return snapshot_chunk_sent_; }
  void sent_snapshot_chunk(std::uint64_t offset) { snapshot_chunk_sent_ = offset; }
  // Heartbeat response bookkeeping: was match unchanged since the previous one?
  bool stalled_since_last_heartbeat();
  size_t inflight_count() const { return inflight_.size(); }

 private:
  State state_ = State::Probe;
  Index match_ = 0;
  Index next_ = 1;
  Index pending_snapshot_ = 0;
  bool recent_active_ = false;
  bool active_last_window_ = false;
  bool probe_sent_ = false;
  size_t max_inflight_ = 64;
  std::deque<Index> inflight_;  // last index of each unacknowledged append, ascending
  size_t snapshot_wait_ticks_ = 0;
  std::uint64_t snapshot_chunk_sent_ = 0;
  Index match_at_last_heartbeat_ = 0;
};

const char* to_string(Progress::State state);

}  // namespace raft
