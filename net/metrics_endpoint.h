#pragma once
// The paths a node serves over HTTP (/metrics, /health, /ready, /status) and how each is
// answered; the node supplies the content, HttpServer the transport.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "dns/zone_db.h"
#include "engine/node.h"
#include "net/http_server.h"
#include "net/metrics_cluster.h"
#include "net/metrics_dns.h"
#include "net/peer_transport.h"

namespace net {

// What one node offers. An empty function means the node has no such endpoint (standalone mode
// has no raft: no /ready, no /status): its path answers 404 like any unknown one.
struct NodeEndpoints {
  std::function<std::string()> metrics;  // the Prometheus exposition
  std::function<Readiness()> ready;
  std::function<nlohmann::json()> status;
};

// GET /metrics: 200 with the exposition. /health: 200 "ok" (the node serves DNS from before the
// HTTP server starts until after it stops). /ready: 200 {"ready":true}, or 503
// {"ready":false,"reason":"..."}. /status: 200 with the JSON. Anything else: 404.
HttpReply answer_node_request(const NodeEndpoints& endpoints, std::string_view path);

// A cluster member's endpoints. Call them on the engine's thread; the references must outlive
// the returned functions.
NodeEndpoints cluster_endpoints(const engine::Node& node, const PeerTransport& transport,
                                const engine::Clock& clock, engine::Duration election_timeout,
                                const dns::Database& db, const DnsMetrics& dns,
                                const ClusterMetrics& cluster);
// A standalone server's: the DNS and zone metrics and /health.
NodeEndpoints standalone_endpoints(const dns::Database& db, const DnsMetrics& dns);

}  // namespace net
