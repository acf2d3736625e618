// Interaction commands that shape the cluster: adding nodes, crashing and restarting them, and
// cutting network links.

#include <fmt/format.h>

#include "tests/raft/interaction_commands.h"
#include "tests/raft/interaction_format.h"

namespace raft::testing {
namespace {

void print_node_state(InteractionEnv& env, NodeId id, const std::string& what) {
  InteractionNode& n = env.node(id);
  const Raft& r = *n.raft;
  std::string line = fmt::format("{} {}: {} voters={}", id, what, format_role_line(r),
                                 format_voters(n.config.voters));
  if (!(n.storage.hard_state == HardState{})) {
    line += " hard-state: " + format_hard_state(n.storage.hard_state);
  }
  if (n.storage.snapshot) line += fmt::format(" snapshot={}", n.storage.snapshot->meta.index);
  Status s = r.status();
  if (s.last_index > 0) line += fmt::format(" last={}/{}", *r.term_at(s.last_index), s.last_index);
  env.print(line);
  n.last_role_line = format_role_line(r);
}

// add-nodes <count> [voters=(ids)] [election=10] [heartbeat=1] [pre-vote=true]
//   [check-quorum=true] [max-inflight=64] [max-bytes=1048576] [max-chunk=4194304] [seed=0]
//   [early-send=false]
//   [bug=commit-without-majority|forget-vote]
//   initial durable state: [log=(terms...)] [snapshot=(index,term)] [snapshot-data=a,b]
//   [term=T] [vote=V] [commit=C]
void add_nodes(InteractionEnv& env, const Directive& d) {
  d.only_keys({"voters", "election", "heartbeat", "pre-vote", "check-quorum", "max-inflight",
               "max-bytes", "max-chunk", "seed", "early-send", "bug", "log", "snapshot",
               "snapshot-data", "term", "vote", "commit"});
  auto pos = d.positionals();
  if (pos.size() != 1) d.fail("needs the number of nodes to add");
  int64_t count = parse_int(d, pos[0]);
  if (count < 1) d.fail("count must be >= 1");
  NodeId first = env.nodes.empty() ? 1 : env.nodes.rbegin()->first + 1;
  NodeId last = first + static_cast<NodeId>(count) - 1;

  Config base;
  if (d.has("voters")) {
    for (const std::string& v : d.values("voters")) base.voters.push_back(parse_node(d, v));
  } else {
    for (NodeId id = 1; id <= last; ++id) base.voters.push_back(id);
  }
  base.election_ticks = static_cast<int>(d.int_or("election", base.election_ticks));
  base.heartbeat_ticks = static_cast<int>(d.int_or("heartbeat", base.heartbeat_ticks));
  base.pre_vote = d.bool_or("pre-vote", base.pre_vote);
  base.check_quorum = d.bool_or("check-quorum", base.check_quorum);
  base.max_inflight_appends = static_cast<size_t>(
      d.int_or("max-inflight", static_cast<int64_t>(base.max_inflight_appends)));
  base.max_append_bytes =
      static_cast<size_t>(d.int_or("max-bytes", static_cast<int64_t>(base.max_append_bytes)));
  base.max_snapshot_chunk_bytes = static_cast<size_t>(
      d.int_or("max-chunk", static_cast<int64_t>(base.max_snapshot_chunk_bytes)));
  base.seed = static_cast<uint64_t>(d.int_or("seed", 0));
  base.leader_sends_before_persist = d.bool_or("early-send", false);
  if (auto bug = d.value("bug")) {
    if (*bug == "commit-without-majority") {
      base.bugs.commit_without_majority = true;
    } else if (*bug == "forget-vote") {
      base.bugs.forget_vote = true;
    } else {
      d.fail(fmt::format("unknown bug '{}'", *bug));
    }
  }

  MemoryStorage storage;
  Index index = 0;
  Term term = 0;
  if (d.has("snapshot")) {
    auto snap = d.values("snapshot");
    if (snap.size() != 2) d.fail("snapshot=(index,term)");
    Snapshot s;
    s.meta.index = static_cast<Index>(parse_int(d, snap[0]));
    s.meta.term = static_cast<Term>(parse_int(d, snap[1]));
    s.meta.voters = base.voters;
    std::string data = d.string_or("snapshot-data", "");
    s.data = Bytes(data.begin(), data.end());
    index = s.meta.index;
    term = s.meta.term;
    storage.snapshot = std::move(s);
  }
  for (const std::string& t : d.values("log")) {
    term = static_cast<Term>(parse_int(d, t));
    storage.entries.push_back(Entry{.term = term, .index = ++index});
  }
  storage.hard_state.term = static_cast<Term>(d.int_or("term", static_cast<int64_t>(term)));
  if (auto vote = d.value("vote")) storage.hard_state.vote = parse_node(d, *vote);
  storage.hard_state.commit = static_cast<Index>(d.int_or("commit", 0));

  for (NodeId id = first; id <= last; ++id) {
    Config c = base;
    c.id = id;
    env.add_node(c, storage);
    print_node_state(env, id, "added");
  }
  env.check_invariants();
}

const InteractionCommandRegistration kAddNodes{"add-nodes",
                                               "add-nodes <count> [voters=(..)] [election=N] "
                                               "[heartbeat=N] [pre-vote=B] [check-quorum=B] "
                                               "[log=(terms)] [snapshot=(i,t)] [term=] [commit=]",
                                               add_nodes};

// crash <id>...: the node stops; what it did not persist is lost, messages to it are dropped.
const InteractionCommandRegistration kCrash{"crash", "crash <id>...",
                                            [](InteractionEnv& env, const Directive& d) {
                                              for (NodeId id : positional_nodes(d)) {
                                                env.live(id);
                                                env.crash(id);
                                                env.print(fmt::format("{} crashed", id));
                                              }
                                            }};

// restart <id>...: (crash and) start again from what the node persisted.
const InteractionCommandRegistration kRestart{"restart", "restart <id>...",
                                              [](InteractionEnv& env, const Directive& d) {
                                                for (NodeId id : positional_nodes(d)) {
                                                  env.restart(id);
                                                  print_node_state(env, id, "restarted");
                                                }
                                                env.check_invariants();
                                              }};

// cut <a> <b> [oneway=true]: messages a->b (and b->a unless oneway) are dropped on delivery.
const InteractionCommandRegistration kCut{"cut", "cut <a> <b> [oneway=true]",
                                          [](InteractionEnv& env, const Directive& d) {
                                            d.only_keys({"oneway"});
                                            auto ids = positional_nodes(d);
                                            if (ids.size() != 2) d.fail("needs two node ids");
                                            env.cut_links.insert({ids[0], ids[1]});
                                            if (!d.bool_or("oneway", false))
                                              env.cut_links.insert({ids[1], ids[0]});
                                          }};

// mend <a> <b>: restores both directions between a and b.
const InteractionCommandRegistration kMend{"mend", "mend <a> <b>",
                                           [](InteractionEnv& env, const Directive& d) {
                                             auto ids = positional_nodes(d);
                                             if (ids.size() != 2) d.fail("needs two node ids");
                                             env.cut_links.erase({ids[0], ids[1]});
                                             env.cut_links.erase({ids[1], ids[0]});
                                           }};

// isolate <id>...: cuts every link between each given node and all others.
const InteractionCommandRegistration kIsolate{"isolate", "isolate <id>...",
                                              [](InteractionEnv& env, const Directive& d) {
                                                for (NodeId id : positional_nodes(d)) {
                                                  env.node(id);
                                                  for (auto& [other, n] : env.nodes) {
                                                    if (other == id) continue;
                                                    env.cut_links.insert({id, other});
                                                    env.cut_links.insert({other, id});
                                                  }
                                                }
                                              }};

// partition (a,b) (c,d,e): only nodes in the same group can talk (groups as positional lists
// written a,b with no spaces).
const InteractionCommandRegistration kPartition{
    "partition", "partition <a,b,...> <c,d,...>...", [](InteractionEnv& env, const Directive& d) {
      std::map<NodeId, size_t> group;
      auto pos = d.positionals();
      if (pos.size() < 2) d.fail("needs at least two groups");
      for (size_t g = 0; g < pos.size(); ++g) {
        for (const std::string& id : split_snapshot_data(pos[g])) {
          group[parse_node(d, id)] = g;
        }
      }
      env.cut_links.clear();
      for (auto& [a, na] : env.nodes) {
        for (auto& [b, nb] : env.nodes) {
          if (a != b && (!group.contains(a) || !group.contains(b) || group[a] != group[b])) {
            env.cut_links.insert({a, b});
          }
        }
      }
    }};

// heal: every link works again.
const InteractionCommandRegistration kHeal{
    "heal", "heal", [](InteractionEnv& env, const Directive&) { env.cut_links.clear(); }};

}  // namespace
}  // namespace raft::testing
