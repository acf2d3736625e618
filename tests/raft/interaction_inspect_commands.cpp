// Interaction commands that only look: node states, logs, application state, messages in flight
// and the safety invariants.

#include <fmt/format.h>

#include "tests/raft/interaction_commands.h"
#include "tests/raft/interaction_format.h"

namespace raft::testing {
namespace {

// raft-state [id...]: one line per node: role, term, leader (or "down"), and the configuration
// in effect once it is no longer the bootstrap voters.
const InteractionCommandRegistration kRaftState{
    "raft-state", "raft-state [id...]", [](InteractionEnv& env, const Directive& d) {
      for (NodeId id : nodes_or_all(env, d)) {
        if (!env.up(id)) {
          env.print(fmt::format("{}: down", id));
          continue;
        }
        const Raft& r = env.live(id);
        const HardState& hs = env.node(id).storage.hard_state;
        std::string line =
            fmt::format("{}: {} vote={}", id, format_role_line(r), format_node(hs.vote));
        const Membership& m = r.membership();
        if (m.voters != env.node(id).config.voters || !m.learners.empty()) {
          line += fmt::format(" voters={}", format_voters(m.voters));
          if (!m.learners.empty()) line += fmt::format(" learners={}", format_voters(m.learners));
        }
        env.print(line);
      }
    }};

// status <id>: the node's Status and, on a leader, its view of every follower.
const InteractionCommandRegistration kStatus{
    "status", "status <id>", [](InteractionEnv& env, const Directive& d) {
      NodeId id = one_node(d);
      const Raft& r = env.live(id);
      Status s = r.status();
      env.print(fmt::format("{}: {} commit={} applied={} last={} snapshot={}", id,
                            format_role_line(r), s.commit, s.applied, s.last_index,
                            s.snapshot_index));
      if (r.role() != Role::Leader) return;
      for (NodeId peer : s.voters) {
        if (const Progress* pr = r.progress(peer)) env.print(format_progress(peer, *pr), 2);
      }
      for (NodeId peer : s.learners) {
        if (const Progress* pr = r.progress(peer)) {
          env.print(format_progress(peer, *pr) + " learner", 2);
        }
      }
    }};

// raft-log <id>...: the in-memory log: snapshot position, entries, commit and applied index.
const InteractionCommandRegistration kRaftLog{
    "raft-log", "raft-log <id>...", [](InteractionEnv& env, const Directive& d) {
      auto ids = positional_nodes(d);
      if (ids.empty()) d.fail("needs node ids");
      for (NodeId id : ids) {
        const Raft& r = env.live(id);
        Status s = r.status();
        std::string head = fmt::format("{}: commit={} applied={}", id, s.commit, s.applied);
        if (s.snapshot_index > 0) {
          head += fmt::format(" snapshot={}/{}", r.snapshot_meta().term, s.snapshot_index);
        }
        if (ids.size() == 1 && r.log_entries().empty()) head += " (no entries)";
        env.print(head);
        for (const Entry& e : r.log_entries()) env.print(format_entry(e), 2);
      }
    }};

// log-terms [id...]: each node's log in one line, as the terms of its entries (after the
// snapshot, shown as "snap@term/index"), with the commit index.
const InteractionCommandRegistration kLogTerms{
    "log-terms", "log-terms [id...]", [](InteractionEnv& env, const Directive& d) {
      for (NodeId id : nodes_or_all(env, d)) {
        if (!env.up(id)) {
          env.print(fmt::format("{}: down", id));
          continue;
        }
        const Raft& r = env.live(id);
        std::string line = fmt::format("{}:", id);
        if (r.snapshot_meta().index > 0) {
          line += fmt::format(" snap@{}/{} |", r.snapshot_meta().term, r.snapshot_meta().index);
        }
        for (const Entry& e : r.log_entries()) line += fmt::format(" {}", e.term);
        line += fmt::format(" (commit={})", r.status().commit);
        env.print(line);
      }
    }};

// storage <id>: what the node has durably persisted (what a restart starts from).
const InteractionCommandRegistration kStorage{
    "storage", "storage <id>", [](InteractionEnv& env, const Directive& d) {
      NodeId id = one_node(d);
      const MemoryStorage& st = env.node(id).storage;
      env.print(fmt::format("{}: hard-state {}", id, format_hard_state(st.hard_state)));
      if (st.snapshot) {
        env.print(fmt::format("snapshot {} data=\"{}\"", format_snapshot_meta(st.snapshot->meta),
                              std::string(st.snapshot->data.begin(), st.snapshot->data.end())),
                  2);
      }
      for (const Entry& e : st.entries) env.print(format_entry(e), 2);
    }};

// app-state [id...]: each node's state machine (applied payloads, from its snapshot on).
const InteractionCommandRegistration kAppState{
    "app-state", "app-state [id...]", [](InteractionEnv& env, const Directive& d) {
      for (NodeId id : nodes_or_all(env, d)) {
        const InteractionNode& n = env.node(id);
        std::string state;
        for (size_t i = 0; i < n.app_state.size(); ++i) state += (i ? "," : "") + n.app_state[i];
        env.print(fmt::format("{}: applied={} state=[{}]{}", id, n.app_applied, state,
                              n.raft ? "" : " (down)"));
      }
    }};

// msgs: the messages in flight, in send order, and the cut links.
const InteractionCommandRegistration kMsgs{"msgs", "msgs",
                                           [](InteractionEnv& env, const Directive&) {
                                             if (env.network.empty())
                                               env.print("no messages in flight");
                                             for (const Message& m : env.network)
                                               env.print(format_message(m));
                                             if (env.cut_links.empty()) return;
                                             std::string cuts = "cut:";
                                             for (auto& [a, b] : env.cut_links)
                                               cuts += fmt::format(" {}->{}", a, b);
                                             env.print(cuts);
                                           }};

// check-invariants: the evidence behind the always-on safety checks.
const InteractionCommandRegistration kCheckInvariants{
    "check-invariants", "check-invariants", [](InteractionEnv& env, const Directive&) {
      env.check_invariants();
      std::string leaders = "leaders by term:";
      for (auto& [term, id] : env.leaders_by_term()) leaders += fmt::format(" {}:{}", term, id);
      if (env.leaders_by_term().empty()) leaders += " none";
      env.print(leaders);
      env.print(
          fmt::format("applied indexes agreeing across nodes: {}", env.applied_entries().size()));
      if (env.violations().empty()) {
        env.print("no violations");
      } else {
        env.print(fmt::format("violations so far: {}", env.violations().size()));
      }
    }};

}  // namespace
}  // namespace raft::testing
