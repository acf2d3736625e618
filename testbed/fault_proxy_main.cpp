// fault-proxy: relays the raft links of an N-node dns-node cluster through faults driven at run
// time (see testbed/fault_proxy.h and docs/testbed.md).
//
//   fault-proxy --node 127.0.0.1:7001 --node 127.0.0.1:7002 --node 127.0.0.1:7003
//               --control proxy.sock [--faults SPEC] [--ports P,P,...] [--seed N]
//               [--listen 127.0.0.1] [--sites SITES/RTT_MS[/JITTER_MS]]
//
// Prints one line "link A->B IP:PORT" per directed link (node A must reach node B there), then
// "ready". Runs until SIGINT or SIGTERM.

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "harness/sites.h"
#include "net/control_socket.h"
#include "net/listen_address.h"
#include "testbed/fault_proxy.h"

int main(int argc, char** argv) {
  CLI::App app{"fault-proxy: the raft links of a dns-node cluster through run-time faults"};
  std::vector<std::string> node_addresses;
  std::string control_path;
  std::string faults;
  std::string listen = "127.0.0.1";
  std::uint64_t seed = 1;
  std::vector<std::uint16_t> ports;
  app.add_option("--node", node_addresses,
                 "node n's real raft address ip:port, once per node in order (nodes 1..N)")
      ->required();
  app.add_option("--control", control_path,
                 "Unix socket taking control lines (fault SPEC, delay A B MS JITTER [FOR], loss "
                 "A B P [FOR], drop A B, end ID, heal, status)");
  app.add_option("--faults", faults,
                 "a schedule in sim-runner's --faults syntax (link kinds), from start");
  std::string sites;
  app.add_option("--sites", sites,
                 "multi-site delays SITES/RTT_MS[/JITTER_MS] as sim-runner --sites (kept through "
                 "heal)");
  app.add_option("--listen", listen, "the IP the per-link ports are bound on");
  app.add_option("--ports", ports,
                 "the link ports in the order 1->2, 1->3, ..., 2->1, ... (default: free ports)")
      ->delimiter(',');
  app.add_option("--seed", seed, "seed of the jitter and loss draws");
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<boost::asio::ip::tcp::endpoint> nodes;
    for (std::size_t i = 0; i < node_addresses.size(); ++i) {
      const auto a = net::ListenAddress::parse(node_addresses[i]);
      nodes.emplace_back(a.address, a.port);
    }
    if (nodes.size() < 2) throw std::invalid_argument("--node: give at least two nodes");
    boost::asio::io_context io;
    testbed::FaultProxy proxy(io, nodes, boost::asio::ip::make_address(listen), seed, ports);
    if (!sites.empty()) proxy.set_site_delays(harness::parse_sites(sites, nodes.size()).delays());
    if (!faults.empty()) proxy.schedule(harness::parse_schedule(faults));
    std::unique_ptr<net::ControlSocket> control;
    if (!control_path.empty()) {
      control = std::make_unique<net::ControlSocket>(
          io, control_path, [&proxy](std::string line, int, net::ControlReplyFn reply) {
            const std::string answer = proxy.execute_line(line);
            reply(answer.empty() ? "NOOP blank line or comment" : answer);
            if (answer.rfind("OK", 0) == 0 && line.rfind("status", 0) != 0)
              std::cout << "control: " << line << " -> " << answer << std::endl;
          });
      control->start();
    }
    for (std::size_t a = 1; a <= nodes.size(); ++a)
      for (std::size_t b = 1; b <= nodes.size(); ++b)
        if (a != b) {
          const auto e = proxy.link_endpoint(a, b);
          std::cout << fmt::format("link {}->{} {}:{}", a, b, e.address().to_string(), e.port())
                    << '\n';
        }
    std::cout << "ready" << std::endl;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      proxy.close();
      if (control) control->close();
    });
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fault-proxy: " << e.what() << '\n';
    return 2;
  }
}
