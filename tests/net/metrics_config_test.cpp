// http_loc in the cluster config (net/cluster_config.h): optional, checked like the other
// addresses, errors naming the field.

#include <string>

#include <gtest/gtest.h>

#include "net/cluster_config.h"
#include "tests/net/config_text.h"

namespace net {
namespace {

using test::config_error;

std::string config_with_http(const std::string& node0_http, const std::string& node1_http = "") {
  const auto field = [](const std::string& value) {
    return value.empty() ? std::string() : R"("http_loc": )" + value + ",";
  };
  return test::two_node_config("", field(node0_http), field(node1_http));
}

TEST(HttpLocConfig, AbsentMeansNoHttp) {
  const ClusterConfig c = parse_cluster_config(config_with_http(""), "dns-config.json");
  EXPECT_FALSE(c.node(0).http.has_value());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(HttpLocConfig, IsReadPerNode) {
  const ClusterConfig c = parse_cluster_config(
      config_with_http(R"("127.0.0.1:9100")", R"("[::1]:9101")"), "dns-config.json");
  ASSERT_TRUE(c.node(0).http.has_value());
  EXPECT_EQ(c.node(0).http->to_string(), "127.0.0.1:9100");
  ASSERT_TRUE(c.node(1).http.has_value());
  EXPECT_EQ(c.node(1).http->to_string(), "[::1]:9101");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST(HttpLocConfig, BadValuesNameTheField) {
  EXPECT_EQ(config_error(config_with_http("9100")),
            "dns-config.json: nodes.0.http_loc: expected \"ip:port\", got 9100");
  EXPECT_NE(
      config_error(config_with_http(R"("localhost:9100")")).find("nodes.0.http_loc: bad listen"),
      std::string::npos);
  EXPECT_NE(config_error(config_with_http(R"("127.0.0.1:0")")).find("nodes.0.http_loc: port 0"),
            std::string::npos);
  EXPECT_NE(config_error(config_with_http("", R"("127.0.0.1")")).find("nodes.1.http_loc:"),
            std::string::npos);
}

TEST(HttpLocConfig, MustDifferFromEveryOtherAddress) {
  EXPECT_EQ(config_error(config_with_http(R"("127.0.0.1:10053")")),
            "dns-config.json: nodes.0.http_loc: 127.0.0.1:10053 is already used by "
            "nodes.0.query_loc");
  EXPECT_EQ(config_error(config_with_http(R"("127.0.0.1:9100")", R"("127.0.0.1:9100")")),
            "dns-config.json: nodes.1.http_loc: 127.0.0.1:9100 is already used by "
            "nodes.0.http_loc");
}

}  // namespace
}  // namespace net
