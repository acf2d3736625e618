#include "net/dns_server.h"

#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>

#include "net/batching_loop.h"
#include "net/error.h"
#include "net/tcp_listener.h"
#include "net/udp_server.h"

namespace net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

// One worker thread's share of the server: its own io_context, UDP socket and TCP acceptor.
class ServerWorker {
 public:
  ServerWorker(std::unique_ptr<QueryHandler> handler, const ListenAddress& listen,
               const ServerOptions& options, std::atomic<std::size_t>& tcp_connections)
      : handler_(std::move(handler)),
        io_(1),
        batch_wait_(options.batch_wait),
        udp_(io_, *handler_, udp::endpoint(listen.address, listen.port), options),
        tcp_(io_, *handler_, tcp::endpoint(listen.address, listen.port), options, tcp_connections) {
  }
  void run() {
    udp_.start();
    tcp_.start();
    BatchingLoop(io_, batch_wait_).run();
  }
  void stop() {
    // Closing every socket and timer cancels all pending work, so run() returns once the
    // cancelled handlers have run and released their connections.
    asio::post(io_, [this] {
      udp_.close();
      tcp_.close();
    });
  }

 private:
  std::unique_ptr<QueryHandler> handler_;
  // Declared before the sockets so it is destroyed after them: they deregister from it.
  asio::io_context io_;
  std::chrono::microseconds batch_wait_;
  UdpServer udp_;
  TcpListener tcp_;
};

namespace {

// Lets threads share one thread-safe handler.
class SharedHandler : public QueryHandler {
 public:
  explicit SharedHandler(QueryHandler& shared) : shared_(shared) {}
  std::size_t handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                     bool tcp) override {
    return shared_.handle(query, out, tcp);
  }
  void handle_deferred(std::span<const std::uint8_t> query, bool tcp, Reply reply) override {
    shared_.handle_deferred(query, tcp, std::move(reply));
  }
  std::unique_ptr<dns::MessageStream> open_stream(std::span<const std::uint8_t> query, bool tcp,
                                                  const boost::asio::ip::address& client) override {
    return shared_.open_stream(query, tcp, client);
  }

 private:
  QueryHandler& shared_;
};

std::string describe(const ListenAddress& listen, const boost::system::error_code& ec) {
  std::string why = ec.message();
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  return fmt::format("{}: {}", listen.to_string(), why);
}

// SO_REUSEPORT would let us share a port with another server (even another dns-node) run by the
// same user, which silently splits the traffic. Binding plain sockets first makes a busy port an
// error instead. Returns the error of the first failing bind, if any.
boost::system::error_code probe_port(const ListenAddress& listen) {
  asio::io_context io;
  boost::system::error_code ec;
  udp::socket udp_probe(io);
  udp::endpoint udp_endpoint(listen.address, listen.port);
  if (udp_probe.open(udp_endpoint.protocol(), ec) || udp_probe.bind(udp_endpoint, ec)) return ec;
  tcp::acceptor tcp_probe(io);
  tcp::endpoint tcp_endpoint(listen.address, listen.port);
  if (tcp_probe.open(tcp_endpoint.protocol(), ec)) return ec;
  tcp_probe.set_option(tcp::acceptor::reuse_address(true), ec);
  tcp_probe.bind(tcp_endpoint, ec);
  return ec;
}

// Port 0: find one port that is free for both UDP and TCP.
std::uint16_t pick_free_port(const asio::ip::address& address) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    asio::io_context io;
    udp::socket udp_probe(io, udp::endpoint(address, 0));
    std::uint16_t port = udp_probe.local_endpoint().port();
    tcp::acceptor tcp_probe(io, tcp::endpoint(address, port).protocol());
    boost::system::error_code ec;
    tcp_probe.bind(tcp::endpoint(address, port), ec);
    if (!ec) return port;
  }
  throw Error(fmt::format("{}: no port free for both UDP and TCP", address.to_string()));
}

}  // namespace

DnsServer::DnsServer(QueryHandler& handler, const ListenAddress& listen,
                     const ServerOptions& options)
    : DnsServer([&handler] { return std::make_unique<SharedHandler>(handler); }, listen, options) {}

DnsServer::DnsServer(const HandlerFactory& make_handler, const ListenAddress& listen,
                     const ServerOptions& options)
    : address_(listen), options_(options) {
  unsigned threads = options_.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  try {
    if (address_.port == 0) address_.port = pick_free_port(address_.address);
    if (auto ec = probe_port(address_)) throw Error(describe(address_, ec));
    for (unsigned i = 0; i < threads; ++i)
      workers_.push_back(
          std::make_unique<ServerWorker>(make_handler(), address_, options_, tcp_connections_));
  } catch (const boost::system::system_error& e) {
    throw Error(describe(address_, e.code()));
  }
}

DnsServer::~DnsServer() {
  stop();
}

void DnsServer::start() {
  if (!threads_.empty()) return;
  for (auto& worker : workers_) threads_.emplace_back([w = worker.get()] { w->run(); });
}

void DnsServer::stop() {
  for (auto& worker : workers_) worker->stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace net
