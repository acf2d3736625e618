#include "testbed/link_faults.h"

#include <fmt/core.h>

#include <algorithm>
#include <stdexcept>

namespace testbed {

const char* to_string(LinkFault::Kind kind) {
  switch (kind) {
    case LinkFault::Kind::Isolate:
      return "isolate";
    case LinkFault::Kind::Partition:
      return "partition";
    case LinkFault::Kind::OneWay:
      return "one-way";
    case LinkFault::Kind::Clog:
      return "clog";
    case LinkFault::Kind::Delay:
      return "delay";
    case LinkFault::Kind::Loss:
      return "loss";
  }
  return "?";
}

std::string describe(const LinkFault& f) {
  switch (f.kind) {
    case LinkFault::Kind::Isolate:
      return fmt::format("isolate n{}", f.a);
    case LinkFault::Kind::Partition: {
      std::string side;
      for (int n = 1; n < 64; ++n)
        if (f.a >> n & 1) side += fmt::format("{}n{}", side.empty() ? "" : ",", n);
      return fmt::format("partition {{{}}} | rest", side);
    }
    case LinkFault::Kind::OneWay:
    case LinkFault::Kind::Clog:
      return fmt::format("{} n{}->n{}", to_string(f.kind), f.a, f.b);
    case LinkFault::Kind::Delay:
      return fmt::format("delay n{}->n{} {}ms jitter {}ms", f.a, f.b, f.delay_ms, f.jitter_ms);
    case LinkFault::Kind::Loss:
      return fmt::format("loss n{}->n{} {}", f.a, f.b, f.loss);
  }
  return "?";
}

std::optional<LinkFault> link_fault_of(const harness::Fault& fault, std::string* why) {
  LinkFault out;
  out.a = fault.a;
  out.b = fault.b;
  switch (fault.kind) {
    case harness::FaultKind::Isolate:
      out.kind = LinkFault::Kind::Isolate;
      return out;
    case harness::FaultKind::Partition:
      out.kind = LinkFault::Kind::Partition;
      return out;
    case harness::FaultKind::OneWay:
      out.kind = LinkFault::Kind::OneWay;
      return out;
    case harness::FaultKind::Clog:
      out.kind = LinkFault::Kind::Clog;
      return out;
    case harness::FaultKind::Delay:
      out.kind = LinkFault::Kind::Delay;
      out.delay_ms = fault.delay_ms;
      out.jitter_ms = fault.jitter_ms;
      return out;
    case harness::FaultKind::Loss:
      out.kind = LinkFault::Kind::Loss;
      out.loss = fault.loss;
      return out;
    case harness::FaultKind::IsolateFollower:
    case harness::FaultKind::IsolateLeader:
      if (why)
        *why = fmt::format("{} needs the leader: the runner resolves it into isolate",
                           harness::to_string(fault.kind));
      return std::nullopt;
    default:
      if (why)
        *why = fmt::format("{} is not a link fault: the runner does it to the process",
                           harness::to_string(fault.kind));
      return std::nullopt;
  }
}

std::uint64_t LinkFaults::add(const LinkFault& f) {
  auto check_node = [&](std::uint64_t n, const char* field) {
    if (n < 1 || n > nodes_)
      throw std::invalid_argument(
          fmt::format("{}: node {} is {} (nodes are 1..{})", to_string(f.kind), field, n, nodes_));
  };
  switch (f.kind) {
    case LinkFault::Kind::Isolate:
      check_node(f.a, "a");
      break;
    case LinkFault::Kind::Partition: {
      const std::uint64_t all = nodes_ >= 63 ? ~1ULL : ((1ULL << nodes_) - 1) << 1;
      if ((f.a & all) == 0 || (f.a & all) == all || (f.a & ~all) != 0)
        throw std::invalid_argument(fmt::format(
            "partition: side mask {} must name some but not all of nodes 1..{} (bit n = node n)",
            f.a, nodes_));
      break;
    }
    default:
      check_node(f.a, "a");
      check_node(f.b, "b");
      if (f.a == f.b)
        throw std::invalid_argument(
            fmt::format("{}: a and b are both node {}", to_string(f.kind), f.a));
  }
  if (f.kind == LinkFault::Kind::Loss && !(f.loss >= 0 && f.loss <= 1))
    throw std::invalid_argument(fmt::format("loss: {} is not a probability in [0, 1]", f.loss));
  active_.emplace(next_id_, f);
  return next_id_++;
}

void LinkFaults::set_site_delays(const std::vector<LinkFault>& delays) {
  for (const LinkFault& f : delays) {
    if (f.kind != LinkFault::Kind::Delay)
      throw std::invalid_argument(fmt::format("site delays: {} is not a delay", describe(f)));
    LinkFaults check(nodes_);
    check.add(f);  // node numbers
  }
  sites_ = delays;
}

bool LinkFaults::remove(std::uint64_t id) {
  return active_.erase(id) > 0;
}

LinkState LinkFaults::state(std::uint64_t from, std::uint64_t to) const {
  LinkState s;
  double pass = 1;  // chance a chunk survives every loss fault
  std::uint32_t site_delay = 0, site_jitter = 0;
  for (const LinkFault& f : sites_)
    if (from == f.a && to == f.b) site_delay = f.delay_ms, site_jitter = f.jitter_ms;
  for (const auto& [id, f] : active_) {
    switch (f.kind) {
      case LinkFault::Kind::Isolate:
        s.blocked |= from == f.a || to == f.a;
        break;
      case LinkFault::Kind::Partition:
        s.blocked |= ((f.a >> from) & 1) != ((f.a >> to) & 1);
        break;
      case LinkFault::Kind::OneWay:
        s.blocked |= from == f.a && to == f.b;
        break;
      case LinkFault::Kind::Clog:
        s.clogged |= from == f.a && to == f.b;
        break;
      case LinkFault::Kind::Delay:
        if (from == f.a && to == f.b) {
          s.delay_ms = std::max(s.delay_ms, f.delay_ms);
          s.jitter_ms = std::max(s.jitter_ms, f.jitter_ms);
        }
        break;
      case LinkFault::Kind::Loss:
        if (from == f.a && to == f.b) pass *= 1 - f.loss;
        break;
    }
  }
  s.loss = 1 - pass;
  s.delay_ms += site_delay;  // a delay fault on a WAN link comes on top of the distance
  s.jitter_ms += site_jitter;
  return s;
}

}  // namespace testbed
