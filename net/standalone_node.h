#pragma once
// `dns-node --standalone`: serve zone files without a cluster.

#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "dns/zone_db.h"
#include "net/authoritative_server.h"
#include "net/control_socket.h"
#include "net/http_server.h"
#include "net/listen_address.h"
#include "net/metrics_dns.h"
#include "net/server_options.h"

namespace net {

// What `dns-node --standalone` was asked to do.
struct StandaloneConfig {
  std::vector<std::string> zone_files;
  ListenAddress listen;
  ServerOptions server;
  std::uint32_t default_ttl = 3600;           // for records that state no TTL (prototype files)
  std::optional<ListenAddress> http;          // --http: /metrics and /health
  std::optional<std::string> control_socket;  // none: no control socket
};

// Serves zone files from one process: loads them into a Database, serves it, re-reads them on
// SIGHUP (keeping the old data if a file is broken) and stops on SIGINT/SIGTERM.
class StandaloneNode {
 public:
  // Reads the files and binds the sockets. Throws dns::ZoneError ("file:line: message") for bad
  // zone data and net::Error for an unreadable file or an address that cannot be bound.
  explicit StandaloneNode(StandaloneConfig config);
  // Prints the ready line, serves until SIGINT or SIGTERM, then stops every thread.
  void run();
  // Re-reads every zone file and publishes the result; on failure logs why and keeps serving
  // the current data. Returns whether the new data was published; `error` gets why not.
  bool reload(std::string* error = nullptr);
  // "3 zones (27 records)"
  std::string summary() const;
  const ListenAddress& address() const { return server_->address(); }

 private:
  void load_files();
  void wait_for_reload();
  // A control-socket line: STATUS, RELOAD and HELP apply; ADD/REMOVE are refused (the zone
  // files are the only source of records here).
  void handle_command(std::string line, int line_number, ControlReplyFn reply);

  StandaloneConfig config_;
  // Signals are caught from construction on, so a SIGHUP during the initial load cannot kill
  // the process; they are handled once run() starts.
  boost::asio::io_context signals_io_;
  boost::asio::signal_set stop_signals_{signals_io_, SIGINT, SIGTERM};
  boost::asio::signal_set reload_signal_{signals_io_, SIGHUP};
  dns::Database db_;
  DnsMetrics dns_metrics_;
  std::unique_ptr<AuthoritativeServer> server_;
  std::unique_ptr<HttpServer> http_;        // with --http only
  std::unique_ptr<ControlSocket> control_;  // on signals_io_, the reloading thread
  // Frees the records the last load parsed (millions for a large zone: a tenth of the load's
  // time) while the node already serves, then hands the free memory back to the system.
  std::jthread releasing_;
};

}  // namespace net
