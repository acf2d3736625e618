#pragma once
// A small synchronous in-test "network" of Raft objects: drains every Ready (persisting into an
// in-memory store, applying committed entries), delivers messages in FIFO order, and lets tests
// cut links, drop messages, crash and restart nodes.

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "raft/raft.h"

namespace raft::testing {

inline Bytes bytes_of(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
inline std::string string_of(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

// What a node has durably stored (the test's stand-in for RaftLogStore).
struct MemoryStorage {
  HardState hard_state{};
  std::optional<Snapshot> snapshot{};
  std::vector<Entry> entries{};

  void save(const Ready& rd) {
    if (rd.hard_state) hard_state = *rd.hard_state;
    if (rd.snapshot) {
      snapshot = rd.snapshot;
      entries.clear();
    }
    if (rd.compacted_snapshot) {
      snapshot = rd.compacted_snapshot;
      std::erase_if(entries, [&](const Entry& e) { return e.index <= snapshot->meta.index; });
    }
    if (!rd.entries.empty()) {
      Index front = rd.entries.front().index;
      std::erase_if(entries, [&](const Entry& e) { return e.index >= front; });
      entries.insert(entries.end(), rd.entries.begin(), rd.entries.end());
    }
  }
  Restored restored() const { return Restored{hard_state, snapshot, entries}; }
};

class TestCluster {
 public:
  explicit TestCluster(size_t n, std::function<void(Config&)> tweak = {}) : tweak_(tweak) {
    for (NodeId id = 1; id <= n; ++id) ids_.push_back(id);
    bootstrap_voters_ = ids_;
    for (NodeId id : ids_) start(id);
  }

  // Starts a node outside the bootstrap configuration: it stays passive until a ConfChange adds
  // it and the leader reaches it.
  void add_node(NodeId id) {
    ids_.push_back(id);
    start(id);
  }

  Raft& operator[](NodeId id) { return *nodes_.at(id); }
  const std::vector<NodeId>& ids() const { return ids_; }
  bool up(NodeId id) const { return nodes_.contains(id); }

  Config config_for(NodeId id) const {
    Config c{.id = id, .voters = bootstrap_voters_, .seed = 42};
    if (tweak_) tweak_(c);
    return c;
  }

  void start(NodeId id) {
    nodes_[id] = std::make_unique<Raft>(config_for(id), storage_[id].restored());
    // The application state restarts from the snapshot; entries after it are re-applied.
    applied_[id].clear();
    app_snapshot_[id] = storage_[id].snapshot ? storage_[id].snapshot->data : Bytes{};
  }
  void crash(NodeId id) { nodes_.erase(id); }
  void restart(NodeId id) {
    crash(id);
    start(id);
  }

  // Cuts both directions between `id` and everyone else.
  void isolate(NodeId id) {
    for (NodeId other : ids_) {
      if (other == id) continue;
      cut_.insert({id, other});
      cut_.insert({other, id});
    }
  }
  void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  void heal() { cut_.clear(); }
  // Return true to drop a message.
  std::function<bool(const Message&)> drop;
  // Return true to deliver a message once more, in the next round (duplicated and late).
  std::function<bool(const Message&)> duplicate;
  // Every message that was handed to a node, for assertions.
  std::vector<Message> delivered;

  // Drains and delivers until nothing moves. Fails the test if it never settles.
  void settle() {
    for (int round = 0; round < max_settle_rounds; ++round) {
      bool moved = false;
      for (NodeId id : ids_) {
        if (!up(id) || !nodes_[id]->has_ready()) continue;
        moved = true;
        handle_ready(id);
      }
      if (queue_.empty() && !moved) return;
      std::deque<Message> batch;
      batch.swap(queue_);
      for (Message& m : batch) deliver(m);
    }
    std::string tail;
    for (size_t i = delivered.size() > 12 ? delivered.size() - 12 : 0; i < delivered.size(); ++i) {
      tail += "\n  " + describe(delivered[i]);
    }
    if (check_invariants) ADD_FAILURE() << "cluster did not settle; last messages:" << tail;
  }

  void deliver(const Message& m) {
    if (!up(m.to) || cut_.contains({m.from, m.to}) || (drop && drop(m))) return;
    delivered.push_back(m);
    nodes_[m.to]->step(m);
    if (duplicate && duplicate(m)) queue_.push_back(m);
  }

  void tick(NodeId id, int times = 1) {
    for (int i = 0; i < times; ++i) {
      if (up(id)) nodes_[id]->tick();
      settle();
    }
  }
  void tick_all(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (NodeId id : ids_) {
        if (up(id)) nodes_[id]->tick();
      }
      settle();
    }
  }

  // Makes `id` campaign and settles; returns whether it became leader.
  bool elect(NodeId id) {
    nodes_.at(id)->campaign();
    settle();
    return nodes_.at(id)->role() == Role::Leader;
  }

  std::vector<std::string> applied_strings(NodeId id) const {
    std::vector<std::string> out;
    for (const Entry& e : applied_.at(id)) {
      if (e.kind == EntryKind::Normal) out.push_back(string_of(e.data));
    }
    return out;
  }
  const std::vector<Entry>& applied(NodeId id) const { return applied_.at(id); }
  const Bytes& app_snapshot(NodeId id) const { return app_snapshot_.at(id); }
  MemoryStorage& storage(NodeId id) { return storage_[id]; }
  // Snapshots received by each node through Ready::snapshot.
  std::map<NodeId, int> installed_snapshots;

  // Delivery rounds after which settle() gives up (and fails the test if checking invariants).
  int max_settle_rounds = 10000;
  // Off for tests that inject forged messages (raft does not defend against lying peers).
  bool check_invariants = true;

  // Leaders seen per term across the whole run: the election-safety invariant.
  void check_one_leader_per_term() {
    for (NodeId id : ids_) {
      if (!up(id) || nodes_[id]->role() != Role::Leader) continue;
      auto [it, inserted] = leaders_.emplace(nodes_[id]->term(), id);
      EXPECT_EQ(it->second, id) << "two leaders in term " << it->first;
    }
  }

 private:
  // The same entry is applied at each index on every node.
  void check_state_machine_safety(NodeId id, const Entry& e) {
    auto [it, inserted] = applied_at_.emplace(e.index, e);
    EXPECT_EQ(it->second, e) << "node " << id << " applied a different entry at " << e.index;
  }

  void handle_ready(NodeId id) {
    Raft& r = *nodes_[id];
    Ready rd = r.ready();
    storage_[id].save(rd);
    for (Message& m : rd.messages) queue_.push_back(std::move(m));
    if (rd.snapshot) {
      app_snapshot_[id] = rd.snapshot->data;
      applied_[id].clear();
      ++installed_snapshots[id];
    }
    for (Entry& e : rd.committed) {
      if (check_invariants) check_state_machine_safety(id, e);
      applied_[id].push_back(std::move(e));
    }
    r.advance();
    if (check_invariants) check_one_leader_per_term();
  }

  std::function<void(Config&)> tweak_;
  std::vector<NodeId> ids_;
  std::vector<NodeId> bootstrap_voters_;  // Config::voters of every node
  std::map<NodeId, std::unique_ptr<Raft>> nodes_;
  std::map<NodeId, MemoryStorage> storage_;
  std::map<NodeId, std::vector<Entry>> applied_;
  std::map<NodeId, Bytes> app_snapshot_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::deque<Message> queue_;
  std::map<Term, NodeId> leaders_;
  std::map<Index, Entry> applied_at_;
};

// Drains one Raft's Ready by hand (for tests that step a single node directly).
inline std::vector<Message> take_messages(Raft& r) {
  Ready rd = r.ready();
  r.advance();
  return rd.messages;
}

inline Config no_pre_vote(Config c) {
  c.pre_vote = false;
  c.check_quorum = false;
  return c;
}

}  // namespace raft::testing
