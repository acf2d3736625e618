// Interaction commands for membership changes: proposing a ConfChange and showing each node's
// configuration.

#include <fmt/format.h>

#include "raft/codec.h"
#include "tests/raft/interaction_commands.h"
#include "tests/raft/interaction_format.h"

namespace raft::testing {
namespace {

ConfChange::Kind parse_conf_change_kind(const Directive& d, const std::string& text) {
  if (text == "add-learner") return ConfChange::Kind::AddLearner;
  if (text == "promote") return ConfChange::Kind::PromoteLearner;
  if (text == "remove") return ConfChange::Kind::RemoveNode;
  d.fail(fmt::format("unknown conf change '{}' (add-learner, promote or remove)", text));
}

// propose-conf-change <id> add-learner|promote|remove <node> [context=text]: asks node id to
// append the change; prints where it landed or why it was refused.
const InteractionCommandRegistration kProposeConfChange{
    "propose-conf-change", "propose-conf-change <id> add-learner|promote|remove <node> [context=]",
    [](InteractionEnv& env, const Directive& d) {
      d.only_keys({"context"});
      auto pos = d.positionals();
      if (pos.size() != 3) d.fail("needs a node id, a change and the node it changes");
      NodeId id = parse_node(d, pos[0]);
      std::string context = d.string_or("context", "");
      ConfChange change{.kind = parse_conf_change_kind(d, pos[1]),
                        .node = parse_node(d, pos[2]),
                        .context = Bytes(context.begin(), context.end())};
      ConfChangeResult res = env.live(id).propose_conf_change(change);
      if (res.appended()) {
        env.print(fmt::format("appended at {}/{}", res.term, res.index));
      } else {
        env.print(fmt::format("refused {}: {}", to_string(res.refusal), res.reason));
      }
      env.note_role_change(id, 0);
      env.check_invariants();
    }};

// membership [id...]: each node's configuration in effect (the newest in its log, committed or
// not) and the index of the entry that made it; a leader adds the learners that are caught up.
const InteractionCommandRegistration kMembership{
    "membership", "membership [id...]", [](InteractionEnv& env, const Directive& d) {
      for (NodeId id : nodes_or_all(env, d)) {
        if (!env.up(id)) {
          env.print(fmt::format("{}: down", id));
          continue;
        }
        const Raft& r = env.live(id);
        Status s = r.status();
        std::string line =
            fmt::format("{}: voters={} learners={} config-index={}", id, format_voters(s.voters),
                        format_voters(s.learners), s.config_index);
        if (!s.voters.empty() && !r.membership().contains(id)) line += " (not a member)";
        if (r.role() == Role::Leader && !s.learners.empty()) {
          line += fmt::format(" caught-up={}", format_voters(r.caught_up_learners()));
        }
        env.print(line);
      }
    }};

}  // namespace
}  // namespace raft::testing
