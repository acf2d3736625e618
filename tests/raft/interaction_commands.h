#pragma once
// The command table of the interaction scripts. Each command is a function printing into the
// env; a new command is one registration in any .cpp of tests/raft (no central list to edit):
//
//   static const InteractionCommandRegistration kMine{
//       "my-command", "my-command <id> [key=value]",
//       [](InteractionEnv& env, const Directive& d) { env.print("..."); }};
//
// Script mistakes (bad arguments, unknown or crashed nodes) throw ScriptError via d.fail() or
// EnvError; any other exception (raft refusing a call) is printed as "error: ..." output.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/raft/datadriven.h"
#include "tests/raft/interaction_env.h"

namespace raft::testing {

using InteractionCommand = std::function<void(InteractionEnv&, const Directive&)>;

struct InteractionCommandInfo {
  std::string usage;
  InteractionCommand run;
};

std::map<std::string, InteractionCommandInfo>& interaction_commands();

// Registers a command at static-initialization time.
struct InteractionCommandRegistration {
  InteractionCommandRegistration(const std::string& name, const std::string& usage,
                                 InteractionCommand run);
};

// Runs one directive against the env and returns what it printed (invariant violations the
// command caused included).
std::string run_interaction_command(InteractionEnv& env, const Directive& d);

// Argument helpers shared by command files.
NodeId parse_node(const Directive& d, const std::string& text);
std::vector<NodeId> positional_nodes(const Directive& d);  // every positional, as node ids
NodeId one_node(const Directive& d);                       // exactly one positional node id
std::vector<NodeId> nodes_or_all(InteractionEnv& env, const Directive& d);
MessageType parse_message_type(const Directive& d, const std::string& text);

}  // namespace raft::testing
