#pragma once
// The simulated network between nodes 1..N: carries the same encoded bytes the real transport
// would, with per-link delay (minimum + exponential tail, so messages reorder), loss,
// duplication, clogging (a link holds its messages for a while) and partitions, symmetric or
// one-way. Messages to a node that crashed while they were in flight are dropped.

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/io.h"
#include "sim/event_queue.h"
#include "sim/prng.h"
#include "sim/trace.h"

namespace sim {

// Fault knobs that apply to every link.
struct NetworkOptions {
  SimTime min_delay = 1 * kMillisecond;
  SimTime max_delay = 10 * kMillisecond;  // the exponential tail is capped here
  double loss = 0.0;                      // probability a message vanishes
  double duplicate = 0.0;                 // probability a message arrives twice
};

// Why a message did not arrive (recorded in the trace as EventKind::Drop's `a`).
enum class DropReason : std::uint8_t { Loss = 1, Blocked = 2, Crashed = 3, Down = 4 };

// Delivers encoded messages through the EventQueue according to the link states.
class Network {
 public:
  using Deliver = std::function<void(engine::NodeId to, engine::NodeId from, engine::Bytes bytes)>;

  Network(EventQueue& queue, Trace& trace, Prng prng, std::size_t nodes, NetworkOptions options);

  void set_deliver(Deliver deliver) { deliver_ = std::move(deliver); }
  void send(engine::NodeId from, engine::NodeId to, engine::Bytes bytes);

  // Link control. A blocked link drops what is sent on it and what is in flight when it lands.
  void block(engine::NodeId from, engine::NodeId to);    // one way
  void unblock(engine::NodeId from, engine::NodeId to);  // one way
  void isolate(engine::NodeId node);                     // both ways to everyone
  // Splits the nodes into two sides (side_a lists the nodes of one side), both ways.
  void partition(const std::vector<engine::NodeId>& side_a);
  void clog(engine::NodeId from, engine::NodeId to, SimTime until);
  void heal_all();  // every link up and unclogged
  bool blocked(engine::NodeId from, engine::NodeId to) const { return link(from, to).blocked; }

  // The node crashed / came back: in-flight messages to it are lost; while down it gets none.
  void set_down(engine::NodeId node, bool down);

  NetworkOptions& options() { return options_; }
  std::size_t nodes() const { return nodes_; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Link {
    bool blocked = false;
    SimTime clogged_until = 0;
  };
  Link& link(engine::NodeId from, engine::NodeId to) { return links_[from * (nodes_ + 1) + to]; }
  const Link& link(engine::NodeId from, engine::NodeId to) const {
    return links_[from * (nodes_ + 1) + to];
  }
  SimTime draw_delay();
  void schedule(engine::NodeId from, engine::NodeId to, engine::Bytes bytes, SimTime at);
  void drop(engine::NodeId from, engine::NodeId to, DropReason reason);

  EventQueue& queue_;
  Trace& trace_;
  Prng prng_;
  std::size_t nodes_;
  NetworkOptions options_;
  std::vector<Link> links_;            // (nodes+1)^2, index 0 unused
  std::vector<std::uint64_t> epochs_;  // bumped when a node crashes
  std::vector<bool> down_;
  Deliver deliver_;
  std::uint64_t sent_ = 0, delivered_ = 0, dropped_ = 0;
};

}  // namespace sim
