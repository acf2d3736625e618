#include "harness/raft_node_driver.h"

#include <fmt/core.h>

#include <stdexcept>

namespace harness {

RaftNodeDriver::RaftNodeDriver(raft::NodeId id, std::uint64_t incarnation, sim::World& world,
                               RaftInvariants& checker, const RaftDriverOptions& options,
                               OnAck on_ack)
    : id_(id),
      world_(world),
      checker_(checker),
      options_(options),
      on_ack_(std::move(on_ack)),
      store_(world.disk(id)) {
  raft::Restored restored;
  try {
    restored = store_.load();
  } catch (const std::exception& e) {
    throw InvariantViolation("durable log readable after a crash",
                             fmt::format("n{}: {}", id, e.what()));
  }
  checker_.on_restart(id, restored.hard_state);
  if (restored.snapshot) {
    app_.restore(restored.snapshot->data);
    log_.reset(restored.snapshot->meta.index, app_.hash());
    last_compaction_ = restored.snapshot->meta.index;
  }
  for (const raft::Entry& entry : restored.entries)
    if (auto fp = log_.put(entry)) checker_.on_persisted_entry(id, entry, *fp);

  raft::Config config;
  config.id = id;
  for (raft::NodeId n = 1; n <= options.nodes; ++n) config.voters.push_back(n);
  config.election_ticks = options.election_ticks;
  config.heartbeat_ticks = options.heartbeat_ticks;
  config.seed = world.stream(fmt::format("raft-n{}-{}", id, incarnation)).next_u64();
  config.bugs = options.raft_bugs;
  config.pre_vote = options.pre_vote;
  raft_ = std::make_unique<raft::Raft>(config, std::move(restored));
  start_tick_timer();
  process();
}

void RaftNodeDriver::start_tick_timer() {
  world_.clock(id_).start_timer(engine::Duration(options_.tick), [this] { on_tick(); });
}

void RaftNodeDriver::on_tick() {
  world_.trace().record({world_.now(), sim::EventKind::Timer, id_, 0, 0, 0});
  raft_->tick();
  start_tick_timer();
  process();
}

void RaftNodeDriver::deliver(raft::NodeId from, const engine::Bytes& bytes) {
  raft::Message message;
  try {
    message = raft::decode(bytes);
  } catch (const raft::DecodeError& e) {
    // A peer sent garbage: log and drop, as the real transport does.
    world_.trace().record({world_.now(), sim::EventKind::Drop, id_, from, 99, bytes.size()}, bytes);
    return;
  }
  world_.trace().record({world_.now(), sim::EventKind::Deliver, id_, from,
                         static_cast<std::uint64_t>(message.type), message.term},
                        bytes);
  raft_->step(message);
  process();
}

raft::ProposeResult RaftNodeDriver::propose(CommandId command) {
  const raft::ProposeResult result = raft_->propose(encode_command({command, id_}));
  world_.trace().record({world_.now(), sim::EventKind::Propose, id_, 0, command,
                         static_cast<std::uint64_t>(result.kind)});
  if (result.kind != raft::ProposeResult::Dropped) proposed_.insert(command);
  process();
  return result;
}

void RaftNodeDriver::process() {
  for (;;) {
    while (raft_->has_ready()) {
      raft::Ready ready = raft_->ready();
      handle(ready);
      raft_->advance();
    }
    // Compaction produces a Ready of its own (the snapshot to persist), hence the outer loop.
    if (options_.compact_every == 0 || app_.applied() < last_compaction_ + options_.compact_every)
      break;
    raft_->compact(app_.applied(), app_.snapshot());
    last_compaction_ = app_.applied();
  }
  const raft::Status status = raft_->status();
  if (status.role != last_role_) {
    world_.trace().record({world_.now(), sim::EventKind::RoleChange, id_, status.leader,
                           static_cast<std::uint64_t>(status.role), status.term});
    last_role_ = status.role;
  }
  checker_.observe(id_, status, log_, world_.now());
}

void RaftNodeDriver::handle(raft::Ready& ready) {
  // 1. Persist and fsync (store_.save syncs before returning).
  if (options_.forget_vote && ready.hard_state) {
    raft::Ready forgetful = ready;
    forgetful.hard_state->vote = raft::kNoNode;
    store_.save(forgetful);
  } else {
    store_.save(ready);
  }
  if (ready.hard_state) checker_.on_persisted_hard_state(id_, *ready.hard_state);
  if (ready.snapshot)
    log_.reset(ready.snapshot->meta.index, CommandLog::snapshot_hash(ready.snapshot->data));
  for (const raft::Entry& entry : ready.entries)
    if (auto fp = log_.put(entry)) checker_.on_persisted_entry(id_, entry, *fp);
  if (ready.compacted_snapshot) {
    store_.compact(ready.compacted_snapshot->meta.index);
    log_.compact(ready.compacted_snapshot->meta.index);
  }
  // 2. Send.
  for (const raft::Message& m : ready.messages) {
    if (m.type == raft::MessageType::VoteResponse && !m.reject)
      checker_.on_vote_granted(id_, m.term, m.to);
    world_.network().send(id_, m.to, raft::encode(m));
  }
  // 3. Install, then apply.
  if (ready.snapshot && ready.snapshot->meta.index > app_.applied()) {
    app_.restore(ready.snapshot->data);
    if (app_.applied() != ready.snapshot->meta.index)
      throw InvariantViolation("snapshot consistent",
                               fmt::format("n{} got a snapshot at index {} holding state of {}",
                                           id_, ready.snapshot->meta.index, app_.applied()));
    checker_.on_applied(id_, app_.applied(), app_.hash());
  }
  for (const raft::Entry& entry : ready.committed) apply(entry);
}

void RaftNodeDriver::apply(const raft::Entry& entry) {
  if (entry.index <= app_.applied()) return;  // already part of an installed snapshot
  if (entry.index != app_.applied() + 1)
    throw InvariantViolation(
        "entries applied in order",
        fmt::format("n{} was handed index {} to apply after {}", id_, entry.index, app_.applied()));
  app_.apply(entry);
  checker_.on_applied(id_, entry.index, app_.hash());
  if (entry.kind != raft::EntryKind::Normal) return;
  if (auto command = decode_command(entry.data); command && command->proposer == id_)
    if (proposed_.erase(command->id) && on_ack_) on_ack_(command->id);
}

}  // namespace harness
