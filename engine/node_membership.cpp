// engine::Node's membership changes: ADD-NODE / REMOVE-NODE through raft's single-server
// ConfChange entries, MEMBERS, the promotion of caught-up learners, and the ack by which a new
// member says its datastore holds everything up to where it was added.

#include <fmt/core.h>

#include "engine/node.h"
#include "raft/codec.h"

namespace engine {

namespace {

std::string join_ids(const std::vector<NodeId>& ids) {
  std::string out;
  for (NodeId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

}  // namespace

std::string Node::members_line() const {
  const raft::Membership& m = state_.members().membership;
  const NodeId leader = raft_ ? raft_->leader() : raft::kNoNode;
  return fmt::format("OK voters={} learners={} leader={}", join_ids(m.voters), join_ids(m.learners),
                     leader == raft::kNoNode ? std::string("none") : std::to_string(leader));
}

void Node::add_node(NodeId node, Bytes context, WriteCallback done) {
  propose_conf_change({raft::ConfChange::Kind::AddLearner, node, std::move(context)},
                      std::move(done));
}

void Node::remove_node(NodeId node, WriteCallback done) {
  // The only holder of an import by copy may not leave before another member has it: the
  // records would leave with it, and every other node would wait for them for good.
  if (const raft::Index index = uncopied_import_of(node); index != 0)
    return done({WriteResult::Invalid, 0, 0, 0,
                 fmt::format("ERROR REMOVE-NODE {} refused: its zone file's import by copy at "
                             "index {} is not yet acknowledged by another member; retry once it "
                             "is (STATUS acked=)",
                             node, index)});
  propose_conf_change({raft::ConfChange::Kind::RemoveNode, node, {}}, std::move(done));
}

void Node::propose_conf_change(raft::ConfChange change, WriteCallback done) {
  if (!started_ || stopped_) return done({WriteResult::Stopped, 0, 0, 0, "ERROR node stopping"});
  if (disk_fault_)
    return done({WriteResult::DiskFault, 0, 0, 0,
                 fmt::format("ERROR disk fault on this node ({}): send it to another node",
                             disk_fault_->summary)});
  if (change.context.size() > raft::kMaxConfChangeContextBytes)
    return done({WriteResult::Invalid, 0, 0, 0, "ERROR invalid change: context too long"});
  const std::string what = raft::describe(change);
  const raft::ConfChangeResult result = raft_->propose_conf_change(std::move(change));
  if (!result.appended()) {
    std::string reason = result.reason.empty() ? raft::to_string(result.refusal) : result.reason;
    if (result.refusal == raft::ConfChangeRefusal::NotLeader)
      reason = fmt::format(
          "not leader: send it to the leader (leader: {})",
          result.leader == raft::kNoNode ? std::string("none") : std::to_string(result.leader));
    return done(
        {WriteResult::Invalid, 0, 0, 0,
         fmt::format("ERROR {} refused ({}): {}", what, raft::to_string(result.refusal), reason)});
  }
  log(LogLevel::Info, fmt::format("proposed {} at index {}", what, result.index));
  conf_changes_.push_back(
      {result.index, result.term, clock_.now() + options_.write_timeout, std::move(done)});
  process_soon();
}

void Node::answer_conf_change(const raft::Entry& entry, const ApplyOutcome& outcome) {
  for (auto it = conf_changes_.begin(); it != conf_changes_.end(); ++it) {
    if (it->index != entry.index) continue;
    WriteCallback done = std::move(it->done);
    const raft::Term term = it->term;
    conf_changes_.erase(it);
    if (entry.term != term || entry.kind != raft::EntryKind::ConfChange)
      return done({WriteResult::NoQuorum, 0, 0, 0,
                   fmt::format("ERROR lost to a leader change: index {} holds another entry; "
                               "check MEMBERS and retry",
                               entry.index)});
    if (outcome.kind == ApplyOutcome::Invalid)
      return done({WriteResult::Invalid, entry.index, 0, 0, "ERROR " + outcome.error});
    return done({WriteResult::Ok, entry.index, 0, 0, fmt::format("OK index={}", entry.index)});
  }
}

void Node::expire_conf_changes() {
  const TimePoint now = clock_.now();
  std::vector<WriteCallback> expired;
  std::erase_if(conf_changes_, [&](ConfChangeWait& w) {
    // Inside a snapshot installed here: the entry is no longer seen, only its effect.
    const bool skipped = w.index <= state_.applied();
    if (now < w.deadline && !skipped) return false;
    expired.push_back(std::move(w.done));
    return true;
  });
  for (WriteCallback& done : expired)
    done({WriteResult::NoQuorum, 0, 0, 0,
          fmt::format(
              "ERROR not applied here within {} ms (leader: {}); it may still commit: "
              "check MEMBERS",
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.write_timeout).count(),
              raft_->leader() == raft::kNoNode ? std::string("none")
                                               : std::to_string(raft_->leader()))});
}

bool Node::maybe_demote_rejoined() {
  for (NodeId node : state_.identity().to_demote) {
    if (!raft_->membership().is_voter(node)) continue;  // demoted in the log, not applied yet
    const raft::ConfChangeResult r =
        raft_->propose_conf_change({raft::ConfChange::Kind::DemoteVoter, node, {}});
    if (!r.appended()) return false;  // retried next tick (a change in flight, no quorum yet)
    log(LogLevel::Info, fmt::format("demoting voter {} to learner (index {}): its data directory "
                                    "was wiped, and with it the votes it gave; it is promoted "
                                    "again once it holds the cluster's data",
                                    node, r.index));
    return true;  // one change at a time
  }
  return false;
}

void Node::maybe_promote_learners() {
  if (raft_->role() != raft::Role::Leader || disk_fault_) return;
  if (maybe_demote_rejoined()) return;
  const MemberSet& members = state_.members();
  for (NodeId learner : raft_->caught_up_learners()) {
    // Its log is caught up; its datastore must be too: its ack has reached the index it was
    // added at (so a learner waiting for a datastore transfer is not promoted).
    auto added = members.added_at.find(learner);
    if (!members.membership.is_learner(learner) || added == members.added_at.end() ||
        state_.acked(learner) < added->second)
      continue;
    const raft::ConfChangeResult r =
        raft_->propose_conf_change({raft::ConfChange::Kind::PromoteLearner, learner, {}});
    if (r.appended())
      log(LogLevel::Info, fmt::format("promoting learner {} to voter (index {}): caught up and "
                                      "acked {}",
                                      learner, r.index, state_.acked(learner)));
    return;  // one change at a time
  }
}

bool Node::maybe_ack_as_learner() {
  const MemberSet& members = state_.members();
  auto added = members.added_at.find(options_.id);
  if (added == members.added_at.end()) return false;
  const raft::Index acked = state_.acked(options_.id);
  if (acked >= added->second) return false;
  const raft::Index applied = state_.applied();
  // The datastore holds every entry up to `applied`: everything dropped from pending (<= the
  // lowest ack) and every pending batch so far.
  if (store_snapshot_job_ || !unstored_.empty() || unsynced_ ||
      store_.durable_hw() < state_.min_acked() || store_.durable_hw() != store_.hw() ||
      state_.pending().upper_bound(store_.durable_hw()) != state_.pending().end())
    return false;
  if (applied > store_.hw()) {
    store_.append({}, applied, true);  // may throw DiskError
    observer_->on_store_synced(store_.durable_hw());
  }
  raft_->propose(encode_command(Ack{options_.id, applied}));
  log(LogLevel::Info, fmt::format("holds everything up to index {} (added at {}): acknowledged",
                                  applied, added->second));
  return true;
}

bool Node::compact_for_learners() const {
  // A learner starts with an empty log and no idea of the bootstrap voters: it must start from
  // a snapshot (which carries the configuration and R's member set), never from index 1.
  return raft_->role() == raft::Role::Leader && raft_->snapshot_meta().index == 0 &&
         !raft_->membership().learners.empty() && state_.applied() > 0;
}

}  // namespace engine
