#include "harness/dns_invariants.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "harness/dns_workload.h"
#include "harness/invariant_violation.h"

namespace harness {

namespace {

bool is_zone_file_record(const dns::Record& r) {
  for (std::uint64_t n = 1; n <= kDnsZones; ++n) {
    const std::vector<dns::Record>& file = dns_zone_file(n);
    if (std::find(file.begin(), file.end(), r) != file.end()) return true;
  }
  return false;
}

}  // namespace

bool same_changes(const std::vector<dns::Change>& a, const std::vector<dns::Change>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].kind != b[i].kind || !(a[i].record == b[i].record)) return false;
  return true;
}

std::string describe_difference(const std::vector<std::string>& got,
                                const std::vector<std::string>& want) {
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  return fmt::format("{} records, reference {}; {} missing{}{}; {} extra{}{}", got.size(),
                     want.size(), missing.size(), missing.empty() ? "" : " e.g. ",
                     missing.empty() ? "" : missing.front(), extra.size(),
                     extra.empty() ? "" : " e.g. ", extra.empty() ? "" : extra.front());
}

DnsInvariants::DnsInvariants(std::size_t nodes)
    : durable_hw_(nodes + 1, 0),
      store_hw_(nodes + 1, 0),
      last_served_(nodes + 1, 0),
      joiner_(nodes + 1, false) {}

void DnsInvariants::on_store_synced(engine::NodeId node, raft::Index hw) {
  raft::Index& d = store_hw_.at(node);
  if (hw < d)
    throw InvariantViolation(
        "durable hw never decreases",
        fmt::format("n{} synced its local datastore at hw {} after {}", node, hw, d));
  d = hw;
  durable_hw_.at(node) = std::max(durable_hw_.at(node), hw);
}

void DnsInvariants::on_wiped(engine::NodeId node) {
  fresh_[node] = durable_hw_.at(node);
  store_hw_.at(node) = 0;
  last_served_.at(node) = 0;
  faulted_views_.erase(node);
}

void DnsInvariants::expect_joiner(engine::NodeId node) {
  fresh_.try_emplace(node, 0);
  joiner_.at(node) = true;
}

void DnsInvariants::on_pending_dropped(engine::NodeId node, raft::Index index,
                                       const std::vector<engine::NodeId>& members) {
  if (!direct_checks_) return;
  for (engine::NodeId m : members)
    if (m < durable_hw_.size() && durable_hw_[m] < index &&
        !(joiner_[m] && durable_hw_[m] == 0))  // its ack is R's floor from when it was added
      throw InvariantViolation(
          "pending kept until every node copied it durably",
          fmt::format("n{} dropped pending entries <= {} but n{} has only copied up to {} "
                      "durably",
                      node, index, m, durable_hw_[m]));
}

void DnsInvariants::on_transfer_needed(engine::NodeId node, raft::Index served,
                                       raft::Index dropped_through) {
  if (const auto f = fresh_.find(node); f != fresh_.end() && store_hw_.at(node) <= f->second)
    return;
  throw InvariantViolation(
      "no node loses what it acknowledged",
      fmt::format("n{} serves up to index {} from its local datastore but the cluster dropped "
                  "batches through {}: it needs a peer's datastore although its disk was never "
                  "wiped",
                  node, served, dropped_through));
}

void DnsInvariants::check_pending_bound(engine::NodeId node, const engine::ReplicatedState& state) {
  const engine::PendingBoundState& bound = state.pending_bound();
  if (state.pending_bytes() <= bound.max_pending_bytes) return;
  // Over the bound: legitimate only if none of the counted members (acks that still hold
  // pending) can be left behind.
  std::map<raft::Index, std::vector<engine::NodeId>> by_ack;
  for (const auto& [member, ack] : state.acked())
    if (!bound.laggards.contains(member)) by_ack[ack].push_back(member);
  if (by_ack.size() < 2) return;  // everyone counted holds all of pending alike
  const auto& voters = state.members().membership.voters;
  std::size_t voters_ahead = 0;
  for (auto it = std::next(by_ack.begin()); it != by_ack.end(); ++it)
    for (engine::NodeId m : it->second) voters_ahead += std::count(voters.begin(), voters.end(), m);
  if (voters_ahead < voters.size() / 2 + 1) return;
  throw InvariantViolation(
      "pending within its bound",
      fmt::format("n{} holds {} bytes in pending at index {}, over max_pending_bytes={}, for "
                  "n{} (acked {}), which could have been left to copy a peer's datastore",
                  node, state.pending_bytes(), state.applied(), bound.max_pending_bytes,
                  fmt::join(by_ack.begin()->second, ",n"), by_ack.begin()->first));
}

void DnsInvariants::on_served(engine::NodeId node, raft::Index index,
                              const engine::ChangeBatch& batch) {
  raft::Index& last = last_served_.at(node);
  if (index <= last)
    throw InvariantViolation("batches served in commit order",
                             fmt::format("n{} served index {} after {}", node, index, last));
  last = index;
  // Records removed stay removed: a zone file record (which no client write adds) is back only
  // if some node imported its zone file again.
  for (const dns::Change& c : batch.changes) {
    if (zone_removed_.empty() && c.kind != dns::Change::Remove) continue;
    const auto gone = zone_removed_.find(dns::to_text(c.record));
    if (c.kind == dns::Change::Add && gone != zone_removed_.end() && gone->second < index)
      throw InvariantViolation(
          "records removed stay removed",
          fmt::format("n{} served index {} (origin n{}) adding {}, removed at index {}", node,
                      index, batch.origin, gone->first, gone->second));
    if (c.kind == dns::Change::Remove && gone == zone_removed_.end() &&
        is_zone_file_record(c.record))
      zone_removed_.emplace(dns::to_text(c.record), index);
  }
  auto [it, inserted] = committed_.try_emplace(index, batch);
  if (!inserted &&
      (it->second.origin != batch.origin || it->second.request_id != batch.request_id ||
       !same_changes(it->second.changes, batch.changes)))
    throw InvariantViolation(
        "same batch served at each index everywhere",
        fmt::format("n{} served a different batch at index {} (origin n{} request {:x}) than "
                    "another node (origin n{} request {:x})",
                    node, index, batch.origin, batch.request_id, it->second.origin,
                    it->second.request_id));
  if (auto ack = acknowledged_.find(index);
      ack != acknowledged_.end() && !same_changes(ack->second, batch.changes))
    throw InvariantViolation(
        "acknowledged write is the committed batch",
        fmt::format("n{} applied a batch at index {} that is not the write acknowledged OK there",
                    node, index));
}

void DnsInvariants::on_write_ok(engine::NodeId node, raft::Index index,
                                const std::vector<dns::Change>& changes) {
  auto it = committed_.find(index);
  if (it == committed_.end() || it->second.origin != node ||
      !same_changes(it->second.changes, changes))
    throw InvariantViolation(
        "acknowledged write is the committed batch",
        fmt::format("n{} answered OK index={} but {}", node, index,
                    it == committed_.end() ? std::string("no batch was served at that index")
                                           : "the batch served there is a different write"));
  acknowledged_.emplace(index, changes);
}

void DnsInvariants::on_store_loaded(engine::NodeId node, raft::Index hw,
                                    const dns::Database& serving) {
  last_served_.at(node) = hw;
  faulted_views_.erase(node);
  if (hw < store_hw_.at(node))
    throw InvariantViolation(
        "local datastore survives crashes",
        fmt::format("n{} restarted with local datastore hw {} but had fsynced up to {}", node, hw,
                    store_hw_.at(node)));
  const std::vector<std::string> got = canonical(serving.all_records());
  const std::vector<std::string> want = canonical(reference_records(hw));
  if (got != want)
    throw InvariantViolation("restarted node serves every committed batch <= its hw",
                             fmt::format("n{} loaded hw {} from its local datastore: {}", node, hw,
                                         describe_difference(got, want)));
}

void DnsInvariants::check_acks(engine::NodeId node, const engine::ReplicatedState& state) const {
  if (!direct_checks_) return;
  for (const auto& [member, acked] : state.acked()) {
    if (member >= durable_hw_.size() || acked <= durable_hw_[member]) continue;
    // A joiner that stored nothing yet: R's ack for it is the floor set when it was added (R's
    // lowest ack then; no other ack goes below it since, so it is still the lowest).
    if (joiner_[member] && durable_hw_[member] == 0 && acked <= state.min_acked()) continue;
    throw InvariantViolation(
        "no ack before fsync",
        fmt::format("R on n{} has acked[n{}] = {} but n{} has fsynced its local datastore only "
                    "up to {}",
                    node, member, acked, member, durable_hw_[member]));
  }
}

void DnsInvariants::on_disk_fault(engine::NodeId node, const dns::Database& serving) {
  faulted_views_[node] = canonical(serving.all_records());
}

void DnsInvariants::on_disk_recovered(engine::NodeId node) {
  faulted_views_.erase(node);
}

void DnsInvariants::check_faulted_serving(engine::NodeId node, const dns::Database& serving) const {
  const auto it = faulted_views_.find(node);
  if (it == faulted_views_.end()) return;
  const std::vector<std::string> got = canonical(serving.all_records());
  if (got != it->second)
    throw InvariantViolation("a disk-faulted node keeps serving what it had",
                             fmt::format("n{} serves {} while disk-faulted", node,
                                         describe_difference(got, it->second)));
}

std::vector<dns::Record> DnsInvariants::reference_records(raft::Index through) const {
  dns::Database db;
  for (auto it = committed_.begin(); it != committed_.end() && it->first <= through; ++it)
    db.apply(it->second.changes);
  return db.all_records();
}

std::vector<dns::Record> DnsInvariants::removed_records() const {
  // Last committed change per record, keyed by presentation form.
  std::map<std::string, const dns::Change*> last;
  for (const auto& [index, batch] : committed_)
    for (const dns::Change& c : batch.changes) last[dns::to_text(c.record)] = &c;
  std::vector<dns::Record> out;
  for (const auto& [text, change] : last)
    if (change->kind == dns::Change::Remove) out.push_back(change->record);
  return out;
}

}  // namespace harness
