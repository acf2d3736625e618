#include "engine/replicated_state.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "engine/entry_chain.h"
#include "engine/pending_bound.h"
#include "engine/record_codec.h"
#include "raft/codec.h"

namespace engine {
namespace {
// Format 1: the base layout; format 2: the base layout followed by tagged sections.
constexpr std::uint8_t kSnapshotFormatVersion = 1;
constexpr std::uint8_t kSnapshotWithSections = 2;
constexpr std::uint32_t kMaxMembers = 4096;

// An UPDATE's share of pending_bytes: its command as encoded in the raft entry.
std::size_t update_bytes(const PendingUpdate& update) {
  return encoded_size(update);
}
}  // namespace

ReplicatedState::ReplicatedState(std::vector<NodeId> members) : hash_(kEmptyChain) {
  auto membership = raft::make_membership(std::move(members), {});
  if (!membership) throw std::invalid_argument("replicated state: no members");
  members_.membership = std::move(*membership);
  for (NodeId m : members_.membership.voters) acked_[m] = 0;
}

raft::Index ReplicatedState::acked(NodeId node) const {
  auto it = acked_.find(node);
  return it == acked_.end() ? 0 : it->second;
}

raft::Index ReplicatedState::min_acked() const {
  std::optional<raft::Index> low;
  for (const auto& [node, index] : acked_)
    if (!bound_.laggards.contains(node)) low = std::min(low.value_or(index), index);
  // Never every member a laggard (laggards_to_drop keeps a majority; restore checks), but a
  // removal may leave only laggards: then everyone's ack counts again (see apply_conf_change).
  if (low) return *low;
  low = acked_.begin()->second;
  for (const auto& [node, index] : acked_) low = std::min(*low, index);
  return *low;
}

raft::Index ReplicatedState::drop_threshold() const {
  if (!drop_on_majority_) return min_acked();
  // Broken on purpose: the index a majority has acked.
  std::vector<raft::Index> acks;
  for (const auto& [node, index] : acked_)
    if (!bound_.laggards.contains(node)) acks.push_back(index);
  std::sort(acks.begin(), acks.end(), std::greater<>());
  return acks[acks.size() / 2];
}

void ReplicatedState::remember_request(NodeId origin, std::uint64_t request_id) {
  recent_.insert({origin, request_id});
  recent_order_.emplace_back(origin, request_id);
  if (recent_order_.size() > kRecentRequests) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

void ReplicatedState::drop_acked(ApplyOutcome& outcome) {
  const raft::Index through = drop_threshold();
  auto end = pending_.upper_bound(through);
  if (end == pending_.begin()) return;
  for (auto it = pending_.begin(); it != end; ++it) {
    pending_changes_ -= it->second.changes.size();
    pending_bytes_ -= encoded_size(it->second.changes);
  }
  pending_.erase(pending_.begin(), end);
  const auto updates_end = pending_updates_.upper_bound(through);
  for (auto it = pending_updates_.begin(); it != updates_end; ++it)
    pending_bytes_ -= update_bytes(it->second);
  pending_updates_.erase(pending_updates_.begin(), updates_end);
  outcome.dropped_through = through;
  IdentityState identity = this->identity();
  if (through > identity.dropped_through) {
    identity.dropped_through = through;
    set_section(StateSection::ClusterIdentity, encode_identity_state(identity));
  }
}

ApplyOutcome ReplicatedState::apply(const raft::Entry& entry) {
  if (entry.index != applied_ + 1)
    throw std::logic_error(
        fmt::format("replicated state: applying index {} after {}", entry.index, applied_));
  hash_ = chain_hash(hash_, entry);
  applied_ = entry.index;
  ApplyOutcome outcome;
  if (entry.kind == raft::EntryKind::ConfChange) {
    apply_conf_change(entry, outcome);
    return outcome;
  }
  if (entry.kind != raft::EntryKind::Normal) return outcome;  // Noop
  Command command;
  try {
    command = decode_command(entry.data);
  } catch (const raft::DecodeError& e) {
    outcome.kind = ApplyOutcome::Invalid;
    outcome.error = fmt::format("entry {}: {}", entry.index, e.what());
    return outcome;
  }
  if (auto* batch = std::get_if<ChangeBatch>(&command)) {
    if (recent_.contains({batch->origin, batch->request_id})) {
      outcome.kind = ApplyOutcome::DuplicateBatch;
      outcome.origin = batch->origin;
      outcome.request_id = batch->request_id;
      return outcome;
    }
    remember_request(batch->origin, batch->request_id);
    pending_changes_ += batch->changes.size();
    pending_bytes_ += encoded_size(batch->changes);
    auto [it, inserted] = pending_.emplace(entry.index, std::move(*batch));
    outcome.kind = ApplyOutcome::Batch;
    outcome.batch = &it->second;
    enforce_bound(outcome);  // never drops the batch just added: every member still needs it
    return outcome;
  }
  if (auto* update = std::get_if<UpdateCommand>(&command)) {
    if (recent_.contains({update->origin, update->request_id})) {
      outcome.kind = ApplyOutcome::DuplicateBatch;
      return outcome;
    }
    remember_request(update->origin, update->request_id);
    auto [it, inserted] =
        pending_.emplace(entry.index, ChangeBatch{update->origin, update->request_id, {}});
    auto [u, u_inserted] = pending_updates_.emplace(entry.index, std::move(*update));
    // Counted as drop_acked() and restore() count it: the (empty) batch and the request. Missing
    // the batch's few bytes made pending_bytes wrap below zero under an UPDATE load, and every
    // apply then dropped a member as a laggard.
    pending_bytes_ += encoded_size(it->second.changes) + update_bytes(u->second);
    outcome.kind = ApplyOutcome::Batch;
    outcome.batch = &it->second;
    outcome.update = &u->second;
    enforce_bound(outcome);
    return outcome;
  }
  if (const auto* rejoin = std::get_if<Rejoin>(&command)) {
    IdentityState identity = this->identity();
    if (apply_rejoin(identity, *rejoin, acked(rejoin->node))) {
      // A voter the cluster already knew lost its data directory, and the votes it gave with
      // it: it must not count as its old voter, so the leader demotes it to learner.
      if (!identity.rejoins.at(rejoin->node).import && members_.membership.is_voter(rejoin->node))
        identity.to_demote.insert(rejoin->node);
      set_section(StateSection::ClusterIdentity, encode_identity_state(identity));
    }
    outcome.kind = ApplyOutcome::Identity;
    return outcome;
  }
  if (const auto* imported = std::get_if<Imported>(&command)) {
    IdentityState identity = this->identity();
    if (identity.imported.insert(imported->node).second)
      set_section(StateSection::ClusterIdentity, encode_identity_state(identity));
    outcome.kind = ApplyOutcome::Identity;
    return outcome;
  }
  if (const auto* bound = std::get_if<SetPendingBound>(&command)) {
    bound_.max_pending_bytes = bound->max_pending_bytes;
    outcome.kind = ApplyOutcome::Bound;
    enforce_bound(outcome);
    return outcome;
  }
  apply_ack(entry, std::get<Ack>(command), outcome);
  return outcome;
}

void ReplicatedState::apply_ack(const raft::Entry& entry, const Ack& ack, ApplyOutcome& outcome) {
  auto it = acked_.find(ack.node);
  if (it == acked_.end()) {
    outcome.kind = ApplyOutcome::Invalid;
    outcome.error =
        fmt::format("entry {}: ACK from node {}, which is not a member", entry.index, ack.node);
    return;
  }
  if (ack.index >= entry.index) {
    outcome.kind = ApplyOutcome::Invalid;
    outcome.error = fmt::format("entry {}: ACK({}, {}) acknowledges an index not yet committed",
                                entry.index, ack.node, ack.index);
    return;
  }
  outcome.kind = ApplyOutcome::Ack;
  it->second = std::max(it->second, ack.index);
  // A laggard holds a complete datastore through its ack (copied from a peer, then served from
  // raft); once that reaches what R dropped, pending holds everything it lacks again.
  if (bound_.laggards.contains(ack.node) && it->second >= dropped_through()) {
    bound_.laggards.erase(ack.node);
    outcome.caught_up = ack.node;
  }
  drop_acked(outcome);
  enforce_bound(outcome);  // a member's ack may leave another alone furthest behind
}

void ReplicatedState::enforce_bound(ApplyOutcome& outcome) {
  if (ignore_pending_bound_) return;
  while (pending_bytes_ > bound_.max_pending_bytes) {
    const std::vector<NodeId> group =
        laggards_to_drop(acked_, bound_.laggards, members_.membership.voters);
    if (group.empty()) return;
    for (NodeId node : group) bound_.laggards.emplace(node, applied_);
    outcome.new_laggards.insert(outcome.new_laggards.end(), group.begin(), group.end());
    drop_acked(outcome);
  }
}

void ReplicatedState::apply_conf_change(const raft::Entry& entry, ApplyOutcome& outcome) {
  raft::ConfChange change;
  try {
    change = raft::decode_conf_change(entry.data);
  } catch (const raft::DecodeError& e) {
    outcome.kind = ApplyOutcome::Invalid;
    outcome.error = fmt::format("entry {}: conf change: {}", entry.index, e.what());
    return;
  }
  // What pending has dropped so far: a new member needs everything after it (still pending).
  const raft::Index dropped = min_acked();
  if (std::string problem = apply_member_change(members_, change, entry.index); !problem.empty()) {
    outcome.kind = ApplyOutcome::Invalid;
    outcome.error =
        fmt::format("entry {}: {} skipped: {}", entry.index, raft::describe(change), problem);
    return;
  }
  outcome.kind = ApplyOutcome::MemberChange;
  if (change.kind == raft::ConfChange::Kind::DemoteVoter ||
      change.kind == raft::ConfChange::Kind::RemoveNode) {
    IdentityState identity = this->identity();
    if (identity.to_demote.erase(change.node) > 0)
      set_section(StateSection::ClusterIdentity, encode_identity_state(identity));
  }
  if (change.kind == raft::ConfChange::Kind::AddLearner) acked_[change.node] = dropped;
  if (change.kind == raft::ConfChange::Kind::RemoveNode && !keep_removed_acks_)
    acked_.erase(change.node);
  if (change.kind == raft::ConfChange::Kind::RemoveNode) {
    bound_.laggards.erase(change.node);
    // Only laggards left (all members but one removed, say): their acks count again; pending
    // then holds what they still lack, as it did before they were dropped.
    if (std::all_of(acked_.begin(), acked_.end(),
                    [&](const auto& a) { return bound_.laggards.contains(a.first); }))
      bound_.laggards.clear();
  }
  // From the first change on, R carries its member set (a joining node learns it from there).
  set_section(StateSection::Membership, encode_member_set(members_));
  drop_acked(outcome);
  enforce_bound(outcome);
}

Bytes ReplicatedState::snapshot() const {
  Bytes out;
  raft::ByteWriter w(out);
  // Pending UPDATEs travel in their own section, present only while there are any.
  StateSections sections = sections_;
  if (!pending_updates_.empty())
    sections[StateSection::PendingUpdates] = encode_pending_updates(pending_updates_);
  if (!bound_.is_default()) sections[StateSection::PendingBound] = encode_pending_bound(bound_);
  // Which pending batches are imports (their kind is not in the base layout): u32 count, then
  // their indexes ascending; present only while there are any.
  Bytes imports;
  raft::ByteWriter iw(imports);
  std::uint32_t import_count = 0;
  for (const auto& [index, batch] : pending_) import_count += batch.import ? 1 : 0;
  if (import_count > 0) {
    iw.u32(import_count);
    for (const auto& [index, batch] : pending_)
      if (batch.import) iw.u64(index);
    sections[StateSection::ImportBatches] = std::move(imports);
  }
  // Which of those are imports by copy, with their digests: u32 count, then per copy u64 index,
  // u64 records, the SHA-256 (u32 length 32, 32 bytes); present only while there are any.
  Bytes copies;
  raft::ByteWriter cw(copies);
  std::uint32_t copy_count = 0;
  for (const auto& [index, batch] : pending_) copy_count += batch.copy ? 1 : 0;
  if (copy_count > 0) {
    cw.u32(copy_count);
    for (const auto& [index, batch] : pending_) {
      if (!batch.copy) continue;
      cw.u64(index);
      cw.u64(batch.copy->records);
      cw.bytes(batch.copy->sha256);
    }
    sections[StateSection::ImportCopies] = std::move(copies);
  }
  w.u8(sections.empty() ? kSnapshotFormatVersion : kSnapshotWithSections);
  w.u64(applied_);
  w.u64(hash_);
  w.u32(static_cast<std::uint32_t>(acked_.size()));
  for (const auto& [node, index] : acked_) {
    w.u64(node);
    w.u64(index);
  }
  w.u32(static_cast<std::uint32_t>(pending_.size()));
  for (const auto& [index, batch] : pending_) {
    w.u64(index);
    w.u64(batch.origin);
    w.u64(batch.request_id);
    put_changes(w, batch.changes);
  }
  w.u32(static_cast<std::uint32_t>(recent_order_.size()));
  for (const auto& [origin, request] : recent_order_) {
    w.u64(origin);
    w.u64(request);
  }
  put_state_sections(w, sections);
  return out;
}

void ReplicatedState::restore(ByteView data, raft::Index index) {
  raft::ByteReader r(data);
  const std::uint8_t version = r.u8("state version");
  if (version != kSnapshotFormatVersion && version != kSnapshotWithSections)
    throw raft::DecodeError(fmt::format("state version: {} is not a known format", version));
  const raft::Index applied = r.u64("state applied");
  if (applied != index)
    throw raft::DecodeError(
        fmt::format("state applied: snapshot holds index {} but sits at {}", applied, index));
  const std::uint64_t hash = r.u64("state hash");
  std::map<NodeId, raft::Index> acked;
  for (std::uint32_t i = 0, n = r.count("state acked", kMaxMembers, 16); i < n; ++i) {
    const NodeId node = r.u64("acked node");
    acked[node] = r.u64("acked index");
  }
  std::map<raft::Index, ChangeBatch> pending;
  std::size_t pending_changes = 0;
  std::size_t pending_bytes = 0;
  for (std::uint32_t i = 0, n = r.count("state pending", 1u << 30, 28); i < n; ++i) {
    const raft::Index at = r.u64("pending index");
    ChangeBatch batch;
    batch.origin = r.u64("pending origin");
    batch.request_id = r.u64("pending request id");
    batch.changes = get_changes(r);
    if (at > applied) throw raft::DecodeError("pending index: beyond the snapshot's index");
    pending_changes += batch.changes.size();
    pending_bytes += encoded_size(batch.changes);
    pending[at] = std::move(batch);
  }
  std::deque<std::pair<NodeId, std::uint64_t>> order;
  for (std::uint32_t i = 0, n = r.count("state recent", kRecentRequests, 16); i < n; ++i) {
    const NodeId origin = r.u64("recent origin");
    order.emplace_back(origin, r.u64("recent request"));
  }
  StateSections sections;
  if (version == kSnapshotWithSections) sections = get_state_sections(r);
  r.expect_end("state");
  std::map<raft::Index, PendingUpdate> updates;
  if (auto it = sections.find(StateSection::PendingUpdates); it != sections.end()) {
    updates = decode_pending_updates(it->second);
    sections.erase(it);
    if (updates.empty())  // snapshot() writes the section only with something in it
      throw raft::DecodeError("pending updates: an empty section");
    for (const auto& [at, u] : updates) {
      auto batch = pending.find(at);
      if (batch == pending.end() || batch->second.request_id != u.request_id ||
          !batch->second.changes.empty())
        throw raft::DecodeError(
            fmt::format("pending update index: {} is not an UPDATE in pending", at));
    }
  }
  for (const auto& [at, u] : updates) pending_bytes += update_bytes(u);
  if (auto it = sections.find(StateSection::ImportBatches); it != sections.end()) {
    raft::ByteReader ir(it->second);
    const std::uint32_t n = ir.count("import batches", 1u << 30, 8);
    if (n == 0) throw raft::DecodeError("import batches: an empty section");
    raft::Index previous = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const raft::Index at = ir.u64("import batch index");
      auto batch = pending.find(at);
      if (at <= previous || batch == pending.end() || updates.contains(at))
        throw raft::DecodeError(
            fmt::format("import batch index: {} is not a change batch in pending, in order", at));
      batch->second.import = true;
      previous = at;
    }
    ir.expect_end("import batches");
    sections.erase(it);
  }
  if (auto it = sections.find(StateSection::ImportCopies); it != sections.end()) {
    raft::ByteReader cr(it->second);
    const std::uint32_t n = cr.count("import copies", 1u << 20, 8 + 8 + 4 + 32);
    if (n == 0) throw raft::DecodeError("import copies: an empty section");
    raft::Index previous = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const raft::Index at = cr.u64("import copy index");
      auto batch = pending.find(at);
      if (at <= previous || batch == pending.end() || !batch->second.import ||
          !batch->second.changes.empty())
        throw raft::DecodeError(fmt::format(
            "import copy index: {} is not an import batch without changes in pending, in order",
            at));
      ImportDigest digest;
      digest.records = cr.u64("import copy records");
      const Bytes sha = cr.bytes("import copy digest", digest.sha256.size());
      if (digest.records == 0 || sha.size() != digest.sha256.size())
        throw raft::DecodeError(fmt::format("import copy at index {}: a malformed digest", at));
      std::copy(sha.begin(), sha.end(), digest.sha256.begin());
      batch->second.copy = digest;
      previous = at;
    }
    cr.expect_end("import copies");
    sections.erase(it);
  }
  PendingBoundState bound;
  if (auto it = sections.find(StateSection::PendingBound); it != sections.end()) {
    bound = decode_pending_bound(it->second);
    sections.erase(it);
  }
  // Members come from the snapshot: its member set section once membership has changed, else
  // the bootstrap voters, which are exactly the nodes it has acks for.
  MemberSet members;
  if (auto it = sections.find(StateSection::Membership); it != sections.end()) {
    members = decode_member_set(it->second);
  } else {
    std::vector<NodeId> voters;
    for (const auto& [node, ack] : acked) voters.push_back(node);
    auto membership = raft::make_membership(voters, {});
    if (!membership) throw raft::DecodeError("state acked: no members and no member set");
    members.membership = std::move(*membership);
  }
  if (auto it = sections.find(StateSection::ClusterIdentity); it != sections.end())
    decode_identity_state(it->second);  // throws on a malformed section, before anything changes
  std::map<NodeId, raft::Index> merged;
  for (NodeId m : members.membership.voters) merged[m] = acked.contains(m) ? acked[m] : 0;
  for (NodeId m : members.membership.learners) merged[m] = acked.contains(m) ? acked[m] : 0;
  // keep_removed_acks bug: a removed member's ack travels in the snapshot as well.
  if (keep_removed_acks_)
    for (const auto& [node, ack] : acked) merged.emplace(node, ack);
  for (const auto& [node, at] : bound.laggards) {
    if (!merged.contains(node))
      throw raft::DecodeError(fmt::format("laggard node: {} is not a member", node));
    if (at > applied)
      throw raft::DecodeError(fmt::format("laggard index: {} beyond the snapshot's index", at));
  }
  if (!bound.laggards.empty() && bound.laggards.size() == merged.size())
    throw raft::DecodeError("pending bound laggards: every member is a laggard");
  members_ = std::move(members);
  acked_ = std::move(merged);
  pending_ = std::move(pending);
  pending_updates_ = std::move(updates);
  pending_changes_ = pending_changes;
  pending_bytes_ = pending_bytes;
  recent_order_ = std::move(order);
  recent_ = {recent_order_.begin(), recent_order_.end()};
  applied_ = applied;
  hash_ = hash;
  sections_ = std::move(sections);
  bound_ = std::move(bound);
}

const PendingUpdate* ReplicatedState::pending_update(raft::Index index) const {
  auto it = pending_updates_.find(index);
  return it == pending_updates_.end() ? nullptr : &it->second;
}

IdentityState ReplicatedState::identity() const {
  auto it = sections_.find(StateSection::ClusterIdentity);
  return it == sections_.end() ? IdentityState{} : decode_identity_state(it->second);
}

void ReplicatedState::set_section(StateSection tag, Bytes payload) {
  sections_[tag] = std::move(payload);
}

}  // namespace engine
