#include "raft/raft.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "raft/codec.h"

namespace raft {

const char* to_string(ConfChangeRefusal refusal) {
  switch (refusal) {
    case ConfChangeRefusal::None:
      return "None";
    case ConfChangeRefusal::NotLeader:
      return "NotLeader";
    case ConfChangeRefusal::TransferInProgress:
      return "TransferInProgress";
    case ConfChangeRefusal::LeaderNotReady:
      return "LeaderNotReady";
    case ConfChangeRefusal::ChangeInProgress:
      return "ChangeInProgress";
    case ConfChangeRefusal::InvalidChange:
      return "InvalidChange";
    case ConfChangeRefusal::WouldLoseQuorum:
      return "WouldLoseQuorum";
  }
  return "?";
}

namespace {

// The configuration the log starts from: the snapshot's, else the bootstrap voters.
ConfigHistory initial_history(const Config& config, const RaftLog& log) {
  const SnapshotMeta& meta = log.snapshot_meta();
  // Snapshots have always recorded their voters; one without is treated as if it predates them.
  if (log.has_snapshot() && !meta.voters.empty()) {
    auto membership = membership_of(meta);
    if (!membership) {
      throw std::invalid_argument(fmt::format(
          "restored snapshot at {}: configuration is not valid (voters and learners overlap or "
          "name no node)",
          meta.index));
    }
    return ConfigHistory(meta.index, meta.term, std::move(*membership));
  }
  auto bootstrap = make_membership(config.voters, {});
  if (!bootstrap) {
    throw std::invalid_argument("raft config: voters is empty and no snapshot says who they are");
  }
  return ConfigHistory(meta.index, meta.term, std::move(*bootstrap));
}

// Messages a node must take from a sender outside its configuration (thesis §4.1: servers answer
// without consulting their configuration, which may lag the sender's): a leader's traffic (we may
// be a learner that has not yet read the entry adding it) and vote requests (the candidate's newer
// configuration may count us; pre-vote and the leader lease keep removed nodes from disrupting).
bool may_come_from_outside(MessageType type) {
  switch (type) {
    case MessageType::Append:
    case MessageType::Heartbeat:
    case MessageType::Snapshot:
    case MessageType::TimeoutNow:
    case MessageType::PreVote:
    case MessageType::Vote:
      return true;
    default:
      return false;
  }
}

}  // namespace

Raft::Raft(Config config, Restored restored)
    : config_(std::move(config)),
      prng_(Prng::stream(config_.seed, fmt::format("raft-node-{}", config_.id))),
      log_(std::move(restored.snapshot), std::move(restored.entries), restored.hard_state.commit),
      history_(initial_history(config_, log_)) {
  if (config_.id == kNoNode) throw std::invalid_argument("raft config: id is not set");
  std::sort(config_.voters.begin(), config_.voters.end());
  config_.voters.erase(std::unique(config_.voters.begin(), config_.voters.end()),
                       config_.voters.end());
  history_.sync(log_, log_.first_index());
  if (config_.election_ticks < 1 || config_.heartbeat_ticks < 1 ||
      config_.heartbeat_ticks >= config_.election_ticks) {
    throw std::invalid_argument(
        fmt::format("raft config: need 1 <= heartbeat_ticks ({}) < election_ticks ({})",
                    config_.heartbeat_ticks, config_.election_ticks));
  }
  if (config_.max_inflight_appends < 1) {
    throw std::invalid_argument("raft config: max_inflight_appends must be >= 1");
  }
  if (config_.max_snapshot_chunk_bytes < 1) {
    throw std::invalid_argument("raft config: max_snapshot_chunk_bytes must be >= 1");
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
    // Chunks of a snapshot come from one leader; a new term means a new leader, which starts over.
    incoming_snapshot_.reset();
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
  leader_lost_ = false;
  randomized_election_timeout_ = static_cast<int>(prng_.in_range(
      config_.election_ticks, 2 * static_cast<std::uint64_t>(config_.election_ticks)));
}

void Raft::heard_from_leader(NodeId from) {
  election_elapsed_ = 0;
  leader_ = from;
  if (leader_lost_) reset_randomized_election_timeout();
}

void Raft::peer_lost(NodeId id) {
  if (role_ == Role::Leader) {
    // etcd's ReportUnreachable: what goes to a peer whose connection broke is lost, or waits in
    // a queue that is stale when it returns. Probe it (one append at a time, another after each
    // heartbeat it answers) instead of keeping a full window of appends in flight to it.
    auto it = progress_.find(id);
    if (id != config_.id && it != progress_.end() &&
        it->second.state() == Progress::State::Replicate)
      it->second.become_probe();
    return;
  }
  if (role_ != Role::Follower || id == kNoNode || id != leader_ || leader_lost_) return;
  const auto ticks = static_cast<std::uint64_t>(config_.election_ticks);
  const auto shortened =
      static_cast<int>(prng_.in_range(ticks, ticks + std::max<std::uint64_t>(2, ticks / 4)));
  randomized_election_timeout_ = std::min(randomized_election_timeout_, shortened);
  leader_lost_ = true;
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
  ++elections_;
}

void Raft::become_leader() {
  reset(term_);
  role_ = Role::Leader;
  leader_ = config_.id;
  const Membership& members = membership();
  for (const auto* ids : {&members.voters, &members.learners}) {
    for (NodeId peer : *ids) {
      Progress pr(log_.last_index() + 1, config_.max_inflight_appends);
      // A fresh leader gives every follower one election timeout before check-quorum counts it.
      pr.set_recent_active(true);
      progress_.emplace(peer, pr);
    }
  }
  progress_.emplace(config_.id, Progress(log_.last_index() + 1, config_.max_inflight_appends));
  progress_[config_.id].maybe_update(config_.leader_sends_before_persist ? log_.unstable_from() - 1
                                                                         : log_.last_index());
  progress_[config_.id].become_replicate();
  // §5.4.2 / §8: a Noop of the new term lets the leader commit everything before it.
  append_entries({Entry{.kind = EntryKind::Noop}});
  bcast_append();
}

void Raft::campaign() {
  if (role_ == Role::Leader || !may_campaign()) return;
  start_campaign(config_.pre_vote ? CampaignKind::PreElection : CampaignKind::Election);
}

void Raft::start_campaign(CampaignKind kind) {
  if (!may_campaign()) return;  // also not when told to by TimeoutNow
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
  for (NodeId peer : membership().voters) {
    if (peer == config_.id) continue;
    send(Message{.type = type,
                 .to = peer,
                 .term = vote_term,
                 .log_term = log_.last_term(),
                 .index = log_.last_index(),
                 .force = kind == CampaignKind::Transfer,
                 .context = vote_policy_ ? vote_policy_->vote_context(peer) : Bytes{}});
  }
}

Raft::VoteResult Raft::poll(NodeId from, bool granted) {
  votes_.emplace(from, granted);  // the first answer of a voter counts
  size_t yes = 0, no = 0;
  for (auto& [id, v] : votes_) {
    if (is_voter(id)) (v ? yes : no) += 1;
  }
  if (yes >= quorum()) return VoteResult::Won;
  if (no > membership().voters.size() - quorum()) return VoteResult::Lost;
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
    if (!may_campaign()) {
      // A learner does not campaign, but after a silent election timeout it no longer claims a
      // leader: its lease must lapse so it answers the vote requests of whoever comes next.
      leader_ = kNoNode;
      return;
    }
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
    if (removal_committed()) {
      // Removed and committed, and no voter took over within an election timeout: leave it to an
      // election among them.
      become_follower(term_, kNoNode);
      return;
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
    // Only voters of the current configuration count; a leader that removed itself does not.
    if (is_voter(peer) && (peer == config_.id || pr.recent_active())) ++active;
    if (peer != config_.id) pr.end_activity_window();
  }
  return active >= quorum();
}

bool Raft::in_lease() const {
  return config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
}

bool Raft::is_voter(NodeId id) const {
  return membership().is_voter(id);
}

bool Raft::may_campaign() const {
  // The self-vote at term+1 (pre-vote, election or transfer) must pass the policy like any vote.
  if (vote_policy_ && !vote_policy_->may_vote(term_ + 1, vote_policy_->vote_context(config_.id)))
    return false;
  // A voter of the newest configuration may, and so may a node whose removal is not committed
  // yet as far as it knows: a leader that appended its own removal and then lost its quorum may
  // hold the only log the others can elect, and without it the cluster would stall. Its votes
  // are counted among the new voters, without itself, so this is safe; once the removal is
  // committed it never campaigns again.
  return is_voter(config_.id) || history_.at(log_.committed()).is_voter(config_.id);
}

void Raft::step(const Message& m) {
  if (m.to != config_.id || m.from == config_.id || m.from == kNoNode) return;
  if (!membership().contains(m.from) && !may_come_from_outside(m.type)) return;
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
  // A node that may have forgotten votes it gave refuses pre-votes too: granting them would only
  // start elections it cannot help to win.
  can_vote = can_vote && (!vote_policy_ || vote_policy_->may_vote(m.term, m.context));
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
      heard_from_leader(m.from);
      handle_append(m);
      break;
    case MessageType::Heartbeat:
      heard_from_leader(m.from);
      handle_heartbeat(m);
      break;
    case MessageType::Snapshot:
      heard_from_leader(m.from);
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
      if (!entries.empty() && append_entries(std::move(entries))) append_due_ = true;
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
    case MessageType::SnapshotResponse:
      pr.set_recent_active(true);
      handle_snapshot_response(m);
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
    history_.sync(log_, m.index + 1);
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
  const bool chunked = m.snapshot_size != 0;
  // A chunk must lie inside the snapshot it claims to be part of; anything else is garbage.
  if (chunked && (m.snapshot_size > kMaxSnapshotBytes || m.snapshot_offset > m.snapshot_size ||
                  s.data.size() > m.snapshot_size - m.snapshot_offset)) {
    return;
  }
  Message resp{.type = MessageType::AppendResponse, .to = m.from, .term = term_};
  std::optional<Membership> members;
  if (s.meta.index <= log_.committed() || s.meta.term > m.term) {
    resp.index = log_.committed();
  } else if (log_.match_term(s.meta.index, s.meta.term)) {
    // We already have that entry, so everything up to it matches the leader: commit up to it.
    // Only up to it: entries after it were never checked against the leader's log, and
    // claiming them (our last index) would let a stale suffix count as replicated.
    log_.commit_to(s.meta.index);
    resp.index = log_.committed();
  } else if (members = membership_of(s.meta); !members) {
    // Every snapshot carries the configuration as of its index; one without cannot be installed.
    resp.index = log_.committed();
  } else if (!chunked) {
    install_snapshot(s, std::move(*members));
    resp.index = log_.last_index();
  } else if (auto whole = take_snapshot_chunk(m)) {
    install_snapshot(std::move(*whole), std::move(*members));
    resp.index = log_.last_index();
  } else {
    // Incomplete: tell the leader how much of this snapshot we hold, i.e. where to go on from.
    resp.type = MessageType::SnapshotResponse;
    resp.index = s.meta.index;
    resp.log_term = s.meta.term;
    resp.snapshot_offset = incoming_snapshot_ ? incoming_snapshot_->data.size() : 0;
    send(std::move(resp));
    return;
  }
  // Whatever was being assembled is installed, covered by our log or no use any more.
  if (incoming_snapshot_ && incoming_snapshot_->meta.index <= log_.committed()) {
    incoming_snapshot_.reset();
  }
  send(std::move(resp));
}

std::optional<Snapshot> Raft::take_snapshot_chunk(const Message& m) {
  const Snapshot& chunk = *m.snapshot;
  auto& in = incoming_snapshot_;
  // Only chunks of the same snapshot from the same leader are joined: two nodes' snapshots at one
  // index hold the same state but need not be the same bytes.
  if (in && (in->from != m.from || in->meta != chunk.meta || in->size != m.snapshot_size)) {
    in.reset();
  }
  if (!in) {
    if (m.snapshot_offset != 0) return std::nullopt;  // answered with offset 0: start over
    in = IncomingSnapshot{.from = m.from, .meta = chunk.meta, .size = m.snapshot_size};
    in->data.reserve(m.snapshot_size);  // one buffer of the snapshot's size, filled in place
  }
  // Only the next chunk in order is taken; a duplicate or one after a gap is answered with the
  // offset we hold, and the leader resends from there.
  if (m.snapshot_offset == in->data.size()) {
    in->data.insert(in->data.end(), chunk.data.begin(), chunk.data.end());
  }
  if (in->data.size() < in->size) return std::nullopt;
  Snapshot whole{.meta = std::move(in->meta), .data = std::move(in->data)};
  in.reset();
  return whole;
}

void Raft::install_snapshot(Snapshot s, Membership members) {
  log_.restore(s);
  history_.reset(s.meta.index, s.meta.term, std::move(members));
  applying_ = std::max(applying_, s.meta.index);
  pending_install_ = std::move(s);
  pending_compacted_.reset();
}

// ---- leader side of replication -----------------------------------------------------------

void Raft::handle_append_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  if (m.reject) {
    // An empty log rejecting an append at or above what it acknowledged: not a stale rejection
    // but a follower that lost its log (wiped and restarted in this leader's term). Without
    // this, the leader would keep probing right behind the old match and never send it the
    // log or a snapshot.
    if (m.reject_hint == 0 && pr.match() > 0 && m.index >= pr.match()) {
      pr.forget_match();
      send_append(m.from);
      return;
    }
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
  maybe_step_down_after_removal();
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

void Raft::handle_snapshot_response(const Message& m) {
  Progress& pr = progress_.at(m.from);
  // Only about the snapshot we are sending this follower; a late answer about another is stale.
  if (pr.state() != Progress::State::Snapshot || m.index != pr.pending_snapshot()) return;
  const Snapshot& s = log_.snapshot();
  if (s.meta.index != m.index || s.meta.term != m.log_term) {
    // We compacted again since: what the follower holds is of no use, send what it needs now.
    pr.retry_snapshot();
    send_append(m.from);
    return;
  }
  // A complete snapshot is installed and answered with an AppendResponse, never this way.
  if (m.snapshot_offset >= s.data.size()) return;
  // The transfer is moving: the lost-snapshot timeout starts again.
  pr.snapshot_wait_ticks() = 0;
  // A duplicated or late answer asking for the chunk we sent last: it is on its way already.
  if (m.snapshot_offset == pr.snapshot_chunk_sent()) return;
  send_snapshot_chunk(m.from, m.snapshot_offset);
}

void Raft::send_snapshot_chunk(NodeId to, std::uint64_t offset) {
  const Snapshot& s = log_.snapshot();
  progress_.at(to).sent_snapshot_chunk(offset);
  if (s.data.size() <= config_.max_snapshot_chunk_bytes) {
    // Fits in one message: the whole snapshot, as a follower without chunk support reads it.
    send(Message{.type = MessageType::Snapshot, .to = to, .term = term_, .snapshot = s});
    return;
  }
  const std::uint64_t size = s.data.size();
  const std::uint64_t end =
      offset + std::min<std::uint64_t>(config_.max_snapshot_chunk_bytes, size - offset);
  Snapshot chunk{.meta = s.meta,
                 .data = Bytes(s.data.begin() + static_cast<std::ptrdiff_t>(offset),
                               s.data.begin() + static_cast<std::ptrdiff_t>(end))};
  send(Message{.type = MessageType::Snapshot,
               .to = to,
               .term = term_,
               .snapshot = std::move(chunk),
               .snapshot_offset = offset,
               .snapshot_size = size});
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
    pr.become_snapshot(log_.snapshot_meta().index);
    send_snapshot_chunk(to, 0);
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
  bool reconfigures = false;
  for (Entry& e : entries) {
    e.term = term_;
    reconfigures |= e.kind == EntryKind::ConfChange;
  }
  const Index first = log_.last_index() + 1;
  Index last = log_.append(std::move(entries));
  if (reconfigures) {
    history_.sync(log_, first);
    update_progress_for_membership();
  }
  // With leader_sends_before_persist the leader counts itself once advance() says it persisted.
  if (config_.leader_sends_before_persist) return true;
  progress_.at(config_.id).maybe_update(last);
  // A single-node cluster commits on its own append.
  maybe_commit();
  return true;
}

bool Raft::maybe_commit() {
  std::vector<Index> matches;
  for (NodeId voter : membership().voters) {
    auto it = progress_.find(voter);
    matches.push_back(it == progress_.end() ? 0 : it->second.match());
  }
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
    append_due_ = true;  // one append per follower for all the proposals of this round
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

void Raft::update_progress_for_membership() {
  const Membership& members = membership();
  std::erase_if(progress_, [&](const auto& item) {
    return item.first != config_.id && !members.contains(item.first);
  });
  for (const auto* ids : {&members.voters, &members.learners}) {
    for (NodeId id : *ids) {
      // Probe from the newest entry; a rejection walks back (or falls back to a snapshot).
      // Not marked active: the strict check must not count a node never heard from.
      if (!progress_.contains(id)) {
        progress_.emplace(id, Progress(log_.last_index(), config_.max_inflight_appends));
      }
    }
  }
  if (lead_transferee_ != kNoNode && !members.is_voter(lead_transferee_)) {
    lead_transferee_ = kNoNode;
  }
}

bool Raft::removal_committed() const {
  return role_ == Role::Leader && !is_voter(config_.id) &&
         history_.current_index() <= log_.committed();
}

void Raft::maybe_step_down_after_removal() {
  if (!removal_committed()) return;
  // The new voters can carry on without us. Hand over to the most up-to-date of them: at once if
  // it has our whole log, else through a transfer (proposals pause meanwhile) that sends it
  // TimeoutNow once it catches up; tick_heartbeat() steps down after an election timeout anyway.
  NodeId best = lead_transferee_;
  for (NodeId voter : membership().voters) {
    if (best == kNoNode || progress_.at(voter).match() > progress_.at(best).match()) best = voter;
  }
  if (progress_.at(best).match() == log_.last_index()) {
    // A transferee that caught up was already sent TimeoutNow by handle_append_response().
    if (best != lead_transferee_) send_timeout_now(best);
    become_follower(term_, kNoNode);
  } else if (lead_transferee_ == kNoNode) {
    transfer_leadership(best);
  }
}

ConfChangeResult Raft::propose_conf_change(ConfChange change) {
  auto refuse = [&](ConfChangeRefusal why, std::string reason) {
    return ConfChangeResult{.refusal = why, .reason = std::move(reason), .leader = leader_};
  };
  if (role_ != Role::Leader) {
    return refuse(ConfChangeRefusal::NotLeader,
                  leader_ == kNoNode
                      ? fmt::format("node {} is not the leader and knows of none", config_.id)
                      : fmt::format("node {} is not the leader; node {} is", config_.id, leader_));
  }
  if (lead_transferee_ != kNoNode) {
    return refuse(ConfChangeRefusal::TransferInProgress,
                  fmt::format("leadership is being transferred to node {}", lead_transferee_));
  }
  if (history_.current_index() > log_.committed()) {
    return refuse(ConfChangeRefusal::ChangeInProgress,
                  fmt::format("the change at index {} is not committed yet (commit index {})",
                              history_.current_index(), log_.committed()));
  }
  if (log_.term(log_.committed()) != term_) {
    return refuse(ConfChangeRefusal::LeaderNotReady,
                  fmt::format("the leader has not committed an entry of its term {} yet", term_));
  }
  const Membership& current = membership();
  if (std::string problem = conf_change_problem(current, change); !problem.empty()) {
    return refuse(ConfChangeRefusal::InvalidChange, std::move(problem));
  }
  const Membership next = apply_conf_change(current, change);
  size_t heard = 0;
  for (NodeId voter : next.voters) {
    auto it = progress_.find(voter);
    if (voter == config_.id || (it != progress_.end() && it->second.heard_recently())) ++heard;
  }
  if (heard < next.quorum()) {
    return refuse(ConfChangeRefusal::WouldLoseQuorum,
                  fmt::format("after {} the {} voters need {} for a quorum, but the leader has "
                              "heard recently from only {} of them",
                              describe(change), next.voters.size(), next.quorum(), heard));
  }
  append_entries({Entry{.kind = EntryKind::ConfChange, .data = encode_conf_change(change)}});
  bcast_append();
  return {.index = log_.last_index(), .term = term_, .leader = config_.id};
}

std::vector<NodeId> Raft::caught_up_learners() const {
  std::vector<NodeId> out;
  if (role_ != Role::Leader) return out;
  for (NodeId learner : membership().learners) {
    auto it = progress_.find(learner);
    if (it != progress_.end() && it->second.match() >= log_.committed()) out.push_back(learner);
  }
  return out;
}

void Raft::transfer_leadership(NodeId to) {
  if (role_ != Role::Leader || to == config_.id || !progress_.contains(to) || !is_voter(to)) {
    return;
  }
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
  return append_due_ || !outbox_.empty() || !early_outbox_.empty() || pending_install_ ||
         pending_compacted_ || hard_state() != last_ready_hard_state_ ||
         log_.unstable_from() <= log_.last_index() || log_.committed() > applying_;
}

void Raft::send_proposed() {
  if (!append_due_) return;
  append_due_ = false;
  if (role_ == Role::Leader) bcast_append();
}

std::vector<Message> Raft::take_early_messages() {
  send_proposed();
  std::vector<Message> out = std::move(early_outbox_);
  early_outbox_.clear();
  return out;
}

Ready Raft::ready() {
  send_proposed();
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
      maybe_step_down_after_removal();
    }
  }
  persisting_.reset();
  if (installing_snapshot_) log_.applied_to(log_.snapshot_meta().index);
  installing_snapshot_ = false;
  log_.applied_to(applying_);
}

std::vector<Entry> Raft::take_stable_committed() {
  if (pending_install_ || installing_snapshot_) return {};
  // unstable_from - 1 is what the last advance() made stable (less, if a conflicting append has
  // since cut the log below it). Entries the outstanding Ready handed out as committed are above
  // applying_, so nothing below them can come out of order.
  const Index hi = std::min(log_.committed(), log_.unstable_from() - 1);
  if (hi <= applying_) return {};
  auto entries = log_.slice(applying_ + 1, hi + 1, SIZE_MAX);
  if (!entries) return {};
  applying_ = hi;
  return std::move(*entries);
}

void Raft::compact(Index index, Bytes snapshot_data) {
  if (index > log_.applied()) {
    throw std::invalid_argument(fmt::format("raft compact: index {} is beyond the applied index {}",
                                            index, log_.applied()));
  }
  if (index <= log_.snapshot_meta().index) return;  // already covered by a newer snapshot
  const Term term = *log_.term(index);
  const Membership& members = history_.at(index);  // as of the snapshot, not the newest
  Snapshot s{.meta = {.index = index,
                      .term = term,
                      .voters = members.voters,
                      .learners = members.learners},
             .data = std::move(snapshot_data)};
  log_.compact(s);
  history_.compact_to(index, term);
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
                .snapshot_index = log_.snapshot_meta().index,
                .voters = membership().voters,
                .learners = membership().learners,
                .config_index = history_.current_index(),
                .elections = elections_};
}

const Progress* Raft::progress(NodeId peer) const {
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace raft
