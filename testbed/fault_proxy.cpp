#include "testbed/fault_proxy.h"

#include <fmt/core.h>

#include <stdexcept>

#include "testbed/relay_session.h"

namespace testbed {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr sim::SimTime kMaxScheduleTime = 24LL * 3600 * sim::kSecond;
}  // namespace

// One directed link's listening port and the connections relayed through it.
struct FaultProxy::Link {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor;
  std::vector<std::weak_ptr<RelaySession>> sessions;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
};

FaultProxy::FaultProxy(asio::io_context& io, std::vector<asio::ip::tcp::endpoint> nodes,
                       const asio::ip::address& listen_host, std::uint64_t seed,
                       const std::vector<std::uint16_t>& ports)
    : io_(io),
      nodes_(std::move(nodes)),
      faults_(nodes_.size()),
      prng_(raft::Prng::stream(seed, "fault-proxy")) {
  const std::size_t n = nodes_.size();
  if (!ports.empty() && ports.size() != n * (n - 1))
    throw std::invalid_argument(fmt::format("{} link ports given; {} nodes have {} directed links",
                                            ports.size(), n, n * (n - 1)));
  std::size_t next_port = 0;
  for (std::size_t i = 0; i < n * n; ++i) {
    auto l = std::make_unique<Link>();
    l->from = i / n + 1;
    l->to = i % n + 1;
    if (l->from != l->to) {
      const std::uint16_t port = ports.empty() ? 0 : ports[next_port++];
      l->acceptor = std::make_unique<asio::ip::tcp::acceptor>(
          io_, asio::ip::tcp::endpoint(listen_host, port));
    }
    links_.push_back(std::move(l));
  }
  for (auto& l : links_)
    if (l->acceptor) accept(*l);
}

FaultProxy::~FaultProxy() {
  close();
}

FaultProxy::Link& FaultProxy::link(std::uint64_t from, std::uint64_t to) const {
  const std::size_t n = nodes_.size();
  if (from < 1 || from > n || to < 1 || to > n || from == to)
    throw std::invalid_argument(fmt::format("no link n{}->n{} (nodes are 1..{})", from, to, n));
  return *links_[(from - 1) * n + (to - 1)];
}

asio::ip::tcp::endpoint FaultProxy::link_endpoint(std::uint64_t from, std::uint64_t to) const {
  return link(from, to).acceptor->local_endpoint();
}

void FaultProxy::accept(Link& l) {
  l.acceptor->async_accept([this, &l](const error_code& ec, asio::ip::tcp::socket socket) {
    if (closed_) return;
    if (!ec) {
      const std::uint64_t from = l.from, to = l.to;
      if (faults_.state(from, to).blocked) {
        ++l.refused;  // as a cut cable would: the dialer's connection fails and it retries
      } else {
        ++l.accepted;
        auto session = std::make_shared<RelaySession>(
            std::move(socket), nodes_[to - 1], [this, from, to] { return faults_.state(from, to); },
            [this] { return prng_.real01(); });
        std::erase_if(l.sessions, [](const auto& w) { return w.expired(); });
        l.sessions.push_back(session);
        session->start();
      }
    }
    accept(l);
  });
}

std::uint64_t FaultProxy::accepted(std::uint64_t from, std::uint64_t to) const {
  return link(from, to).accepted;
}

std::size_t FaultProxy::open(std::uint64_t from, std::uint64_t to) const {
  std::size_t count = 0;
  for (const auto& w : link(from, to).sessions)
    if (auto s = w.lock(); s && !s->closed()) ++count;
  return count;
}

void FaultProxy::after(std::uint64_t ms, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(ms));
  std::erase_if(timers_,
                [](const auto& t) { return t->expiry() <= std::chrono::steady_clock::now(); });
  timers_.push_back(timer);
  timer->async_wait([this, timer, fn = std::move(fn)](const error_code& ec) {
    if (!ec && !closed_) fn();
  });
}

std::uint64_t FaultProxy::add(const LinkFault& fault, std::uint64_t for_ms) {
  const std::uint64_t id = faults_.add(fault);
  changed();
  if (for_ms > 0)
    after(for_ms, [this, id] {
      if (faults_.remove(id)) changed();
    });
  return id;
}

std::vector<std::uint64_t> FaultProxy::schedule(const std::vector<harness::Fault>& schedule) {
  std::vector<std::uint64_t> ids;
  std::vector<LinkFault> link_faults;
  for (const harness::Fault& f : schedule) {
    std::string why;
    auto lf = link_fault_of(f, &why);
    if (!lf) throw std::invalid_argument(fmt::format("{}: {}", harness::describe(f), why));
    LinkFaults check(nodes_.size());
    check.add(*lf);  // throws for bad node numbers now rather than when it starts
    if (f.at > kMaxScheduleTime || f.duration > kMaxScheduleTime)
      throw std::invalid_argument(
          fmt::format("{}: start and duration are at most a day", harness::describe(f)));
    link_faults.push_back(*lf);
  }
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const std::uint64_t at_ms = static_cast<std::uint64_t>(schedule[i].at / 1000000);
    const std::uint64_t for_ms = static_cast<std::uint64_t>(schedule[i].duration / 1000000);
    const LinkFault lf = link_faults[i];
    if (at_ms == 0)
      ids.push_back(add(lf, for_ms));
    else
      after(at_ms, [this, lf, for_ms] { add(lf, for_ms); });
  }
  return ids;
}

void FaultProxy::set_site_delays(const std::vector<harness::Fault>& delays) {
  std::vector<LinkFault> link_delays;
  for (const harness::Fault& f : delays) {
    std::string why;
    auto lf = link_fault_of(f, &why);
    if (!lf) throw std::invalid_argument(fmt::format("{}: {}", harness::describe(f), why));
    link_delays.push_back(*lf);
  }
  faults_.set_site_delays(link_delays);
  changed();
}

void FaultProxy::changed() {
  for (auto& l : links_)
    for (const auto& w : l->sessions)
      if (auto s = w.lock()) s->kick();
}

std::string FaultProxy::execute_line(std::string_view line) {
  try {
    return execute(parse_control_command(line));
  } catch (const std::exception& e) {  // bad input is a reply, never the proxy's end
    return fmt::format("ERROR {}", e.what());
  }
}

std::string FaultProxy::execute(const ControlCommand& c) {
  switch (c.verb) {
    case ControlCommand::Verb::Blank:
      return "";
    case ControlCommand::Verb::Fault: {
      const std::vector<std::uint64_t> now = schedule(c.schedule);
      std::string ids;
      for (std::uint64_t id : now) ids += fmt::format("{}{}", ids.empty() ? "" : ",", id);
      return fmt::format("OK id={} later={}", ids.empty() ? "-" : ids,
                         c.schedule.size() - now.size());
    }
    case ControlCommand::Verb::Add:
      return fmt::format("OK id={}", add(c.fault, c.for_ms));
    case ControlCommand::Verb::Drop: {
      Link& l = link(c.fault.a, c.fault.b);
      std::size_t cut = 0;
      for (const auto& w : l.sessions)
        if (auto s = w.lock(); s && !s->closed()) s->close(), ++cut;
      return fmt::format("OK dropped={}", cut);
    }
    case ControlCommand::Verb::End:
      if (!faults_.remove(c.id)) return fmt::format("ERROR end: no active fault {}", c.id);
      changed();
      return "OK";
    case ControlCommand::Verb::Heal:
      for (auto& t : timers_) t->cancel();
      timers_.clear();
      faults_.clear();
      changed();
      return "OK";
    case ControlCommand::Verb::Status:
      return status();
  }
  return "ERROR ?";
}

std::string FaultProxy::status() const {
  std::string faults;
  for (const auto& [id, f] : faults_.active())
    faults += fmt::format("{}{}={}", faults.empty() ? "" : "; ", id, describe(f));
  std::string links;
  for (const auto& l : links_)
    if (l->acceptor)
      links += fmt::format(" {}->{}:{}/{}", l->from, l->to, open(l->from, l->to), l->accepted);
  std::string sites;
  for (const LinkFault& f : faults_.site_delays())
    sites += fmt::format("{}{}", sites.empty() ? "" : "; ", describe(f));
  return fmt::format("OK faults=[{}]{} open/accepted{}", faults,
                     sites.empty() ? "" : fmt::format(" sites=[{}]", sites), links);
}

void FaultProxy::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& t : timers_) t->cancel();
  timers_.clear();
  for (auto& l : links_) {
    if (l->acceptor) {
      error_code ignored;
      l->acceptor->close(ignored);
    }
    for (const auto& w : l->sessions)
      if (auto s = w.lock()) s->close();
  }
}

}  // namespace testbed
