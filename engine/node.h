#pragma once
// engine::Node: one member of the replicated DNS cluster as a pure, single-threaded state
// machine. It drives raft (through RaftLogStore on the Disk seam), applies committed change
// batches to the serving zone database right away, copies them into its durable local datastore
// every checkpoint interval and then proposes ACK(self, hw), answers client writes, and on first
// boot imports its zone file through raft. All I/O goes through the seams in io.h; the caller
// delivers peer messages with receive() on the same thread that runs the Clock's timers.
//
// When a Disk call fails (DiskError: no space, I/O error, ...) the node becomes disk-faulted: it
// keeps serving queries from memory but stops everything that tells others what it has stored:
// it handles no raft Ready (so it neither votes nor acknowledges appends, and raft is neither
// ticked nor stepped: its state stays that of the Ready that failed), proposes no ACK, and
// refuses client writes. Every disk_retry_interval it redoes the failed step; once that works it
// resumes where it stopped. A failure that cannot be redone safely (DiskError::retry_safe()
// false: an fsync failed or a partial write could not be undone) is never retried: the node
// says it needs a restart, which recovers from what is durable.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dns/zone_db.h"
#include "dns/zone_diff.h"
#include "dns/zone_journal.h"
#include "engine/cluster_identity.h"
#include "engine/datastore_transfer.h"
#include "engine/event_log.h"
#include "engine/io.h"
#include "engine/journal_store.h"
#include "engine/local_store.h"
#include "engine/raft_log_store.h"
#include "engine/replicated_state.h"
#include "raft/raft.h"

namespace engine {

// Deliberate bugs for the simulator's "does it catch bugs" tests; never set in production.
struct NodeTestBugs {
  bool ack_before_fsync = false;       // ACK proposed before the WAL is synced (synced next time)
  bool drop_on_majority_ack = false;   // pending dropped once a majority (not all) acked
  bool keep_removed_acks = false;      // a removed member's ack stays in R (pending never drops)
  bool reimport_after_wipe = false;    // imports its zone file whatever R decided on its REJOIN
  bool transfer_before_fsync = false;  // installs a transfer without making it durable first
  bool ignore_pending_bound = false;   // R never drops a laggard: pending grows without bound
  bool wiped_node_votes = false;       // a node that lost its vote record votes at once
};

struct NodeOptions {
  NodeId id = 0;
  std::vector<NodeId> members;  // every node of the cluster, including id
  // Started with --join: a learner added by ADD-NODE. `members` is then only the other nodes
  // this node knows of (maybe none): the configuration comes from the leader's snapshot. It
  // imports no zone file and, being no voter, never campaigns until it is promoted.
  bool join = false;
  Duration tick = std::chrono::milliseconds(100);
  int election_ticks = 10;  // election timeout = election_ticks..2*election_ticks ticks
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  // On a first boot (an empty raft log at term 0) raft starts with election_ticks - 1 ticks
  // already elapsed, so the first election comes after the random part of the timeout alone
  // (etcd's initial election tick advance): a new cluster has no leader to wait for. Pre-vote
  // keeps a node whose peers are not up yet from disturbing anything.
  bool fast_first_election = false;
  bool check_quorum = true;
  Duration checkpoint_interval = std::chrono::seconds(1);
  // A checkpoint also starts as soon as this many served batches wait for one, so that under a
  // write load each copies a bounded amount and holds the node's thread a bounded time, rather
  // than one interval's worth (at 10k writes/s, 1 s of batches held it about 60 ms: every write
  // arriving then waited). 0: only every checkpoint_interval.
  std::size_t checkpoint_batches = 1024;
  Duration write_timeout = std::chrono::seconds(2);
  Duration retry_interval = std::chrono::milliseconds(500);  // re-propose uncommitted writes
  // Records per first-boot import (and RELOAD) batch. With import_window it bounds what one
  // Ready may apply: 16 x 1024 records, tens of ms (a 32k-record Ready once starved a follower's
  // raft on a loaded machine).
  std::size_t import_batch = 1024;
  // First-boot import batches proposed and not yet committed, at most: the next one is proposed
  // as one commits. Bounds every Ready, every forwarded proposal burst and every retry, so a
  // large zone file never floods raft (a burst of thousands of entries starved heartbeats).
  std::size_t import_window = 16;
  // An import batch forwarded to a leader that is still leader of the same term is proposed
  // again only after this long (a lost forward is rare; re-forwarding every retry_interval a
  // window that takes longer than that to commit doubled the import's work and starved raft).
  Duration import_retry_interval = std::chrono::seconds(2);
  // A first-boot zone file of at least this many records is imported by copy
  // (engine/import_copy.h): one entry with the records' digest; the others copy this node's
  // datastore instead of applying every record through raft (0: never; every record goes
  // through raft in import batches).
  std::size_t import_copy_records = 0;
  // An import by copy is applied to the serving database this many records per turn of the
  // node's event loop (nothing after it is served, and nothing of it shown, until the last),
  // so that raft keeps its heartbeats and votes going: 1M records in one step held the thread
  // about a second, the election timeout. 0: in one step.
  std::size_t import_slice = 65536;
  // Largest change batch (one raft entry), in encoded change bytes: far below the peer message
  // limit, so an Append with the entry always fits. A write above it is refused; RELOAD and the
  // first-boot import are cut into batches under it.
  std::size_t max_batch_bytes = std::size_t{1} << 20;
  raft::Index compact_every = 1024;  // applied entries between raft snapshots of R
  // Bound on R's pending (engine/pending_bound.h), in encoded bytes: the leader records it in R
  // (SetPendingBound) whenever R's differs, so every replica enforces the same one. At least
  // kMinPendingBound.
  std::uint64_t max_pending_bytes = kDefaultMaxPendingBytes;
  // R's snapshot can outgrow the peer frame limit (pending change batches): raft sends larger
  // snapshots in chunks of this many bytes (raft::Config::max_snapshot_chunk_bytes).
  std::size_t max_snapshot_chunk_bytes = raft::Config{}.max_snapshot_chunk_bytes;
  std::uint64_t store_snapshot_wal_bytes = 4u << 20;  // WAL size that triggers a store snapshot
  // ... once the WAL has also outgrown the last snapshot, so that rewriting every record stays
  // linear in what was written (a large import would otherwise rewrite the growing zone every
  // 4 MiB). Off only where tests want a snapshot at (almost) every checkpoint.
  bool store_snapshot_scales = true;
  // With a worker: served batches that would take the WAL past the snapshot threshold are
  // stored by a snapshot of the serving view written on the worker (the datastore written once,
  // not into the WAL on this thread and then into a snapshot). Off: always the WAL first.
  bool checkpoint_by_snapshot = true;
  // The IXFR journal's bound per zone (dns/zone_journal.h): serials and diff bytes kept.
  dns::JournalLimits journal;
  Duration disk_retry_interval = std::chrono::seconds(1);  // redo a failed disk step this often
  // Datastore transfer (engine/datastore_transfer.h): chunk size a source sends, and how long a
  // receiver waits for a chunk before asking again (after 3 unanswered asks: another peer).
  std::size_t transfer_chunk_bytes = std::size_t{1} << 20;
  // ... and how many bytes a receiver stages between fsyncs of its staged copy (0: after every
  // chunk); a restart resumes from the last fsync.
  std::uint64_t transfer_sync_bytes = 0;
  Duration transfer_timeout = std::chrono::seconds(1);
  std::string data_dir_name = "the data directory";  // names it in identity errors
  // Handle raft output once per burst of inputs (one fsync for many messages and writes)
  // instead of once per input: receive() and submit() then defer the work to a zero-delay
  // timer. For real I/O, where an fsync costs milliseconds; the simulator leaves it off.
  bool coalesce_io = false;
  LogSink log;  // may be empty
  // Runs the local-store snapshot (encoding every record and writing store.snap, seconds at
  // 1M records) off the node's thread, so raft keeps ticking meanwhile; none: inline.
  Worker* worker = nullptr;
  // Runs a leader's raft log fsync off the node's thread (a Worker of its own, not `worker`):
  // while one Ready's records are being synced the leader goes on taking messages and writes,
  // sends the appends of new writes, and the next Ready carries all of them (one fsync each).
  // What the Ready says to send or apply waits for its sync. None, or not the leader: the fsync
  // is inline.
  Worker* log_syncer = nullptr;
  // Called with R's member set whenever it changes here (an applied ConfChange, an installed
  // snapshot, the state restored at start); dns-node points its peer links at the members.
  std::function<void(const MemberSet&)> on_members;
  NodeTestBugs bugs;
  raft::TestBugs raft_bugs;
};

// The answer to one client write.
struct WriteResult {
  // Copying: refused while the node copies a peer's datastore (NodeStatus::transfer).
  enum Kind { Ok, Noop, NoQuorum, Invalid, Stopped, DiskFault, Copying };
  Kind kind = Ok;
  raft::Index index = 0;  // Ok/Noop: where it committed
  std::size_t applied = 0;
  std::size_t noops = 0;
  std::string message;  // one line for a human: "OK index=12", "ERROR no quorum: ..."
  // submit_update, kind Ok: the DNS rcode of evaluating the UPDATE at its index (NOERROR, or
  // the failed prerequisite's YXDOMAIN, NXDOMAIN, YXRRSET, NXRRSET; NOTAUTH, NOTZONE).
  std::uint16_t rcode = 0;
};

// Why the node is disk-faulted (see Node).
struct DiskFaultStatus {
  std::string summary;  // "ENOSPC:raft.log:write": the OS's error, the file, what failed
  std::string message;  // the whole line: "cannot write /data/raft.log: No space left on device"
  bool restart_needed = false;  // not retried: only a restart recovers
  std::uint64_t retries = 0;    // failed retries since it began
};

// What `STATUS` shows.
struct NodeStatus {
  raft::Status raft;
  std::size_t pending_batches = 0;
  std::size_t pending_changes = 0;
  std::size_t pending_bytes = 0;        // encoded size of the pending changes and UPDATE requests
  std::uint64_t max_pending_bytes = 0;  // the bound R enforces
  std::vector<NodeId> needs_transfer;   // members R holds nothing for (laggards), ascending
  std::map<NodeId, raft::Index> acked;
  raft::Index hw = 0;       // local datastore high-water mark (synced)
  raft::Index served = 0;   // last batch index applied to the serving database
  raft::Index applied = 0;  // last raft index applied to R
  std::size_t writes_in_flight = 0;
  bool imported = false;
  std::uint64_t wal_bytes = 0;
  std::uint64_t raft_log_bytes = 0;
  std::optional<DiskFaultStatus> disk_fault;  // none: the disk works
  // Times this node saw a new leader (another node, or the same one in a later term).
  std::uint64_t leader_changes = 0;
  // Cluster identity and datastore transfer (engine/cluster_identity.h, datastore_transfer.h).
  std::uint64_t cluster_id = 0;              // 0: not known yet
  bool joining = false;                      // waiting for R's decision on this node's REJOIN
  std::optional<TransferProgress> transfer;  // a datastore copy in progress
  raft::Index dropped_through = 0;
  VoteGate votes{};  // which votes this node may give (a wiped node: restricted)
  // When each peer's last well-formed raft message arrived (peers never heard from are absent);
  // lets the caller tell whether the leader, or a quorum, was heard from recently.
  std::map<NodeId, TimePoint> last_heard;
};

// Hooks for the simulator's invariant checker and metrics; every method defaults to nothing.
// Called synchronously, in the order the events happen inside the node.
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  // Raft state read back from disk at start (before anything else happens).
  virtual void on_raft_restored(const raft::Restored&) {}
  // A Ready's hard state / snapshots / entries are durable (fsynced).
  virtual void on_raft_persisted(const raft::Ready&) {}
  // A raft message is about to be sent.
  virtual void on_raft_sent(const raft::Message&) {}
  // R reached `index` with chain hash `hash` (one call per applied entry or installed snapshot).
  virtual void on_applied(raft::Index /*index*/, std::uint64_t /*hash*/) {}
  // A committed change batch was applied to the serving database.
  virtual void on_served(raft::Index, const ChangeBatch&, const dns::ApplyResult&) {}
  // The local datastore is durable up to `hw`.
  virtual void on_store_synced(raft::Index /*hw*/) {}
  // R dropped pending entries <= `index` (min of acks reached it).
  virtual void on_pending_dropped(raft::Index /*index*/) {}
  // A checkpoint (copy to the local datastore, fsync) ran for `took` on the node's Clock.
  virtual void on_checkpoint(Duration /*took*/) {}
  // The local datastore lacks batches R dropped (`dropped_through` > `served`): a copy of a
  // peer's datastore begins. Without a lost disk this means acknowledged data was lost.
  virtual void on_transfer_needed(raft::Index /*served*/, raft::Index /*dropped_through*/) {}
  // The batch at `index` is another node's import by copy (engine/import_copy.h): a copy of a
  // datastore that has served it begins.
  virtual void on_import_copy_needed(raft::Index /*index*/) {}
  // A client write (submit or reload_zone) was answered.
  virtual void on_write_answered(const WriteResult&) {}
  // A copy of a peer's datastore was installed: `bytes` received in `chunks` (metrics).
  virtual void on_transfer_installed(std::uint64_t /*bytes*/, std::uint64_t /*chunks*/) {}
  // A copy staged before a restart is taken up again at chunk `chunk` (its staged chunks
  // count; all of them when it only needs installing).
  virtual void on_transfer_resumed(std::uint64_t /*chunk*/) {}
  // As a source: one chunk of `bytes` payload octets sent to a peer copying this datastore.
  virtual void on_transfer_chunk_sent(std::uint64_t /*bytes*/) {}
};

class Node : private raft::VotePolicy {
 public:
  using WriteCallback = std::function<void(const WriteResult&)>;

  // The references must outlive the node. `serving` is the database the query path reads; the
  // node is its only writer.
  Node(NodeOptions options, Transport& transport, Clock& clock, Disk& disk, Random& random,
       dns::Database& serving, NodeObserver* observer = nullptr);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Loads the local datastore into `serving`, restarts raft from its storage, starts the timers
  // and, on first boot (or an unfinished import), proposes `zone_records` in batches. Throws
  // LocalStoreError / RaftLogStoreError when the data directory is damaged beyond a torn tail.
  void start(std::vector<dns::Record> zone_records);
  // Stops the timers; writes still waiting are answered Stopped.
  void stop();

  // A peer's message (raft encoding). Garbage is logged and dropped; so is everything while
  // disk-faulted.
  void receive(NodeId from, ByteView bytes);
  // The transport saw peer `from` close its connection: if it led, the election comes sooner
  // (raft::Raft::peer_lost). A transport without connections never calls it.
  void peer_lost(NodeId from);
  // A client write: answered exactly once through `done` (maybe before submit returns, e.g. for
  // an invalid write or while disk-faulted).
  void submit(std::vector<dns::Change> changes, WriteCallback done);
  // A DNS UPDATE (RFC 2136): one raft entry, evaluated when applied (prerequisites, then the
  // updates, against the state as of its index, identically on every replica); answered once
  // it committed and was applied here (kind Ok with the rcode of that evaluation) or failed
  // (NoQuorum after the write timeout, Invalid, DiskFault, Stopped).
  void submit_update(dns::update::Request request, WriteCallback done);
  // Proposes the difference between `zone_records` and what is served in their zones (the zones
  // whose SOA is among them): ADDs for what is missing, REMOVEs for what the file no longer has.
  void reload_zone(std::vector<dns::Record> zone_records, WriteCallback done);

  // Membership changes (engine/node_membership.cpp), leader only; answered once through `done`:
  // "OK index=N" once the change is applied here, "ERROR ..." if raft refuses it (with the
  // leader's id on a follower), it is lost to a leader change, or it does not commit within
  // write_timeout. `context` travels in the ConfChange (dns-node: the node's addresses).
  void add_node(NodeId node, Bytes context, WriteCallback done);
  void remove_node(NodeId node, WriteCallback done);
  // "OK voters=0,1,2 learners= leader=1": the committed members as R applied them here.
  std::string members_line() const;

  NodeStatus status() const;
  const ReplicatedState& state() const { return state_; }
  const raft::Raft& raft() const { return *raft_; }
  // A Ready's records are written and their fsync runs on log_syncer: raft's state may be ahead
  // of the log on disk (a commit index over entries not yet durable here, or over entries a
  // newer leader's appends will replace on disk), and nothing of it has been acted on yet.
  bool log_syncing() const { return log_sync_in_flight_; }
  const LocalStore& store() const { return store_; }
  // The committed diffs of each zone, for IXFR. Thread-safe: query threads read it while the
  // node adds to it.
  const dns::ZoneJournal& journal() const { return journal_; }
  NodeId id() const { return options_.id; }

 private:
  struct Write;
  // A proposed ConfChange waiting to be applied here (engine/node_membership.cpp).
  struct ConfChangeWait {
    raft::Index index = 0;
    raft::Term term = 0;
    TimePoint deadline{};
    WriteCallback done;
  };

  void log(LogLevel level, const std::string& message) const;
  void on_tick();
  void on_checkpoint();
  void process();
  void process_soon();
  void send_early(const raft::Ready& ready);
  void send_all(const std::vector<raft::Message>& messages);  // through the observer, in order
  bool finish_ready(raft::Ready& ready, bool saved);
  bool syncs_off_thread(const raft::Ready& ready) const;
  void start_log_sync(raft::Ready ready);
  void log_sync_done(raft::Ready& ready, std::exception_ptr error);
  void apply_during_log_sync();
  std::vector<raft::Entry> take_stored_committed(raft::Ready& ready);
  void apply_stored_committed(raft::Ready& ready);
  void on_disk_error(const DiskError& error);
  void retry_disk();
  void apply(const raft::Entry& entry);
  void install(const raft::Snapshot& snapshot);
  void serve_pending_after(raft::Index index);
  void serve(raft::Index index, const ChangeBatch& batch);
  // serve()'s second half, once the batch (or its evaluated changes) is applied to `serving_`.
  void finish_serving(raft::Index index, const ChangeBatch& batch,
                      std::optional<ChangeBatch> evaluated,
                      const std::optional<dns::DiffBase>& before, const dns::ApplyResult& result,
                      const PendingUpdate* update, std::uint16_t rcode);
  // An import by copy applied import_slice records at a time (NodeOptions::import_slice).
  void start_sliced_import(raft::Index index, const ChangeBatch& batch,
                           std::vector<dns::Change> changes);
  void serve_import_slice();
  // Publishes what serve() applied since the last call as one database version, then answers
  // the writers it served.
  void publish_served();
  // A duplicate of this node's own import batch or import by copy committed: its import has.
  void answer_duplicate_import(const ApplyOutcome& outcome);
  // Adds what the batch at `index` (just applied to `serving_` on top of `before`) did to each
  // zone to the IXFR journal, and queues it for the journal's file.
  void record_diffs(raft::Index index, const dns::DiffBase& before,
                    const std::vector<dns::Change>& changes);
  // For a batch that is no diff (an import): resets the journal of every zone it touched that
  // has history, and queues the reset for the journal's file.
  void reset_journals(raft::Index index, const std::vector<dns::Change>& changes);
  void propose_write(Write& write);
  void retry_and_expire_writes();
  void checkpoint();
  void checkpoint_soon();
  void store_served();
  // The local-store snapshot: written inline (write_store_snapshot; also the disk-retry path),
  // or started on options_.worker (start_store_snapshot) and finished on this thread when the
  // file is written (store_snapshot_done). While one runs the WAL takes no append: checkpoints
  // wait, and so do ACKs.
  struct StoreSnapshotJob;
  void write_store_snapshot();
  // `covered`: a checkpoint by snapshot of the served batches `covered` (not in the WAL).
  void start_store_snapshot(std::vector<StoredBatch> covered = {});
  void store_snapshot_done(const std::shared_ptr<StoreSnapshotJob>& job);
  // Waits for the running snapshot, if any, and finishes it. Throws DiskError.
  void finish_store_snapshot_job();
  void complete_store_snapshot(StoreSnapshotJob& job);
  void mark_imported();
  void maybe_ack();
  // A member added by ADD-NODE acks everything applied once its datastore holds all of it, even
  // with nothing pending (its ack reaching the index it was added at lets it be promoted).
  bool maybe_ack_as_learner();
  void propose_conf_change(raft::ConfChange change, WriteCallback done);
  void answer_conf_change(const raft::Entry& entry, const ApplyOutcome& outcome);
  void expire_conf_changes();
  void maybe_promote_learners();
  // Leader: proposes the demotion of a voter R decided had lost its data directory.
  bool maybe_demote_rejoined();
  // Leader: records options_.max_pending_bytes in R when R's bound differs.
  void maybe_propose_pending_bound();
  void members_changed();
  bool compact_for_learners() const;
  void maybe_compact_raft();
  void start_import(std::vector<dns::Record> records);
  // Proposes queued import batches until import_window of them are in flight.
  void propose_import_batches();
  void on_import_batch_answered(const WriteResult& result);
  // node_import_copy.cpp: a zone file imported by copy (engine/import_copy.h).
  // Stages `adds` (unless the import file from before a restart holds them) and proposes them by
  // copy; false (adds untouched) if the import file cannot be written.
  bool start_import_copy(std::vector<dns::Change>& adds);
  // The records of this node's own import by copy `batch`, if it holds records with its digest
  // (in memory, in its import file, or in its zone file kept after a wipe); else none.
  const std::vector<dns::Change>* own_import_records(const ChangeBatch& batch);
  // The batch at `index` is an import by copy this node cannot serve: copy a peer's datastore.
  void wait_for_import_copy(raft::Index index, const ChangeBatch& batch);
  // Removes the import file (and the records in memory) once the local datastore holds every
  // import by copy of this node's that R still has.
  void maybe_drop_import_file();
  // The index of an import by copy of `node`'s that R holds and no other member has acked (its
  // records are on `node` alone), or 0.
  raft::Index uncopied_import_of(NodeId node) const;
  // Whether R holds an import by copy from this node above `index`.
  bool own_import_copy_above(raft::Index index) const;
  // node_rejoin.cpp: the identity file and the REJOIN decision.
  void load_identity();
  void check_cluster_identity();
  void propose_rejoin();
  void check_rejoin_decision();
  // The vote gate of the identity file (or Open with the wiped_node_votes bug), handed to raft.
  void apply_vote_gate();
  // Writes identity_ to the identity file, or leaves it due after a disk fault.
  void save_identity();
  // raft::VotePolicy: what this node's R and log say of `voter`, and whether the gate lets this
  // node vote (engine/vote_gate.h).
  Bytes vote_context(NodeId voter) const override;
  bool may_vote(raft::Term term, const Bytes& context) const override;
  // What R and the entries of the raft log not applied yet say of `node` (VoterStanding).
  VoterStanding standing_in_log(NodeId node) const;
  // This node's own promotion applied at `term` (or installed with a snapshot of that term, no
  // lower than the promotion's): votes only in later terms from now on.
  void on_own_promotion(raft::Term term);
  // Committed batches are not served while the node waits for its REJOIN decision or lacks
  // changes only a peer's datastore has: it would serve partial data.
  bool holding() const { return awaiting_decision_ || transfer_wanted_ || sliced_.has_value(); }
  // A copy of this node's serving view is complete as of served_: not waiting for its REJOIN
  // decision and lacking nothing R dropped (a node waiting only for an import by copy still
  // gives one: a wiped origin needs it before it can serve its own import).
  bool can_be_transfer_source() const {
    return !awaiting_decision_ && (!transfer_wanted_ || copy_needed_ != 0) &&
           served_ >= state_.dropped_through();
  }
  // node_transfer.cpp: the datastore transfer, both sides.
  void on_transfer_message(NodeId from, ByteView bytes);
  void start_transfer(bool change_peer);
  // Removes a staged copy recovered at start that the local datastore no longer needs.
  void drop_stale_staged_copy();
  // After a restart: asks the source of the staged copy for its next chunk (or installs it).
  void resume_transfer();
  void transfer_tick();
  void install_transfer();
  std::vector<NodeId> transfer_peers() const;
  std::string holding_reason() const;
  void finish(std::uint64_t request_id, const WriteResult& result);
  // `done`, telling the observer first (each public write is counted once).
  WriteCallback observed(WriteCallback done);
  void submit_changes(std::vector<dns::Change> changes, WriteCallback done);
  // `import`: a first-boot import batch (ChangeBatch::import; no deadline either).
  std::uint64_t submit_batch(std::vector<dns::Change> changes, WriteCallback done, bool no_deadline,
                             bool import = false);
  // Why a client write cannot be accepted now (stopped, disk-faulted), or none.
  std::optional<WriteResult> refuse_write() const;
  void propose_new(std::unique_ptr<Write> write);
  // Proposes an encoded import command (no deadline) answered to on_import_batch_answered.
  void propose_import(Bytes command, std::uint64_t request_id, std::size_t changes);

  NodeOptions options_;
  Transport& transport_;
  Clock& clock_;
  Random& random_;
  Disk& disk_;
  dns::Database& serving_;
  NodeObserver* observer_;
  NodeObserver null_observer_;
  RaftLogStore raft_store_;
  LocalStore store_;
  ReplicatedState state_;
  std::unique_ptr<raft::Raft> raft_;
  raft::Index served_ = 0;  // batches <= served_ are in `serving` (or its open batch)
  // Writes served but not yet published: answered by publish_served().
  std::vector<std::pair<std::uint64_t, WriteResult>> unanswered_;
  // Served but not yet in the local datastore: what the next checkpoint copies. Taken from what
  // was served rather than from R's pending, so a local datastore that lost batches (damage, not
  // a crash) refills from raft's log as long as raft still has them.
  std::vector<StoredBatch> unstored_;
  // The IXFR journal, its file, and the served batches' entries not yet in the file (written
  // by the next checkpoint just before the batches themselves).
  dns::ZoneJournal journal_;
  JournalStore journal_store_;
  std::vector<JournalBatch> unjournaled_;
  raft::Index last_compaction_ = 0;
  // R just left a laggard behind: compact raft at once, so that its log and snapshot shrink
  // now (not compact_every entries later) and the laggard is sent the snapshot that says so.
  bool compact_now_ = false;
  raft::Role last_role_ = raft::Role::Follower;
  NodeId last_leader_ = raft::kNoNode;
  raft::Term last_leader_term_ = 0;  // the term of last_leader_ when it was last known
  std::uint64_t leader_changes_ = 0;
  std::map<NodeId, TimePoint> last_heard_;
  std::map<std::uint64_t, std::unique_ptr<Write>> writes_;  // by request id
  std::vector<ConfChangeWait> conf_changes_;                // ADD-NODE / REMOVE-NODE waiting
  std::size_t import_remaining_ = 0;  // import batches not yet committed (queued or in flight)
  std::size_t import_in_flight_ = 0;  // of those, proposed
  std::deque<std::vector<dns::Change>> import_queue_;  // not yet proposed, in file order
  bool imported_ = false;
  bool unsynced_ = false;  // ack_before_fsync bug: the WAL has appends not yet synced
  std::optional<Clock::TimerId> tick_timer_;
  std::optional<Clock::TimerId> checkpoint_timer_;
  std::optional<Clock::TimerId> early_checkpoint_timer_;  // checkpoint_batches reached
  std::optional<Clock::TimerId> process_timer_;
  // Disk-faulted (see the class comment), and the steps to redo, in this order, on retry.
  std::optional<DiskFaultStatus> disk_fault_;
  std::optional<Clock::TimerId> disk_retry_timer_;
  std::uint64_t disk_errors_ = 0;  // DiskErrors so far (a retry that met one is no recovery)
  bool mark_imported_due_ = false;
  bool checkpoint_due_ = false;
  bool store_snapshot_due_ = false;        // must land before the WAL takes another append
  std::optional<raft::Ready> held_ready_;  // its persistence failed; advance() not called yet
  bool held_ready_saved_ = false;          // save() went through, compact() did not
  bool log_sync_in_flight_ = false;        // a Ready's fsync runs on log_syncer: no ready() now
  // Cluster identity (node_rejoin.cpp).
  DataDirIdentity identity_;
  VoteGate logged_gate_{};                 // the gate last logged (a change is logged once)
  bool awaiting_decision_ = false;         // REJOIN proposed, R's decision not seen yet
  bool identity_due_ = false;              // the identity file must be (re)written
  std::vector<dns::Record> zone_records_;  // kept until R decides whether this node imports
  // Import by copy (node_import_copy.cpp): this node's import records with their digest, held
  // from proposing until the local datastore has them (a duplicate or a restart may need them);
  // a wiped origin's zone file, kept while R holds its import it may serve; the import file on
  // disk; the index of another node's import by copy this node waits for a datastore copy of.
  struct OwnImport {
    ImportDigest digest;
    std::vector<dns::Change> adds;
  };
  std::optional<OwnImport> own_import_;
  std::vector<dns::Record> zone_fallback_;
  bool import_file_ = false;
  raft::Index copy_needed_ = 0;
  // The import by copy being applied a slice at a time (serve_import_slice), and its timer.
  struct SlicedImport {
    raft::Index index = 0;
    ChangeBatch batch;  // origin, request id, digest; no changes
    std::vector<dns::Change> changes;
    std::size_t next = 0;
    dns::Database::PartialApply parts;
  };
  std::optional<SlicedImport> sliced_;
  std::optional<Clock::TimerId> slice_timer_;
  TimePoint next_rejoin_{};
  TimePoint next_bound_proposal_{};  // leader: when to propose SetPendingBound again
  // Datastore transfer (node_transfer.cpp).
  TransferSource source_;
  TransferSink sink_;
  bool transfer_wanted_ = false;  // the local datastore has a gap: copy a peer's
  TimePoint transfer_deadline_{};
  int transfer_asks_ = 0;                                 // asks for the current chunk so far
  std::size_t transfer_turn_ = 0;                         // rotates through the peers
  std::shared_ptr<StoreSnapshotJob> store_snapshot_job_;  // running on options_.worker
  // A checkpoint by snapshot that landed but whose WAL reset failed: redone first on retry.
  std::shared_ptr<StoreSnapshotJob> checkpoint_snapshot_written_;
  // Expires with the node: a worker's `done` queued behind the node's end does nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool started_ = false;
  bool stopped_ = false;
  bool processing_ = false;
};

}  // namespace engine
