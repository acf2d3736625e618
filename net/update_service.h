#pragma once
// DNS UPDATE (RFC 2136) on a cluster node's DNS port: TSIG check, the zone's allow_update
// policy, then one raft entry through engine::Node::submit_update; the answer goes out only once
// the entry committed and was applied here (or SERVFAIL when it could not commit in time).

#include <atomic>
#include <memory>
#include <span>

#include <boost/asio/io_context.hpp>

#include "engine/node.h"
#include "net/metrics_cluster.h"
#include "net/query_handler.h"
#include "net/zone_policy_config.h"
#include "net/zone_query_handler.h"

namespace net {

// Takes UPDATE requests from any DNS worker thread and submits them on the engine's thread.
class UpdateService final : public UpdateSink {
 public:
  // `engine_io` runs `node` (only that thread may touch it).
  // `metrics` (may be null) counts every answer by rcode.
  UpdateService(std::shared_ptr<const ZonePolicyConfig> policy, boost::asio::io_context& engine_io,
                engine::Node& node, ClusterMetrics* metrics = nullptr);

  // On a DNS worker thread. `reply` is called exactly once (at once for a request refused
  // before raft: FORMERR, NOTAUTH with a TSIG error, REFUSED), from this or the engine's thread.
  void handle(std::span<const std::uint8_t> query, QueryHandler::Reply reply) override;

  // Requests handled since start, by outcome (for logs and tests).
  std::uint64_t submitted() const { return submitted_.load(); }

 private:
  std::shared_ptr<const ZonePolicyConfig> policy_;
  boost::asio::io_context& engine_io_;
  engine::Node& node_;
  ClusterMetrics* metrics_;
  std::atomic<std::uint64_t> submitted_{0};
};

}  // namespace net
