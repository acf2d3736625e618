#pragma once
// An open-loop client workload for DNS clusters: Poisson writes at a fixed rate to uniformly
// chosen running nodes, each the ADD of a record no other write touches, so the batch that
// carries write k is recognisable wherever it is served.

#include <cstdint>
#include <functional>
#include <string_view>

#include "dns/record.h"
#include "engine/node.h"
#include "harness/dns_node_driver.h"
#include "harness/sim_cluster.h"

namespace harness {

// The k-th write's record: w<k>.z<1..3>.test. A (disjoint from the zone files and the pool).
dns::Record numbered_write_record(std::uint64_t k);

// Submits writes 1, 2, ... from start() until stop() (or `until`).
class DnsWriteStream {
 public:
  using OnSubmit = std::function<void(std::uint64_t k, engine::NodeId node, const dns::Record&)>;
  using OnReply = std::function<void(std::uint64_t k, const engine::WriteResult&)>;

  // `rate` writes per simulated second; gaps and nodes are drawn from `stream`.
  DnsWriteStream(SimCluster<DnsNodeDriver>& cluster, double rate, std::string_view stream,
                 OnSubmit on_submit = nullptr, OnReply on_reply = nullptr);

  void start(sim::SimTime until);
  void stop() { until_ = 0; }
  std::uint64_t submitted() const { return next_ - 1; }

 private:
  void schedule_next();
  void submit_one();

  SimCluster<DnsNodeDriver>& cluster_;
  double rate_;
  sim::Prng prng_;
  OnSubmit on_submit_;
  OnReply on_reply_;
  sim::SimTime until_ = 0;
  std::uint64_t next_ = 1;
};

}  // namespace harness
