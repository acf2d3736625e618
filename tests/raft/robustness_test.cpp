// Random schedules of ticks, proposals, partitions, message loss and crashes keep the raft
// invariants; forged and garbage messages never crash a node.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

using namespace rc;

// rapidcheck's gen::maybe yields rc::Maybe; raft uses std::optional.
template <typename T>
rc::Gen<std::optional<T>> optional_of(rc::Gen<T> g) {
  return gen::oneOf(gen::just(std::optional<T>{}),
                    gen::map(std::move(g), [](T v) { return std::optional<T>(std::move(v)); }));
}

enum class Action { TickAll, Propose, Isolate, Heal, Crash, Restart, Compact, Transfer };

RC_GTEST_PROP(RaftSchedule, RandomFaultSchedulesKeepInvariants, ()) {
  const size_t n = *gen::element<size_t>(3, 5);
  const uint64_t seed = *gen::arbitrary<uint64_t>();
  TestCluster c(n, [&](Config& cfg) { cfg.seed = seed; });
  const int loss_percent = *gen::inRange(0, 30);
  uint64_t drop_state = seed;
  c.drop = [&](const Message&) {
    drop_state = drop_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((drop_state >> 33) % 100) < loss_percent;
  };
  const auto actions = *gen::container<std::vector<std::pair<Action, NodeId>>>(
      gen::pair(gen::element(Action::TickAll, Action::TickAll, Action::TickAll, Action::Propose,
                             Action::Propose, Action::Isolate, Action::Heal, Action::Crash,
                             Action::Restart, Action::Compact, Action::Transfer),
                gen::inRange<NodeId>(1, n + 1)));
  std::map<NodeId, Index> commit_seen;
  int proposal = 0;
  for (auto [action, id] : actions) {
    switch (action) {
      case Action::TickAll:
        c.tick_all(3);
        break;
      case Action::Propose:
        if (c.up(id)) c[id].propose(bytes_of(std::to_string(proposal++)));
        break;
      case Action::Isolate:
        c.isolate(id);
        break;
      case Action::Heal:
        c.heal();
        break;
      case Action::Crash:
        c.crash(id);
        break;
      case Action::Restart:
        c.restart(id);
        break;
      case Action::Compact:
        if (c.up(id) && c[id].status().applied > 0) {
          c[id].compact(c[id].status().applied, bytes_of("snap"));
        }
        break;
      case Action::Transfer:
        if (c.up(id)) c[id].transfer_leadership(id % n + 1);
        break;
    }
    c.settle();
    for (NodeId node : c.ids()) {
      if (!c.up(node)) continue;
      Status s = c[node].status();
      // Commit never goes backwards, not even across a restart (it is in the hard state).
      RC_ASSERT(s.commit >= commit_seen[node]);
      commit_seen[node] = s.commit;
      RC_ASSERT(s.snapshot_index <= s.commit);
      RC_ASSERT(s.commit <= s.last_index);
    }
  }
  // Heal everything; the cluster must converge on one leader and equal logs.
  c.drop = nullptr;
  c.heal();
  for (NodeId id : c.ids()) {
    if (!c.up(id)) c.start(id);
  }
  c.tick_all(60);
  int leaders = 0;
  NodeId leader = kNoNode;
  for (NodeId id : c.ids()) {
    if (c[id].role() == Role::Leader) {
      ++leaders;
      leader = id;
    }
  }
  RC_ASSERT(leaders == 1);
  for (NodeId id : c.ids()) {
    RC_ASSERT(c[id].status().commit == c[leader].status().commit);
    RC_ASSERT(c[id].status().last_index == c[leader].status().last_index);
  }
}

RC_GTEST_PROP(RaftSchedule, ForgedMessagesNeverCrash, ()) {
  TestCluster c(3);
  // Forged messages can make logs diverge (raft trusts its peers), after which leader and
  // follower may argue forever; what matters here is that nobody crashes.
  c.check_invariants = false;
  c.max_settle_rounds = 20;
  c.elect(1);
  const auto forged = *gen::container<std::vector<Message>>(gen::build<Message>(
      gen::set(&Message::type, gen::map(gen::inRange<int>(0, kMaxMessageType + 1),
                                        [](int t) { return static_cast<MessageType>(t); })),
      gen::set(&Message::from, gen::inRange<NodeId>(0, 5)),
      gen::set(&Message::to, gen::inRange<NodeId>(1, 4)),
      gen::set(&Message::term, gen::inRange<Term>(0, 4)),
      gen::set(&Message::log_term, gen::inRange<Term>(0, 4)),
      gen::set(&Message::index, gen::oneOf(gen::inRange<Index>(0, 12), gen::arbitrary<Index>())),
      gen::set(&Message::commit, gen::oneOf(gen::inRange<Index>(0, 12), gen::arbitrary<Index>())),
      gen::set(&Message::reject), gen::set(&Message::reject_hint, gen::inRange<Index>(0, 12)),
      gen::set(&Message::force),
      gen::set(&Message::entries,
               gen::resize(4, gen::container<std::vector<Entry>>(gen::build<Entry>(
                                  gen::set(&Entry::term, gen::inRange<Term>(0, 4)),
                                  gen::set(&Entry::index, gen::inRange<Index>(0, 12)))))),
      gen::set(
          &Message::snapshot,
          optional_of(gen::build<Snapshot>(gen::set(
              &Snapshot::meta, gen::build<SnapshotMeta>(
                                   gen::set(&SnapshotMeta::index, gen::inRange<Index>(0, 12)),
                                   gen::set(&SnapshotMeta::term, gen::inRange<Term>(0, 4)))))))));
  for (const Message& m : forged) {
    c.deliver(m);
    c[1].propose(bytes_of("p"));
    c.tick_all(1);
  }
  for (NodeId id : c.ids()) {
    Status s = c[id].status();
    RC_ASSERT(s.snapshot_index <= s.commit);
    RC_ASSERT(s.commit <= s.last_index);
  }
}

}  // namespace
}  // namespace raft::testing
