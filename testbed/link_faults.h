#pragma once
// The fault proxy's fault table: which faults are active and what they mean for each directed
// link a -> b (blocked, held, delayed, lossy). Pure: the relay asks it per connection and per
// chunk of bytes; nothing here touches sockets or clocks.
//
// Nodes are numbered 1..N as in the simulator's fault schedules (harness/faults.h), so one
// schedule means the same in both worlds. A directed link a -> b is the connection node a dials
// to node b, which carries a's raft messages to b (net/peer_transport.h: each node writes only on
// connections it dialed).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/faults.h"

namespace testbed {

// What one active fault does; the link kinds of harness::FaultKind plus the proxy's own.
struct LinkFault {
  enum class Kind : std::uint8_t {
    Isolate,    // node a cut off both ways
    Partition,  // bitmask a (bit n = node n) against the rest, both ways
    OneWay,     // a -> b cut
    Clog,       // a -> b held (bytes wait in the proxy) until the fault ends
    Delay,      // a -> b bytes wait delay_ms plus up to jitter_ms (in order)
    Loss,       // each chunk a -> b cuts the connection with probability loss
  };
  Kind kind = Kind::Isolate;
  std::uint64_t a = 1;
  std::uint64_t b = 2;
  std::uint32_t delay_ms = 0;
  std::uint32_t jitter_ms = 0;
  double loss = 0;
};

const char* to_string(LinkFault::Kind kind);
std::string describe(const LinkFault& fault);

// The link kinds of a simulator fault (delay and loss included), or nullopt (with a reason in *why)
// for the kinds the proxy cannot apply: crashes and disk faults are the runner's to do, and
// isolate-follower needs to know the leader (the runner resolves it into an isolate).
std::optional<LinkFault> link_fault_of(const harness::Fault& fault, std::string* why);

// The combined effect of every active fault on one directed link.
struct LinkState {
  bool blocked = false;         // no bytes pass; connections are cut and new ones refused
  bool clogged = false;         // bytes wait in the proxy
  std::uint32_t delay_ms = 0;   // the largest active delay
  std::uint32_t jitter_ms = 0;  // the largest active jitter
  double loss = 0;              // chance that one chunk cuts the connection (combined)
  bool operator==(const LinkState&) const = default;
};

// Every active fault, by id (ids count up from 1 and are never reused).
class LinkFaults {
 public:
  explicit LinkFaults(std::size_t nodes) : nodes_(nodes) {}

  // Checks the node numbers (1..N; a partition's side neither empty nor everyone) and adds the
  // fault; returns its id. Throws std::invalid_argument naming the bad field.
  std::uint64_t add(const LinkFault& fault);
  // Removes a fault; false if no such id is active.
  bool remove(std::uint64_t id);
  void clear() { active_.clear(); }  // site delays stay
  // The sites' distances (harness/sites.h as Delay link faults): added to every chunk on their
  // links whatever the faults, and kept by clear() (`heal` heals faults, not geography). Throws
  // std::invalid_argument for a bad node number or a kind other than Delay.
  void set_site_delays(const std::vector<LinkFault>& delays);
  const std::vector<LinkFault>& site_delays() const { return sites_; }

  LinkState state(std::uint64_t from, std::uint64_t to) const;
  std::size_t nodes() const { return nodes_; }
  const std::map<std::uint64_t, LinkFault>& active() const { return active_; }

 private:
  std::size_t nodes_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, LinkFault> active_;
  std::vector<LinkFault> sites_;
};

}  // namespace testbed
