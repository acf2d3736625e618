#pragma once
// DNS UPDATE (RFC 2136) on a cluster node's DNS port: TSIG check, the zone's allow_update
// policy, then one raft entry through engine::Node::submit_update; the answer goes out only once
// the entry committed and was applied here (or SERVFAIL when it could not commit in time).

#include <atomic>
#include <memory>
#include <span>

#include <boost/asio/io_context.hpp>

#include "engine/node.h"
#include "net/query_handler.h"
#include "net/zone_policy_config.h"

namespace net {

// Takes UPDATE requests from any DNS worker thread and submits them on the engine's thread.
class UpdateService {
 public:
  // `engine_io` runs `node` (only that thread may touch it).
  UpdateService(std::shared_ptr<const ZonePolicyConfig> policy, boost::asio::io_context& engine_io,
                engine::Node& node);

  // On a DNS worker thread. `reply` is called exactly once (at once for a request refused
  // before raft: FORMERR, NOTAUTH with a TSIG error, REFUSED), from this or the engine's thread.
  void handle(std::span<const std::uint8_t> query, QueryHandler::Reply reply);

  // Requests handled since start, by outcome (for logs and tests).
  std::uint64_t submitted() const { return submitted_.load(); }

 private:
  std::shared_ptr<const ZonePolicyConfig> policy_;
  boost::asio::io_context& engine_io_;
  engine::Node& node_;
  std::atomic<std::uint64_t> submitted_{0};
};

// Wraps a worker's handler: answers as it does, except that an UPDATE (which the zone handler
// answers NOTIMP) is deferred to the UpdateService. Normal queries pay one comparison of the
// answer's rcode.
class UpdateAwareHandler final : public QueryHandler {
 public:
  UpdateAwareHandler(std::unique_ptr<QueryHandler> inner, UpdateService& service)
      : inner_(std::move(inner)), service_(service) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override;
  void handle_deferred(std::span<const std::uint8_t> query, bool tcp, Reply reply) override;

 private:
  std::unique_ptr<QueryHandler> inner_;
  UpdateService& service_;
};

}  // namespace net
