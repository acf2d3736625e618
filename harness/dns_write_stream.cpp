#include "harness/dns_write_stream.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "dns/types.h"
#include "harness/dns_workload.h"

namespace harness {

dns::Record numbered_write_record(std::uint64_t k) {
  dns::Record r;
  r.owner = dns::Name::from_text(fmt::format("w{}.{}", k, dns_zone_apex(k % 3)));
  r.type = dns::type::A;
  r.ttl = 300;
  r.rdata = {10, static_cast<std::uint8_t>(k >> 16), static_cast<std::uint8_t>(k >> 8),
             static_cast<std::uint8_t>(k)};
  return r;
}

DnsWriteStream::DnsWriteStream(SimCluster<DnsNodeDriver>& cluster, double rate,
                               std::string_view stream, OnSubmit on_submit, OnReply on_reply)
    : cluster_(cluster),
      rate_(rate),
      prng_(cluster.world().stream(stream)),
      on_submit_(std::move(on_submit)),
      on_reply_(std::move(on_reply)) {}

void DnsWriteStream::start(sim::SimTime until) {
  until_ = until;
  schedule_next();
}

void DnsWriteStream::schedule_next() {
  const auto gap =
      static_cast<sim::SimTime>(prng_.exponential(static_cast<double>(sim::kSecond) / rate_));
  const sim::SimTime at = cluster_.now() + std::max<sim::SimTime>(gap, 1);
  if (at >= until_) return;
  cluster_.world().queue().schedule_at(at, [this] {
    if (cluster_.now() >= until_) return;
    submit_one();
    schedule_next();
  });
}

void DnsWriteStream::submit_one() {
  std::vector<engine::NodeId> live;
  for (engine::NodeId n = 1; n <= cluster_.size(); ++n)
    if (cluster_.up(n)) live.push_back(n);
  if (live.empty()) return;
  const engine::NodeId node = live[prng_.below(live.size())];
  const std::uint64_t k = next_++;
  dns::Record record = numbered_write_record(k);
  if (on_submit_) on_submit_(k, node, record);
  cluster_.node(node)->submit({{dns::Change::Add, std::move(record)}},
                              [this, k](const engine::WriteResult& r) {
                                if (on_reply_) on_reply_(k, r);
                              });
}

}  // namespace harness
