#include "engine/node.h"

#include <fmt/core.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <set>

#include "dns/rdata.h"
#include "dns/types.h"
#include "dns/update.h"
#include "dns/zone_diff.h"
#include "engine/change_batches.h"
#include "engine/import_batch.h"
#include "engine/import_copy.h"
#include "engine/record_codec.h"
#include "raft/codec.h"
#include "raft/message.h"

namespace engine {

// One client write (or import batch) waiting to commit.
struct Node::Write {
  std::uint64_t request_id = 0;
  Bytes command;            // encoded ChangeBatch, re-proposed as is
  std::size_t changes = 0;  // 0 for an UPDATE
  bool update = false;
  dns::Change::Kind first_kind = dns::Change::Add;
  WriteCallback done;
  std::optional<TimePoint> deadline;  // none: import batches wait as long as it takes
  // An import batch forwarded to a leader of the same term is forwarded again only after
  // import_retry_interval (a window of them can take longer than retry_interval to commit).
  bool slow_forward_retry = false;
  bool import = false;  // an import batch or an import by copy
  TimePoint next_retry{};
  raft::ProposeResult::Kind proposed = raft::ProposeResult::Dropped;
  raft::Term proposed_term = 0;
  raft::NodeId proposed_leader = raft::kNoNode;  // where a forward went
  TimePoint proposed_at{};
};

// A local-store snapshot being written on options_.worker: the version it encodes (kept alive
// until it is done), the file, and what went wrong there.
struct Node::StoreSnapshotJob {
  std::shared_ptr<const dns::DatabaseVersion> version;
  LocalStore::VersionSnapshotFile file;
  std::exception_ptr error;
  // A checkpoint by snapshot: the served batches it stands for (not in the WAL), copied again
  // if it fails.
  std::vector<StoredBatch> covered;
};

namespace {

// Node::processing_ for one scope, cleared however the scope ends: a process() that a callback
// re-enters inside it returns at once, and the outer loop drains what the callback added.
class ProcessingScope {
 public:
  explicit ProcessingScope(bool& flag) : flag_(flag) { flag_ = true; }
  ~ProcessingScope() { flag_ = false; }
  ProcessingScope(const ProcessingScope&) = delete;
  ProcessingScope& operator=(const ProcessingScope&) = delete;

 private:
  bool& flag_;
};

// Stands in for the bootstrap voters on a joining node that knows no other node: raft and R
// need some configuration until the leader's snapshot (which carries the real one) arrives; a
// node that is no voter never campaigns, so nothing is ever sent to it.
constexpr NodeId kUnknownBootstrap = raft::kNoNode - 1;

std::vector<NodeId> bootstrap_members(const NodeOptions& options) {
  if (!options.join) return options.members;
  std::vector<NodeId> others;
  for (NodeId m : options.members)
    if (m != options.id) others.push_back(m);
  if (others.empty()) others.push_back(kUnknownBootstrap);
  return others;
}

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::string describe(const WriteResult& r) {
  switch (r.kind) {
    case WriteResult::Ok:
      return fmt::format("OK index={}", r.index);
    case WriteResult::Noop:
      return fmt::format("NOOP index={}", r.index);
    default:
      return r.message;
  }
}

}  // namespace

Node::Node(NodeOptions options, Transport& transport, Clock& clock, Disk& disk, Random& random,
           dns::Database& serving, NodeObserver* observer)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      random_(random),
      disk_(disk),
      serving_(serving),
      observer_(observer ? observer : &null_observer_),
      raft_store_(disk, "raft"),
      store_(disk, "store"),
      state_(bootstrap_members(options_)),
      journal_(options_.journal),
      journal_store_(disk, "journal.log"),
      source_(options_.transfer_chunk_bytes),
      sink_(disk, "xfer.part") {
  sink_.set_sync_bytes(options_.transfer_sync_bytes);
  if (!options_.join && std::find(options_.members.begin(), options_.members.end(), options_.id) ==
                            options_.members.end())
    throw std::invalid_argument(fmt::format("node {} is not among the members", options_.id));
  state_.set_drop_on_majority(options_.bugs.drop_on_majority_ack);
  state_.set_keep_removed_acks(options_.bugs.keep_removed_acks);
  state_.set_ignore_pending_bound(options_.bugs.ignore_pending_bound);
  if (options_.max_pending_bytes < kMinPendingBound)
    throw std::invalid_argument(fmt::format("max_pending_bytes: {} is below the minimum of {}",
                                            options_.max_pending_bytes, kMinPendingBound));
}

Node::~Node() {
  // The worker reads the version and writes through disk_: neither may go before it is done.
  if (store_snapshot_job_ && options_.worker) options_.worker->wait();
  if (tick_timer_) clock_.cancel_timer(*tick_timer_);
  if (checkpoint_timer_) clock_.cancel_timer(*checkpoint_timer_);
  if (early_checkpoint_timer_) clock_.cancel_timer(*early_checkpoint_timer_);
  if (process_timer_) clock_.cancel_timer(*process_timer_);
  if (disk_retry_timer_) clock_.cancel_timer(*disk_retry_timer_);
  if (slice_timer_) clock_.cancel_timer(*slice_timer_);
}

void Node::log(LogLevel level, const std::string& message) const {
  if (options_.log) options_.log(level, message);
}

void Node::start(std::vector<dns::Record> zone_records) {
  if (started_) throw std::logic_error("node started twice");
  started_ = true;

  // 1. The local datastore is the serving view's base: what this node has durably copied.
  LocalStoreContents contents = store_.load();
  serving_.load(std::move(contents.snapshot_records));
  serving_.begin_batch();  // one version for the whole WAL
  for (const StoredBatch& batch : contents.batches) serving_.apply(batch.changes);
  serving_.publish_batch();
  served_ = contents.hw;
  journal_store_.load(contents.hw, journal_, contents.warnings);
  // An import by copy staged before a restart (engine/import_copy.h): kept until the local
  // datastore holds it.
  import_file_ = disk_.read_range(kImportFile, 0, 1).has_value();
  for (const std::string& w : contents.warnings) log(LogLevel::Warn, w);
  if (!contents.initialized) store_.initialize();
  imported_ = contents.imported;
  // An import by copy of this node's that R still holds may have to be served from the zone
  // file (its import file lost with a wiped directory); maybe_drop_import_file() frees it.
  if (imported_ && !options_.join) zone_fallback_ = std::move(zone_records);
  load_identity();
  // A copy cut short by a restart resumes from its last staged chunk, if it is still needed.
  if (const std::string staged = sink_.recover(); !staged.empty())
    log(LogLevel::Info, fmt::format("datastore transfer: {}", staged));
  log(LogLevel::Info,
      fmt::format("local datastore: hw={} ({} batches in the WAL){}", contents.hw,
                  contents.batches.size(), contents.initialized ? "" : ", first boot"));

  // 2. Raft from its own storage; R comes back from raft's snapshot and log.
  raft::Restored restored = raft_store_.load();
  observer_->on_raft_restored(restored);
  if (restored.snapshot) {
    state_.restore(restored.snapshot->data, restored.snapshot->meta.index);
    observer_->on_applied(state_.applied(), state_.hash());
    last_compaction_ = state_.applied();
    check_cluster_identity();  // throws IdentityError: no raft yet, the node refuses to start
    serve_pending_after(served_);
  }
  raft::Config config;
  config.id = options_.id;
  config.voters = bootstrap_members(options_);
  config.election_ticks = options_.election_ticks;
  config.heartbeat_ticks = options_.heartbeat_ticks;
  config.pre_vote = options_.pre_vote;
  config.check_quorum = options_.check_quorum;
  config.max_snapshot_chunk_bytes = options_.max_snapshot_chunk_bytes;
  config.seed = random_.next_u64();
  config.bugs = options_.raft_bugs;
  config.leader_sends_before_persist = true;
  const bool first_boot =
      restored.entries.empty() && !restored.snapshot && restored.hard_state.term == 0;
  raft_ = std::make_unique<raft::Raft>(config, std::move(restored));
  apply_vote_gate();  // before the first tick: a wiped node must not vote as its old self
  if (options_.fast_first_election && first_boot)
    for (int i = 1; i < options_.election_ticks; ++i) raft_->tick();

  tick_timer_ = clock_.start_timer(options_.tick, [this] { on_tick(); });
  checkpoint_timer_ = clock_.start_timer(options_.checkpoint_interval, [this] { on_checkpoint(); });
  members_changed();
  process();
  // A joining node never imports: the cluster already has its data.
  if (options_.join) zone_records.clear();
  if (awaiting_decision_) {
    zone_records_ = std::move(zone_records);
    propose_rejoin();
    process();
  } else if (!imported_) {
    start_import(std::move(zone_records));
  }
}

void Node::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (tick_timer_) clock_.cancel_timer(*tick_timer_);
  if (checkpoint_timer_) clock_.cancel_timer(*checkpoint_timer_);
  if (early_checkpoint_timer_) clock_.cancel_timer(*early_checkpoint_timer_);
  if (process_timer_) clock_.cancel_timer(*process_timer_);
  if (disk_retry_timer_) clock_.cancel_timer(*disk_retry_timer_);
  if (slice_timer_) clock_.cancel_timer(*slice_timer_);
  slice_timer_.reset();
  tick_timer_.reset();
  checkpoint_timer_.reset();
  early_checkpoint_timer_.reset();
  process_timer_.reset();
  disk_retry_timer_.reset();
  publish_served();  // nothing is open between bursts; this only keeps that true
  // Written records need not become durable (nobody was told of them), but a stopping node
  // should leave its log as a clean shutdown would.
  if (log_sync_in_flight_) options_.log_syncer->wait();
  try {
    finish_store_snapshot_job();
  } catch (const DiskError& e) {
    log(LogLevel::Warn, fmt::format("local datastore snapshot not finished: {}", e.what()));
  }
  auto writes = std::move(writes_);
  writes_.clear();
  for (auto& [id, write] : writes)
    write->done({WriteResult::Stopped, 0, 0, 0, "ERROR node stopping: not committed"});
  auto changes = std::move(conf_changes_);
  conf_changes_.clear();
  for (ConfChangeWait& change : changes)
    change.done({WriteResult::Stopped, 0, 0, 0, "ERROR node stopping: check MEMBERS"});
}

void Node::peer_lost(NodeId from) {
  if (!started_ || stopped_ || disk_fault_ || !raft_) return;
  raft_->peer_lost(from);
}

void Node::receive(NodeId from, ByteView bytes) {
  // Disk-faulted: raft stays as it was when its Ready failed, so the Ready can be redone as is.
  if (!started_ || stopped_ || disk_fault_) return;
  if (is_transfer_message(bytes)) return on_transfer_message(from, bytes);
  raft::Message message;
  try {
    message = raft::decode(bytes);
  } catch (const raft::DecodeError& e) {
    log(LogLevel::Warn,
        fmt::format("dropped a malformed message from node {}: {}", from, e.what()));
    return;
  }
  if (message.from != from) {
    log(LogLevel::Warn, fmt::format("dropped a message from node {} claiming to be from node {}",
                                    from, message.from));
    return;
  }
  last_heard_[from] = clock_.now();
  raft_->step(message);
  process_soon();
}

Node::WriteCallback Node::observed(WriteCallback done) {
  return [this, done = std::move(done)](const WriteResult& result) {
    observer_->on_write_answered(result);
    done(result);
  };
}

void Node::submit(std::vector<dns::Change> changes, WriteCallback done) {
  submit_changes(std::move(changes), observed(std::move(done)));
}

void Node::submit_changes(std::vector<dns::Change> changes, WriteCallback done) {
  if (!started_ || stopped_) {
    done({WriteResult::Stopped, 0, 0, 0, "ERROR node stopping: not committed"});
    return;
  }
  if (changes.empty()) {
    done({WriteResult::Invalid, 0, 0, 0, "ERROR invalid write: no changes"});
    return;
  }
  if (disk_fault_) {
    done({WriteResult::DiskFault, 0, 0, 0,
          fmt::format("ERROR disk fault on this node ({}): write not accepted; send it to "
                      "another node",
                      disk_fault_->summary)});
    return;
  }
  for (const dns::Change& c : changes) {
    if (c.record.rclass != dns::rclass::IN) {
      done({WriteResult::Invalid, 0, 0, 0,
            fmt::format("ERROR invalid record: {}: only class IN is served",
                        c.record.owner.to_text())});
      return;
    }
  }
  if (const std::size_t bytes = encoded_changes_size(changes); bytes > options_.max_batch_bytes) {
    done({WriteResult::Invalid, 0, 0, 0,
          fmt::format("ERROR write too large: {} changes take {} bytes, above the limit of {} "
                      "bytes for one batch; send them in smaller writes",
                      changes.size(), bytes, options_.max_batch_bytes)});
    return;
  }
  // Waiting for the REJOIN decision, a write is proposed as usual and answered once the node
  // serves again; while it copies a peer's datastore it is refused (that can take long).
  if (transfer_wanted_) {
    done({WriteResult::Copying, 0, 0, 0,
          fmt::format("ERROR this node is {}: write not accepted; send it to another node",
                      holding_reason())});
    return;
  }
  submit_batch(std::move(changes), std::move(done), false);
}

std::uint64_t Node::submit_batch(std::vector<dns::Change> changes, WriteCallback done,
                                 bool no_deadline, bool import) {
  auto write = std::make_unique<Write>();
  do {
    write->request_id = random_.next_u64();
  } while (write->request_id == 0 || writes_.contains(write->request_id));
  write->changes = changes.size();
  write->first_kind = changes.front().kind;
  write->command =
      encode_command(ChangeBatch{options_.id, write->request_id, std::move(changes), import});
  write->done = std::move(done);
  if (!no_deadline) write->deadline = clock_.now() + options_.write_timeout;
  write->slow_forward_retry = import;
  write->import = import;
  const std::uint64_t id = write->request_id;
  propose_new(std::move(write));
  return id;
}

void Node::propose_import(Bytes command, std::uint64_t request_id, std::size_t changes) {
  // One small entry (an import by copy): a lost forward is retried every retry_interval, not
  // after import_retry_interval, so the import commits before clients change its zones.
  auto write = std::make_unique<Write>();
  write->request_id = request_id;
  write->changes = changes;
  write->command = std::move(command);
  write->done = [this](const WriteResult& r) { on_import_batch_answered(r); };
  write->import = true;
  propose_new(std::move(write));
}

void Node::propose_new(std::unique_ptr<Write> write) {
  Write& w = *write;
  writes_.emplace(w.request_id, std::move(write));
  propose_write(w);
  process_soon();
}

std::optional<WriteResult> Node::refuse_write() const {
  if (!started_ || stopped_)
    return WriteResult{WriteResult::Stopped, 0, 0, 0, "ERROR node stopping: not committed"};
  if (disk_fault_)
    return WriteResult{WriteResult::DiskFault, 0, 0, 0,
                       fmt::format("ERROR disk fault on this node ({}): write not accepted; "
                                   "send it to another node",
                                   disk_fault_->summary)};
  return std::nullopt;
}

void Node::submit_update(dns::update::Request request, WriteCallback done) {
  done = observed(std::move(done));
  if (auto refused = refuse_write()) return done(*refused);
  auto write = std::make_unique<Write>();
  do {
    write->request_id = random_.next_u64();
  } while (write->request_id == 0 || writes_.contains(write->request_id));
  write->update = true;
  write->command =
      encode_command(UpdateCommand{options_.id, write->request_id, std::move(request)});
  if (write->command.size() > options_.max_batch_bytes)
    return done({WriteResult::Invalid, 0, 0, 0,
                 fmt::format("ERROR update too large: {} bytes, above the limit of {} bytes for "
                             "one entry",
                             write->command.size(), options_.max_batch_bytes)});
  write->done = std::move(done);
  write->deadline = clock_.now() + options_.write_timeout;
  propose_new(std::move(write));
}

void Node::propose_write(Write& write) {
  if (disk_fault_) {  // proposed once the disk works again
    write.proposed = raft::ProposeResult::Dropped;
    write.next_retry = clock_.now();
    return;
  }
  const raft::ProposeResult result = raft_->propose(write.command);
  write.proposed = result.kind;
  write.proposed_term = raft_->term();
  write.proposed_leader = result.leader;
  write.proposed_at = clock_.now();
  write.next_retry = clock_.now() + options_.retry_interval;
}

void Node::retry_and_expire_writes() {
  const TimePoint now = clock_.now();
  std::vector<std::uint64_t> expired;
  for (auto& [id, write] : writes_) {
    if (write->deadline && now >= *write->deadline) {
      expired.push_back(id);
      continue;
    }
    if (now < write->next_retry || disk_fault_) continue;
    // An entry in our own log as leader of the same term commits once a quorum answers; a
    // forward may have been lost and a term change may have truncated it: propose again (R
    // skips the duplicate if both copies commit).
    const bool still_ours = write->proposed == raft::ProposeResult::Appended &&
                            raft_->role() == raft::Role::Leader &&
                            raft_->term() == write->proposed_term;
    // An import batch (no deadline) forwarded to the leader that is still leader of the same
    // term waits longer: its window may take more than retry_interval to commit.
    const bool import_forwarded =
        write->slow_forward_retry && write->proposed == raft::ProposeResult::Forwarded &&
        raft_->leader() == write->proposed_leader && raft_->term() == write->proposed_term &&
        now < write->proposed_at + options_.import_retry_interval;
    if (still_ours || import_forwarded)
      write->next_retry = now + options_.retry_interval;
    else
      propose_write(*write);
  }
  for (std::uint64_t id : expired) {
    const raft::NodeId leader = raft_->leader();
    if (disk_fault_)
      finish(id, {WriteResult::DiskFault, 0, 0, 0,
                  fmt::format("ERROR disk fault on this node ({}): not committed within {} ms; "
                              "it was not applied here, but may still commit if a leader "
                              "received it",
                              disk_fault_->summary, ms_text(options_.write_timeout))});
    else
      finish(id,
             {WriteResult::NoQuorum, 0, 0, 0,
              fmt::format("ERROR no quorum: not committed within {} ms (leader: {}); it was "
                          "not applied, but may still commit if a leader received it",
                          ms_text(options_.write_timeout),
                          leader == raft::kNoNode ? std::string("none") : std::to_string(leader))});
  }
}

void Node::finish(std::uint64_t request_id, const WriteResult& result) {
  auto it = writes_.find(request_id);
  if (it == writes_.end()) return;
  std::unique_ptr<Write> write = std::move(it->second);
  writes_.erase(it);
  write->done(result);
}

void Node::on_tick() {
  tick_timer_ = clock_.start_timer(options_.tick, [this] { on_tick(); });
  if (disk_fault_) {  // raft stays frozen; writes waiting here still time out
    retry_and_expire_writes();
    return;
  }
  raft_->tick();
  retry_and_expire_writes();
  expire_conf_changes();
  maybe_promote_learners();
  maybe_propose_pending_bound();
  if (awaiting_decision_ && clock_.now() >= next_rejoin_) propose_rejoin();
  transfer_tick();
  process();
}

void Node::on_checkpoint() {
  checkpoint_timer_ = clock_.start_timer(options_.checkpoint_interval, [this] { on_checkpoint(); });
  if (disk_fault_) return;  // retry_disk() redoes a failed checkpoint
  checkpoint();
  drop_stale_staged_copy();
  process();
}

void Node::checkpoint_soon() {
  // A running local-store snapshot holds the WAL; its end checkpoints anyway.
  if (early_checkpoint_timer_ || disk_fault_ || store_snapshot_job_ || stopped_) return;
  early_checkpoint_timer_ = clock_.start_timer(Duration::zero(), [this] {
    early_checkpoint_timer_.reset();
    if (disk_fault_ || stopped_) return;
    checkpoint();
    process();
  });
}

void Node::drop_stale_staged_copy() {
  // A copy recovered after a restart that the node turned out not to need (its datastore got
  // at least as far without it) would only hold disk space.
  if (transfer_wanted_ || !sink_.active() || store_.hw() < sink_.progress().index) return;
  log(LogLevel::Info,
      fmt::format("datastore transfer: the staged copy at index {} is not needed (local datastore "
                  "hw={}); removed",
                  sink_.progress().index, store_.hw()));
  try {
    sink_.discard();
  } catch (const DiskError& e) {
    on_disk_error(e);
  }
}

void Node::process_soon() {
  if (!options_.coalesce_io) return process();
  if (process_timer_) return;
  process_timer_ = clock_.start_timer(Duration::zero(), [this] {
    process_timer_.reset();
    process();
  });
}

void Node::process() {
  if (processing_) return;  // a callback re-entered us; the outer loop drains what it added
  if (disk_fault_) return;  // retry_disk() finishes the Ready that failed first
  if (log_sync_in_flight_) return apply_during_log_sync();  // log_sync_done() goes on
  {
    const ProcessingScope scope(processing_);
    while (!disk_fault_ && !log_sync_in_flight_) {
      while (!disk_fault_ && !log_sync_in_flight_ && raft_->has_ready()) {
        raft::Ready ready = raft_->ready();
        send_early(ready);
        if (syncs_off_thread(ready)) {
          start_log_sync(std::move(ready));
          break;
        }
        // A Ready whose persistence failed is held, not advanced: raft must not count on it.
        if (finish_ready(ready, false)) raft_->advance();
      }
      if (disk_fault_ || log_sync_in_flight_) break;
      maybe_compact_raft();
      if (!raft_->has_ready()) break;
    }
  }
  publish_served();  // every burst publishes its own; this only keeps that true

  const raft::Status s = raft_->status();
  if (s.leader != raft::kNoNode && (s.leader != last_leader_ || s.term != last_leader_term_)) {
    ++leader_changes_;
    last_leader_term_ = s.term;
  }
  if (s.role != last_role_ || s.leader != last_leader_) {
    if (s.role == raft::Role::Leader)
      log(LogLevel::Info, fmt::format("became leader in term {}", s.term));
    else if (s.leader != raft::kNoNode)
      log(LogLevel::Info, fmt::format("leader is node {} (term {})", s.leader, s.term));
    else if (last_leader_ != raft::kNoNode)
      log(LogLevel::Info,
          fmt::format("lost the leader (term {}, role {})", s.term, raft::to_string(s.role)));
    last_role_ = s.role;
    last_leader_ = s.leader;
  }
}

void Node::send_early(const raft::Ready& ready) {
  // A leader's appends may leave before its own write (raft thesis 10.2.1: the leader counts
  // itself only once persisted), overlapping its fsync with the followers'. Everything else
  // (votes, append responses) only after the write is durable.
  send_all(ready.early_messages);
}

void Node::send_all(const std::vector<raft::Message>& messages) {
  for (const raft::Message& m : messages) {
    observer_->on_raft_sent(m);
    transport_.send(m.to, raft::encode(m));
  }
}

bool Node::finish_ready(raft::Ready& ready, bool saved) {
  // A follower's acks go first: a leader waits for them, while nobody waits for the follower's
  // own copy of earlier entries (it answers no writes in the usual case).
  if (!saved && raft_->role() == raft::Role::Leader) apply_stored_committed(ready);
  try {
    if (!saved) {
      raft_store_.save(ready);
      saved = true;
      observer_->on_raft_persisted(ready);
    }
    if (ready.compacted_snapshot) raft_store_.compact(ready.compacted_snapshot->meta.index);
  } catch (const DiskError& e) {
    held_ready_ = std::move(ready);
    held_ready_saved_ = saved;
    on_disk_error(e);
    return false;
  }
  send_all(ready.messages);
  if (ready.snapshot) install(*ready.snapshot);
  for (const raft::Entry& entry : ready.committed) apply(entry);
  publish_served();
  return true;
}

bool Node::syncs_off_thread(const raft::Ready& ready) const {
  // A snapshot (received or compacted) rewrites the log with replace(), which is durable on
  // return and must not race an fsync of the file it replaces: those Readys stay inline.
  //
  // Only a leader's: it has work to do while its write syncs (acks of earlier bursts to apply
  // and answer, new writes to send to the followers). A follower has none worth two thread
  // hops per Ready, which add up on a loaded machine: its answers wait for the sync anyway, and
  // what arrives meanwhile waits in its socket for the next Ready, as it would in raft's memory
  // (update_bench, 32 clients: 8.4k and 9.8k writes/s against 6.5k and 7.8k with the follower's
  // syncs off its thread too).
  return options_.log_syncer != nullptr && raft_->role() == raft::Role::Leader && !ready.snapshot &&
         !ready.compacted_snapshot && raft_store_.needs_sync(ready);
}

void Node::start_log_sync(raft::Ready ready) {
  try {
    raft_store_.write(ready);
  } catch (const DiskError& e) {
    held_ready_ = std::move(ready);  // written again, and synced inline, by retry_disk()
    held_ready_saved_ = false;
    on_disk_error(e);
    return;
  }
  // Taken after the write, which may fail: a held Ready keeps them.
  std::vector<raft::Entry> stored = take_stored_committed(ready);
  // Until the sync returns this thread goes on receiving: votes granted and entries appended
  // meanwhile stay in raft's memory, and what they answer waits for the next Ready's sync.
  log_sync_in_flight_ = true;
  auto pending = std::make_shared<raft::Ready>(std::move(ready));
  auto error = std::make_shared<std::exception_ptr>();
  std::weak_ptr<bool> alive = alive_;
  options_.log_syncer->run(
      [&disk = disk_, name = raft_store_.log_name(), error] {
        try {
          disk.sync(name);
        } catch (...) {
          *error = std::current_exception();
        }
      },
      [this, alive, pending, error] {
        if (!alive.expired()) log_sync_done(*pending, *error);
      });
  // Only now, with the fsync running: the new entries' sync need not wait for this work.
  for (const raft::Entry& entry : stored) apply(entry);
  publish_served();
}

void Node::apply_during_log_sync() {
  // A leader's appends of what was proposed meanwhile need not wait for its own sync either
  // (raft thesis 10.2.1, as send_early): the followers' writes overlap this one, and the next
  // Ready writes those entries here.
  send_all(raft_->take_early_messages());
  // Acks that arrive while this node's own write syncs may commit entries it already holds on
  // disk (a leader's previous burst, say): their writers need not wait for the running sync,
  // which holds only later entries.
  std::vector<raft::Entry> committed = raft_->take_stable_committed();
  if (committed.empty()) return;
  {
    const ProcessingScope scope(processing_);
    for (const raft::Entry& entry : committed) apply(entry);
  }
  publish_served();
}

void Node::log_sync_done(raft::Ready& ready, std::exception_ptr error) {
  log_sync_in_flight_ = false;
  if (stopped_) return;
  try {
    if (error) std::rethrow_exception(error);
  } catch (const DiskError& e) {
    // After a failed fsync nothing written since the last good one can be trusted: restart.
    held_ready_ = std::move(ready);
    held_ready_saved_ = false;
    on_disk_error(e);
    return;
  }
  raft_store_.synced();
  observer_->on_raft_persisted(ready);
  // Inside process() for what finish_ready() runs: a write answered there may propose again
  // (the simulator's clients do, at once), and that process() must wait for advance(), or raft
  // hands this Ready's entries out a second time in a new one, whose committed entries then
  // wait for its sync while later ones apply during it (laggard-transfer, seed 1,
  // --log-sync-us 20000: "applying index 14 after 7"). The process() below takes it.
  bool finished = false;
  {
    const ProcessingScope scope(processing_);
    finished = finish_ready(ready, true);
  }
  if (finished) raft_->advance();
  process();
}

std::vector<raft::Entry> Node::take_stored_committed(raft::Ready& ready) {
  // Group commit, the answering half: the writes of one burst share an entry batch and one
  // fsync; their answers should not also wait for the NEXT burst's fsync. Committed entries this
  // node already has on disk (all of a leader's: it counts itself only for what it persisted)
  // are applied, and their writers answered, without waiting for this Ready's fsync: a leader
  // applies them while its sync runs (start_log_sync), inline before its write (finish_ready).
  // Entries of this Ready itself, and everything after a received snapshot, keep the usual
  // order. Applying a committed entry twice is a no-op, so a Ready held after a disk error may
  // carry them still.
  if (ready.snapshot) return {};
  raft::Index stored = raft_store_.last_index();
  if (!ready.entries.empty()) stored = std::min(stored, ready.entries.front().index - 1);
  std::size_t n = 0;
  while (n < ready.committed.size() && ready.committed[n].index <= stored) ++n;
  std::vector<raft::Entry> taken(std::make_move_iterator(ready.committed.begin()),
                                 std::make_move_iterator(ready.committed.begin() + n));
  ready.committed.erase(ready.committed.begin(), ready.committed.begin() + n);
  return taken;
}

void Node::apply_stored_committed(raft::Ready& ready) {
  for (const raft::Entry& entry : take_stored_committed(ready)) apply(entry);
  publish_served();
}

void Node::on_disk_error(const DiskError& error) {
  DiskFaultStatus fault;
  fault.summary = fmt::format("{}:{}:{}", error.code(), error.file(), error.operation());
  fault.message = error.what();
  fault.restart_needed = !error.retry_safe() || (disk_fault_ && disk_fault_->restart_needed);
  const bool changed = !disk_fault_ || disk_fault_->summary != fault.summary ||
                       disk_fault_->restart_needed != fault.restart_needed;
  if (disk_fault_) fault.retries = disk_fault_->retries + 1;
  disk_fault_ = fault;
  ++disk_errors_;
  // Logged once per state change, not once per retry.
  if (changed && fault.restart_needed) {
    log(LogLevel::Error,
        fmt::format("disk fault: {}; this cannot be retried safely ({}): serving queries from "
                    "memory and acknowledging nothing; restart this node to recover from its "
                    "durable state",
                    fault.message,
                    error.operation() == "fsync"
                        ? "after a failed fsync the kernel may have dropped the unwritten data"
                        : "a partial write could not be undone"));
  } else if (changed) {
    log(LogLevel::Error,
        fmt::format("disk fault: {}; serving queries from memory, acknowledging nothing (no "
                    "votes, appends, ACKs or client writes) until the disk works again; "
                    "retrying every {} ms",
                    fault.message, ms_text(options_.disk_retry_interval)));
  }
  if (!fault.restart_needed && !disk_retry_timer_ && !stopped_)
    disk_retry_timer_ = clock_.start_timer(options_.disk_retry_interval, [this] { retry_disk(); });
}

void Node::retry_disk() {
  disk_retry_timer_.reset();
  if (!disk_fault_ || disk_fault_->restart_needed || stopped_) return;
  const std::uint64_t errors_before = disk_errors_;
  // The failed step first, in the order they happen, so every file sees its writes in order.
  try {
    if (identity_due_) {
      write_identity(disk_, identity_);
      identity_due_ = false;
    }
    if (mark_imported_due_) mark_imported();
    if (checkpoint_due_ || store_snapshot_due_) {
      store_served();
      checkpoint_due_ = false;
    }
  } catch (const DiskError& e) {
    on_disk_error(e);
    return;
  }
  if (held_ready_) {
    raft::Ready ready = std::move(*held_ready_);
    held_ready_.reset();
    if (!finish_ready(ready, held_ready_saved_)) return;
    raft_->advance();
  }
  // A step above failed again (an import mark applied with the Ready, say): still faulted.
  if (disk_errors_ != errors_before) return;
  log(LogLevel::Info, fmt::format("disk recovered after {} failed retries: resuming ({} is over)",
                                  disk_fault_->retries, disk_fault_->summary));
  disk_fault_.reset();
  maybe_ack();
  process();
}

void Node::install(const raft::Snapshot& snapshot) {
  if (snapshot.meta.index <= state_.applied()) return;
  state_.restore(snapshot.data, snapshot.meta.index);
  observer_->on_applied(state_.applied(), state_.hash());
  last_compaction_ = snapshot.meta.index;
  members_changed();
  check_cluster_identity();
  check_rejoin_decision();
  // Its own promotion may be inside the snapshot (a learner far behind): a voter no longer to
  // be demoted was promoted at or before the snapshot's term.
  if (state_.members().membership.is_voter(options_.id) &&
      !state_.identity().to_demote.contains(options_.id))
    on_own_promotion(snapshot.meta.term);
  serve_pending_after(served_);
}

void Node::serve_pending_after(raft::Index index) {
  // Everything this node has not served is still pending unless R dropped batches above
  // `index` (this node's datastore was wiped, lost batches it had acknowledged, or it is new):
  // then only a peer's datastore has them, and serving the rest would be partial data.
  if (holding()) return;  // served once the REJOIN decision or the transfer is in
  // The local datastore may hold more than the last served batch: a learner's ack marks it
  // with the index it acknowledged (maybe_ack_as_learner), past entries that are no batches. R
  // may have dropped through that ack, which is no gap.
  if (const raft::Index dropped = state_.dropped_through();
      dropped > std::max(index, store_.hw())) {
    log(LogLevel::Warn,
        fmt::format("local datastore is behind what the cluster dropped from pending (served={}, "
                    "dropped through {}): copying a peer's datastore; until then zones this node "
                    "lacks are answered REFUSED and writes are refused",
                    index, dropped));
    observer_->on_transfer_needed(index, dropped);
    start_transfer(false);
    return;
  }
  for (auto it = state_.pending().upper_bound(index); it != state_.pending().end(); ++it)
    serve(it->first, it->second);
  publish_served();
}

void Node::serve(raft::Index index, const ChangeBatch& batch) {
  if (holding()) return;  // serve_pending_after() serves it from pending later
  // An import by copy is served only from the records it names; without them this node copies
  // a datastore that has served it, and serves nothing after it until then.
  // The records are taken, not copied (a million of them): a restart reads the import file
  // again, and the same records proposed again are a duplicate R skips.
  std::optional<std::vector<dns::Change>> copied_import;
  if (batch.copy) {
    if (!own_import_records(batch)) return wait_for_import_copy(index, batch);
    copied_import = std::move(own_import_->adds);
    own_import_.reset();
  }
  // Served entries share one new version of the serving database, published (and their writers
  // answered) by publish_served() at the end of the burst.
  serving_.begin_batch();
  // An UPDATE becomes changes here: evaluated against the serving database, which holds exactly
  // the batches before `index` on every replica (served in log order), so all agree.
  const PendingUpdate* update = state_.pending_update(index);
  std::optional<ChangeBatch> evaluated;
  std::uint16_t rcode = 0;
  if (update) {
    dns::update::Outcome outcome = dns::update::evaluate(*serving_.latest(), update->request);
    rcode = outcome.rcode;
    evaluated = ChangeBatch{batch.origin, batch.request_id, std::move(outcome.changes)};
    if (rcode != dns::rcode::NOERROR)
      log(LogLevel::Debug, fmt::format("update at index {}: {} ({})", index,
                                       dns::update::rcode_text(rcode), outcome.detail));
  }
  // An import batch's SOA never sets an existing zone's serial back (engine/import_batch.h).
  if (batch.import)
    evaluated =
        ChangeBatch{batch.origin, batch.request_id,
                    copied_import ? import_changes(*serving_.latest(), std::move(*copied_import))
                                  : import_changes(*serving_.latest(), batch.changes),
                    true};
  // A large import is applied a slice per turn of the event loop: raft goes on meanwhile.
  if (batch.copy && options_.import_slice != 0 && evaluated->changes.size() > options_.import_slice)
    return start_sliced_import(index, batch, std::move(evaluated->changes));
  const ChangeBatch& served = evaluated ? *evaluated : batch;
  std::optional<dns::DiffBase> before;
  if (index > store_.hw() && !batch.import)
    before = dns::diff_base(*serving_.latest(), served.changes);
  const dns::ApplyResult result = serving_.apply(served.changes);
  finish_serving(index, batch, std::move(evaluated), before, result, update, rcode);
}

void Node::finish_serving(raft::Index index, const ChangeBatch& batch,
                          std::optional<ChangeBatch> evaluated,
                          const std::optional<dns::DiffBase>& before,
                          const dns::ApplyResult& result, const PendingUpdate* update,
                          std::uint16_t rcode) {
  const ChangeBatch& served = evaluated ? *evaluated : batch;
  const bool journaled = index > store_.hw();
  served_ = index;
  if (journaled) {
    if (before)
      record_diffs(index, *before, served.changes);
    else
      reset_journals(index, served.changes);
  }
  observer_->on_served(index, served, result);
  // Evaluated changes (an UPDATE's, an import's) are this call's own: moved, not copied (an
  // import batch is 1024 records). `served` is not used below.
  if (journaled) {
    unstored_.push_back({index, evaluated ? std::move(evaluated->changes) : served.changes});
    if (options_.checkpoint_batches != 0 && unstored_.size() >= options_.checkpoint_batches)
      checkpoint_soon();
  }
  if (batch.origin != options_.id || !writes_.contains(batch.request_id)) return;
  WriteResult reply;
  reply.index = index;
  reply.applied = result.applied;
  reply.noops = result.noops;
  reply.rcode = rcode;
  reply.kind = result.applied == 0 && !update ? WriteResult::Noop : WriteResult::Ok;
  const Write& write = *writes_.at(batch.request_id);
  if (update)
    reply.message = fmt::format("UPDATE {} index={} applied={}", dns::update::rcode_text(rcode),
                                index, result.applied);
  else if (reply.kind == WriteResult::Noop && write.changes == 1)
    reply.message = fmt::format(
        "NOOP {} index={}",
        write.first_kind == dns::Change::Add ? "already present" : "not present", index);
  else if (result.noops > 0)
    reply.message =
        fmt::format("{} (applied={} noops={})", describe(reply), result.applied, result.noops);
  else
    reply.message = describe(reply);
  unanswered_.emplace_back(batch.request_id, std::move(reply));
}

void Node::start_sliced_import(raft::Index index, const ChangeBatch& batch,
                               std::vector<dns::Change> changes) {
  // What was served before it is shown (and answered) now: current() is then the state as of
  // served_ for whoever reads it meanwhile (a store snapshot, a datastore transfer).
  publish_served();
  serving_.begin_batch();
  sliced_ = SlicedImport{index, ChangeBatch{batch.origin, batch.request_id, {}, true, batch.copy},
                         std::move(changes)};
  log(LogLevel::Info, fmt::format("serving the import by copy at index {}: {} records, {} at a "
                                  "time",
                                  index, sliced_->changes.size(), options_.import_slice));
  slice_timer_ = clock_.start_timer(Duration::zero(), [this] { serve_import_slice(); });
}

void Node::serve_import_slice() {
  slice_timer_.reset();
  if (!sliced_ || stopped_) return;
  SlicedImport& s = *sliced_;
  const std::size_t end = std::min(s.changes.size(), s.next + options_.import_slice);
  serving_.apply_part(std::span<const dns::Change>(s.changes).subspan(s.next, end - s.next),
                      s.parts);
  s.next = end;
  if (end < s.changes.size()) {
    slice_timer_ = clock_.start_timer(Duration::zero(), [this] { serve_import_slice(); });
    return;
  }
  serving_.finish_parts(s.parts);
  SlicedImport done = std::move(*sliced_);
  sliced_.reset();
  ChangeBatch evaluated = done.batch;
  evaluated.changes = std::move(done.changes);
  finish_serving(done.index, done.batch, std::move(evaluated), std::nullopt, done.parts.result,
                 nullptr, 0);
  // What committed meanwhile waited in pending.
  serve_pending_after(served_);
  process();
}

void Node::answer_duplicate_import(const ApplyOutcome& outcome) {
  // An import of this node's proposed again (a retry, or from the import file after a restart)
  // whose first copy committed: it will not be served here as such (this node may even have
  // taken the first one inside a peer's datastore), but it is committed, which is all an import
  // waits for. A client write is answered only once served, never here.
  if (outcome.origin != options_.id) return;
  auto it = writes_.find(outcome.request_id);
  if (it == writes_.end() || !it->second->import) return;
  finish(outcome.request_id, {WriteResult::Noop, 0, 0, 0, "NOOP import already committed"});
}

void Node::publish_served() {
  // A large import being applied a slice at a time is not shown half done.
  if (sliced_) return;
  // Readers (queries, IXFR, NOTIFY) see every batch served so far at once; only then are their
  // writers answered, so an answered write is visible on this node.
  serving_.publish_batch();
  std::vector<std::pair<std::uint64_t, WriteResult>> answers = std::move(unanswered_);
  unanswered_.clear();
  for (auto& [request_id, reply] : answers) finish(request_id, reply);
}

void Node::record_diffs(raft::Index index, const dns::DiffBase& before,
                        const std::vector<dns::Change>& changes) {
  // Every replica serves the same batches in the same order, so each computes the same diffs:
  // an IXFR from any node at a serial gives the same answer.
  dns::VersionDiff vd =
      dns::diff_from(before, *serving_.latest(), changes, options_.journal.max_bytes);
  if (vd.diffs.empty() && vd.reset.empty()) return;
  JournalBatch entry{index, std::move(vd.reset), std::move(vd.diffs)};
  for (const dns::Name& apex : entry.reset) journal_.reset(apex);
  for (dns::ZoneDiff& d : entry.diffs) {
    d.index = index;
    journal_.add(std::make_shared<const dns::ZoneDiff>(d));
  }
  unjournaled_.push_back(std::move(entry));
}

void Node::reset_journals(raft::Index index, const std::vector<dns::Change>& changes) {
  // An import batch adds records without a new serial, so it is no diff an IXFR could send: the
  // zones it touched answer IXFR by AXFR until their next change. Diffing it would cost more than
  // applying it (half a follower's CPU during a large first-boot import).
  std::vector<dns::Name> zones = dns::touched_zones(*serving_.latest(), changes);
  std::erase_if(zones, [&](const dns::Name& apex) { return !journal_.holds(apex); });
  if (zones.empty()) return;
  for (const dns::Name& apex : zones) journal_.reset(apex);
  unjournaled_.push_back(JournalBatch{index, std::move(zones), {}});
}

void Node::apply(const raft::Entry& entry) {
  if (entry.index <= state_.applied()) return;  // inside an installed snapshot
  const ApplyOutcome outcome = state_.apply(entry);
  observer_->on_applied(entry.index, state_.hash());
  switch (outcome.kind) {
    case ApplyOutcome::Batch:
      if (entry.index > served_) serve(entry.index, *outcome.batch);
      break;
    case ApplyOutcome::DuplicateBatch:
      answer_duplicate_import(outcome);
      break;
    case ApplyOutcome::Identity:
      check_cluster_identity();
      check_rejoin_decision();
      break;
    case ApplyOutcome::Invalid:
      log(LogLevel::Warn, fmt::format("ignored a committed entry: {}", outcome.error));
      break;
    case ApplyOutcome::MemberChange:
      log(LogLevel::Info, fmt::format("members as of index {}: {}", entry.index,
                                      raft::describe(state_.members().membership)));
      members_changed();
      if (const raft::ConfChange change = raft::decode_conf_change(entry.data);
          change.kind == raft::ConfChange::Kind::PromoteLearner && change.node == options_.id)
        on_own_promotion(entry.term);
      break;
    default:
      break;
  }
  if (!conf_changes_.empty()) answer_conf_change(entry, outcome);
  if (!outcome.new_laggards.empty()) compact_now_ = true;
  for (NodeId laggard : outcome.new_laggards)
    log(LogLevel::Warn,
        fmt::format("pending is over its bound of {} bytes: no longer holding changes for node {} "
                    "(acked {}); it copies a peer's datastore when it returns",
                    state_.pending_bound().max_pending_bytes, laggard, state_.acked(laggard)));
  if (outcome.caught_up != raft::kNoNode)
    log(LogLevel::Info, fmt::format("node {} caught up (acked {}): pending holds its changes again",
                                    outcome.caught_up, state_.acked(outcome.caught_up)));
  if (outcome.kind == ApplyOutcome::Bound)
    log(LogLevel::Info, fmt::format("pending bound as of index {}: {} bytes", entry.index,
                                    state_.pending_bound().max_pending_bytes));
  if (outcome.dropped_through) {
    observer_->on_pending_dropped(outcome.dropped_through);
    log(LogLevel::Info, fmt::format("checkpoint: every node has copied up to index {}; {} "
                                    "batches still pending",
                                    outcome.dropped_through, state_.pending().size()));
  }
}

void Node::checkpoint() {
  const TimePoint start = clock_.now();
  try {
    store_served();
  } catch (const DiskError& e) {
    checkpoint_due_ = true;
    on_disk_error(e);
    return;
  }
  observer_->on_checkpoint(clock_.now() - start);
  maybe_ack();
}

void Node::store_served() {
  // A snapshot being written holds the WAL as it is; what was served meanwhile waits.
  if (store_snapshot_job_) return;
  // A snapshot that failed halfway may have left the WAL behind the snapshot: it goes first.
  if (store_snapshot_due_) write_store_snapshot();
  if (checkpoint_snapshot_written_) {  // a checkpoint by snapshot whose WAL reset failed
    store_.version_snapshot_written(checkpoint_snapshot_written_->file);
    checkpoint_snapshot_written_.reset();
    observer_->on_store_synced(store_.durable_hw());
  }
  if (unsynced_) {  // ack_before_fsync bug: the sync comes one interval late
    store_.sync();
    unsynced_ = false;
    observer_->on_store_synced(store_.durable_hw());
  }
  // The journal goes first: a crash between the two leaves journal records past the store's
  // hw, which the next start drops (those batches are served, and journaled, again).
  std::erase_if(unjournaled_, [&](const JournalBatch& b) { return b.index <= store_.hw(); });
  if (!unjournaled_.empty()) {
    journal_store_.append(unjournaled_, journal_);
    unjournaled_.clear();
  }
  std::vector<StoredBatch> batches = std::move(unstored_);
  unstored_.clear();
  std::erase_if(batches, [&](const StoredBatch& b) { return b.index <= store_.hw(); });
  const std::uint64_t threshold =
      options_.store_snapshot_scales
          ? std::max(options_.store_snapshot_wal_bytes, store_.snapshot_bytes())
          : options_.store_snapshot_wal_bytes;
  if (!batches.empty() && options_.worker && options_.checkpoint_by_snapshot && !disk_fault_ &&
      !options_.bugs.ack_before_fsync && served_ == batches.back().index) {
    // Batches that would make the WAL outgrow its bound (an import by copy: the whole zone) go
    // straight into a snapshot of the serving view, off this thread, instead of into the WAL
    // and then into a snapshot: the datastore is written once, and the node keeps answering.
    std::uint64_t bytes = store_.wal_bytes();
    for (const StoredBatch& b : batches) bytes += encoded_size(b.changes);
    if (bytes > threshold) return start_store_snapshot(std::move(batches));
  }
  if (!batches.empty()) {
    const raft::Index new_hw = batches.back().index;
    const bool sync = !options_.bugs.ack_before_fsync;
    try {
      store_.append(batches, new_hw, sync);
    } catch (const DiskError&) {
      if (store_.hw() < new_hw) unstored_ = std::move(batches);  // copied next time
      throw;
    }
    log(LogLevel::Debug, fmt::format("checkpoint: copied {} batches to the local datastore, hw={}",
                                     batches.size(), new_hw));
    if (sync)
      observer_->on_store_synced(store_.durable_hw());
    else
      unsynced_ = true;
    // The serving view is exactly the store's state now (everything served is copied), so it
    // can become the store's snapshot.
    // The WAL must also outgrow the last snapshot (store_snapshot_scales): rewriting the whole
    // record set every store_snapshot_wal_bytes would make a large import quadratic.
    if (!unsynced_ && served_ == store_.hw() && store_.wal_bytes() > threshold)
      start_store_snapshot();
  }
  maybe_drop_import_file();
}

void Node::write_store_snapshot() {
  finish_store_snapshot_job();
  // Due until done: if resetting the WAL fails after the new snapshot landed, the WAL must be
  // reset before it takes another append (nothing is served meanwhile, so the serving view is
  // still the store's state when it is redone).
  store_snapshot_due_ = true;
  store_.write_version_snapshot(*serving_.current());
  store_snapshot_due_ = false;
  log(LogLevel::Info, fmt::format("local datastore snapshot at hw={}", store_.hw()));
}

void Node::start_store_snapshot(std::vector<StoredBatch> covered) {
  if (!options_.worker) return write_store_snapshot();
  // The serving view is the store's state as of hw (everything served is stored), or as of
  // served_ with `covered` the batches between; the version is immutable, so the worker may
  // encode it while this thread serves newer batches.
  publish_served();  // what was served is in the version (nothing is open between bursts)
  std::shared_ptr<const dns::DatabaseVersion> version = serving_.current();
  const raft::Index index = covered.empty() ? store_.hw() : covered.back().index;
  auto job = std::make_shared<StoreSnapshotJob>(StoreSnapshotJob{
      version, store_.version_snapshot_file(*version, index), nullptr, std::move(covered)});
  store_snapshot_job_ = job;
  log(LogLevel::Debug, fmt::format("local datastore snapshot at hw={} started", store_.hw()));
  std::weak_ptr<bool> alive = alive_;
  options_.worker->run(
      [job] {
        try {
          job->file.write();
        } catch (...) {
          job->error = std::current_exception();
        }
      },
      [this, alive, job] {
        if (!alive.expired()) store_snapshot_done(job);
      });
}

void Node::store_snapshot_done(const std::shared_ptr<StoreSnapshotJob>& job) {
  if (store_snapshot_job_ != job) return;  // finished already (finish_store_snapshot_job)
  store_snapshot_job_.reset();
  if (stopped_) return;
  try {
    complete_store_snapshot(*job);
  } catch (const DiskError& e) {
    on_disk_error(e);  // retry_disk() writes it again, inline
    return;
  }
  if (disk_fault_) return;
  checkpoint();  // what was served meanwhile, and its ACK, need not wait for the next interval
  process();
}

void Node::finish_store_snapshot_job() {
  if (!store_snapshot_job_) return;
  std::shared_ptr<StoreSnapshotJob> job = std::move(store_snapshot_job_);
  store_snapshot_job_.reset();
  options_.worker->wait();
  complete_store_snapshot(*job);
}

void Node::complete_store_snapshot(StoreSnapshotJob& job) {
  if (!job.covered.empty()) {
    if (job.error) {
      // Nothing changed on disk (replace() is atomic): the batches are copied again.
      std::vector<StoredBatch> again = std::move(job.covered);
      again.insert(again.end(), std::make_move_iterator(unstored_.begin()),
                   std::make_move_iterator(unstored_.end()));
      unstored_ = std::move(again);
      checkpoint_due_ = true;
      std::rethrow_exception(job.error);
    }
    // The snapshot is in place; until the WAL is reset too, nothing more is appended.
    checkpoint_snapshot_written_ = std::make_shared<StoreSnapshotJob>(std::move(job));
    store_.version_snapshot_written(checkpoint_snapshot_written_->file);
    checkpoint_snapshot_written_.reset();
    observer_->on_store_synced(store_.durable_hw());
    log(LogLevel::Info,
        fmt::format("checkpoint by local datastore snapshot at hw={}", store_.hw()));
    return;
  }
  // Due until done, as in write_store_snapshot: the WAL takes no append before it is reset.
  store_snapshot_due_ = true;
  if (job.error) std::rethrow_exception(job.error);
  store_.version_snapshot_written(job.file);
  store_snapshot_due_ = false;
  log(LogLevel::Info, fmt::format("local datastore snapshot at hw={}", store_.hw()));
}

void Node::mark_imported() {
  mark_imported_due_ = true;
  store_.mark_imported();
  mark_imported_due_ = false;
  imported_ = true;
}

void Node::members_changed() {
  if (options_.on_members) options_.on_members(state_.members());
}

void Node::maybe_ack() {
  if (disk_fault_) return;
  try {
    if (maybe_ack_as_learner()) return;
  } catch (const DiskError& e) {
    on_disk_error(e);
    return;
  }
  const raft::Index hw = options_.bugs.ack_before_fsync ? store_.hw() : store_.durable_hw();
  const raft::Index acked = state_.acked(options_.id);
  // A laggard's ack counts again once it reaches what R dropped (after its transfer).
  if (state_.needs_transfer(options_.id)) {
    if (hw > acked && hw >= state_.dropped_through() && !transfer_wanted_)
      raft_->propose(encode_command(Ack{options_.id, hw}));
    return;
  }
  // Only worth an entry if it lets something leave pending.
  auto first = state_.pending().upper_bound(acked);
  if (first == state_.pending().end() || first->first > hw) return;
  raft_->propose(encode_command(Ack{options_.id, hw}));
}

void Node::maybe_compact_raft() {
  const raft::Index applied = state_.applied();
  if (applied <= last_compaction_) return;
  const raft::Index since = applied - last_compaction_;
  // R is small when little is pending, so compact often then; otherwise every compact_every.
  if (since < options_.compact_every && !(state_.pending().empty() && since >= 128) &&
      !compact_for_learners() && !compact_now_)
    return;
  if (applied > raft_->status().applied) return;
  raft_->compact(applied, state_.snapshot());
  last_compaction_ = applied;
  compact_now_ = false;
}

void Node::maybe_propose_pending_bound() {
  if (raft_->role() != raft::Role::Leader || clock_.now() < next_bound_proposal_) return;
  if (state_.pending_bound().max_pending_bytes == options_.max_pending_bytes) return;
  // Retried until R has it (a lost leadership drops the proposal); an entry costs little.
  next_bound_proposal_ = clock_.now() + options_.retry_interval;
  log(LogLevel::Info,
      fmt::format("recording max_pending_bytes={} in R (R has {})", options_.max_pending_bytes,
                  state_.pending_bound().max_pending_bytes));
  raft_->propose(encode_command(SetPendingBound{options_.max_pending_bytes}));
}

void Node::start_import(std::vector<dns::Record> records) {
  std::vector<dns::Change> adds;
  // A zone file staged for an import by copy before a restart is proposed again as it was (the
  // same digest: R skips the duplicate if the first proposal committed), not the file as it is.
  if (import_file_) {
    try {
      if (std::optional<std::vector<dns::Change>> staged = read_import_file(disk_)) {
        adds = std::move(*staged);
        log(LogLevel::Info, fmt::format("first boot: proposing the {} records staged in {} before "
                                        "a restart again (the zone file is not read again)",
                                        adds.size(), kImportFile));
      }
    } catch (const raft::DecodeError& e) {
      log(LogLevel::Warn, fmt::format("import file: {}; importing the zone file", e.what()));
      import_file_ = false;
    } catch (const DiskError& e) {
      log(LogLevel::Warn, fmt::format("import file: {}; importing the zone file", e.what()));
      import_file_ = false;
    }
  }
  if (adds.empty()) {
    if (records.empty()) {
      try {
        mark_imported();
      } catch (const DiskError& e) {
        on_disk_error(e);
      }
      return;
    }
    adds.reserve(records.size());
    for (dns::Record& r : records) adds.push_back({dns::Change::Add, std::move(r)});
    records = {};
  }
  if ((import_file_ ||
       (options_.import_copy_records != 0 && adds.size() >= options_.import_copy_records)) &&
      start_import_copy(adds))
    return;
  const std::size_t total = adds.size();
  std::vector<std::vector<dns::Change>> batches =
      split_changes(std::move(adds), options_.import_batch, options_.max_batch_bytes);
  import_remaining_ = batches.size();
  import_in_flight_ = 0;
  import_queue_.assign(std::make_move_iterator(batches.begin()),
                       std::make_move_iterator(batches.end()));
  log(LogLevel::Info,
      fmt::format("first boot: proposing {} zone-file records in {} batches, at most {} at a time",
                  total, import_remaining_, std::max<std::size_t>(1, options_.import_window)));
  propose_import_batches();
}

void Node::propose_import_batches() {
  const std::size_t window = std::max<std::size_t>(1, options_.import_window);
  while (import_in_flight_ < window && !import_queue_.empty() && !stopped_) {
    std::vector<dns::Change> changes = std::move(import_queue_.front());
    import_queue_.pop_front();
    ++import_in_flight_;
    submit_batch(
        std::move(changes), [this](const WriteResult& r) { on_import_batch_answered(r); }, true,
        true);
  }
}

void Node::on_import_batch_answered(const WriteResult& r) {
  // Import batches have no deadline: only a stop answers them otherwise.
  if (r.kind != WriteResult::Ok && r.kind != WriteResult::Noop) return;
  --import_in_flight_;
  if (--import_remaining_ > 0) return propose_import_batches();
  try {
    mark_imported();
    log(LogLevel::Info, "zone file import committed");
    raft_->propose(encode_command(Imported{options_.id}));
  } catch (const DiskError& e) {
    on_disk_error(e);
  }
}

void Node::reload_zone(std::vector<dns::Record> zone_records, WriteCallback done) {
  done = observed(std::move(done));
  std::vector<dns::Name> apexes;
  for (const dns::Record& r : zone_records)
    if (r.type == dns::type::SOA) apexes.push_back(r.owner);
  if (apexes.empty()) {
    done({WriteResult::Invalid, 0, 0, 0, "ERROR reload: the zone file has no SOA record"});
    return;
  }
  auto in_reloaded_zone = [&](const dns::Name& owner) {
    return std::any_of(apexes.begin(), apexes.end(),
                       [&](const dns::Name& apex) { return owner.is_subdomain_of(apex); });
  };
  std::vector<dns::Record> current;
  for (dns::Record& r : serving_.all_records())
    if (in_reloaded_zone(r.owner)) current.push_back(std::move(r));
  auto same_soa = [](const dns::Record& a, const dns::Record& b) {
    if (a.type != dns::type::SOA || b.type != dns::type::SOA || !(a.owner == b.owner)) return false;
    dns::SoaFields x = dns::soa_from_rdata(a.rdata), y = dns::soa_from_rdata(b.rdata);
    x.serial = y.serial;
    return dns::soa_to_rdata(x) == dns::soa_to_rdata(y) && a.ttl == b.ttl;
  };
  auto contains = [&](const std::vector<dns::Record>& set, const dns::Record& r) {
    return std::any_of(set.begin(), set.end(),
                       [&](const dns::Record& x) { return x == r || same_soa(x, r); });
  };
  std::vector<dns::Change> changes;
  for (const dns::Record& r : current)
    if (!contains(zone_records, r)) changes.push_back({dns::Change::Remove, r});
  for (dns::Record& r : zone_records)
    if (!contains(current, r)) changes.push_back({dns::Change::Add, std::move(r)});
  if (changes.empty()) {
    done({WriteResult::Noop, 0, 0, 0, "NOOP zone file unchanged"});
    return;
  }
  std::vector<std::vector<dns::Change>> batches =
      split_changes(std::move(changes), options_.import_batch, options_.max_batch_bytes);
  if (batches.size() == 1) {
    submit_changes(std::move(batches.front()), std::move(done));
    return;
  }
  // Several raft entries: each commits on its own (a large RELOAD is not atomic); the operator
  // gets one answer once every batch has been answered, the first failure if any.
  struct Progress {
    std::size_t remaining = 0, batches = 0, failed = 0;
    WriteResult total{WriteResult::Noop, 0, 0, 0, {}};
    std::optional<WriteResult> failure;
    WriteCallback done;
  };
  auto progress = std::make_shared<Progress>();
  progress->remaining = progress->batches = batches.size();
  progress->done = std::move(done);
  for (std::vector<dns::Change>& batch : batches) {
    submit_changes(std::move(batch), [progress](const WriteResult& r) {
      if (r.kind == WriteResult::Ok || r.kind == WriteResult::Noop) {
        if (r.kind == WriteResult::Ok) progress->total.kind = WriteResult::Ok;
        progress->total.index = std::max(progress->total.index, r.index);
        progress->total.applied += r.applied;
        progress->total.noops += r.noops;
      } else {
        ++progress->failed;
        if (!progress->failure) progress->failure = r;
      }
      if (--progress->remaining > 0) return;
      if (progress->failure) {
        WriteResult f = *progress->failure;
        f.message = fmt::format("{} ({} of {} batches not committed; the others committed)",
                                f.message, progress->failed, progress->batches);
        progress->done(f);
        return;
      }
      WriteResult t = progress->total;
      t.message = fmt::format("{} index={} ({} changes in {} batches)",
                              t.kind == WriteResult::Ok ? "OK" : "NOOP", t.index, t.applied,
                              progress->batches);
      progress->done(t);
    });
  }
}

NodeStatus Node::status() const {
  NodeStatus s;
  s.raft = raft_ ? raft_->status() : raft::Status{};
  s.pending_batches = state_.pending().size();
  s.pending_changes = state_.pending_changes();
  s.pending_bytes = state_.pending_bytes();
  s.max_pending_bytes = state_.pending_bound().max_pending_bytes;
  for (const auto& [node, at] : state_.pending_bound().laggards) s.needs_transfer.push_back(node);
  s.acked = state_.acked();
  s.hw = store_.durable_hw();
  s.served = served_;
  s.applied = state_.applied();
  s.writes_in_flight = writes_.size();
  s.imported = imported_;
  s.wal_bytes = store_.wal_bytes();
  s.raft_log_bytes = raft_store_.log_file_size();
  s.disk_fault = disk_fault_;
  s.leader_changes = leader_changes_;
  s.last_heard = last_heard_;
  s.cluster_id = identity_.cluster_id;
  s.joining = awaiting_decision_;
  if (transfer_wanted_) s.transfer = sink_.progress();
  s.dropped_through = state_.dropped_through();
  s.votes = options_.bugs.wiped_node_votes ? VoteGate{} : identity_.votes;
  return s;
}

}  // namespace engine
