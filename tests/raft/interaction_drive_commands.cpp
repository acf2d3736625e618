// Interaction commands that drive raft: time, elections, proposals, Ready handling and message
// delivery.

#include <fmt/format.h>

#include "tests/raft/interaction_commands.h"
#include "tests/raft/interaction_format.h"

namespace raft::testing {
namespace {

// Called after every direct call into a node: print its role change, check the invariants.
void after_call(InteractionEnv& env, NodeId id) {
  env.note_role_change(id, 0);
  env.check_invariants();
}

const InteractionCommandRegistration kCampaign{"campaign", "campaign <id>",
                                               [](InteractionEnv& env, const Directive& d) {
                                                 NodeId id = one_node(d);
                                                 env.live(id).campaign();
                                                 after_call(env, id);
                                               }};

// tick [id...] [n=1] [deliver=false]: each round ticks every given node (all if none) once;
// with deliver=true the whole cluster then stabilizes, as if the network were instant. With n > 1
// whatever a round printed is headed by "tick K:".
const InteractionCommandRegistration kTick{
    "tick", "tick [id...] [n=1] [deliver=false]", [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"n", "deliver"});
      auto ids = nodes_or_all(env, d);
      int64_t rounds = d.int_or("n", 1);
      bool deliver = d.bool_or("deliver", false);
      for (int64_t round = 1; round <= rounds; ++round) {
        size_t mark = env.output_mark();
        for (NodeId id : ids) {
          if (!env.up(id)) continue;
          env.live(id).tick();
          after_call(env, id);
        }
        if (deliver && !env.stabilize({}, 100)) env.print("did not stabilize within 100 rounds");
        if (rounds > 1 && env.output_mark() != mark) {
          env.insert_line(mark, fmt::format("tick {}:", round));
        }
      }
    }};

// output-level full|roles: how much process-ready, deliver-msgs and stabilize print.
const InteractionCommandRegistration kOutputLevel{
    "output-level", "output-level full|roles", [](InteractionEnv& env, const Directive& d) {
      auto pos = d.positionals();
      if (pos.size() != 1 || (pos[0] != "full" && pos[0] != "roles")) d.fail("full or roles");
      env.verbose = pos[0] == "full";
    }};

// tick-heartbeat <id>: one heartbeat interval of ticks.
const InteractionCommandRegistration kTickHeartbeat{
    "tick-heartbeat", "tick-heartbeat <id>", [](InteractionEnv& env, const Directive& d) {
      NodeId id = one_node(d);
      for (int i = 0; i < env.node(id).config.heartbeat_ticks; ++i) {
        env.live(id).tick();
        after_call(env, id);
      }
    }};

// tick-election <id>: a leader ticks one election timeout (its check-quorum point); any other
// node ticks until its randomized election timeout fires, i.e. until it changes role or term or
// has output to hand out (a pre-candidate retrying), at most 2 * election ticks. The node must
// have no pending Ready when this starts, so that "has output" means "timed out".
const InteractionCommandRegistration kTickElection{
    "tick-election", "tick-election <id>", [](InteractionEnv& env, const Directive& d) {
      NodeId id = one_node(d);
      Raft& r = env.live(id);
      int timeout = env.node(id).config.election_ticks;
      if (r.role() == Role::Leader) {
        for (int i = 0; i < timeout; ++i) {
          r.tick();
          after_call(env, id);
        }
        return;
      }
      if (r.has_ready()) d.fail(fmt::format("node {} has a Ready to process first", id));
      std::string before = format_role_line(r);
      for (int i = 0; i < 2 * timeout; ++i) {
        r.tick();
        after_call(env, id);
        if (r.has_ready() || format_role_line(r) != before) return;
      }
      env.print(fmt::format("{} did not time out in {} ticks", id, 2 * timeout));
    }};

// propose <id> <data>: a client request at node id.
const InteractionCommandRegistration kPropose{
    "propose", "propose <id> <data>", [](InteractionEnv& env, const Directive& d) {
      auto pos = d.positionals();
      if (pos.size() != 2) d.fail("needs a node id and the data");
      NodeId id = parse_node(d, pos[0]);
      ProposeResult res = env.live(id).propose(Bytes(pos[1].begin(), pos[1].end()));
      switch (res.kind) {
        case ProposeResult::Appended:
          env.print(fmt::format("appended at {}/{}", res.term, res.index));
          break;
        case ProposeResult::Forwarded:
          env.print(fmt::format("forwarded to {}", format_node(res.leader)));
          break;
        case ProposeResult::Dropped:
          env.print(fmt::format("dropped (leader {})", format_node(res.leader)));
          break;
      }
      after_call(env, id);
    }};

// process-ready [id...]: each node (all if none) handles one Ready: persist, send, apply.
const InteractionCommandRegistration kProcessReady{
    "process-ready", "process-ready [id...]", [](InteractionEnv& env, const Directive& d) {
      bool explicit_ids = !d.positionals().empty();
      for (NodeId id : nodes_or_all(env, d)) {
        if (!env.process_ready(id) && explicit_ids) env.print(fmt::format("> {} has no Ready", id));
      }
    }};

// send-early <id>: takes the node's Ready and sends only its early messages (the leader's disk
// write is still under way); persist-ready <id> finishes it.
const InteractionCommandRegistration kSendEarly{"send-early", "send-early <id>",
                                                [](InteractionEnv& env, const Directive& d) {
                                                  NodeId id = one_node(d);
                                                  if (env.node(id).in_progress)
                                                    d.fail("a Ready is already in progress");
                                                  if (!env.begin_ready(id))
                                                    env.print(fmt::format("> {} has no Ready", id));
                                                }};

const InteractionCommandRegistration kPersistReady{
    "persist-ready", "persist-ready <id>", [](InteractionEnv& env, const Directive& d) {
      NodeId id = one_node(d);
      env.print(fmt::format("> {} persisted its Ready", id));
      env.finish_ready(id);
    }};

// deliver-msgs [id...] [drop=(id...)] [type=(T...)] [from=(id...)] [twice=false]: delivers the
// messages in flight to the given nodes (all if none and no drop=), in send order; messages to
// the drop= nodes are discarded. type= and from= restrict which messages are taken; others stay
// queued. twice=true steps each message in twice (a duplicating network).
const InteractionCommandRegistration kDeliverMsgs{
    "deliver-msgs", "deliver-msgs [id...] [drop=(id...)] [type=(T...)] [from=(id...)] [twice=B]",
    [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"drop", "type", "from", "twice"});
      const bool twice = d.bool_or("twice", false);
      std::set<MessageType> types;
      for (const std::string& t : d.values("type")) types.insert(parse_message_type(d, t));
      std::set<NodeId> from;
      for (const std::string& f : d.values("from")) from.insert(parse_node(d, f));
      auto filter = [&](const Message& m) {
        return (types.empty() || types.contains(m.type)) && (from.empty() || from.contains(m.from));
      };
      std::vector<NodeId> drop;
      for (const std::string& id : d.values("drop")) drop.push_back(parse_node(d, id));
      std::vector<NodeId> to = positional_nodes(d);
      if (to.empty() && drop.empty()) to = nodes_or_all(env, d);
      size_t n = 0;
      for (NodeId id : drop) n += env.deliver(id, filter, true);
      for (NodeId id : to) n += env.deliver(id, filter, false, twice);
      if (n == 0) env.print("no messages");
    }};

// stabilize [id...] [max-rounds=100]: handle Readies and deliver messages until nothing moves.
const InteractionCommandRegistration kStabilize{
    "stabilize", "stabilize [id...] [max-rounds=100]", [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"max-rounds"});
      int rounds = static_cast<int>(d.int_or("max-rounds", 100));
      if (!env.stabilize(positional_nodes(d), rounds)) {
        env.print(fmt::format("did not stabilize within {} rounds", rounds));
      }
    }};

// transfer-leadership from=<id> to=<id>
const InteractionCommandRegistration kTransfer{
    "transfer-leadership", "transfer-leadership from=<id> to=<id>",
    [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"from", "to"});
      auto from = d.value("from");
      auto to = d.value("to");
      if (!from || !to) d.fail("needs from= and to=");
      NodeId id = parse_node(d, *from);
      env.live(id).transfer_leadership(parse_node(d, *to));
      after_call(env, id);
    }};

// compact <id> <index> [data=...]: the application snapshots its state as of index (by default
// the applied payloads joined by commas) and lets raft drop the log up to it.
const InteractionCommandRegistration kCompact{
    "compact", "compact <id> <index> [data=...]", [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"data"});
      auto pos = d.positionals();
      if (pos.size() != 2) d.fail("needs a node id and an index");
      NodeId id = parse_node(d, pos[0]);
      Index index = static_cast<Index>(parse_int(d, pos[1]));
      Raft& r = env.live(id);
      std::string data =
          d.value("data") ? *d.value("data")
                          : (index <= r.status().applied ? env.app_snapshot_data(id, index) : "");
      r.compact(index, Bytes(data.begin(), data.end()));
      after_call(env, id);
    }};

// inject-msg from= to= type= term= [last=(term,index)] [commit=] [index=] [reject=true]
//   [hint=(term,index)] [force=true] [entries=(term/index:data,...)]: puts a hand-made message
// in flight (stale or forged messages).
const InteractionCommandRegistration kInjectMsg{
    "inject-msg",
    "inject-msg from= to= type= term= [last=(t,i)] [commit=] [index=] [reject=B] [hint=(t,i)] "
    "[entries=(t/i:data,..)] [snapshot=(i,t) snapshot-data=..]",
    [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"from", "to", "type", "term", "last", "commit", "index", "reject", "hint",
                   "force", "entries", "snapshot", "snapshot-data"});
      Message m;
      auto need = [&](const char* key) {
        auto v = d.value(key);
        if (!v) d.fail(fmt::format("needs {}=", key));
        return *v;
      };
      m.from = parse_node(d, need("from"));
      m.to = parse_node(d, need("to"));
      m.type = parse_message_type(d, need("type"));
      m.term = static_cast<Term>(parse_int(d, need("term")));
      m.commit = static_cast<Index>(d.int_or("commit", 0));
      m.index = static_cast<Index>(d.int_or("index", 0));
      m.reject = d.bool_or("reject", false);
      m.force = d.bool_or("force", false);
      auto pair = [&](const char* key, Term& t, Index& i) {
        auto v = d.values(key);
        if (v.empty()) return;
        if (v.size() != 2) d.fail(fmt::format("{}=(term,index)", key));
        t = static_cast<Term>(parse_int(d, v[0]));
        i = static_cast<Index>(parse_int(d, v[1]));
      };
      pair("last", m.log_term, m.index);
      pair("hint", m.log_term, m.reject_hint);
      for (const std::string& e : d.values("entries")) {
        size_t slash = e.find('/');
        size_t colon = e.find(':');
        if (slash == std::string::npos) d.fail("entries=(term/index:data,...)");
        Entry entry;
        entry.term = static_cast<Term>(parse_int(d, e.substr(0, slash)));
        entry.index = static_cast<Index>(parse_int(d, e.substr(slash + 1, colon - slash - 1)));
        if (colon != std::string::npos) {
          std::string data = e.substr(colon + 1);
          entry.data = Bytes(data.begin(), data.end());
        }
        m.entries.push_back(std::move(entry));
      }
      if (auto snap = d.values("snapshot"); !snap.empty()) {
        if (snap.size() != 2) d.fail("snapshot=(index,term)");
        Snapshot s;
        s.meta.index = static_cast<Index>(parse_int(d, snap[0]));
        s.meta.term = static_cast<Term>(parse_int(d, snap[1]));
        s.meta.voters = env.node(m.to).config.voters;
        std::string data = d.string_or("snapshot-data", "");
        s.data = Bytes(data.begin(), data.end());
        m.snapshot = std::move(s);
      }
      env.print("in flight: " + format_message(m));
      env.network.push_back(std::move(m));
    }};

}  // namespace
}  // namespace raft::testing
