#pragma once
// Multi-site placement: which site each node is in and the round trip between sites, turned into
// per-link delays (Delay faults that last the whole run). One spec for both worlds: sim-runner
// --sites and fault-proxy --sites read it here, so a 3-site cluster is the same in each.
//
//   SITES/RTT_MS[/JITTER_MS]   e.g. "1,2,3/20,80,150" or "1,1,2,2,3/20,80,150/5"
//
// SITES: node n's site (1..S) at position n. RTT_MS: the round trips between sites in the order
// 1-2, 1-3, ..., 1-S, 2-3, ..., (S-1)-S (S*(S-1)/2 values; none for one site). Each direction of
// a link between sites i and j waits RTT/2 (rounded down to a millisecond) plus a uniform draw up
// to JITTER_MS; links inside a site get no delay beyond the network's own.

#include <cstdint>
#include <string>
#include <vector>

#include "harness/faults.h"

namespace harness {

struct SiteMap {
  std::vector<std::uint32_t> site_of;  // node n (1..N) at index n-1; sites 1..S
  std::vector<std::uint32_t> rtt_ms;   // the upper triangle, in the order of the spec
  std::uint32_t jitter_ms = 0;

  std::uint32_t sites() const;
  std::uint32_t rtt(std::uint32_t site_a, std::uint32_t site_b) const;  // 0 within a site
  // One Delay fault (at 0, duration 0: until the heal; the runners keep them past it) per
  // directed link between nodes in different sites.
  std::vector<Fault> delays() const;
  std::uint32_t max_rtt_ms() const;
};

// Throws std::invalid_argument naming the bad field. `nodes`: the cluster size the spec must
// cover exactly (0: any).
SiteMap parse_sites(const std::string& text, std::size_t nodes = 0);

}  // namespace harness
