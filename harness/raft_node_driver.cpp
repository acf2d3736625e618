#include "harness/raft_node_driver.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <stdexcept>

#include "harness/raft_invariants.h"
#include "harness/sim_links.h"

namespace harness {

RaftNodeDriver::RaftNodeDriver(raft::NodeId id, std::uint64_t incarnation, const NodeEnv& env,
                               const RaftDriverOptions& options)
    : id_(id),
      world_(env.world),
      links_(env.links),
      hooks_(env.hooks),
      checks_(env.raft_checks),
      options_(options),
      app_(options.hash_applied) {
  if (checks_ && !options_.hash_applied)
    throw std::logic_error("the raft invariant checker needs the command log's hashes");
  raft::Restored restored;
  if (options_.persist) {
    store_.emplace(world_.disk(id));
    try {
      restored = store_->load();
    } catch (const std::exception& e) {
      throw InvariantViolation("durable log readable after a crash",
                               fmt::format("n{}: {}", id, e.what()));
    }
  } else if (incarnation > 0) {
    throw std::logic_error(fmt::format("n{} keeps no raft log on disk: it cannot restart", id));
  }
  if (checks_) checks_->on_restart(id, restored.hard_state);
  durable_ = synced_ = restored.hard_state;
  if (restored.snapshot) {
    app_.restore(restored.snapshot->data);
    log_.reset(restored.snapshot->meta.index, app_.hash());
    last_compaction_ = restored.snapshot->meta.index;
  }
  if (checks_)
    for (const raft::Entry& entry : restored.entries)
      if (auto fp = log_.put(entry)) checks_->on_persisted_entry(id, entry, *fp);

  raft::Config config;
  config.id = id;
  for (raft::NodeId n = 1; n <= world_.nodes(); ++n) config.voters.push_back(n);
  config.election_ticks = options_.election_ticks;
  config.heartbeat_ticks = options_.heartbeat_ticks;
  config.pre_vote = options_.pre_vote;
  config.check_quorum = options_.check_quorum;
  config.max_inflight_appends = options_.max_inflight_appends;
  config.max_snapshot_chunk_bytes = options_.max_snapshot_chunk_bytes;
  config.bugs = options_.raft_bugs;
  sim::Prng prng =
      world_.stream(fmt::format(fmt::runtime(options_.random_stream), fmt::arg("node", id),
                                fmt::arg("incarnation", incarnation)));
  config.seed = prng.next_u64();
  raft_ = std::make_unique<raft::Raft>(config, std::move(restored));
  const sim::SimTime first_tick =
      options_.random_tick_phase
          ? static_cast<sim::SimTime>(prng.below(static_cast<std::uint64_t>(options_.tick)))
          : options_.tick;
  start_timer(first_tick, [this] { on_tick(); });
  run();
}

bool RaftNodeDriver::committed_in_own_term() const {
  const raft::Status s = raft_->status();
  return s.role == raft::Role::Leader && s.commit > 0 && raft_->term_at(s.commit) == s.term;
}

void RaftNodeDriver::start_timer(sim::SimTime after, std::function<void()> fire) {
  // Timers of the node's clock die with a crash, as the process would.
  world_.clock(id_).start_timer(engine::Duration(after), std::move(fire));
}

void RaftNodeDriver::on_tick() {
  record({world_.now(), sim::EventKind::Timer, id_, 0, 0, 0});
  ++missed_ticks_;
  start_timer(options_.tick, [this] { on_tick(); });
  run();
}

void RaftNodeDriver::deliver(raft::NodeId from, const engine::Bytes& bytes) {
  inbox_.emplace_back(from, bytes);
  run();
}

void RaftNodeDriver::propose(CommandId command) {
  proposals_.push_back({encode_command({command, id_}), command});
  run();
}

void RaftNodeDriver::propose(std::vector<raft::Bytes> payloads) {
  for (raft::Bytes& data : payloads) proposals_.push_back({std::move(data), 0});
  run();
}

void RaftNodeDriver::run() {
  if (busy_ || handling_) return;
  handling_ = true;
  for (;;) {
    for (; missed_ticks_ > 0; --missed_ticks_) {
      raft_->tick();
      notice_change();
    }
    for (auto& [from, bytes] : std::exchange(inbox_, {})) {
      step_message(from, bytes);
      notice_change();
    }
    for (Proposal& proposal : std::exchange(proposals_, {})) propose_now(proposal);
    if (!raft_->has_ready()) break;
    raft::Ready ready = raft_->ready();
    if (durable(ready) && options_.fsync > 0) {
      // Persist before sending: nothing of this Ready leaves until the disk is done.
      ++fsyncs_;
      busy_ = true;
      auto held = std::make_shared<raft::Ready>(std::move(ready));
      start_timer(options_.fsync, [this, held] {
        busy_ = false;
        handling_ = true;
        finish(*held);
        handling_ = false;
        run();
      });
      break;
    }
    finish(ready);
  }
  handling_ = false;
  observe();
}

void RaftNodeDriver::step_message(raft::NodeId from, const engine::Bytes& bytes) {
  raft::Message message;
  try {
    message = raft::decode(bytes);
  } catch (const raft::DecodeError& e) {
    // A peer sent garbage: log and drop, as the real transport does.
    record({world_.now(), sim::EventKind::Drop, id_, from, 99, bytes.size()}, bytes);
    return;
  }
  record({world_.now(), sim::EventKind::Deliver, id_, from,
          static_cast<std::uint64_t>(message.type), message.term},
         bytes);
  raft_->step(message);
}

void RaftNodeDriver::propose_now(Proposal& proposal) {
  const raft::ProposeResult result = raft_->propose(std::move(proposal.data));
  record({world_.now(), sim::EventKind::Propose, id_, 0, proposal.command,
          static_cast<std::uint64_t>(result.kind)});
  if (proposal.command != 0 && result.kind != raft::ProposeResult::Dropped)
    proposed_.insert(proposal.command);
}

bool RaftNodeDriver::durable(const raft::Ready& ready) {
  // Synced as engine::RaftLogStore decides; a new commit index alone may be lost to a power cut.
  const bool durable = engine::ready_needs_sync(ready, durable_);
  if (ready.hard_state) durable_ = *ready.hard_state;
  if (durable) synced_ = durable_;
  return durable;
}

void RaftNodeDriver::finish(raft::Ready& ready) {
  // 1. Persist and fsync (store_->save syncs before returning).
  persist(ready);
  // 2. Send.
  for (const raft::Message& m : ready.messages) {
    if (checks_ && m.type == raft::MessageType::VoteResponse && !m.reject)
      checks_->on_vote_granted(id_, m.term, m.to);
    links_.send(id_, m.to, raft::encode(m));
  }
  // 3. Install, then apply.
  if (ready.snapshot && ready.snapshot->meta.index > app_.applied()) {
    app_.restore(ready.snapshot->data);
    if (app_.applied() != ready.snapshot->meta.index)
      throw InvariantViolation("snapshot consistent",
                               fmt::format("n{} got a snapshot at index {} holding state of {}",
                                           id_, ready.snapshot->meta.index, app_.applied()));
    if (checks_) checks_->on_applied(id_, app_.applied(), app_.hash());
  }
  for (const raft::Entry& entry : ready.committed) apply(entry);
  raft_->advance();
  // Compaction produces a Ready of its own (the snapshot to persist), drained by run().
  if (options_.compact_every > 0 && app_.applied() >= last_compaction_ + options_.compact_every) {
    raft_->compact(app_.applied(), app_.snapshot());
    last_compaction_ = app_.applied();
  }
}

void RaftNodeDriver::persist(const raft::Ready& ready) {
  if (store_) {
    if (options_.forget_vote && ready.hard_state) {
      raft::Ready forgetful = ready;
      forgetful.hard_state->vote = raft::kNoNode;
      store_->save(forgetful);
    } else {
      store_->save(ready);
    }
    if (ready.compacted_snapshot) store_->compact(ready.compacted_snapshot->meta.index);
  }
  if (checks_) {
    // What a power cut would leave (durable() ran for this Ready): a commit-only write may go.
    if (ready.hard_state) checks_->on_persisted_hard_state(id_, synced_);
    if (ready.snapshot)
      log_.reset(ready.snapshot->meta.index, CommandLog::snapshot_hash(ready.snapshot->data));
    for (const raft::Entry& entry : ready.entries)
      if (auto fp = log_.put(entry)) checks_->on_persisted_entry(id_, entry, *fp);
    if (ready.compacted_snapshot) log_.compact(ready.compacted_snapshot->meta.index);
  }
  if (hooks_.persisted) hooks_.persisted(id_, ready);
}

void RaftNodeDriver::apply(const raft::Entry& entry) {
  if (entry.index <= app_.applied()) return;  // already part of an installed snapshot
  if (entry.index != app_.applied() + 1)
    throw InvariantViolation(
        "entries applied in order",
        fmt::format("n{} was handed index {} to apply after {}", id_, entry.index, app_.applied()));
  app_.apply(entry);
  if (checks_) checks_->on_applied(id_, entry.index, app_.hash());
  if (hooks_.applied) hooks_.applied(id_, entry);
  if (entry.kind != raft::EntryKind::Normal) return;
  if (auto command = decode_command(entry.data); command && command->proposer == id_)
    if (proposed_.erase(command->id) && hooks_.acknowledged) hooks_.acknowledged(id_, command->id);
}

void RaftNodeDriver::notice_change() {
  if (!hooks_.changed) return;
  const raft::Role role = raft_->role();
  const raft::Term term = raft_->term();
  const raft::NodeId leader = raft_->leader();
  if (role == seen_role_ && term == seen_term_ && leader == seen_leader_) return;
  seen_role_ = role, seen_term_ = term, seen_leader_ = leader;
  hooks_.changed(id_, role, term, leader);
}

void RaftNodeDriver::record(const sim::TraceEvent& event, std::span<const std::uint8_t> bytes) {
  if (options_.trace) world_.trace().record(event, bytes);
}

void RaftNodeDriver::observe() {
  const raft::Status status = raft_->status();
  if (status.role != last_role_) {
    record({world_.now(), sim::EventKind::RoleChange, id_, status.leader,
            static_cast<std::uint64_t>(status.role), status.term});
    last_role_ = status.role;
  }
  if (checks_) checks_->observe(id_, status, log_, world_.now());
}

}  // namespace harness
