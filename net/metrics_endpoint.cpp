#include "net/metrics_endpoint.h"

#include <nlohmann/json.hpp>

#include "net/metrics_text.h"

namespace net {
namespace {

constexpr std::string_view kJson = "application/json";

HttpReply json_reply(unsigned status, const nlohmann::json& body) {
  return HttpReply{status, std::string(kJson), body.dump() + "\n"};
}

}  // namespace

HttpReply answer_node_request(const NodeEndpoints& endpoints, std::string_view path) {
  if (path == "/metrics" && endpoints.metrics)
    return HttpReply{200, std::string(kMetricsContentType), endpoints.metrics()};
  if (path == "/health") return HttpReply{200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/ready" && endpoints.ready) {
    const Readiness r = endpoints.ready();
    if (r.ready) return json_reply(200, {{"ready", true}});
    return json_reply(503, {{"ready", false}, {"reason", r.reason}});
  }
  if (path == "/status" && endpoints.status) return json_reply(200, endpoints.status());
  std::string known = "/metrics /health";
  if (endpoints.ready) known += " /ready";
  if (endpoints.status) known += " /status";
  return HttpReply{404, "text/plain; charset=utf-8", "not found; this node serves " + known + "\n"};
}

NodeEndpoints cluster_endpoints(const engine::Node& node, const PeerTransport& transport,
                                const engine::Clock& clock, engine::Duration election_timeout,
                                const dns::Database& db, const DnsMetrics& dns,
                                const ClusterMetrics& cluster) {
  NodeEndpoints e;
  e.metrics = [&] {
    MetricsText out;
    dns.render(out);
    render_zone_metrics(db, out);
    cluster.render(node.status(), transport.stats(), out);
    return out.take();
  };
  e.ready = [&, election_timeout] {
    return node_readiness(node.status(), clock.now(), election_timeout);
  };
  e.status = [&, election_timeout] {
    const engine::NodeStatus s = node.status();
    return status_json(node.id(), s, node_readiness(s, clock.now(), election_timeout));
  };
  return e;
}

NodeEndpoints standalone_endpoints(const dns::Database& db, const DnsMetrics& dns) {
  NodeEndpoints e;
  e.metrics = [&] {
    MetricsText out;
    dns.render(out);
    render_zone_metrics(db, out);
    return out.take();
  };
  return e;
}

}  // namespace net
