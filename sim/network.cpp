#include "sim/network.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/core.h>

namespace sim {

Network::Network(EventQueue& queue, Trace& trace, Prng prng, std::size_t nodes,
                 NetworkOptions options)
    : queue_(queue),
      trace_(trace),
      prng_(prng),
      nodes_(nodes),
      options_(options),
      links_((nodes + 1) * (nodes + 1)),
      epochs_(nodes + 1, 0),
      down_(nodes + 1, false) {}

SimTime Network::draw_delay() {
  const SimTime spread = std::max<SimTime>(0, options_.max_delay - options_.min_delay);
  // Mean of the tail a third of the spread: most messages are fast, a few straggle to the cap.
  const double tail = prng_.exponential(static_cast<double>(spread) / 3.0);
  return options_.min_delay + std::min<SimTime>(spread, static_cast<SimTime>(tail));
}

void Network::drop(engine::NodeId from, engine::NodeId to, DropReason reason) {
  ++dropped_;
  trace_.record({queue_.now(), EventKind::Drop, to, from, static_cast<std::uint64_t>(reason), 0});
}

void Network::send(engine::NodeId from, engine::NodeId to, engine::Bytes bytes) {
  if (from == 0 || to == 0 || from > nodes_ || to > nodes_)
    throw std::out_of_range(fmt::format("sim network: no link {} -> {}", from, to));
  ++sent_;
  if (down_[from] || link(from, to).blocked) return drop(from, to, DropReason::Blocked);
  if (prng_.chance(options_.loss)) return drop(from, to, DropReason::Loss);
  const SimTime start = std::max(queue_.now(), link(from, to).clogged_until);
  if (prng_.chance(options_.duplicate)) schedule(from, to, bytes, start + draw_delay());
  schedule(from, to, std::move(bytes), start + draw_delay());
}

void Network::schedule(engine::NodeId from, engine::NodeId to, engine::Bytes bytes, SimTime at) {
  queue_.schedule_at(at, [this, from, to, epoch = epochs_[to], bytes = std::move(bytes)]() mutable {
    if (epoch != epochs_[to] || down_[to]) return drop(from, to, DropReason::Crashed);
    if (link(from, to).blocked) return drop(from, to, DropReason::Blocked);
    ++delivered_;
    if (deliver_) deliver_(to, from, std::move(bytes));
  });
}

void Network::block(engine::NodeId from, engine::NodeId to) {
  link(from, to).blocked = true;
}
void Network::unblock(engine::NodeId from, engine::NodeId to) {
  link(from, to).blocked = false;
}

void Network::isolate(engine::NodeId node) {
  for (engine::NodeId other = 1; other <= nodes_; ++other) {
    if (other == node) continue;
    block(node, other);
    block(other, node);
  }
}

void Network::partition(const std::vector<engine::NodeId>& side_a) {
  std::vector<bool> in_a(nodes_ + 1, false);
  for (engine::NodeId n : side_a) in_a.at(n) = true;
  for (engine::NodeId x = 1; x <= nodes_; ++x)
    for (engine::NodeId y = 1; y <= nodes_; ++y)
      if (in_a[x] != in_a[y]) block(x, y);
}

void Network::clog(engine::NodeId from, engine::NodeId to, SimTime until) {
  link(from, to).clogged_until = std::max(link(from, to).clogged_until, until);
}

void Network::heal_all() {
  for (Link& l : links_) l = Link{};
}

void Network::set_down(engine::NodeId node, bool down) {
  if (down && !down_.at(node)) ++epochs_[node];
  down_.at(node) = down;
}

}  // namespace sim
