#include "tests/raft/interaction_commands.h"

#include <fmt/format.h>

namespace raft::testing {

std::map<std::string, InteractionCommandInfo>& interaction_commands() {
  static std::map<std::string, InteractionCommandInfo> commands;
  return commands;
}

InteractionCommandRegistration::InteractionCommandRegistration(const std::string& name,
                                                               const std::string& usage,
                                                               InteractionCommand run) {
  auto [it, inserted] = interaction_commands().emplace(name, InteractionCommandInfo{usage, run});
  if (!inserted) throw std::logic_error("interaction command registered twice: " + name);
}

std::string run_interaction_command(InteractionEnv& env, const Directive& d) {
  auto& commands = interaction_commands();
  auto it = commands.find(d.command);
  if (it == commands.end()) {
    std::string known;
    for (auto& [name, info] : commands) known += "\n  " + info.usage;
    d.fail("unknown command; known commands:" + known);
  }
  try {
    it->second.run(env, d);
  } catch (const ScriptError&) {
    throw;
  } catch (const EnvError& e) {
    d.fail(e.what());
  } catch (const std::exception& e) {
    env.print(std::string("error: ") + e.what());
  }
  return env.take_output();
}

NodeId parse_node(const Directive& d, const std::string& text) {
  int64_t v = parse_int(d, text);
  if (v < 1) d.fail(fmt::format("node id {} must be >= 1", v));
  return static_cast<NodeId>(v);
}

std::vector<NodeId> positional_nodes(const Directive& d) {
  std::vector<NodeId> out;
  for (const std::string& p : d.positionals()) out.push_back(parse_node(d, p));
  return out;
}

NodeId one_node(const Directive& d) {
  auto ids = positional_nodes(d);
  if (ids.size() != 1) d.fail("needs exactly one node id");
  return ids[0];
}

std::vector<NodeId> nodes_or_all(InteractionEnv& env, const Directive& d) {
  auto ids = positional_nodes(d);
  if (ids.empty()) {
    for (auto& [id, n] : env.nodes) ids.push_back(id);
  }
  return ids;
}

MessageType parse_message_type(const Directive& d, const std::string& text) {
  for (int t = 0; t <= kMaxMessageType; ++t) {
    auto type = static_cast<MessageType>(t);
    if (text == to_string(type)) return type;
  }
  d.fail(fmt::format("unknown message type '{}'", text));
}

}  // namespace raft::testing
