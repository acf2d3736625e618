#pragma once
// The peer fault proxy: one listening port per directed link a -> b of an N-node cluster. Node a
// is configured to reach node b at that port (a per-node config file, written by the runner) and
// the proxy relays to b's real raft address through the link's faults (testbed/relay_session.h).
// Faults come from control commands (testbed/control_command.h) at run time, or from a schedule
// in the simulator's --faults syntax given at start.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "raft/prng.h"
#include "testbed/control_command.h"
#include "testbed/link_faults.h"

namespace testbed {

class RelaySession;

// The proxy of one cluster's raft links (see the top of this file).
class FaultProxy {
 public:
  // `nodes[n-1]` is node n's real raft address. Binds one port per ordered pair on
  // `listen_host`: `ports` in the order 1->2, 1->3, ..., 2->1, ... (N*(N-1) of them), or free
  // ports when empty (see link_endpoint()). Throws std::invalid_argument for a wrong number of
  // ports, boost::system::system_error if a port cannot be bound.
  FaultProxy(boost::asio::io_context& io, std::vector<boost::asio::ip::tcp::endpoint> nodes,
             const boost::asio::ip::address& listen_host, std::uint64_t seed,
             const std::vector<std::uint16_t>& ports = {});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::size_t nodes() const { return nodes_.size(); }
  // Where node `from` must dial to reach node `to` (1-based).
  boost::asio::ip::tcp::endpoint link_endpoint(std::uint64_t from, std::uint64_t to) const;

  // Runs one control line; returns the reply ("OK ..." or "ERROR ..."), never throws for bad
  // input.
  std::string execute_line(std::string_view line);
  std::string execute(const ControlCommand& command);
  // Applies each link fault of `schedule` at its time from now, for its duration (0: until
  // heal). Returns the ids of the faults that start now. Throws std::invalid_argument for a kind
  // the proxy cannot apply or a bad node number, before applying any.
  std::vector<std::uint64_t> schedule(const std::vector<harness::Fault>& schedule);

  // The sites' distances (harness/sites.h): kept through `heal`. Throws std::invalid_argument.
  void set_site_delays(const std::vector<harness::Fault>& delays);

  const LinkFaults& faults() const { return faults_; }
  // Connections accepted on link from -> to so far, and open now.
  std::uint64_t accepted(std::uint64_t from, std::uint64_t to) const;
  std::size_t open(std::uint64_t from, std::uint64_t to) const;
  // Stops listening, cuts every connection, cancels every timer. Idempotent.
  void close();

 private:
  struct Link;
  Link& link(std::uint64_t from, std::uint64_t to) const;
  void accept(Link& link);
  std::uint64_t add(const LinkFault& fault, std::uint64_t for_ms);
  void after(std::uint64_t ms, std::function<void()> fn);
  void changed();  // re-check every connection against the faults
  std::string status() const;

  boost::asio::io_context& io_;
  std::vector<boost::asio::ip::tcp::endpoint> nodes_;
  std::vector<std::unique_ptr<Link>> links_;  // (from-1)*N + (to-1); self-links are empty
  std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;
  LinkFaults faults_;
  raft::Prng prng_;
  bool closed_ = false;
};

}  // namespace testbed
