#pragma once
// Cluster config texts for the config parser's tests: a valid two-node config with fields
// spliced in, and the error a text raises.

#include <string>

#include "net/cluster_config.h"

namespace net::test {

// A valid two-node config with `top` spliced in at the top level and `node0` / `node1` at the
// start of the nodes' objects (each a list of `"field": value,` pairs, trailing comma included).
inline std::string two_node_config(const std::string& top = "", const std::string& node0 = "",
                                   const std::string& node1 = "") {
  return R"({)" + top + R"( "nodes": {"0": {)" + node0 +
         R"( "raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:10053"},
             "1": {)" +
         node1 + R"( "raft_loc": "127.0.0.1:4322", "query_loc": "127.0.0.1:10063"}}})";
}

// The message of the ConfigError that parsing `text` (as "dns-config.json") raises, or "".
inline std::string config_error(const std::string& text) {
  try {
    parse_cluster_config(text, "dns-config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace net::test
