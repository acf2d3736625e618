#pragma once
// The wires of a simulated cluster: how an encoded message gets from one node to another.
// Reordering links are sim::Network: each message draws its own delay, so messages on one link
// overtake each other, and the network adds loss, duplication and clogs (sim-runner's fault
// model). FIFO links are TCP-like streams per ordered pair of nodes: a message never overtakes
// the previous one on its link, which is what the real peer transport gives. Either kind can be
// cut, one way or both ways.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/io.h"
#include "sim/world.h"

namespace harness {

enum class LinkKind { Reordering, Fifo };

struct LinkOptions {
  LinkKind kind = LinkKind::Reordering;
  // FIFO links (reordering ones take their delays, loss and duplication from
  // sim::WorldOptions::network): one-way delay = fifo_delay + an exponential tail with mean
  // fifo_tail_cap / 3, capped at fifo_tail_cap (nanoseconds).
  sim::SimTime fifo_delay = sim::kMillisecond;
  double fifo_tail_cap = 0;
  // FIFO links: messages still in flight from a node that crashes are lost with it (its
  // connections die); otherwise they arrive, as on sim::Network. Messages in flight to a node
  // that crashes are lost either way.
  bool lose_in_flight_from_crashed = false;
  // The PRNG stream FIFO delays are drawn from (a stream name is part of a run's identity).
  std::string fifo_stream = "fifo-links";
};

// Carries messages between nodes 1..N of one sim::World.
class SimLinks {
 public:
  using Deliver = std::function<void(engine::NodeId to, engine::NodeId from, engine::Bytes bytes)>;

  SimLinks(sim::World& world, const LinkOptions& options, Deliver deliver);

  const LinkOptions& options() const { return options_; }

  // `depart`: when the message leaves `from` (later than now while its disk is busy).
  void send(engine::NodeId from, engine::NodeId to, engine::Bytes bytes, sim::SimTime depart = 0);

  // One way. A blocked link drops what is sent on it; FIFO links also drop what is in flight on
  // it (a broken stream), reordering ones what lands while it is blocked.
  void set_blocked(engine::NodeId from, engine::NodeId to, bool blocked);
  // Both ways between a and b.
  void set_link(engine::NodeId a, engine::NodeId b, bool up);
  // Messages a -> b are held until `until`.
  void clog(engine::NodeId from, engine::NodeId to, sim::SimTime until);
  // Delay and Loss faults on a -> b (harness/faults.h): each message waits `delay` plus a
  // uniform draw up to `jitter`, and is lost with chance `loss`; on FIFO links a loss breaks the
  // stream (what is in flight is lost too), as the proxy cuts a TCP connection.
  void shape(engine::NodeId from, engine::NodeId to, sim::SimTime delay, sim::SimTime jitter,
             double loss);
  // A site's distance (harness/sites.h): added to every message a -> b for the whole run; the
  // heal keeps it.
  void set_site_delay(engine::NodeId from, engine::NodeId to, sim::SimTime delay,
                      sim::SimTime jitter);
  // Every link up, unclogged and unshaped (site delays stay); reordering links also stop losing
  // and duplicating.
  void heal_all();
  // `node` lost power: what is in flight to it (and from it, see LinkOptions) is lost.
  void node_crashed(engine::NodeId node);

  std::uint64_t sent() const { return sent_; }

 private:
  std::size_t link(engine::NodeId from, engine::NodeId to) const {
    return from * (nodes_ + 1) + to;
  }
  void send_fifo(engine::NodeId from, engine::NodeId to, engine::Bytes bytes, sim::SimTime depart);
  // Shaping of one link: how long a message waits beyond the network's delay (site plus fault
  // delay and jitter), or -1 if a loss fault takes it. Draws only on shaped links, so runs
  // without shaping keep their trace.
  sim::SimTime shaped_wait(std::size_t link);

  // Per link: a Delay/Loss fault and the site distance.
  struct Shaping {
    sim::SimTime delay = 0, jitter = 0;
    double loss = 0;
    sim::SimTime site_delay = 0, site_jitter = 0;
  };

  sim::World& world_;
  LinkOptions options_;
  std::size_t nodes_;
  Deliver deliver_;
  sim::Prng prng_;
  // FIFO links, by link(from, to):
  std::vector<sim::SimTime> last_arrival_;
  std::vector<sim::SimTime> clogged_until_;
  std::vector<bool> cut_;
  std::vector<std::uint64_t> link_epochs_;  // bumped when the link is cut
  std::vector<std::uint64_t> node_epochs_;  // by node, bumped when it crashes
  std::vector<Shaping> shaping_;            // by link(from, to), both kinds of links
  sim::Prng shaping_prng_;
  std::uint64_t sent_ = 0;
};

}  // namespace harness
