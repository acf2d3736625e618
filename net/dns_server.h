#pragma once
// The DNS front end: UDP and TCP servers on one address, spread over worker threads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "net/listen_address.h"
#include "net/query_handler.h"
#include "net/server_options.h"

namespace net {

class ServerWorker;

// Serves DNS over UDP and TCP on one address with N threads. Every thread owns an io_context, a
// UDP socket and a TCP acceptor, all bound with SO_REUSEPORT so the kernel spreads packets and
// connections over the threads without any locking between them. Shared by standalone and cluster
// mode: what is answered is up to the QueryHandler.
class DnsServer {
 public:
  // Makes one handler per worker thread; each is only ever called from its own thread, so it may
  // keep per-thread state (e.g. a cached database version) without locking.
  using HandlerFactory = std::function<std::unique_ptr<QueryHandler>()>;

  // Binds every socket (so a busy port fails here, with net::Error "ADDR: address already in
  // use") but serves nothing until start(). Port 0 picks one free port for UDP and TCP alike.
  DnsServer(const HandlerFactory& make_handler, const ListenAddress& listen,
            const ServerOptions& options = {});
  // All threads share `handler`, which must then be thread-safe.
  DnsServer(QueryHandler& handler, const ListenAddress& listen, const ServerOptions& options = {});
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Starts the worker threads.
  void start();
  // Stops serving, closes every socket and joins the threads. Idempotent.
  void stop();

  // The bound address (with the real port when 0 was asked for).
  const ListenAddress& address() const { return address_; }
  unsigned threads() const { return static_cast<unsigned>(workers_.size()); }
  // Open TCP connections right now, over all threads.
  std::size_t tcp_connections() const { return tcp_connections_.load(); }

 private:
  ListenAddress address_;
  ServerOptions options_;
  std::atomic<std::size_t> tcp_connections_{0};
  std::vector<std::unique_ptr<ServerWorker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace net
