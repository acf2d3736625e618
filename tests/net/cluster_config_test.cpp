#include "net/cluster_config.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "tests/net/config_text.h"
#include "tests/net/temp_dir.h"

namespace net {
namespace {

// The 2017 prototype's dns-config.json, verbatim (the file itself is in tests/data/prototype/;
// ThePrototypeFileLoads checks that the two agree).
constexpr const char* kPrototypeConfig = R"({
  "nodes": {
    "0" : {
      "raft_loc": "127.0.0.1:4321",
      "query_loc" : "127.0.0.1:10053"
    },
    "1" : {
      "raft_loc": "127.0.0.1:4322",
      "query_loc" : "127.0.0.1:10063"
    },
    "2" : {
      "raft_loc": "127.0.0.1:4323",
      "query_loc" : "127.0.0.1:10073"
    }
  }
}
)";

using test::config_error;

// A valid two-node config with `extra_top` and `extra_node0` spliced in.
std::string two_nodes(const std::string& extra_top = "", const std::string& extra_node0 = "") {
  return test::two_node_config(extra_top, extra_node0);
}

void expect_prototype_cluster(const ClusterConfig& config, const std::filesystem::path& dir) {
  ASSERT_EQ(config.member_ids(), (std::vector<engine::NodeId>{0, 1, 2}));
  EXPECT_EQ(config.node(0).raft.to_string(), "127.0.0.1:4321");
  EXPECT_EQ(config.node(0).query.to_string(), "127.0.0.1:10053");
  EXPECT_EQ(config.node(1).raft.to_string(), "127.0.0.1:4322");
  EXPECT_EQ(config.node(1).query.to_string(), "127.0.0.1:10063");
  EXPECT_EQ(config.node(2).raft.to_string(), "127.0.0.1:4323");
  EXPECT_EQ(config.node(2).query.to_string(), "127.0.0.1:10073");
  EXPECT_EQ(config.node(2).data_dir, (dir / "data" / "node-2").lexically_normal());
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ClusterConfig, ThePrototypeFileParsesWithDefaults) {
  auto config = parse_cluster_config(kPrototypeConfig, "conf/dns-config.json");
  expect_prototype_cluster(config, "conf");
  EXPECT_EQ(config.cluster_name, "raft-dns");
  EXPECT_EQ(config.election_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.heartbeat, std::chrono::milliseconds(100));
  EXPECT_EQ(config.checkpoint_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.write_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(config.node(0).threads, default_query_threads());
  EXPECT_GE(default_query_threads(), 1u);
  EXPECT_LE(default_query_threads(), 4u);
}

TEST(ClusterConfig, ThePrototypeFileLoads) {
  // RAFTDNS_PROTOTYPE_DIR (tests/data/prototype/, from tests/net/CMakeLists.txt) holds the 2017
  // prototype's dns-config.json byte for byte.
  const std::filesystem::path dir = RAFTDNS_PROTOTYPE_DIR;
  const std::string path = (dir / "dns-config.json").string();
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  EXPECT_EQ(text, kPrototypeConfig);
  expect_prototype_cluster(load_cluster_config(path), dir.string());
}

TEST(ClusterConfig, DataDirDefaultsBesideTheConfigFile) {
  auto config = parse_cluster_config(kPrototypeConfig, "dns-config.json");
  EXPECT_EQ(config.node(0).data_dir, std::filesystem::path("data/node-0"));
}

TEST(ClusterConfig, OptionalFieldsAreRead) {
  auto config = parse_cluster_config(
      two_nodes(R"("cluster_name": "test-1", "election_timeout_ms": 300, "heartbeat_ms": 50,
                   "checkpoint_interval_ms": 250, "write_timeout_ms": 700, "threads": 3,)",
                R"("data_dir": "../elsewhere/n0", "threads": 1,)"),
      "/etc/raftdns/cluster.json");
  EXPECT_EQ(config.cluster_name, "test-1");
  EXPECT_EQ(config.election_timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(config.heartbeat, std::chrono::milliseconds(50));
  EXPECT_EQ(config.checkpoint_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(config.write_timeout, std::chrono::milliseconds(700));
  EXPECT_EQ(config.node(0).threads, 1u);
  EXPECT_EQ(config.node(1).threads, 3u);
  EXPECT_EQ(config.node(0).data_dir, std::filesystem::path("/etc/elsewhere/n0"));
  EXPECT_EQ(config.node(1).data_dir, std::filesystem::path("/etc/raftdns/data/node-1"));
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ClusterConfig, MaxPendingBytesIsReadAndCheckedNamingTheField) {
  EXPECT_EQ(parse_cluster_config(two_nodes(""), "c.json").max_pending_bytes, 64u << 20);
  EXPECT_EQ(
      parse_cluster_config(two_nodes(R"("max_pending_bytes": 65536,)"), "c.json").max_pending_bytes,
      65536u);
  EXPECT_EQ(config_error(two_nodes(R"("max_pending_bytes": 100,)")),
            "dns-config.json: max_pending_bytes: expected a number of bytes (1024-1099511627776), "
            "got 100");
  EXPECT_EQ(config_error(two_nodes(R"("max_pending_bytes": "64MiB",)")),
            "dns-config.json: max_pending_bytes: expected a number of bytes (1024-1099511627776), "
            "got \"64MiB\"");
}

TEST(ClusterConfig, ImportCopyRecordsIsReadAndCheckedNamingTheField) {
  EXPECT_EQ(parse_cluster_config(two_nodes(""), "c.json").import_copy_records, 65536u);
  EXPECT_EQ(
      parse_cluster_config(two_nodes(R"("import_copy_records": 0,)"), "c.json").import_copy_records,
      0u);
  EXPECT_EQ(config_error(two_nodes(R"("import_copy_records": -1,)")),
            "dns-config.json: import_copy_records: expected a number of records, 0 for never "
            "(0-4294967296), got -1");
}

TEST(ClusterConfig, AbsoluteDataDirIsKept) {
  auto config = parse_cluster_config(two_nodes("", R"("data_dir": "/var/lib/dns/0",)"),
                                     "conf/dns-config.json");
  EXPECT_EQ(config.node(0).data_dir, std::filesystem::path("/var/lib/dns/0"));
}

TEST(ClusterConfig, UnknownFieldsAreWarningsNamingTheField) {
  auto config =
      parse_cluster_config(two_nodes(R"("colour": "blue",)", R"("foo": 1,)"), "dns-config.json");
  EXPECT_EQ(config.warnings,
            (std::vector<std::string>{"dns-config.json: unknown field colour",
                                      "dns-config.json: unknown field nodes.0.foo"}));
  EXPECT_EQ(config.nodes.size(), 2u);
}

TEST(ClusterConfig, IPv6AndDistinctLoopbackAddressesWork) {
  auto config = parse_cluster_config(R"({"nodes": {
      "0": {"raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:53"},
      "1": {"raft_loc": "127.0.0.2:4321", "query_loc": "127.0.0.2:53"},
      "7": {"raft_loc": "[::1]:4321", "query_loc": "[::1]:53"}}})",
                                     "c.json");
  EXPECT_EQ(config.member_ids(), (std::vector<engine::NodeId>{0, 1, 7}));
  EXPECT_EQ(config.node(7).raft.to_string(), "[::1]:4321");
}

TEST(ClusterConfig, WrongAddressTypeNamesTheField) {
  EXPECT_EQ(config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:2"},
                                   "1": {"raft_loc": 12, "query_loc": "127.0.0.1:3"}}})"),
            "dns-config.json: nodes.1.raft_loc: expected \"ip:port\", got 12");
}

TEST(ClusterConfig, BadAddressesNameTheField) {
  EXPECT_EQ(
      config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1", "query_loc": "localhost:53"}}})"),
      "dns-config.json: nodes.0.query_loc: bad listen address 'localhost:53': 'localhost' "
      "is not an IP address");
  EXPECT_EQ(config_error(
                R"({"nodes": {"0": {"raft_loc": "127.0.0.1:99999", "query_loc": "127.0.0.1:2"}}})"),
            "dns-config.json: nodes.0.raft_loc: bad listen address '127.0.0.1:99999': '99999' is "
            "not a port number (0-65535)");
  EXPECT_EQ(
      config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:0", "query_loc": "127.0.0.1:2"}}})"),
      "dns-config.json: nodes.0.raft_loc: port 0 in '127.0.0.1:0': peers and clients need a "
      "fixed port");
}

TEST(ClusterConfig, MissingFieldsAreNamed) {
  EXPECT_EQ(config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1"}}})"),
            "dns-config.json: nodes.0: missing field query_loc");
  EXPECT_EQ(config_error(R"({"nodez": {}})").rfind("dns-config.json: missing field nodes", 0), 0u);
  EXPECT_EQ(config_error(R"({"nodes": {}})"), "dns-config.json: nodes: expected at least one node");
}

TEST(ClusterConfig, WrongStructureIsNamed) {
  EXPECT_EQ(config_error("[1, 2]"),
            "dns-config.json: expected a JSON object with \"nodes\", got an array");
  EXPECT_EQ(config_error(R"({"nodes": ["127.0.0.1:1"]})"),
            "dns-config.json: nodes: expected an object of nodes by id, got an array");
  EXPECT_EQ(config_error(R"({"nodes": {"0": "127.0.0.1:1"}})"),
            "dns-config.json: nodes.0: expected an object with raft_loc and query_loc, got "
            "\"127.0.0.1:1\"");
}

TEST(ClusterConfig, BadNodeIdsAreNamed) {
  for (const char* id :
       {"a", "-1", "01", "1.5", "", "18446744073709551615", "99999999999999999999"}) {
    EXPECT_EQ(config_error(std::string(R"({"nodes": {")") + id +
                           R"(": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:2"}}})"),
              std::string("dns-config.json: nodes.") + id +
                  ": a node id must be a decimal number (\"0\", \"1\", ...)")
        << id;
  }
}

TEST(ClusterConfig, DuplicateNodeIdsAreAnError) {
  EXPECT_EQ(config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:2"},
                                   "0": {"raft_loc": "127.0.0.1:3", "query_loc": "127.0.0.1:4"}}})"),
            "dns-config.json: nodes.0: duplicate key");
  EXPECT_EQ(config_error(two_nodes(R"("heartbeat_ms": 10, "heartbeat_ms": 20,)")),
            "dns-config.json: heartbeat_ms: duplicate key");
}

TEST(ClusterConfig, DuplicateAddressesAreAnError) {
  EXPECT_EQ(config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:2"},
                                   "1": {"raft_loc": "127.0.0.1:3", "query_loc": "127.0.0.1:1"}}})"),
            "dns-config.json: nodes.1.query_loc: 127.0.0.1:1 is already used by nodes.0.raft_loc");
  EXPECT_EQ(
      config_error(R"({"nodes": {"0": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:1"}}})"),
      "dns-config.json: nodes.0.query_loc: 127.0.0.1:1 is already used by nodes.0.raft_loc");
}

TEST(ClusterConfig, SharedDataDirIsAnError) {
  EXPECT_EQ(config_error(R"({"nodes": {
      "0": {"raft_loc": "127.0.0.1:1", "query_loc": "127.0.0.1:2", "data_dir": "d"},
      "1": {"raft_loc": "127.0.0.1:3", "query_loc": "127.0.0.1:4", "data_dir": "./d"}}})"),
            "dns-config.json: nodes.1.data_dir: d is already the data directory of node 0");
}

TEST(ClusterConfig, IxfrJournalBoundIsOptional) {
  auto config = parse_cluster_config(kPrototypeConfig, "dns-config.json");
  EXPECT_EQ(config.journal.max_diffs, 1000u);
  EXPECT_EQ(config.journal.max_bytes, 4u << 20);
  config = parse_cluster_config(
      two_nodes(R"("ixfr_journal_diffs": 50, "ixfr_journal_bytes": 65536,)"), "dns-config.json");
  EXPECT_EQ(config.journal.max_diffs, 50u);
  EXPECT_EQ(config.journal.max_bytes, 65536u);
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_EQ(config_error(two_nodes(R"("ixfr_journal_diffs": 0,)")),
            "dns-config.json: ixfr_journal_diffs: expected a number of serials per zone "
            "(1-1000000), got 0");
  EXPECT_EQ(config_error(two_nodes(R"("ixfr_journal_bytes": "4M",)")),
            "dns-config.json: ixfr_journal_bytes: expected a number of bytes per zone "
            "(1024-1073741824), got \"4M\"");
}

TEST(ClusterConfig, WrongTypesOfOptionalFieldsNameTheField) {
  EXPECT_EQ(config_error(two_nodes(R"("election_timeout_ms": "1s",)")),
            "dns-config.json: election_timeout_ms: expected a whole number of milliseconds "
            "(1-3600000), got \"1s\"");
  EXPECT_EQ(config_error(two_nodes(R"("heartbeat_ms": 1.5,)")),
            "dns-config.json: heartbeat_ms: expected a whole number of milliseconds (1-3600000), "
            "got 1.5");
  EXPECT_EQ(config_error(two_nodes(R"("write_timeout_ms": 0,)")),
            "dns-config.json: write_timeout_ms: expected a whole number of milliseconds "
            "(1-3600000), got 0");
  EXPECT_EQ(config_error(two_nodes(R"("checkpoint_interval_ms": true,)")),
            "dns-config.json: checkpoint_interval_ms: expected a whole number of milliseconds "
            "(1-3600000), got true");
  EXPECT_EQ(config_error(two_nodes(R"("checkpoint_interval_ms": 18446744073709551615,)")),
            "dns-config.json: checkpoint_interval_ms: expected a whole number of milliseconds "
            "(1-3600000), got 18446744073709551615");
  EXPECT_EQ(config_error(two_nodes(R"("threads": -2,)")),
            "dns-config.json: threads: expected a number of threads (1-64), got -2");
  EXPECT_EQ(config_error(two_nodes("", R"("threads": "many",)")),
            "dns-config.json: nodes.0.threads: expected a number of threads (1-64), got \"many\"");
  EXPECT_EQ(config_error(two_nodes("", R"("data_dir": 5,)")),
            "dns-config.json: nodes.0.data_dir: expected a directory name, got 5");
  EXPECT_EQ(config_error(two_nodes(R"("cluster_name": "a b",)")),
            "dns-config.json: cluster_name: expected 1-64 characters from A-Z a-z 0-9 . _ -, got "
            "\"a b\"");
  EXPECT_EQ(config_error(two_nodes(R"("cluster_name": {},)")),
            "dns-config.json: cluster_name: expected a string, got an object");
}

TEST(ClusterConfig, ElectionTimeoutMustExceedTwoHeartbeats) {
  EXPECT_EQ(config_error(two_nodes(R"("election_timeout_ms": 150, "heartbeat_ms": 100,)")),
            "dns-config.json: election_timeout_ms: must be at least twice heartbeat_ms (100 ms), "
            "got 150");
}

TEST(ClusterConfig, InvalidJsonNamesLineAndColumn) {
  const std::string message = config_error("{\n  \"nodes\": {\n    \"0\": {,}\n}");
  EXPECT_EQ(message.rfind("dns-config.json: invalid JSON: parse error at line 3, column", 0), 0u)
      << message;
}

TEST(ClusterConfig, UnknownNodeIsNamedWithTheKnownOnes) {
  auto config = parse_cluster_config(kPrototypeConfig, "dns-config.json");
  try {
    config.node(7);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "dns-config.json: no node 7 (the nodes are 0, 1, 2)");
  }
}

TEST(ClusterConfig, UnreadableFileIsAConfigError) {
  testing::TempDir dir;
  EXPECT_THROW(load_cluster_config((dir / "missing.json").string()), ConfigError);
  std::ofstream(dir / "c.json") << kPrototypeConfig;
  EXPECT_EQ(load_cluster_config((dir / "c.json").string()).nodes.size(), 3u);
}

}  // namespace
}  // namespace net
