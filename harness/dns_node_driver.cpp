#include "harness/dns_node_driver.h"

#include <fmt/core.h>

#include <algorithm>

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
      random_(world_.stream(stream_name(options.random_stream, id, incarnation))) {
  options_.id = id;
  if (options_.members.empty())
    for (engine::NodeId n = 1; n <= world_.nodes(); ++n) options_.members.push_back(n);
  engine::Transport& transport = *this;
  engine::Clock& clock = *this;
  engine::NodeObserver* observer = this;
  node_ = std::make_unique<engine::Node>(options_, transport, clock, world_.disk(id), random_,
                                         serving_, observer);
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
  node_.reset();
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
  if (!raft_checks_) return;
  raft_checks_->on_restart(id_, restored.hard_state);
  if (restored.snapshot)
    log_.reset(restored.snapshot->meta.index, snapshot_hash(*restored.snapshot));
  for (const raft::Entry& entry : restored.entries)
    if (auto fp = log_.put(entry)) raft_checks_->on_persisted_entry(id_, entry, *fp);
}

void DnsNodeDriver::on_raft_persisted(const raft::Ready& ready) {
  if (raft_checks_) {
    if (ready.hard_state) raft_checks_->on_persisted_hard_state(id_, *ready.hard_state);
    if (ready.snapshot) log_.reset(ready.snapshot->meta.index, snapshot_hash(*ready.snapshot));
    for (const raft::Entry& entry : ready.entries)
      if (auto fp = log_.put(entry)) raft_checks_->on_persisted_entry(id_, entry, *fp);
    if (ready.compacted_snapshot) log_.compact(ready.compacted_snapshot->meta.index);
  }
  if (hooks_.persisted) hooks_.persisted(id_, ready);
  // The disk-latency model: a durable write keeps the disk busy for fsync_, and what the node
  // sends afterwards leaves once the disk is free.
  bool durable = !ready.entries.empty() || ready.snapshot || ready.compacted_snapshot;
  if (ready.hard_state) {
    durable = durable || ready.hard_state->term != durable_.term ||
              ready.hard_state->vote != durable_.vote;
    durable_ = *ready.hard_state;
  }
  if (durable && fsync_ > 0) disk_free_ = std::max(disk_free_, world_.now()) + fsync_;
}

void DnsNodeDriver::on_raft_sent(const raft::Message& m) {
  if (raft_checks_ && m.type == raft::MessageType::VoteResponse && !m.reject)
    raft_checks_->on_vote_granted(id_, m.term, m.to);
}

void DnsNodeDriver::on_applied(raft::Index index, std::uint64_t hash) {
  record({world_.now(), sim::EventKind::Apply, id_, 0, index, 0});
  if (raft_checks_) raft_checks_->on_applied(id_, index, hash);
}

void DnsNodeDriver::on_served(raft::Index index, const engine::ChangeBatch& batch,
                              const dns::ApplyResult&) {
  if (dns_checks_) dns_checks_->on_served(id_, index, batch);
  if (hooks_.served) hooks_.served(id_, index, batch, serving_);
}

void DnsNodeDriver::on_store_synced(raft::Index hw) {
  if (dns_checks_) dns_checks_->on_store_synced(id_, hw);
}

void DnsNodeDriver::on_pending_dropped(raft::Index index) {
  if (dns_checks_) dns_checks_->on_pending_dropped(id_, index);
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
  if (raft_checks_) raft_checks_->observe(id_, status, log_, world_.now());
  if (dns_checks_) dns_checks_->check_acks(id_, node_->state());
}

}  // namespace harness
