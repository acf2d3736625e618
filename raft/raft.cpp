#include "raft/raft.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace raft {

Raft::Raft(Config config, Restored restored)
    : config_(std::move(config)),
      prng_(config_.seed ^ (config_.id * 0x9e3779b97f4a7c15ULL)),
      log_(std::move(restored.snapshot), std::move(restored.entries), restored.hard_state.commit) {
  if (config_.id == kNoNode) throw std::invalid_argument("raft config: id is not set");
  std::sort(config_.voters.begin(), config_.voters.end());
  config_.voters.erase(std::unique(config_.voters.begin(), config_.voters.end()),
                       config_.voters.end());
  if (!is_voter(config_.id)) {
    throw std::invalid_argument(
        fmt::format("raft config: id {} is not among the voters", config_.id));
  }
  if (config_.election_ticks < 1 || config_.heartbeat_ticks < 1 ||
      config_.heartbeat_ticks >= config_.election_ticks) {
    throw std::invalid_argument(
        fmt::format("raft config: need 1 <= heartbeat_ticks ({}) < election_ticks ({})",
                    config_.heartbeat_ticks, config_.election_ticks));
  }
  if (config_.max_inflight_appends < 1) {
    throw std::invalid_argument("raft config: max_inflight_appends must be >= 1");
  }
  term_ = restored.hard_state.term;
  vote_ = config_.bugs.forget_vote ? kNoNode : restored.hard_state.vote;
  applying_ = log_.applied();
  last_ready_hard_state_ = hard_state();
  become_follower(term_, kNoNode);
}

// ---- role changes -------------------------------------------------------------------------

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  lead_transferee_ = kNoNode;
  votes_.clear();
  progress_.clear();
}

void Raft::reset_randomized_election_timeout() {
  randomized_election_timeout_ = static_cast<int>(prng_.in_range(
      config_.election_ticks, 2 * static_cast<std::uint64_t>(config_.election_ticks)));
}

void Raft::become_follower(Term term, NodeId leader) {
  reset(term);
  role_ = Role::Follower;
  leader_ = leader;
}

void Raft::become_pre_candidate() {
  // Thesis §9.6: neither the term nor the vote changes until a real election is won in advance.
  votes_.clear();
  progress_.clear();
  leader_ = kNoNode;
  role_ = Role::PreCandidate;
  // A fresh timeout per attempt keeps pre-candidates from retrying in lockstep.
  reset_randomized_election_timeout();
}

void Raft::become_candidate() {
  reset(term_ + 1);
  vote_ = config_.id;
  role_ = Role::Candidate;
}

void Raft::become_leader() {
  reset(term_);
  role_ = Role::Leader;
  leader_ = config_.id;
  for (NodeId peer : config_.voters) {
    Progress pr(log_.last_index() + 1, config_.max_inflight_appends);
    // A fresh leader gives every follower one election timeout before check-quorum counts it.
    pr.set_recent_active(true);
    progress_.emplace(peer, pr);
  }
  progress_[config_.id].maybe_update(config_.leader_sends_before_persist ? log_.unstable_from() - 1
                                                                         : log_.last_index());
  progress_[config_.id].become_replicate();
  // §5.4.2 / §8: a Noop of the new term lets the leader commit everything before it.
  append_entries({Entry{.kind = EntryKind::Noop}});
  bcast_append();
}

void Raft::campaign() {
  if (role_ == Role::Leader) return;
  start_campaign(config_.pre_vote ? CampaignKind::PreElection : CampaignKind::Election);
}

void Raft::start_campaign(CampaignKind kind) {
  Term vote_term;
  MessageType type;
  if (kind == CampaignKind::PreElection) {
    become_pre_candidate();
    vote_term = term_ + 1;
    type = MessageType::PreVote;
  } else {
    become_candidate();
    vote_term = term_;
    type = MessageType::Vote;
  }
  if (poll(config_.id, true) == VoteResult::Won) {
    // Single-node cluster: the self-vote is already a majority.
    if (kind == CampaignKind::PreElection) {
      start_campaign(CampaignKind::Election);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId peer : config_.voters) {
    if (peer == config_.id) continue;
    send(Message{.type = type,
                 .to = peer,
                 .term = vote_term,
                 .log_term = log_.last_term(),
                 .index = log_.last_index(),
                 .force = kind == CampaignKind::Transfer});
  }
}

Raft::VoteResult Raft::poll(NodeId from, bool granted) {
  votes_.emplace(from, granted);  // the first answer of a voter counts
  size_t yes = 0, no = 0;
  for (auto& [id, v] : votes_) (v ? yes : no) += 1;
  if (yes >= quorum()) return VoteResult::Won;
  if (no > config_.voters.size() - quorum()) return VoteResult::Lost;
  return VoteResult::Pending;
}

// ---- inputs -------------------------------------------------------------------------------

void Raft::tick() {
  if (role_ == Role::Leader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    campaign();
  }
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!quorum_active()) {
        // §6.2: a leader that has not heard from a majority for an election timeout steps down,
        // so clients stop waiting on it and the rest can elect someone reachable.
        become_follower(term_, kNoNode);
        return;
      }
    }
    lead_transferee_ = kNoNode;  // a transfer that did not finish in time is abandoned
  }
  for (auto& [peer, pr] : progress_) {
    if (pr.state() != Progress::State::Snapshot) continue;
    // No transport feedback tells us a snapshot was lost: retry after an election timeout.
    if (++pr.snapshot_wait_ticks() >= static_cast<size_t>(config_.election_ticks)) {
      pr.retry_snapshot();
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    bcast_heartbeat();
  }
}

bool Raft::quorum_active() {
  size_t active = 0;
  for (auto& [peer, pr] : progress_) {
    if (peer == config_.id || pr.recent_active()) ++active;
    if (peer != config_.id) pr.set_recent_active(false);
  }
  return active >= quorum();
}

bool Raft::in_lease() const {
  return config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
}

bool Raft::is_voter(NodeId id) const {
  return std::binary_search(config_.voters.begin(), config_.voters.end(), id);
}

void Raft::step(const Message& m) {
  if (m.to != config_.id || m.from == config_.id || !is_voter(m.from)) return;
  // Every real message carries a term >= 1 (terms start at 1 with the first election); only a
  // forwarded proposal may come from a node that has not seen any term yet.
  if (m.term == 0 && m.type != MessageType::Propose) return;

  if (m.term > term_) {
    if (m.type == MessageType::Vote || m.type == MessageType::PreVote) {
      // Leader lease: while we hear from a leader, a (pre-)candidate cannot disrupt it, unless
      // the leader itself asked for the election (transfer).
      if (!m.force && in_lease()) return;
    }
    if (m.type == MessageType::PreVote) {
      // Answering a pre-vote never changes our term.
    } else if (m.type == MessageType::PreVoteResponse && !m.reject) {
      // A granted pre-vote carries the future term; we adopt it only when we campaign for real.
    } else if (m.type == MessageType::Append || m.type == MessageType::Heartbeat ||
               m.type == MessageType::Snapshot) {
      become_follower(m.term, m.from);
    } else {
      become_follower(m.term, kNoNode);
    }
  } else if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type == MessageType::Append || m.type == MessageType::Heartbeat)) {
      // A leader from an old term (e.g. back from a partition) learns our term and steps down;
      // without this, with pre-vote it could never be told, and we could never be elected.
      send(Message{.type = MessageType::AppendResponse, .to = m.from, .term = term_});
    } else if (m.type == MessageType::PreVote) {
      send(Message{
          .type = MessageType::PreVoteResponse, .to = m.from, .term = term_, .reject = true});
    }
    return;
  }

  switch (m.type) {
    case MessageType::PreVote:
    case MessageType::Vote:
      handle_vote_request(m);
      return;
    default:
      break;
  }
  switch (role_) {
    case Role::Leader:
      step_leader(m);
      break;
    case Role::Candidate:
    case Role::PreCandidate:
      step_candidate(m);
      break;
    case Role::Follower:
      step_follower(m);
      break;
  }
}

void Raft::handle_vote_request(const Message& m) {
  bool pre = m.type == MessageType::PreVote;
  // §5.2: one vote per term (repeat it for a retrying candidate); a pre-vote for a future term
  // promises nothing, so it may be granted freely.
  bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  MessageType reply = pre ? MessageType::PreVoteResponse : MessageType::VoteResponse;
  // §5.4.1: only for a candidate whose log is at least as up to date as ours.
  if (can_vote && log_.is_up_to_date(m.index, m.log_term)) {
    send(Message{.type = reply, .to = m.from, .term = m.term});
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    send(Message{.type = reply, .to = m.from, .term = term_, .reject = true});
  }
}

void Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::Append:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_append(m);
      break;
    case MessageType::Heartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_heartbeat(m);
      break;
    case MessageType::Snapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_snapshot(m);
      break;
    case MessageType::TimeoutNow:
      // §3.10: the leader wants us to take over; skip pre-vote, our log is known to be current.
      start_campaign(CampaignKind::Transfer);
      break;
    default:
      break;  // Propose reaching a follower is dropped: forwarding twice could loop
  }
}

void Raft::step_candidate(const Message& m) {
  MessageType my_response =
      role_ == Role::PreCandidate ? MessageType::PreVoteResponse : MessageType::VoteResponse;
  switch (m.type) {
    case MessageType::Append:
      become_follower(m.term, m.from);
      handle_append(m);
      break;
    case MessageType::Heartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      break;
    case MessageType::Snapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      break;
    case MessageType::PreVoteResponse:
    case MessageType::VoteResponse: {
      if (m.type != my_response) break;
      // A pre-vote response must be for the term we asked about.
      if (role_ == Role::PreCandidate && !m.reject && m.term != term_ + 1) break;
      switch (poll(m.from, !m.reject)) {
        case VoteResult::Won:
          if (role_ == Role::PreCandidate) {
            start_campaign(CampaignKind::Election);
          } else {
            become_leader();
          }
          break;
        case VoteResult::Lost:
          become_follower(term_, kNoNode);
          break;
        case VoteResult::Pending:
          break;
      }
      break;
    }
    default:
      break;
  }
}

void Raft::step_leader(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  switch (m.type) {
    case MessageType::Propose: {
      if (lead_transferee_ != kNoNode || m.entries.empty()) break;
      std::vector<Entry> entries;
      for (const Entry& e : m.entries) {
        if (e.kind == EntryKind::Normal) entries.push_back(Entry{.data = e.data});
      }
      if (!entries.empty() && append_entries(std::move(entries))) bcast_append();
      break;
    }
    case MessageType::AppendResponse:
      pr.set_recent_active(true);
      handle_append_response(m);
      break;
    case MessageType::HeartbeatResponse:
      pr.set_recent_active(true);
      handle_heartbeat_response(m);
      break;
    default:
      break;
  }
}

// ---- follower side of replication ---------------------------------------------------------

bool Raft::valid_append(const Message& m) const {
  // Entries must follow `index` contiguously with terms that never decrease and never exceed
  // the sender's term; anything else is garbage from a broken or malicious peer.
  Index expect = m.index;
  Term prev = m.log_term;
  if (m.log_term > m.term) return false;
  for (const Entry& e : m.entries) {
    if (expect == std::numeric_limits<Index>::max()) return false;
    ++expect;
    if (e.index != expect || e.term == 0 || e.term < prev || e.term > m.term) return false;
    prev = e.term;
  }
  return true;
}

void Raft::handle_append(const Message& m) {
  if (!valid_append(m)) return;
  Message resp{.type = MessageType::AppendResponse, .to = m.from, .term = term_};
  if (m.index < log_.committed()) {
    // Everything up to our commit index is known to match; say so instead of rejecting.
    resp.index = log_.committed();
    send(std::move(resp));
    return;
  }
  if (auto last_new = log_.maybe_append(m.index, m.log_term, m.commit, m.entries)) {
    resp.index = *last_new;
    send(std::move(resp));
    return;
  }
  // Fast backtracking (thesis §5.3 / etcd): point the leader at the last index that could match,
  // skipping whole terms the leader's log cannot share with ours.
  auto [hint_index, hint_term] = log_.find_conflict_by_term(m.index, m.log_term);
  resp.index = m.index;
  resp.reject = true;
  resp.reject_hint = hint_index;
  resp.log_term = hint_term;
  send(std::move(resp));
}

void Raft::handle_heartbeat(const Message& m) {
  log_.commit_to(m.commit);
  send(Message{.type = MessageType::HeartbeatResponse, .to = m.from, .term = term_});
}

void Raft::handle_snapshot(const Message& m) {
  if (!m.snapshot) return;
  const Snapshot& s = *m.snapshot;
  Message resp{.type = MessageType::AppendResponse, .to = m.from, .term = term_};
  if (s.meta.index <= log_.committed() || s.meta.term > m.term) {
    resp.index = log_.committed();
  } else if (log_.match_term(s.meta.index, s.meta.term)) {
    // We already have that entry: our log is a superset, just commit up to it.
    log_.commit_to(s.meta.index);
    resp.index = log_.last_index();
  } else {
    log_.restore(s);
    pending_install_ = s;
    pending_compacted_.reset();
    applying_ = std::max(applying_, s.meta.index);
    resp.index = log_.last_index();
  }
  send(std::move(resp));
}

// ---- leader side of replication -----------------------------------------------------------

void Raft::handle_append_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  if (m.reject) {
    Index next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log_.find_conflict_by_term(m.reject_hint, m.log_term).first;
    if (pr.maybe_decrease_to(m.index, next_probe)) {
      if (pr.state() == Progress::State::Replicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  if (m.index > log_.last_index()) return;  // acknowledges entries we never had: garbage
  bool was_paused = pr.is_paused();
  if (!pr.maybe_update(m.index)) return;
  switch (pr.state()) {
    case Progress::State::Probe:
      pr.become_replicate();
      break;
    case Progress::State::Snapshot:
      if (pr.match() >= pr.pending_snapshot()) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case Progress::State::Replicate:
      break;
  }
  if (maybe_commit()) {
    bcast_append();  // tell followers the new commit index
  } else if (was_paused) {
    send_append(m.from);
  }
  // Keep the pipeline full.
  while (maybe_send_append(m.from, false)) {
  }
  if (m.from == lead_transferee_ && pr.match() == log_.last_index()) send_timeout_now(m.from);
}

void Raft::handle_heartbeat_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  bool stalled = pr.stalled_since_last_heartbeat();
  if (pr.match() >= log_.last_index()) return;
  switch (pr.state()) {
    case Progress::State::Probe:
      pr.resume_probe();  // the last probe may have been lost
      send_append(m.from);
      break;
    case Progress::State::Replicate:
      // Appends may have been lost without a rejection ever coming back: if nothing was
      // acknowledged since the last heartbeat, fall back to probing from the known match.
      if (stalled) {
        pr.become_probe();
        send_append(m.from);
      }
      break;
    case Progress::State::Snapshot:
      break;
  }
}

void Raft::send_append(NodeId to) {
  maybe_send_append(to, true);
}

bool Raft::maybe_send_append(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.at(to);
  if (pr.is_paused()) return false;
  Index prev = pr.next() - 1;
  auto prev_term = log_.term(prev);
  auto entries = log_.slice(pr.next(), log_.last_index() + 1, config_.max_append_bytes);
  if (!prev_term || !entries) {
    // The entries this follower needs are compacted away: InstallSnapshot (§7).
    if (!log_.has_snapshot()) return false;
    const Snapshot& s = log_.snapshot();
    send(Message{.type = MessageType::Snapshot, .to = to, .term = term_, .snapshot = s});
    pr.become_snapshot(s.meta.index);
    return true;
  }
  if (entries->empty() && !send_if_empty) return false;
  Message m{.type = MessageType::Append,
            .to = to,
            .term = term_,
            .log_term = *prev_term,
            .index = prev,
            .commit = log_.committed()};
  if (!entries->empty()) pr.sent_entries(entries->back().index);
  m.entries = std::move(*entries);
  send(std::move(m));
  return true;
}

void Raft::send_heartbeat(NodeId to) {
  const Progress& pr = progress_.at(to);
  // Never tell a follower to commit past what it is known to have (it might not match).
  send(Message{.type = MessageType::Heartbeat,
               .to = to,
               .term = term_,
               .commit = std::min(pr.match(), log_.committed())});
}

void Raft::send_timeout_now(NodeId to) {
  send(Message{.type = MessageType::TimeoutNow, .to = to, .term = term_});
}

void Raft::bcast_append() {
  for (auto& [peer, pr] : progress_) {
    if (peer != config_.id) send_append(peer);
  }
}

void Raft::bcast_heartbeat() {
  for (auto& [peer, pr] : progress_) {
    if (peer != config_.id) send_heartbeat(peer);
  }
}

bool Raft::append_entries(std::vector<Entry> entries) {
  for (Entry& e : entries) e.term = term_;
  Index last = log_.append(std::move(entries));
  // With leader_sends_before_persist the leader counts itself once advance() says it persisted.
  if (config_.leader_sends_before_persist) return true;
  progress_.at(config_.id).maybe_update(last);
  // A single-node cluster commits on its own append.
  maybe_commit();
  return true;
}

bool Raft::maybe_commit() {
  std::vector<Index> matches;
  for (auto& [peer, pr] : progress_) matches.push_back(pr.match());
  std::sort(matches.begin(), matches.end(), std::greater<>());
  Index candidate = config_.bugs.commit_without_majority ? matches.front() : matches[quorum() - 1];
  // §5.4.2: only entries of the current term are committed by counting replicas.
  if (candidate <= log_.committed()) return false;
  if (!config_.bugs.commit_without_majority && log_.term(candidate) != term_) return false;
  log_.commit_to(candidate);
  return true;
}

ProposeResult Raft::propose(Bytes data) {
  if (role_ == Role::Leader) {
    if (lead_transferee_ != kNoNode) return {.kind = ProposeResult::Dropped, .leader = leader_};
    append_entries({Entry{.data = std::move(data)}});
    bcast_append();
    return {.kind = ProposeResult::Appended,
            .index = log_.last_index(),
            .term = term_,
            .leader = config_.id};
  }
  if (role_ == Role::Follower && leader_ != kNoNode) {
    send(Message{.type = MessageType::Propose,
                 .to = leader_,
                 .term = term_,
                 .entries = {Entry{.data = std::move(data)}}});
    return {.kind = ProposeResult::Forwarded, .leader = leader_};
  }
  return {.kind = ProposeResult::Dropped, .leader = leader_};
}

void Raft::transfer_leadership(NodeId to) {
  if (role_ != Role::Leader || to == config_.id || !progress_.contains(to)) return;
  if (lead_transferee_ == to) return;
  lead_transferee_ = to;
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  if (progress_.at(to).match() == log_.last_index()) {
    send_timeout_now(to);
  } else {
    send_append(to);
  }
}

void Raft::send(Message m) {
  m.from = config_.id;
  const bool leader_message = m.type == MessageType::Append || m.type == MessageType::Heartbeat ||
                              m.type == MessageType::Snapshot || m.type == MessageType::TimeoutNow;
  if (config_.leader_sends_before_persist && role_ == Role::Leader && leader_message)
    early_outbox_.push_back(std::move(m));
  else
    outbox_.push_back(std::move(m));
}

// ---- output -------------------------------------------------------------------------------

HardState Raft::hard_state() const {
  return HardState{.term = term_,
                   .vote = config_.bugs.forget_vote ? kNoNode : vote_,
                   .commit = log_.committed()};
}

bool Raft::has_ready() const {
  return !outbox_.empty() || !early_outbox_.empty() || pending_install_ || pending_compacted_ ||
         hard_state() != last_ready_hard_state_ || log_.unstable_from() <= log_.last_index() ||
         log_.committed() > applying_;
}

Ready Raft::ready() {
  Ready rd;
  if (hard_state() != last_ready_hard_state_) {
    rd.hard_state = hard_state();
    last_ready_hard_state_ = *rd.hard_state;
  }
  rd.snapshot = std::move(pending_install_);
  pending_install_.reset();
  installing_snapshot_ = rd.snapshot.has_value();
  rd.compacted_snapshot = std::move(pending_compacted_);
  pending_compacted_.reset();
  rd.entries = log_.unstable_entries();
  persisting_.reset();
  if (!rd.entries.empty()) persisting_ = {rd.entries.back().index, rd.entries.back().term};
  if (log_.committed() > applying_) {
    auto committed = log_.slice(applying_ + 1, log_.committed() + 1, SIZE_MAX);
    if (committed) rd.committed = std::move(*committed);
    applying_ = log_.committed();
  }
  rd.messages = std::move(outbox_);
  outbox_.clear();
  rd.early_messages = std::move(early_outbox_);
  early_outbox_.clear();
  return rd;
}

void Raft::advance() {
  if (persisting_) {
    log_.stable_to(persisting_->first, persisting_->second);
    if (config_.leader_sends_before_persist && role_ == Role::Leader &&
        log_.term(persisting_->first) == persisting_->second) {
      // Now the leader's own copy counts (a single-node cluster commits here).
      progress_.at(config_.id).maybe_update(persisting_->first);
      if (maybe_commit()) bcast_append();
    }
  }
  persisting_.reset();
  if (installing_snapshot_) log_.applied_to(log_.snapshot_meta().index);
  installing_snapshot_ = false;
  log_.applied_to(applying_);
}

void Raft::compact(Index index, Bytes snapshot_data) {
  if (index > log_.applied()) {
    throw std::invalid_argument(fmt::format("raft compact: index {} is beyond the applied index {}",
                                            index, log_.applied()));
  }
  if (index <= log_.snapshot_meta().index) return;  // already covered by a newer snapshot
  Snapshot s{.meta = {.index = index, .term = *log_.term(index), .voters = config_.voters},
             .data = std::move(snapshot_data)};
  log_.compact(s);
  pending_compacted_ = std::move(s);
}

Status Raft::status() const {
  return Status{.id = config_.id,
                .role = role_,
                .term = term_,
                .leader = leader_,
                .commit = log_.committed(),
                .applied = log_.applied(),
                .last_index = log_.last_index(),
                .snapshot_index = log_.snapshot_meta().index};
}

const Progress* Raft::progress(NodeId peer) const {
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace raft
