#pragma once
// The DNS cluster's own invariants, on top of the raft ones (raft_invariants.h), checked as the
// simulated nodes report events: nothing leaves `pending` before every node copied it durably,
// no node's ack runs ahead of its durable local datastore, every acknowledged write is the
// committed batch at its index, a restarted node serves exactly its local datastore, and after
// healing every node serves the same record set as a reference database fed every committed
// batch in commit order.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/command.h"
#include "engine/replicated_state.h"
#include "raft/types.h"

namespace harness {

// Cluster-wide record of committed batches, acknowledgements and durable progress.
class DnsInvariants {
 public:
  explicit DnsInvariants(std::size_t nodes);

  // Off: on_pending_dropped and check_acks only record (see RunOptions::outcome_checks_only).
  void set_direct_checks(bool on) { direct_checks_ = on; }
  bool direct_checks() const { return direct_checks_; }

  // A node's local datastore is durable (fsynced) up to `hw`. Survives the node's crashes.
  void on_store_synced(engine::NodeId node, raft::Index hw);
  // R on `node` dropped pending <= `index`: every node must have copied it durably.
  // `members`: the members of `node`'s R after the step (a removed node's copy is not needed).
  void on_pending_dropped(engine::NodeId node, raft::Index index,
                          const std::vector<engine::NodeId>& members);
  // `node` found R had dropped batches above what it serves and starts copying a peer's
  // datastore. That is legitimate only for a node that lost its disk (on_wiped) or joined empty
  // (on_joined), as long as its datastore has not durably gone past what it held before
  // (R's stale ack for it may let pending drop batches its fresh copy lacks); otherwise it is
  // acknowledged data lost (checked also with outcome checks only: the copy would otherwise
  // repair the loss unseen).
  void on_transfer_needed(engine::NodeId node, raft::Index served, raft::Index dropped_through);
  // `node`'s disk was wiped (it is down): its local datastore starts again from nothing. What it
  // had durably copied still counts for the acks R holds for it and for pending drops.
  void on_wiped(engine::NodeId node);
  // `node` is a spare slot: a member added by ADD-NODE that starts empty (NodeOptions::join).
  // R holds an ack for it from the moment it is added (what R had dropped then, so that pending
  // is not held for it below that), before it stored anything: until its first fsync that ack
  // may not exceed R's lowest ack. It may need a peer's datastore until it stored one.
  void expect_joiner(engine::NodeId node);
  // A committed batch reached `node`'s serving database.
  void on_served(engine::NodeId node, raft::Index index, const engine::ChangeBatch& batch);
  // A client was told OK: `changes` committed at `index` (origin `node`).
  void on_write_ok(engine::NodeId node, raft::Index index, const std::vector<dns::Change>& changes);
  // A (re)started node loaded its local datastore (hw, records) into its serving view, before
  // raft ran: the view must be every committed batch <= hw, and hw what it last fsynced.
  void on_store_loaded(engine::NodeId node, raft::Index hw, const dns::Database& serving);
  // After every event on `node`: no ack in its R may exceed that node's durable hw.
  void check_acks(engine::NodeId node, const engine::ReplicatedState& state) const;
  // After every apply on `node`: R's pending within its bound (max_pending_bytes), unless no
  // member may be left behind (everyone counted holds it alike, or leaving the ones furthest
  // behind would leave fewer than a majority of voters counted).
  static void check_pending_bound(engine::NodeId node, const engine::ReplicatedState& state);

  // `node` is disk-faulted (or served batches while faulted): until it recovers or restarts it
  // answers from memory, so its serving view must stay exactly `serving` as of now.
  void on_disk_fault(engine::NodeId node, const dns::Database& serving);
  void on_disk_recovered(engine::NodeId node);
  // After every other event on a disk-faulted node: no record, no zone lost or changed.
  void check_faulted_serving(engine::NodeId node, const dns::Database& serving) const;

  // The record set of a database that applied every committed batch <= `through` in order.
  std::vector<dns::Record> reference_records(raft::Index through) const;
  // Records whose last committed change was a REMOVE (none may be served after convergence).
  std::vector<dns::Record> removed_records() const;
  // Zone file records (dns_zone_file) a committed batch removed: no client write adds them, so
  // they stay removed for good (a re-import would bring them back); with the index.
  const std::map<std::string, raft::Index>& zone_records_removed() const { return zone_removed_; }

  raft::Index durable_hw(engine::NodeId node) const { return durable_hw_.at(node); }
  raft::Index last_committed_batch() const {
    return committed_.empty() ? 0 : committed_.rbegin()->first;
  }
  std::size_t committed_batches() const { return committed_.size(); }
  std::size_t acknowledged_writes() const { return acknowledged_.size(); }

 private:
  std::vector<raft::Index> durable_hw_;  // per node, highest hw ever reported synced
  std::vector<raft::Index> store_hw_;    // per node, highest hw synced since its disk was wiped
  // Nodes that lost their disk or joined empty, with the highest hw synced before that: they may
  // need a peer's datastore while their new one has not durably gone past it.
  std::map<engine::NodeId, raft::Index> fresh_;
  std::map<std::string, raft::Index> zone_removed_;  // dns::to_text(record) -> removing index
  std::vector<bool> joiner_;                         // per node: a spare slot (expect_joiner)
  std::vector<raft::Index> last_served_;             // per node, in its current incarnation
  std::map<raft::Index, engine::ChangeBatch> committed_;
  std::map<raft::Index, std::vector<dns::Change>> acknowledged_;
  std::map<engine::NodeId, std::vector<std::string>> faulted_views_;  // canonical, per node
  bool direct_checks_ = true;
};

// How a canonical record set (see canonical()) differs from the expected one, in one line.
std::string describe_difference(const std::vector<std::string>& got,
                                const std::vector<std::string>& want);

// True when both hold the same changes in the same order.
bool same_changes(const std::vector<dns::Change>& a, const std::vector<dns::Change>& b);

}  // namespace harness
