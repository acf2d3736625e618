#include "harness/dns_node_driver.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/local_store.h"
#include "engine/raft_log_store.h"
#include "engine/replicated_state.h"
#include "harness/dns_invariants.h"
#include "harness/dns_workload.h"
#include "harness/raft_invariants.h"
#include "harness/sim_links.h"
#include "raft/message.h"

namespace harness {

namespace {

std::string stream_name(const std::string& pattern, engine::NodeId id, std::uint64_t incarnation) {
  return fmt::format(fmt::runtime(pattern), fmt::arg("node", id),
                     fmt::arg("incarnation", incarnation));
}

}  // namespace

DnsNodeDriver::DnsNodeDriver(engine::NodeId id, std::uint64_t incarnation, const NodeEnv& env,
                             const DnsDriverOptions& options)
    : id_(id),
      world_(env.world),
      links_(env.links),
      hooks_(env.hooks),
      raft_checks_(env.raft_checks),
      dns_checks_(env.dns_checks),
      options_(options.engine),
      fsync_(options.fsync),
      trace_(options.trace),
      random_(world_.stream(stream_name(options.random_stream, id, incarnation))),
      checked_failures_(world_.disk(id).failed_calls()),
      watched_failures_(checked_failures_) {
  options_.id = id;
  options_.join = options.joiners.contains(id);
  if (options.log_sync > 0) {
    log_syncer_ = std::make_unique<TimedWorker>(*this, options.log_sync);
    options_.log_syncer = log_syncer_.get();
  }
  if (options.store_snapshot > 0) {
    snapshot_worker_ = std::make_unique<TimedWorker>(*this, options.store_snapshot);
    options_.worker = snapshot_worker_.get();
  }
  if (options_.members.empty())
    for (engine::NodeId n = 1; n <= world_.nodes(); ++n) options_.members.push_back(n);
  engine::Transport& transport = *this;
  engine::Clock& clock = *this;
  engine::NodeObserver* observer = this;
  engine::Disk* disk = &world_.disk(id);
  if (options.disk_bugs.any()) {
    careless_disk_ = std::make_unique<CarelessDisk>(*disk, options.disk_bugs);
    disk = careless_disk_.get();
  }
  node_ = std::make_unique<engine::Node>(options_, transport, clock, *disk, random_, serving_,
                                         observer);
  try {
    node_->start(options.zone_file ? options.zone_file(id) : dns_zone_file(id));
  } catch (const engine::LocalStoreError& e) {
    throw InvariantViolation("local datastore readable after a crash",
                             fmt::format("n{}: {}", id, e.what()));
  } catch (const engine::RaftLogStoreError& e) {
    throw InvariantViolation("durable log readable after a crash",
                             fmt::format("n{}: {}", id, e.what()));
  }
  after_event();
}

DnsNodeDriver::~DnsNodeDriver() {
  // A crash: a sync or snapshot still running is lost (the node's destructor would wait for it).
  if (log_syncer_) log_syncer_->drop();
  if (snapshot_worker_) snapshot_worker_->drop();
  node_.reset();
}

void DnsNodeDriver::TimedWorker::run(std::function<void()> work, std::function<void()> done) {
  work_ = std::move(work);
  driver_.start_timer(engine::Duration(delay_), [this, done = std::move(done)] {
    wait();
    done();
  });
}

void DnsNodeDriver::TimedWorker::wait() {
  if (!work_) return;
  std::function<void()> work = std::move(work_);
  work_ = nullptr;
  work();
}

engine::TimePoint DnsNodeDriver::now() const {
  return world_.clock(id_).now();
}

engine::Clock::TimerId DnsNodeDriver::start_timer(engine::Duration after,
                                                  std::function<void()> fire) {
  return world_.clock(id_).start_timer(after, [this, fire = std::move(fire)] {
    record({world_.now(), sim::EventKind::Timer, id_, 0, 0, 0});
    fire();
    after_event();
  });
}

void DnsNodeDriver::cancel_timer(TimerId id) {
  world_.clock(id_).cancel_timer(id);
}

void DnsNodeDriver::send(engine::NodeId to, engine::Bytes message) {
  links_.send(id_, to, std::move(message), disk_free_);
}

void DnsNodeDriver::deliver(engine::NodeId from, const engine::Bytes& bytes) {
  if (trace_) {
    // The trace names the message type and term like the raft harness does (the node decodes
    // again; garbage is the node's to report).
    std::uint64_t type = 99, term = 0;
    try {
      const raft::Message m = raft::decode(bytes);
      type = static_cast<std::uint64_t>(m.type);
      term = m.term;
    } catch (const raft::DecodeError&) {
    }
    record({world_.now(), sim::EventKind::Deliver, id_, from, type, term}, bytes);
  }
  node_->receive(from, bytes);
  after_event();
}

void DnsNodeDriver::submit(std::vector<dns::Change> changes, engine::Node::WriteCallback done) {
  record({world_.now(), sim::EventKind::Propose, id_, 0, changes.size(), 0});
  node_->submit(std::move(changes), std::move(done));
  after_event();
}

std::uint64_t DnsNodeDriver::snapshot_hash(const raft::Snapshot& snapshot) const {
  engine::ReplicatedState r(options_.members);
  r.restore(snapshot.data, snapshot.meta.index);
  return r.hash();
}

void DnsNodeDriver::on_raft_restored(const raft::Restored& restored) {
  // Node::start loaded the local datastore into the serving view just before this: it is what
  // the node serves the moment it comes back, before raft has said anything.
  if (dns_checks_) dns_checks_->on_store_loaded(id_, node_->store().hw(), serving_);
  durable_ = synced_ = restored.hard_state;
  if (!raft_checks_) return;
  raft_checks_->on_restart(id_, restored.hard_state);
  if (restored.snapshot)
    log_.reset(restored.snapshot->meta.index, snapshot_hash(*restored.snapshot));
  for (const raft::Entry& entry : restored.entries)
    if (auto fp = log_.put(entry)) raft_checks_->on_persisted_entry(id_, entry, *fp);
}

void DnsNodeDriver::on_raft_persisted(const raft::Ready& ready) {
  // Synced as the node's RaftLogStore decides; a new commit index alone may be lost to a power cut.
  const bool durable = engine::ready_needs_sync(ready, durable_);
  if (ready.hard_state) durable_ = *ready.hard_state;
  if (durable) synced_ = durable_;
  if (raft_checks_) {
    if (ready.hard_state || durable) raft_checks_->on_persisted_hard_state(id_, synced_);
    if (ready.snapshot) log_.reset(ready.snapshot->meta.index, snapshot_hash(*ready.snapshot));
    for (const raft::Entry& entry : ready.entries)
      if (auto fp = log_.put(entry)) raft_checks_->on_persisted_entry(id_, entry, *fp);
    if (ready.compacted_snapshot) log_.compact(ready.compacted_snapshot->meta.index);
  }
  if (check_durability()) check_raft_durable(ready);
  if (hooks_.persisted) hooks_.persisted(id_, ready);
  // The disk-latency model: a durable write keeps the disk busy for fsync_, and what the node
  // sends afterwards leaves once the disk is free.
  if (durable && fsync_ > 0) disk_free_ = std::max(disk_free_, world_.now()) + fsync_;
}

void DnsNodeDriver::on_raft_sent(const raft::Message& m) {
  if (raft_checks_ && m.type == raft::MessageType::VoteResponse && !m.reject)
    raft_checks_->on_vote_granted(id_, m.term, m.to);
}

void DnsNodeDriver::on_applied(raft::Index index, std::uint64_t hash) {
  record({world_.now(), sim::EventKind::Apply, id_, 0, index, 0});
  if (raft_checks_) raft_checks_->on_applied(id_, index, hash);
  if (dns_checks_) DnsInvariants::check_pending_bound(id_, node_->state());
}

void DnsNodeDriver::on_served(raft::Index index, const engine::ChangeBatch& batch,
                              const dns::ApplyResult&) {
  served_in_event_ = true;
  if (dns_checks_) dns_checks_->on_served(id_, index, batch);
  if (hooks_.served) hooks_.served(id_, index, batch, serving_);
}

void DnsNodeDriver::on_store_synced(raft::Index hw) {
  if (dns_checks_) dns_checks_->on_store_synced(id_, hw);
  if (check_durability()) check_store_durable(hw);
}

bool DnsNodeDriver::check_durability() {
  const std::uint64_t failures = world_.disk(id_).failed_calls();
  if (failures == checked_failures_) return false;
  checked_failures_ = failures;
  return dns_checks_ && dns_checks_->direct_checks();
}

sim::SimDisk DnsNodeDriver::after_power_cut() const {
  sim::SimDisk disk = world_.disk(id_);
  disk.clear_faults();
  sim::Prng unused(0);
  disk.crash(/*torn=*/false, unused);
  return disk;
}

void DnsNodeDriver::check_raft_durable(const raft::Ready& ready) const {
  auto fail = [&](const std::string& what) {
    throw InvariantViolation(
        "persisted means durable",
        fmt::format("n{} persisted a Ready but a power cut now would leave {}", id_, what));
  };
  sim::SimDisk disk = after_power_cut();
  raft::Restored durable;
  try {
    durable = engine::RaftLogStore(disk).load();
  } catch (const engine::RaftLogStoreError& e) {
    fail(fmt::format("an unreadable log: {}", e.what()));
  }
  // The term and vote as written; the commit index at least as synced (a commit-only write
  // may be lost, or survive as a torn prefix), at most as written.
  if (ready.hard_state &&
      (durable.hard_state.term != durable_.term || durable.hard_state.vote != durable_.vote ||
       durable.hard_state.commit < synced_.commit || durable.hard_state.commit > durable_.commit))
    fail(fmt::format("term {} vote {} commit {} (not term {} vote {} commit {}..{})",
                     durable.hard_state.term, durable.hard_state.vote, durable.hard_state.commit,
                     durable_.term, durable_.vote, synced_.commit, durable_.commit));
  if (ready.entries.empty()) return;
  const raft::Entry& last = ready.entries.back();
  const bool kept = std::any_of(durable.entries.begin(), durable.entries.end(),
                                [&](const raft::Entry& e) {
                                  return e.index == last.index && e.term == last.term;
                                }) ||
                    (durable.snapshot && durable.snapshot->meta.index >= last.index);
  if (!kept) fail(fmt::format("no entry {} (term {})", last.index, last.term));
}

void DnsNodeDriver::check_store_durable(raft::Index hw) const {
  sim::SimDisk disk = after_power_cut();
  engine::LocalStoreContents durable;
  try {
    durable = engine::LocalStore(disk).load();
  } catch (const engine::LocalStoreError& e) {
    throw InvariantViolation("synced means durable",
                             fmt::format("n{} synced its local datastore but a power cut now "
                                         "would leave it unreadable: {}",
                                         id_, e.what()));
  }
  if (durable.hw < hw)
    throw InvariantViolation("synced means durable",
                             fmt::format("n{} synced its local datastore up to hw {} but a power "
                                         "cut now would leave hw {}",
                                         id_, hw, durable.hw));
  // Everything served is copied by now: the durable copy must hold exactly the serving view.
  if (node_->status().served != hw) return;
  dns::Database loaded;
  loaded.load(std::move(durable.snapshot_records));
  for (const engine::StoredBatch& b : durable.batches) loaded.apply(b.changes);
  const std::vector<std::string> got = canonical(loaded.all_records());
  const std::vector<std::string> want = canonical(serving_.all_records());
  if (got != want)
    throw InvariantViolation(
        "synced means durable",
        fmt::format("n{} synced its local datastore up to hw {}; a power cut now would leave {}",
                    id_, hw, describe_difference(got, want)));
}

void DnsNodeDriver::on_transfer_needed(raft::Index served, raft::Index dropped_through) {
  needed_transfer_ = true;
  // A laggard (R stopped holding changes for it: pending over max_pending_bytes) copies a
  // peer's datastore by design; only its acknowledged data must not have gone (checked when R
  // dropped it: on_pending_dropped) - not a loss.
  if (node_->state().needs_transfer(id_)) return;
  if (dns_checks_) dns_checks_->on_transfer_needed(id_, served, dropped_through);
}

void DnsNodeDriver::on_transfer_installed(std::uint64_t bytes, std::uint64_t) {
  // A copy is durable before it is served or acknowledged: a power cut right now must leave
  // the local datastore at the copy's index, holding exactly what is served.
  if (dns_checks_ && dns_checks_->direct_checks()) check_store_durable(node_->store().hw());
  if (hooks_.transfer_installed) hooks_.transfer_installed(id_, bytes);
}

void DnsNodeDriver::on_transfer_resumed(std::uint64_t) {
  if (hooks_.transfer_resumed) hooks_.transfer_resumed(id_);
}

void DnsNodeDriver::on_pending_dropped(raft::Index index) {
  if (dns_checks_) {
    const raft::Membership& m = node_->state().members().membership;
    std::vector<engine::NodeId> members = m.voters;
    members.insert(members.end(), m.learners.begin(), m.learners.end());
    // A laggard's copy is no longer needed: it copies a peer's datastore instead.
    std::erase_if(members, [&](engine::NodeId n) { return node_->state().needs_transfer(n); });
    dns_checks_->on_pending_dropped(id_, index, members);
  }
  if (hooks_.pending_dropped) hooks_.pending_dropped(id_, index);
}

void DnsNodeDriver::record(const sim::TraceEvent& event, std::span<const std::uint8_t> bytes) {
  if (trace_) world_.trace().record(event, bytes);
}

void DnsNodeDriver::after_event() {
  const raft::Status status = node_->raft().status();
  if (status.role != last_role_) {
    record({world_.now(), sim::EventKind::RoleChange, id_, status.leader,
            static_cast<std::uint64_t>(status.role), status.term});
    last_role_ = status.role;
  }
  if (hooks_.changed &&
      (status.role != seen_role_ || status.term != seen_term_ || status.leader != seen_leader_)) {
    seen_role_ = status.role, seen_term_ = status.term, seen_leader_ = status.leader;
    hooks_.changed(id_, status.role, status.term, status.leader);
  }
  watch_disk_fault();
  // A disk-faulted node holds the Ready that failed: raft's state already shows it (a received
  // snapshot's commit, say) but nothing of it is persisted, and the node acts on none of it until
  // a retry persists it (or a restart forgets it). Raft is observed again from then on.
  // Likewise while a log sync runs: raft's commit index (and a snapshot it received) may cover
  // entries that are only in its memory, while the log on disk (log_) still holds the ones they
  // replace. What the node applied it has acted on (after the sync of the Ready that carried
  // it, whose entries up to its commit index were all on disk then); the rest is checked once
  // a sync makes it so.
  raft::Status checked = status;
  if (node_->log_syncing()) {
    const raft::Index acted_on = std::max(synced_commit_, node_->state().applied());
    checked.commit = std::min(status.commit, acted_on);
    checked.snapshot_index = std::min(status.snapshot_index, acted_on);
  } else {
    synced_commit_ = status.commit;
  }
  if (raft_checks_ && !disk_faulted_) raft_checks_->observe(id_, checked, log_, world_.now());
  if (dns_checks_) dns_checks_->check_acks(id_, node_->state());
  served_in_event_ = false;
}

void DnsNodeDriver::watch_disk_fault() {
  // A fault begins only with a failed disk call: until one, the node's status need not be read.
  const std::uint64_t failures = world_.disk(id_).failed_calls();
  if (!disk_faulted_ && failures == watched_failures_) return;
  watched_failures_ = failures;
  const std::optional<engine::DiskFaultStatus> fault = node_->status().disk_fault;
  if (fault.has_value() != disk_faulted_) {
    disk_faulted_ = fault.has_value();
    record({world_.now(), sim::EventKind::Note, id_, kDnsDiskNote,
            disk_faulted_ ? kDiskFaulted : kDiskRecovered, 0});
    if (dns_checks_) {
      // What it serves now is what it must keep serving from memory until the disk works.
      if (disk_faulted_)
        dns_checks_->on_disk_fault(id_, serving_);
      else
        dns_checks_->on_disk_recovered(id_);
    }
  } else if (disk_faulted_ && dns_checks_) {
    // A retry can apply committed batches and fail again later in the same step: the view moves
    // on only through served batches.
    if (served_in_event_)
      dns_checks_->on_disk_fault(id_, serving_);
    else
      dns_checks_->check_faulted_serving(id_, serving_);
  }
  if (fault && fault->restart_needed && !restart_requested_) {
    restart_requested_ = true;
    record({world_.now(), sim::EventKind::Note, id_, kDnsDiskNote, kDiskRestartNeeded, 0});
    if (hooks_.restart_needed) hooks_.restart_needed(id_);
  }
}

}  // namespace harness
