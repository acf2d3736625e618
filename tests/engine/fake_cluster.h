#pragma once
// A minimal deterministic cluster of engine::Node for unit tests: one virtual time line, timers
// and message deliveries as ordered events, in-memory disks, blockable links. (The full
// simulator with faults lives in sim/ + harness/; this only exercises the engine's rules.)

#include <fmt/core.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dns/zone_db.h"
#include "engine/node.h"
#include "tests/engine/memory_disk.h"

namespace engine::testing {

class FakeCluster {
 public:
  struct Member;

  // Virtual time shared by every member.
  class Loop {
   public:
    void at(TimePoint when, std::function<void()> fn, std::uint64_t* id_out = nullptr) {
      const std::uint64_t id = ++seq_;
      events_.emplace(std::make_pair(when, id), std::move(fn));
      if (id_out) *id_out = id;
    }
    void cancel(std::uint64_t id) {
      for (auto it = events_.begin(); it != events_.end(); ++it)
        if (it->first.second == id) {
          events_.erase(it);
          return;
        }
    }
    // Runs events up to `until`; returns false if it ran out of events.
    void run_until(TimePoint until) {
      while (!events_.empty() && events_.begin()->first.first <= until) {
        auto node = events_.extract(events_.begin());
        now_ = node.key().first;
        node.mapped()();
      }
      now_ = until;
    }
    TimePoint now() const { return now_; }

   private:
    TimePoint now_{};
    std::uint64_t seq_ = 0;
    std::map<std::pair<TimePoint, std::uint64_t>, std::function<void()>> events_;
  };

  class MemberClock : public Clock {
   public:
    MemberClock(Loop& loop, bool& alive) : loop_(loop), alive_(alive) {}
    TimePoint now() const override { return loop_.now(); }
    TimerId start_timer(Duration after, std::function<void()> fire) override {
      std::uint64_t id = 0;
      loop_.at(
          loop_.now() + after,
          [this, fire = std::move(fire)] {
            if (alive_) fire();
          },
          &id);
      return id;
    }
    void cancel_timer(TimerId id) override { loop_.cancel(id); }

   private:
    Loop& loop_;
    bool& alive_;
  };

  class MemberTransport : public Transport {
   public:
    MemberTransport(FakeCluster& cluster, NodeId self) : cluster_(cluster), self_(self) {}
    void send(NodeId to, Bytes message) override {
      cluster_.deliver(self_, to, std::move(message));
    }

   private:
    FakeCluster& cluster_;
    NodeId self_;
  };

  class SeededRandom : public Random {
   public:
    explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next_u64() override {
      std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      return z ^ (z >> 31);
    }

   private:
    std::uint64_t state_;
  };

  struct Member {
    NodeId id = 0;
    bool alive = false;
    std::uint64_t incarnation = 0;
    MemoryDisk disk;
    std::unique_ptr<dns::Database> db = std::make_unique<dns::Database>();
    std::unique_ptr<MemberClock> clock;
    std::unique_ptr<MemberTransport> transport;
    std::unique_ptr<SeededRandom> random;
    std::unique_ptr<Node> node;
    std::vector<dns::Record> zone;
    NodeObserver* observer = nullptr;         // handed to every incarnation's Node
    bool join = false;                        // a spare started as dns-node --join (knows no peer)
    std::function<void(NodeOptions&)> tweak;  // this member's options, e.g. a bug switch
  };

  FakeCluster(std::size_t n, NodeOptions base) : base_(std::move(base)) {
    for (NodeId id = 1; id <= n; ++id) base_.members.push_back(id);
    for (NodeId id = 1; id <= n; ++id) {
      auto m = std::make_unique<Member>();
      m->id = id;
      members_.push_back(std::move(m));
    }
  }
  ~FakeCluster() {
    for (auto& m : members_) m->node.reset();
  }

  // A node outside the bootstrap members, to be added with ADD-NODE and started joining.
  NodeId add_spare() {
    auto m = std::make_unique<Member>();
    m->id = members_.size() + 1;
    m->join = true;
    members_.push_back(std::move(m));
    return members_.back()->id;
  }

  Member& member(NodeId id) { return *members_.at(id - 1); }
  Node& node(NodeId id) { return *member(id).node; }
  dns::Database& db(NodeId id) { return *member(id).db; }
  Loop& loop() { return loop_; }

  void start(NodeId id) {
    Member& m = member(id);
    m.alive = true;
    ++m.incarnation;
    NodeOptions options = base_;
    options.id = id;
    if (m.join) {
      options.join = true;
      options.members = {id};
    }
    if (m.tweak) m.tweak(options);
    m.clock = std::make_unique<MemberClock>(loop_, m.alive);
    m.transport = std::make_unique<MemberTransport>(*this, id);
    m.random = std::make_unique<SeededRandom>(id * 1000 + m.incarnation);
    m.db = std::make_unique<dns::Database>();
    m.node = std::make_unique<Node>(options, *m.transport, *m.clock, m.disk, *m.random, *m.db,
                                    m.observer);
    m.node->start(m.zone);
  }
  void start_all() {
    for (auto& m : members_) start(m->id);
  }
  // Power cut: the process and unsynced disk data are gone.
  void crash(NodeId id) {
    Member& m = member(id);
    m.alive = false;
    m.node.reset();
    m.disk.crash();
  }
  // The process restarts (e.g. after an operator's restart); the disk keeps everything written.
  void restart(NodeId id) {
    Member& m = member(id);
    m.alive = false;
    m.node.reset();
    start(id);
  }
  void set_bugs(NodeId id, std::function<void(NodeOptions&)> tweak) {
    member(id).tweak = std::move(tweak);
  }
  // kill -9, rm -rf of the data directory; start(id) brings it back empty.
  void wipe(NodeId id) {
    crash(id);
    member(id).disk.wipe();
  }
  void block(NodeId a, NodeId b) { blocked_.insert({std::min(a, b), std::max(a, b)}); }
  void unblock_all() { blocked_.clear(); }

  void run_for(Duration d) { loop_.run_until(loop_.now() + d); }
  // Runs until `done` holds or `limit` passes; returns whether it held.
  bool run_until(const std::function<bool()>& done, Duration limit) {
    const TimePoint end = loop_.now() + limit;
    while (loop_.now() < end) {
      if (done()) return true;
      loop_.run_until(loop_.now() + std::chrono::milliseconds(10));
    }
    return done();
  }
  NodeId leader() {
    for (auto& m : members_)
      if (m->alive && m->node->raft().role() == raft::Role::Leader) return m->id;
    return 0;
  }

 private:
  void deliver(NodeId from, NodeId to, Bytes bytes) {
    if (blocked_.contains({std::min(from, to), std::max(from, to)})) return;
    loop_.at(loop_.now() + std::chrono::milliseconds(1),
             [this, from, to, bytes = std::move(bytes)] {
               Member& m = member(to);
               if (m.alive && m.node) m.node->receive(from, bytes);
             });
  }

  NodeOptions base_;
  Loop loop_;
  std::vector<std::unique_ptr<Member>> members_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
};

}  // namespace engine::testing
