// nodes.X.control_socket in the cluster config, and where a node's control socket is.

#include <string>

#include <gtest/gtest.h>

#include "net/cluster_config.h"
#include "tests/net/config_text.h"

namespace net {
namespace {

using test::config_error;

std::string two_nodes(const std::string& node0, const std::string& node1 = "") {
  return test::two_node_config("", node0, node1);
}

TEST(ControlSocketConfig, DefaultsToControlSockInTheDataDirectory) {
  const auto config = parse_cluster_config(two_nodes(""), "/etc/raftdns/dns-config.json");
  EXPECT_TRUE(config.node(0).control_socket.empty());
  EXPECT_EQ(control_socket_path(config.node(0), config.node(0).data_dir),
            std::filesystem::path("/etc/raftdns/data/node-0/control.sock"));
  // dns-node --data-dir moves the default along.
  EXPECT_EQ(control_socket_path(config.node(0), "/srv/n0"),
            std::filesystem::path("/srv/n0/control.sock"));
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ControlSocketConfig, APathIsRelativeToTheConfigFile) {
  const auto config = parse_cluster_config(
      two_nodes(R"("control_socket": "run/n0.sock",)", R"("control_socket": "/run/n1.sock",)"),
      "/etc/raftdns/dns-config.json");
  EXPECT_EQ(control_socket_path(config.node(0), "/srv/n0"),
            std::filesystem::path("/etc/raftdns/run/n0.sock"));
  EXPECT_EQ(control_socket_path(config.node(1), "/srv/n1"), std::filesystem::path("/run/n1.sock"));
}

TEST(ControlSocketConfig, BadOrSharedSocketsAreErrorsNamingTheField) {
  EXPECT_EQ(config_error(two_nodes(R"("control_socket": 5,)")),
            "dns-config.json: nodes.0.control_socket: expected a socket path, got 5");
  EXPECT_EQ(config_error(two_nodes(R"("control_socket": "",)")),
            "dns-config.json: nodes.0.control_socket: expected a socket path, got \"\"");
  EXPECT_EQ(
      config_error(two_nodes(R"("control_socket": "x.sock",)", R"("control_socket": "x.sock",)")),
      "dns-config.json: nodes.1.control_socket: x.sock is already the control socket of "
      "node 0");
}

}  // namespace
}  // namespace net
