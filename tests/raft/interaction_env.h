#pragma once
// The in-memory cluster the interaction scripts drive (after etcd-io/raft's rafttest
// InteractionEnv): raft::Raft nodes with their durable storage and application state, one shared
// network queue of messages in flight, cut links, crashed nodes, and the raft safety invariants
// (paper Figure 3) checked after every step. Commands print into the env's output buffer.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/raft.h"
#include "tests/raft/test_cluster.h"

namespace raft::testing {

// A command asked for something the cluster cannot do (unknown node, node down): a script
// mistake, reported with the script's file:line.
class EnvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One node of the interaction cluster: its config, durable state and application state.
struct InteractionNode {
  Config config;
  std::unique_ptr<Raft> raft;  // null while crashed
  MemoryStorage storage;
  // The application's state machine: payloads of applied Normal entries, in order, starting from
  // the snapshot it was restored from.
  std::vector<std::string> app_state;
  Index app_applied = 0;
  // A Ready taken from raft whose early messages went out but which is not persisted yet.
  std::optional<Ready> in_progress;
  // Role line printed last, so transitions are printed once.
  std::string last_role_line;
};

class InteractionEnv {
 public:
  std::map<NodeId, InteractionNode> nodes;
  std::vector<Message> network;                   // sent, not yet delivered, in send order
  std::set<std::pair<NodeId, NodeId>> cut_links;  // (from, to) pairs that drop messages
  bool bugs_configured = false;                   // some node runs with a TestBugs switch

  // ---- output of the current command ------------------------------------------------------
  void print(const std::string& line, int indent = 0);
  // Like print, but only at output level "full" (Ready contents, each delivered message).
  void detail(const std::string& line, int indent = 0);
  std::string take_output();
  // Where the output is now, and inserting a line there later (headers for what followed).
  size_t output_mark() const { return out_.size(); }
  void insert_line(size_t mark, const std::string& line);
  // "full" prints everything; "roles" only role changes, command results and violations.
  bool verbose = true;

  // ---- node lifecycle -----------------------------------------------------------------------
  // Adds a node with `config` starting from `storage`.
  void add_node(Config config, MemoryStorage storage);
  InteractionNode& node(NodeId id);  // throws EnvError if unknown
  Raft& live(NodeId id);             // the running Raft; throws EnvError if crashed
  bool up(NodeId id) const;
  void crash(NodeId id);
  void restart(NodeId id);

  // ---- driving ------------------------------------------------------------------------------
  // Handles one Ready of `id`: persist, send, apply, advance (finishing a Ready in progress
  // first). Prints it. False if none.
  bool process_ready(NodeId id);
  // The two halves: take and print a Ready and send only its early messages; then persist it,
  // send the rest, apply and advance.
  bool begin_ready(NodeId id);
  void finish_ready(NodeId id);
  // Delivers the queued messages to `to` that `filter` accepts (all of them without one), in
  // send order; with `drop` they are discarded instead. Returns how many were taken.
  // Delivers (or with drop, discards) the queued messages to `to` that pass `filter`; with
  // twice, each is stepped in a second time right after the first (a duplicating network).
  size_t deliver(NodeId to, const std::function<bool(const Message&)>& filter, bool drop,
                 bool twice = false);
  // Repeats "every node handles its Ready, then every node receives its messages" until quiet.
  // Only `ids` take part (all nodes if empty). False if it did not settle in max_rounds.
  bool stabilize(const std::vector<NodeId>& ids, int max_rounds);
  // Prints role/term/leader of `id` if they changed since last printed.
  void note_role_change(NodeId id, int indent);

  // ---- invariants ---------------------------------------------------------------------------
  // Checks the raft safety properties on the current state; prints and records violations.
  void check_invariants();
  const std::vector<std::string>& violations() const { return violations_; }
  // Terms and their leaders seen so far (election safety evidence).
  const std::map<Term, NodeId>& leaders_by_term() const { return leaders_by_term_; }
  const std::map<Index, Entry>& applied_entries() const { return applied_at_; }

  // The application's snapshot encoding of `id`'s state as of `index` (<= applied).
  std::string app_snapshot_data(NodeId id, Index index);

 private:
  void violation(const std::string& what);
  void apply(InteractionNode& n, NodeId id, const Ready& rd);

  std::string out_;
  std::vector<std::string> violations_;
  std::set<std::string> violation_set_;
  std::map<Term, NodeId> leaders_by_term_;
  std::map<Index, Entry> applied_at_;  // state machine safety: one entry per applied index
  // Leader completeness: every entry known committed, with the term it was first seen committed.
  std::map<Index, std::pair<Entry, Term>> committed_;
  // Leader append-only: the log each current leader had at the last check.
  std::map<NodeId, std::pair<Term, std::vector<Entry>>> leader_logs_;
  // For each node's applied Normal entries since its snapshot: index -> payload.
  std::map<NodeId, std::vector<std::pair<Index, std::string>>> app_log_;
};

std::vector<std::string> split_snapshot_data(const std::string& data);

}  // namespace raft::testing
