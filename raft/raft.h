#pragma once
// Raft consensus as a pure state machine (etcd-io/raft shape): inputs are tick(), step(),
// propose(); all output is drained as one Ready. No I/O, no clock, no threads: time is ticks and
// randomness comes from Config::seed.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "raft/config_history.h"
#include "raft/log.h"
#include "raft/membership.h"
#include "raft/message.h"
#include "raft/prng.h"
#include "raft/progress.h"
#include "raft/types.h"
#include "raft/vote_policy.h"

namespace raft {

// Deliberate bugs for the simulator's "does it catch bugs" tests; never set in production.
struct TestBugs {
  bool commit_without_majority = false;  // leader commits what it alone has
  bool forget_vote = false;              // votes are not part of the persisted hard state
};

struct Config {
  NodeId id = kNoNode;
  // The bootstrap configuration: the voters before any ConfChange entry. It must be the same list
  // on every node, since each reads the log's ConfChange entries on top of it (a snapshot carries
  // the configuration as of its index, which then replaces this list). A node joining a running
  // cluster passes the same list (without itself) and stays passive until the leader reaches it.
  std::vector<NodeId> voters{};
  int election_ticks = 10;  // randomized timeout in [election_ticks, 2*election_ticks)
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  size_t max_inflight_appends = 64;
  size_t max_append_bytes = 1 << 20;
  // A snapshot larger than this goes out in chunks of this many bytes (InstallSnapshot's
  // offset/data/done), one at a time, each answered with the bytes the follower holds; smaller
  // ones go whole in one message. Keeps every message far below the transport's frame limit.
  size_t max_snapshot_chunk_bytes = 4 << 20;
  uint64_t seed = 0;
  // Raft thesis §10.2.1: a leader may send its appends (and heartbeats, snapshots, TimeoutNow)
  // before its own disk write finishes, overlapping its fsync with the followers'; it then counts
  // itself toward commit only for what it has persisted (advance()). Those messages come in
  // Ready::early_messages, which the caller may send before persisting.
  bool leader_sends_before_persist = false;
  TestBugs bugs{};
};

// Durable state handed back after a restart (what RaftLogStore::load() returns).
struct Restored {
  HardState hard_state{};
  std::optional<Snapshot> snapshot{};
  std::vector<Entry> entries{};  // after the snapshot, contiguous
};

// Everything the caller must do, in this order: persist hard_state + snapshot/compacted_snapshot
// + entries (entries may overwrite the persisted log from entries.front().index on: truncate the
// suffix), fsync, then send messages, then install `snapshot` (if any) and apply `committed`,
// then call advance().
struct Ready {
  std::optional<HardState> hard_state{};
  std::optional<Snapshot> snapshot{};  // received from the leader: persist it AND install it
  std::vector<Entry> entries{};
  std::vector<Message> messages{};
  // Only with Config::leader_sends_before_persist: leader messages that may go out before (or
  // while) this Ready is persisted. Otherwise always empty.
  std::vector<Message> early_messages{};
  std::vector<Entry> committed{};
  // Made by compact() from the application's own state: persist it (the log up to its index may
  // then be dropped), do NOT install it.
  std::optional<Snapshot> compacted_snapshot{};
  bool empty() const {
    return !hard_state && !snapshot && entries.empty() && messages.empty() &&
           early_messages.empty() && committed.empty() && !compacted_snapshot;
  }
};

struct Status {
  NodeId id = kNoNode;
  Role role = Role::Follower;
  Term term = 0;
  NodeId leader = kNoNode;
  Index commit = 0;
  Index applied = 0;
  Index last_index = 0;
  Index snapshot_index = 0;
  // The configuration in effect (the newest in the log, committed or not) and the index of the
  // entry that made it (the snapshot's index, or 0 for the bootstrap voters).
  std::vector<NodeId> voters{};
  std::vector<NodeId> learners{};
  Index config_index = 0;
  // Elections this node has started as a Candidate since it was created (pre-votes that did
  // not lead to one are not counted); for metrics.
  std::uint64_t elections = 0;
};

struct ProposeResult {
  enum Kind { Appended, Forwarded, Dropped } kind = Dropped;
  Index index = 0;  // Appended: where the entry landed
  Term term = 0;    // Appended: its term
  NodeId leader = kNoNode;
};

// Why propose_conf_change() did not append the change.
enum class ConfChangeRefusal : std::uint8_t {
  None,                // appended
  NotLeader,           // only the leader takes changes (see propose_conf_change)
  TransferInProgress,  // a leadership transfer is under way
  LeaderNotReady,      // the leader has not committed an entry of its own term yet
  ChangeInProgress,    // the previous change is not committed yet
  InvalidChange,       // e.g. adding a member, promoting a non-learner, removing the last voter
  WouldLoseQuorum,     // too few of the new voters have been heard from recently
};
const char* to_string(ConfChangeRefusal refusal);

struct ConfChangeResult {
  ConfChangeRefusal refusal = ConfChangeRefusal::None;
  std::string reason{};  // for humans, e.g. "node 4 is already a learner"
  Index index = 0;       // appended: where the entry landed
  Term term = 0;         // appended: its term
  NodeId leader = kNoNode;
  bool appended() const { return refusal == ConfChangeRefusal::None; }
};

class Raft {
 public:
  // Throws std::invalid_argument on a config or restored state that cannot be right.
  Raft(Config config, Restored restored);

  void tick();
  // Messages for another node, from unknown senders, with stale terms or garbage indexes are
  // answered per the paper or dropped; never a crash.
  void step(const Message& m);
  // Leader: appends. Follower with a known leader: forwards as Propose. Otherwise Dropped.
  ProposeResult propose(Bytes data);
  // Leader only: appends a ConfChange entry, which takes effect on every node as soon as the
  // node appends it (thesis §4.1). Refused (with a reason) unless this node is the leader, has
  // committed an entry of its term (thesis §4.1, the fix to single-server changes across leader
  // changes), has no uncommitted change in its log, the change is valid for the current
  // configuration, and, counting itself if it stays a voter, the leader has heard recently from a
  // quorum of the new voters (etcd's strict reconfiguration check). Followers refuse rather than
  // forward: a forwarded Propose has no way to carry the refusal back.
  ConfChangeResult propose_conf_change(ConfChange change);
  // Leader only: hand leadership to voter `to` once its log is caught up (TimeoutNow).
  void transfer_leadership(NodeId to);
  // Starts an election now (tests, operator command); ignored by a leader.
  void campaign();
  // The transport saw peer `id` close its connection (its process died or restarted). When `id`
  // is this follower's leader, the election timeout shrinks to [election_ticks, election_ticks +
  // max(2, election_ticks / 4)) ticks since the leader was last heard: the lease check-quorum
  // needs stays whole, but the random part that keeps elections apart is mostly skipped, since
  // the leader is known to be gone rather than suspected. Any message from a leader restores a
  // fresh timeout, so a connection that merely broke and came back changes nothing. A leader
  // probes that peer (one append at a time) instead of replicating to it (etcd's
  // ReportUnreachable): it sends no more full windows of appends into a broken connection.
  void peer_lost(NodeId id);
  // Restricts the votes this node gives (see VotePolicy); nullptr: raft's rules alone. The policy
  // must outlive this object. Not persisted: set it again after a restart, before the first tick.
  void set_vote_policy(const VotePolicy* policy) { vote_policy_ = policy; }

  bool has_ready() const;
  Ready ready();   // drains pending output; call advance() before the next ready()
  void advance();  // the last Ready was fully handled
  // While the last Ready is still being persisted (before advance()): committed entries that
  // are already on stable storage (persisted by an earlier, advanced Ready) and that no Ready
  // has handed out, so the caller may apply them now rather than after the running write. They
  // leave with this call, not with the next Ready, and always in order: nothing is returned
  // while the outstanding Ready's own committed entries wait for its write, or a received
  // snapshot waits to be installed.
  std::vector<Entry> take_stable_committed();
  // Config::leader_sends_before_persist only (else always empty): the leader messages made since
  // the last ready(), such as the appends of entries proposed since, which may go out now rather
  // than with the next Ready, while the last one is still being persisted. They leave with this
  // call, not with the next Ready.
  std::vector<Message> take_early_messages();

  // The application has a snapshot at `index` (<= applied): keep it for lagging followers and
  // drop log entries <= index. Throws std::invalid_argument if index > applied.
  void compact(Index index, Bytes snapshot_data);

  Status status() const;
  // The configuration in effect: the newest in the log, committed or not.
  const Membership& membership() const { return history_.current(); }
  // Leader only: learners whose log holds everything committed, ready to be promoted.
  std::vector<NodeId> caught_up_learners() const;
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId leader() const { return leader_; }
  // The entries after the latest snapshot, committed or not, in log order (invariant checkers,
  // and the application's vote context); the snapshot's position; terms.
  const std::vector<Entry>& log_entries() const { return log_.entries(); }
  const SnapshotMeta& snapshot_meta() const { return log_.snapshot_meta(); }
  std::optional<Term> term_at(Index index) const { return log_.term(index); }
  // Leader's view of a follower (tests); nullptr when not leader or unknown peer.
  const Progress* progress(NodeId peer) const;

 private:
  enum class CampaignKind { PreElection, Election, Transfer };
  enum class VoteResult { Pending, Won, Lost };

  // Role changes.
  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void start_campaign(CampaignKind kind);

  // Per-role message handling.
  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  // Adds a chunk to the snapshot being assembled; the whole snapshot once it is complete.
  std::optional<Snapshot> take_snapshot_chunk(const Message& m);
  void install_snapshot(Snapshot s, Membership members);
  void handle_snapshot_response(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat_response(const Message& m);

  // Ticks.
  void tick_election();
  void tick_heartbeat();

  // Sending.
  void send(Message m);
  void send_append(NodeId to);
  bool maybe_send_append(NodeId to, bool send_if_empty);
  void send_heartbeat(NodeId to);
  void send_timeout_now(NodeId to);
  // The chunk of our snapshot starting at `offset` (or the whole snapshot when it fits in one).
  void send_snapshot_chunk(NodeId to, std::uint64_t offset);
  void bcast_append();
  void send_proposed();  // the appends append_due_ stands for
  void bcast_heartbeat();

  bool maybe_commit();
  // After the configuration changed on the leader: track new members, forget removed ones.
  void update_progress_for_membership();
  // Thesis §4.2.2: a leader that removed itself leads until that change commits, then hands over.
  void maybe_step_down_after_removal();
  bool removal_committed() const;  // leader only: the change that removed us is committed
  bool append_entries(std::vector<Entry> entries);
  VoteResult poll(NodeId from, bool granted);
  bool quorum_active();
  bool is_voter(NodeId id) const;
  bool may_campaign() const;
  size_t quorum() const { return membership().quorum(); }
  bool in_lease() const;
  bool valid_append(const Message& m) const;
  void reset_randomized_election_timeout();
  // A follower heard from leader `from`: the election clock starts again.
  void heard_from_leader(NodeId from);
  HardState hard_state() const;

  Config config_;
  Prng prng_;
  RaftLog log_;
  ConfigHistory history_;  // after log_: built from it
  Role role_ = Role::Follower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  const VotePolicy* vote_policy_ = nullptr;
  NodeId leader_ = kNoNode;
  NodeId lead_transferee_ = kNoNode;
  std::map<NodeId, Progress> progress_;  // leader only; ordered so output is deterministic
  std::map<NodeId, bool> votes_;         // (pre-)candidate only
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  std::uint64_t elections_ = 0;  // Status::elections
  int randomized_election_timeout_ = 0;
  bool leader_lost_ = false;  // peer_lost() shortened randomized_election_timeout_

  // Output not yet drained by ready().
  std::vector<Message> outbox_;
  std::vector<Message> early_outbox_;  // see Config::leader_sends_before_persist
  // Entries were proposed since the last send_proposed(): a burst of proposals goes out as one
  // append per follower (made when output is next drained), not one per proposal, so a follower
  // also answers it once.
  bool append_due_ = false;
  std::optional<Snapshot> pending_install_;
  std::optional<Snapshot> pending_compacted_;
  // A snapshot arriving in chunks (follower): from whom, which, its full size, the bytes so far.
  struct IncomingSnapshot {
    NodeId from = kNoNode;
    SnapshotMeta meta{};
    std::uint64_t size = 0;
    Bytes data{};
  };
  std::optional<IncomingSnapshot> incoming_snapshot_;
  HardState last_ready_hard_state_;
  // What the outstanding Ready handed out, acknowledged by advance().
  Index applying_ = 0;
  std::optional<std::pair<Index, Term>> persisting_;
  bool installing_snapshot_ = false;
};

}  // namespace raft
