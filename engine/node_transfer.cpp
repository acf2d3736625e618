// engine::Node's datastore transfer (engine/datastore_transfer.h): as a source it streams its
// serving view at served_ to a peer that asks; as a receiver, when its local datastore has a gap
// (R dropped batches it never stored), it copies a peer's, installs it, then serves pending.

#include <fmt/core.h>

#include <algorithm>

#include "engine/node.h"
#include "engine/snapshot_file.h"

namespace engine {

std::vector<NodeId> Node::transfer_peers() const {
  const raft::Status s = raft_->status();
  std::vector<NodeId> peers;
  // The leader first: it is the one most surely up to date.
  if (s.leader != raft::kNoNode && s.leader != options_.id) peers.push_back(s.leader);
  for (const auto* list : {&s.voters, &s.learners})
    for (NodeId n : *list)
      if (n != options_.id && std::find(peers.begin(), peers.end(), n) == peers.end())
        peers.push_back(n);
  return peers;
}

void Node::start_transfer(bool change_peer) {
  transfer_wanted_ = true;
  if (!raft_ || stopped_ || disk_fault_) return;  // transfer_tick() starts it
  if (sink_.recovered() && !change_peer) return resume_transfer();
  const std::vector<NodeId> peers = transfer_peers();
  if (peers.empty()) return;
  if (change_peer) ++transfer_turn_;
  const NodeId peer = peers[transfer_turn_ % peers.size()];
  std::uint64_t id = 0;
  while (id == 0) id = random_.next_u64();
  TransferRequest request;
  try {
    request = sink_.begin(peer, id);
  } catch (const DiskError& e) {
    on_disk_error(e);
    return;
  }
  transfer_asks_ = 1;
  transfer_deadline_ = clock_.now() + options_.transfer_timeout;
  log(LogLevel::Info,
      fmt::format("copying the datastore from node {} (transfer {:016x}, R dropped through {}, "
                  "local datastore hw={})",
                  peer, id, state_.dropped_through(), store_.hw()));
  transport_.send(peer, encode_transfer(request));
}

void Node::resume_transfer() {
  sink_.resumed();
  const TransferProgress& p = sink_.progress();
  transfer_asks_ = 1;
  transfer_deadline_ = clock_.now() + options_.transfer_timeout;
  observer_->on_transfer_resumed(p.chunks);
  if (sink_.complete()) {
    log(LogLevel::Info, fmt::format("datastore transfer: the copy from node {} at index {} was "
                                    "staged whole before the restart; installing it",
                                    p.peer, p.index));
    return install_transfer();
  }
  log(LogLevel::Info,
      fmt::format("datastore transfer: resuming the copy from node {} (transfer {:016x}, index "
                  "{}) at chunk {} after a restart",
                  p.peer, p.transfer_id, p.index, p.chunks));
  transport_.send(p.peer, encode_transfer(sink_.next_request()));
}

void Node::transfer_tick() {
  if (!transfer_wanted_ || disk_fault_ || stopped_) return;
  if (!sink_.active()) return start_transfer(false);
  if (sink_.recovered()) return resume_transfer();  // start() found the gap before raft ran
  if (clock_.now() < transfer_deadline_) return;
  if (transfer_asks_ >= 3) {
    log(LogLevel::Warn,
        fmt::format("datastore transfer: node {} did not answer {} asks for chunk "
                    "{}; starting again with another peer",
                    sink_.progress().peer, transfer_asks_, sink_.progress().chunks));
    return start_transfer(true);
  }
  ++transfer_asks_;
  transfer_deadline_ = clock_.now() + options_.transfer_timeout;
  transport_.send(sink_.progress().peer, encode_transfer(sink_.next_request()));
}

void Node::on_transfer_message(NodeId from, ByteView bytes) {
  TransferMessage message;
  try {
    message = decode_transfer(bytes);
  } catch (const raft::DecodeError& e) {
    log(LogLevel::Warn,
        fmt::format("dropped a malformed transfer message from node {}: {}", from, e.what()));
    return;
  }
  if (const auto* request = std::get_if<TransferRequest>(&message)) {
    const TransferMessage reply =
        source_.handle(*request, [&](std::string& why) -> std::optional<TransferSource::Snapshot> {
          if (!can_be_transfer_source()) {
            why = fmt::format("node {} is itself {}", options_.id, holding_reason());
            return std::nullopt;
          }
          log(LogLevel::Info,
              fmt::format("sending node {} a copy of the datastore at index {}", from, served_));
          return TransferSource::Snapshot{serving_.current(), served_};
        });
    if (const auto* chunk = std::get_if<TransferChunk>(&reply))
      observer_->on_transfer_chunk_sent(chunk->payload.size());
    transport_.send(from, encode_transfer(reply));
    return;
  }
  if (const auto* refused = std::get_if<TransferRefused>(&message)) {
    const TransferProgress& p = sink_.progress();
    if (!sink_.active() || from != p.peer || refused->transfer_id != p.transfer_id) return;
    log(LogLevel::Warn, fmt::format("datastore transfer: node {} refused: {}; trying another peer",
                                    from, refused->reason));
    return start_transfer(true);
  }
  const auto& chunk = std::get<TransferChunk>(message);
  // The next chunk is asked for before this one is staged, so the source cuts it while this
  // node decodes and writes (a chunk staged in vain, a disk error, is asked for again).
  const TransferProgress& progress = sink_.progress();
  const bool ask_ahead = sink_.active() && !sink_.complete() && !chunk.last &&
                         from == progress.peer && chunk.transfer_id == progress.transfer_id &&
                         chunk.chunk == progress.chunks && chunk.index >= copy_needed_;
  if (ask_ahead)
    transport_.send(from, encode_transfer(TransferRequest{chunk.transfer_id, chunk.chunk + 1}));
  TransferSink::Step step = TransferSink::Step::Ignored;
  try {
    step = sink_.on_chunk(from, chunk);
  } catch (const DiskError& e) {
    on_disk_error(e);  // transfer_tick() starts over once the disk works
    return;
  } catch (const raft::DecodeError& e) {
    log(LogLevel::Warn, fmt::format("datastore transfer: bad chunk {} from node {}: {}; starting "
                                    "again with another peer",
                                    chunk.chunk, from, e.what()));
    return start_transfer(true);
  }
  if (step == TransferSink::Step::Ignored) return;
  // A source that has not served the import by copy this node waits for (it waits for it too,
  // or has not got there yet): another peer, before any more of it is copied.
  if (const TransferProgress& p = sink_.progress(); p.index < copy_needed_) {
    log(LogLevel::Info, fmt::format("datastore transfer: node {} serves index {}, before the "
                                    "import by copy at index {}; trying another peer",
                                    from, p.index, copy_needed_));
    return start_transfer(true);
  }
  transfer_asks_ = 1;
  transfer_deadline_ = clock_.now() + options_.transfer_timeout;
  if (step == TransferSink::Step::Complete) return install_transfer();
  if (!ask_ahead) transport_.send(from, encode_transfer(sink_.next_request()));
}

void Node::install_transfer() {
  const TransferProgress p = sink_.progress();
  if (p.index < state_.dropped_through() || p.index < store_.hw() || p.index < copy_needed_) {
    log(LogLevel::Warn,
        fmt::format("datastore transfer: node {}'s copy is at index {}, behind what this node "
                    "needs (dropped through {}, hw {}, import by copy at {}); trying another peer",
                    p.peer, p.index, state_.dropped_through(), store_.hw(), copy_needed_));
    return start_transfer(true);
  }
  const bool durable = !options_.bugs.transfer_before_fsync;
  // A copy of another node's import by copy does not finish this node's own import, which is
  // still to commit (and to be proposed again after a restart) if it has begun.
  const bool own_import_done = imported_ || import_remaining_ == 0;
  const std::string& file = durable ? store_.snapshot_file() : sink_.staged_file();
  try {
    // Durable before use: the staged file is fsynced and checked against the copy's running
    // checksum, then renamed to the store's snapshot (durable before anything is served or
    // acknowledged from it). The serving view is built from that file a piece at a time.
    finish_store_snapshot_job();  // the transfer replaces store.snap in turn
    sink_.finish(!durable);
    store_.install_snapshot_file(sink_.staged_file(), kSnapshotHeaderBytes + p.bytes, p.index,
                                 durable, own_import_done);
    // Its warnings (CNAME beside other data, ...) are about the source's data, logged there.
    serving_.load_streamed([&](const dns::Database::RecordVisitor& visit) {
      for_each_snapshot_record(disk_, file, visit);
    });
  } catch (const DiskError& e) {
    on_disk_error(e);
    return;
  } catch (const raft::DecodeError& e) {
    log(LogLevel::Warn, fmt::format("datastore transfer: the copy from node {} does not read "
                                    "back: {}; starting again",
                                    p.peer, e.what()));
    return start_transfer(true);
  }
  try {
    sink_.discard();
  } catch (const DiskError& e) {
    log(LogLevel::Warn, fmt::format("could not remove the transfer's staged files: {}", e.what()));
  }
  served_ = p.index;
  unstored_.clear();
  // The copy carries no history: the journal starts empty (an IXFR from before gets AXFR).
  journal_.clear();
  unjournaled_.clear();
  try {
    journal_store_.clear();
  } catch (const DiskError& e) {
    log(LogLevel::Warn, fmt::format("could not empty the IXFR journal: {}", e.what()));
  }
  imported_ = own_import_done;
  transfer_wanted_ = false;
  copy_needed_ = 0;
  observer_->on_store_synced(store_.durable_hw());
  observer_->on_transfer_installed(p.bytes, p.chunks);
  log(LogLevel::Info,
      fmt::format(
          "datastore copied from node {}: {} records at index {} ({} chunks, {} bytes, "
          "{} restarts{}); serving",
          p.peer, p.records, p.index, p.chunks, p.bytes, p.restarts,
          p.resumed_at ? fmt::format(", resumed at chunk {} after a restart", p.resumed_at) : ""));
  serve_pending_after(served_);
  maybe_ack();
}

}  // namespace engine
