#include "raft/progress.h"

#include <algorithm>

namespace raft {

const char* to_string(Progress::State state) {
  switch (state) {
    case Progress::State::Probe:
      return "Probe";
    case Progress::State::Replicate:
      return "Replicate";
    case Progress::State::Snapshot:
      return "Snapshot";
  }
  return "?";
}

void Progress::become_probe() {
  // After a snapshot, continue right behind it; otherwise right behind what is known to match.
  if (state_ == State::Snapshot) {
    next_ = std::max(match_ + 1, pending_snapshot_ + 1);
  } else {
    next_ = match_ + 1;
  }
  state_ = State::Probe;
  pending_snapshot_ = 0;
  probe_sent_ = false;
  inflight_.clear();
  snapshot_wait_ticks_ = 0;
}

void Progress::become_replicate() {
  state_ = State::Replicate;
  next_ = match_ + 1;
  pending_snapshot_ = 0;
  probe_sent_ = false;
  inflight_.clear();
}

void Progress::become_snapshot(Index snapshot_index) {
  state_ = State::Snapshot;
  pending_snapshot_ = snapshot_index;
  snapshot_chunk_sent_ = 0;
  probe_sent_ = false;
  inflight_.clear();
  snapshot_wait_ticks_ = 0;
}

void Progress::retry_snapshot() {
  state_ = State::Probe;
  next_ = match_ + 1;
  pending_snapshot_ = 0;
  probe_sent_ = false;
  inflight_.clear();
  snapshot_wait_ticks_ = 0;
}

bool Progress::maybe_update(Index index) {
  bool updated = false;
  if (match_ < index) {
    match_ = index;
    updated = true;
    probe_sent_ = false;
  }
  if (next_ < index + 1) next_ = index + 1;
  while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
  return updated;
}

void Progress::sent_entries(Index last) {
  if (state_ == State::Replicate) {
    next_ = last + 1;
    inflight_.push_back(last);
  } else if (state_ == State::Probe) {
    probe_sent_ = true;
  }
}

bool Progress::maybe_decrease_to(Index rejected, Index hint) {
  if (state_ == State::Replicate) {
    if (rejected <= match_) return false;  // stale: we already know more
    next_ = match_ + 1;
    return true;
  }
  if (next_ == 0 || next_ - 1 != rejected) return false;  // not the probe we sent last
  next_ = std::max(std::min(rejected, hint + 1), match_ + 1);
  probe_sent_ = false;
  return true;
}

void Progress::forget_match() {
  match_ = 0;
  match_at_last_heartbeat_ = 0;
  state_ = State::Replicate;  // so that become_probe() starts right behind match
  become_probe();
}

bool Progress::is_paused() const {
  switch (state_) {
    case State::Probe:
      return probe_sent_;
    case State::Replicate:
      return inflight_.size() >= max_inflight_;
    case State::Snapshot:
      return true;
  }
  return true;
}

bool Progress::stalled_since_last_heartbeat() {
  bool stalled = match_ == match_at_last_heartbeat_;
  match_at_last_heartbeat_ = match_;
  return stalled;
}

}  // namespace raft
