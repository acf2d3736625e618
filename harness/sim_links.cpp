#include "harness/sim_links.h"

#include <algorithm>
#include <utility>

namespace harness {

SimLinks::SimLinks(sim::World& world, const LinkOptions& options, Deliver deliver)
    : world_(world),
      options_(options),
      nodes_(world.nodes()),
      deliver_(std::move(deliver)),
      prng_(world.stream(options.fifo_stream)),
      last_arrival_((nodes_ + 1) * (nodes_ + 1), 0),
      clogged_until_(last_arrival_.size(), 0),
      cut_(last_arrival_.size(), false),
      link_epochs_(last_arrival_.size(), 0),
      node_epochs_(nodes_ + 1, 0),
      shaping_(last_arrival_.size()),
      shaping_prng_(world.stream("link-shaping")) {
  if (options_.kind == LinkKind::Reordering)
    world_.network().set_deliver(
        [this](engine::NodeId to, engine::NodeId from, engine::Bytes bytes) {
          deliver_(to, from, std::move(bytes));
        });
}

void SimLinks::send(engine::NodeId from, engine::NodeId to, engine::Bytes bytes,
                    sim::SimTime depart) {
  ++sent_;
  if (options_.kind == LinkKind::Fifo) return send_fifo(from, to, std::move(bytes), depart);
  if (from >= 1 && to >= 1 && from <= nodes_ && to <= nodes_) {
    const sim::SimTime wait = shaped_wait(link(from, to));
    if (wait < 0) return;  // a loss fault took it
    depart = std::max(depart, world_.now()) + wait;
  }
  if (depart <= world_.now()) return world_.network().send(from, to, std::move(bytes));
  world_.queue().schedule_at(depart, [this, from, to, bytes = std::move(bytes)]() mutable {
    world_.network().send(from, to, std::move(bytes));
  });
}

void SimLinks::send_fifo(engine::NodeId from, engine::NodeId to, engine::Bytes bytes,
                         sim::SimTime depart) {
  if (from == 0 || to == 0 || from > nodes_ || to > nodes_) return;
  const std::size_t l = link(from, to);
  if (cut_[l]) return;
  const sim::SimTime wait = shaped_wait(l);
  if (wait < 0) {  // the stream broke: this message and what is in flight on it are lost
    ++link_epochs_[l];
    return;
  }
  depart = std::max(depart, world_.now()) + wait;
  const double cap = options_.fifo_tail_cap;
  const auto tail = static_cast<sim::SimTime>(std::min(cap, prng_.exponential(cap / 3.0)));
  const sim::SimTime start = std::max({depart, world_.now(), clogged_until_[l]});
  sim::SimTime& last = last_arrival_[l];
  last = std::max(last, start + options_.fifo_delay + tail);
  world_.queue().schedule_at(
      last, [this, from, to, l, epoch = link_epochs_[l], from_epoch = node_epochs_[from],
             to_epoch = node_epochs_[to], bytes = std::move(bytes)]() mutable {
        // A stream that broke while this was in flight lost it, as a reset TCP connection would.
        if (link_epochs_[l] != epoch || node_epochs_[to] != to_epoch) return;
        if (options_.lose_in_flight_from_crashed && node_epochs_[from] != from_epoch) return;
        deliver_(to, from, std::move(bytes));
      });
}

void SimLinks::set_blocked(engine::NodeId from, engine::NodeId to, bool blocked) {
  if (options_.kind == LinkKind::Reordering) {
    if (blocked)
      world_.network().block(from, to);
    else
      world_.network().unblock(from, to);
    return;
  }
  const std::size_t l = link(from, to);
  if (blocked && !cut_[l]) ++link_epochs_[l];
  cut_[l] = blocked;
}

void SimLinks::set_link(engine::NodeId a, engine::NodeId b, bool up) {
  set_blocked(a, b, !up);
  set_blocked(b, a, !up);
}

void SimLinks::clog(engine::NodeId from, engine::NodeId to, sim::SimTime until) {
  if (options_.kind == LinkKind::Reordering) return world_.network().clog(from, to, until);
  sim::SimTime& clogged = clogged_until_[link(from, to)];
  clogged = std::max(clogged, until);
}

sim::SimTime SimLinks::shaped_wait(std::size_t l) {
  const Shaping& s = shaping_[l];
  if (s.loss > 0 && shaping_prng_.real01() < s.loss) return -1;
  sim::SimTime wait = s.delay + s.site_delay;
  const sim::SimTime jitter = s.jitter + s.site_jitter;
  if (jitter > 0)
    wait += static_cast<sim::SimTime>(
        shaping_prng_.in_range(0, static_cast<std::uint64_t>(jitter) + 1));
  return wait;
}

void SimLinks::shape(engine::NodeId from, engine::NodeId to, sim::SimTime delay,
                     sim::SimTime jitter, double loss) {
  Shaping& s = shaping_.at(link(from, to));
  s.delay = delay;
  s.jitter = jitter;
  s.loss = loss;
}

void SimLinks::set_site_delay(engine::NodeId from, engine::NodeId to, sim::SimTime delay,
                              sim::SimTime jitter) {
  Shaping& s = shaping_.at(link(from, to));
  s.site_delay = delay;
  s.site_jitter = jitter;
}

void SimLinks::heal_all() {
  for (Shaping& s : shaping_) s.delay = 0, s.jitter = 0, s.loss = 0;
  if (options_.kind == LinkKind::Reordering) {
    world_.network().heal_all();
    world_.network().options().loss = 0;
    world_.network().options().duplicate = 0;
    return;
  }
  std::fill(cut_.begin(), cut_.end(), false);
  std::fill(clogged_until_.begin(), clogged_until_.end(), 0);
}

void SimLinks::node_crashed(engine::NodeId node) {
  ++node_epochs_.at(node);
}

}  // namespace harness
