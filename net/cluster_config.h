#pragma once
// The cluster configuration file of dns-node (`-c dns-config.json`), as the 2017 prototype wrote
// it, plus optional tuning fields.
//
// Format (JSON; only "nodes" is required, so the prototype's files work unchanged):
//
//   {
//     "cluster_name": "raft-dns",          // optional, default "raft-dns"
//     "election_timeout_ms": 1000,         // optional, cluster-wide
//     "heartbeat_ms": 100,                 // optional, cluster-wide
//     "checkpoint_interval_ms": 1000,      // optional, cluster-wide
//     "write_timeout_ms": 2000,            // optional, cluster-wide
//     "max_pending_bytes": 67108864,       // optional, cluster-wide
//     "threads": 4,                        // optional, default for every node
//     "cluster_key_file": "cluster.key",   // optional, authenticates the peer links
//     "nodes": {
//       "0": {"raft_loc": "127.0.0.1:4321", "query_loc": "127.0.0.1:10053",
//             "data_dir": "data/node-0",   // optional, per node
//             "threads": 2},               // optional, per node, overrides the top-level value
//       "1": {...}, ...
//     }
//   }
//
// Top-level fields:
//   nodes                   object, required, at least one node. Each key is the node id, a
//                           decimal number ("0", "1", ...; the `-n X` of dns-node).
//   cluster_name            string, default "raft-dns". 1-64 characters from [A-Za-z0-9._-].
//                           Sent in the peer handshake: a node refuses peers of another cluster.
//   election_timeout_ms     integer, default 1000. A follower that hears no leader for this long
//                           (randomised up to twice as long) starts an election. Must be at least
//                           twice heartbeat_ms. Failover takes about this long.
//   heartbeat_ms            integer, default 100. How often the leader tells followers it is
//                           alive; also the granularity of raft's timers.
//   checkpoint_interval_ms  integer, default 1000. How often a node copies committed changes
//                           into its local datastore, fsyncs it and acknowledges them, letting
//                           the cluster drop them from raft.
//   ixfr_journal_diffs      integer 1..1000000, default 1000: serials of history each zone keeps
//                           for IXFR (dns/zone_journal.h).
//   ixfr_journal_bytes      integer 1024..2^30, default 4194304: bytes of diffs each zone keeps.
//   write_timeout_ms        integer, default 2000. How long an ADD/REMOVE waits to commit
//                           before it fails with "ERROR no quorum".
//   max_pending_bytes       integer, default 67108864 (64 MiB), 1024 to 2^40. Bound on the
//                           committed changes raft keeps for members that have not copied them
//                           yet (R's pending, and with it raft's snapshot): past it the cluster
//                           stops keeping them for the member furthest behind, which then copies
//                           a peer's datastore when it returns (STATUS needs_transfer=). The
//                           leader's value is recorded in the raft log, so every node enforces it.
//   import_copy_records     integer 0..2^32, default 65536. A zone file of at least this many
//                           records, imported on a node's first boot, goes through raft as one
//                           entry with the records' digest, and the other nodes copy that
//                           node's datastore (docs/design.md, "Import by copy"); smaller ones
//                           (and every one with 0) go through raft record by record.
//   threads                 integer, default: the number of CPUs, at most 4. DNS query threads
//                           per node.
//   cluster_key_file        string, optional. A file holding the cluster key, one line of base64
//                           of at least 32 random bytes (`dns-node --gen-key FILE` writes one,
//                           mode 0600); relative to the config file's directory. Every member
//                           needs the same key: peer links then authenticate each other with it
//                           and every raft frame is integrity-checked (net/peer_auth.h). Without
//                           it, peer links are unauthenticated (as in the prototype) and a node
//                           warns at start. A missing or malformed key file is a ConfigError.
//   keys, zones             optional: TSIG keys and per-zone rules for DNS UPDATE (and later
//                           AXFR/NOTIFY); see net/zone_policy_config.h.
// Per-node fields (inside "nodes": {"X": {...}}):
//   raft_loc                "ip:port", required. Where the node listens for its peers (TCP);
//                           peers connect to it there. IPv6 as "[::1]:4321".
//   query_loc               "ip:port", required. Where the node answers DNS queries (UDP+TCP).
//   data_dir                string, default "data/node-X". The node's raft log and local
//                           datastore; relative paths are relative to the config file's directory.
//                           dns-node's --data-dir overrides it.
//   threads                 integer, overrides the top-level "threads" for this node.
//   http_loc                "ip:port", optional. Where the node serves HTTP: /metrics
//                           (Prometheus), /health, /ready, /status. Absent: no HTTP.
//   control_socket          string, default "control.sock" in the node's data directory. The
//                           node's control socket (net/control_socket.h, `dnsctl`); relative
//                           paths are relative to the config file's directory.
//
// All durations are 1..3600000 ms; threads is 1..64. Unknown fields are reported as warnings
// (a typo must not stop a node, but should be seen); a wrong type, a bad address, a duplicate
// address or a duplicate key is a ConfigError naming the file and the field path
// ("dns-config.json: nodes.1.raft_loc: expected \"ip:port\", got 12").

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone_journal.h"
#include "engine/io.h"
#include "engine/pending_bound.h"
#include "net/error.h"
#include "net/listen_address.h"
#include "net/peer_key.h"
#include "net/zone_policy_config.h"

namespace net {

// A configuration file that cannot be used; the message starts with "FILE: FIELD: ".
struct ConfigError : Error {
  using Error::Error;
};

// One member of the cluster as the config file describes it.
struct NodeConfig {
  engine::NodeId id = 0;
  ListenAddress raft;              // raft_loc
  ListenAddress query;             // query_loc
  std::filesystem::path data_dir;  // resolved: relative to the config file's directory
  unsigned threads = 1;
  std::optional<ListenAddress> http;     // http_loc; none: no HTTP endpoint
  std::filesystem::path control_socket;  // resolved; empty: control.sock in the data directory
};

// The whole cluster configuration file, parsed, checked and with defaults filled in.
struct ClusterConfig {
  std::string path;  // as given; used in messages
  std::string cluster_name = "raft-dns";
  std::chrono::milliseconds election_timeout{1000};
  std::chrono::milliseconds heartbeat{100};
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds write_timeout{2000};
  std::uint64_t max_pending_bytes = engine::kDefaultMaxPendingBytes;
  std::size_t import_copy_records = 65536;
  dns::JournalLimits journal;                     // ixfr_journal_diffs, ixfr_journal_bytes
  std::map<engine::NodeId, NodeConfig> nodes;     // at least one
  std::filesystem::path cluster_key_file;         // resolved; empty without one
  std::shared_ptr<const ClusterKey> cluster_key;  // read from cluster_key_file; null without
  // keys and zones (net/zone_policy_config.h): TSIG keys, per-zone UPDATE/transfer/NOTIFY rules.
  std::shared_ptr<const ZonePolicyConfig> policy = std::make_shared<const ZonePolicyConfig>();
  // "dns-config.json: unknown field nodes.0.foo"; the caller logs them.
  std::vector<std::string> warnings;

  // Throws ConfigError "dns-config.json: no node 7 (the nodes are 0, 1, 2)".
  const NodeConfig& node(engine::NodeId id) const;
  // Every node id, ascending (the raft membership).
  std::vector<engine::NodeId> member_ids() const;
};

// Reads and parses the file. Throws ConfigError for an unreadable file, bad JSON
// ("FILE: invalid JSON: parse error at line 3, column 5: ...") or a bad field.
ClusterConfig load_cluster_config(const std::string& path);

// Parses `text` as if read from `path` (which names the file in messages and anchors relative
// data directories).
ClusterConfig parse_cluster_config(std::string_view text, const std::string& path);

// Where node `node` listens for control commands when its data directory is `data_dir` (the
// config's, or dns-node's --data-dir): its control_socket, else data_dir/control.sock.
std::filesystem::path control_socket_path(const NodeConfig& node,
                                          const std::filesystem::path& data_dir);

// min(number of CPUs, 4), at least 1: the default of "threads".
unsigned default_query_threads();

}  // namespace net
