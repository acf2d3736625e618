// dns-node: an authoritative DNS server; `--standalone` serves zone files on one machine.

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "dns/zone_error.h"
#include "net/cluster_config.h"
#include "net/cluster_node.h"
#include "net/error.h"
#include "net/logging.h"
#include "net/peer_key.h"
#include "net/process_setup.h"
#include "net/standalone_node.h"

namespace {

constexpr const char* kManual = R"(NAME
    dns-node - authoritative DNS server for the raft-replicated DNS cluster

SYNOPSIS
    dns-node --standalone -z FILE [-z FILE ...] [--listen IP:PORT] [--threads N]
             [--log-level LEVEL] [--default-ttl SECONDS] [--tcp-idle-timeout SECONDS]
             [--max-tcp-connections N] [--batch-wait MICROSECONDS] [--http IP:PORT]
             [--control-socket PATH] [--log-format FORMAT]
    dns-node -n NODE -c CONFIG [-z FILE ...] [--data-dir DIR] [--threads N]
             [--log-level LEVEL] [--default-ttl SECONDS] [--no-console]
             [--control-socket PATH] [--log-format FORMAT]
    dns-node -n NODE -c CONFIG --join [--data-dir DIR] [...]
    dns-node --gen-key FILE
    dns-node --help

DESCRIPTION
    Answers DNS queries over UDP and TCP for the zones in the given zone files, as an
    authoritative server: AA set, NXDOMAIN/NODATA with the zone's SOA, wildcards, CNAME
    chasing, referrals with glue, REFUSED outside our zones, EDNS0, TC=1 when a UDP answer
    does not fit. Zone files are RFC 1035 master files ($ORIGIN, $TTL, $INCLUDE relative to
    the including file) or the 2017 prototype's line format; the format is detected per
    file. Several files are served together; every SOA starts a zone.

    Prints one line to standard output when ready to serve, e.g.
        dns-node: serving 3 zones (27 records) on 127.0.0.1:5300 udp+tcp with 2 threads
    and logs to standard error.

CLUSTER MODE
    With -n and -c, dns-node is member NODE of the cluster that CONFIG describes (the 2017
    prototype's dns-config.json works unchanged; optional fields are documented in
    net/cluster_config.h and the README). Each node answers queries from its own local
    datastore on its query_loc. Changes are committed through raft between the raft_loc
    addresses; every node applies a committed change at once, copies it into its durable
    local datastore every checkpoint interval and acknowledges it; once every node has, the
    change leaves raft's log. Queries never wait for raft: without a majority a node keeps
    answering from its local data, and writes fail with "ERROR no quorum".

    On first boot (empty data directory) the node proposes the records of its zone files
    through raft, so the cluster serves the union of every node's zone files. Later starts
    ignore the zone files; RELOAD (or SIGHUP) proposes the difference between them and what
    is served.

    Prints "Initializing raft..." at start and "Raft initialized: leader is node N" once a
    leader is known; queries are answered from local data meanwhile.

    Peer links: with "cluster_key_file" in CONFIG (the same key file on every member; see
    --gen-key), every raft connection is mutually authenticated with the key and every frame
    carries a sequence number and an HMAC-SHA256 tag, so a process without the key can neither
    join nor alter raft traffic. Refused connections are logged with the remote address (at
    most one line per address per 10 s). Without the field the links are unauthenticated, as
    in the 2017 prototype, and the node warns once at start.

    DNS UPDATE (RFC 2136) with TSIG (RFC 8945): "keys" (name: algorithm hmac-sha256 etc. and
    base64 "secret" or "secret_file") and "zones" (zone: "allow_update": [key names]) in
    CONFIG let nsupdate/knsupdate change records through any node, UDP or TCP; the answer
    comes once the UPDATE committed (prerequisites are checked when it is applied, the same
    on every node), SERVFAIL if it cannot commit within write_timeout_ms. Zones not listed
    refuse UPDATE. See docs/operations.md, "Keys and zone rules".

    Metrics and health over HTTP: with "http_loc": "IP:PORT" for the node in CONFIG (or
    --http in standalone mode) the node serves GET /metrics (Prometheus text format, every
    name prefixed raftdns_), /health (200 while it serves DNS), /ready (200 while it can
    commit a write: it knows a leader that has a quorum; else 503 with a JSON reason) and
    /status (STATUS and the raft membership as JSON). Standalone: /metrics and /health only.

    Commands on standard input, one reply line each on standard output:
        ADD: name TYPE value        e.g. ADD: www.example.com A 192.0.2.7
        REMOVE: name TYPE value     e.g. REMOVE: www.example.com A 192.0.2.7
            value in the prototype's syntax (MX ["mail.example.com", 10]) or in zone-file
            syntax (ADD: example.com 300 IN MX 10 mail.example.com.)
        STATUS                      role, term, leader, commit index, pending, acks, hw
        RELOAD                      propose the zone files' difference to what is served
        HELP                        this list
    Replies: "OK index=N", "NOOP already present index=N", "NOOP not present index=N",
    "ERROR no quorum: ...", "ERROR line N: ...". End of input does not stop the node.

    The same commands, with the same replies, are taken on the node's control socket (a Unix
    socket, mode 0600; default control.sock in the data directory, or the config's
    "control_socket" for the node, or --control-socket), which is how a node run as a daemon
    (standard input at /dev/null) is driven:
        dnsctl -c CONFIG -n NODE 'ADD: www.example.com A 192.0.2.7'
        dnsctl -s DATA_DIR/control.sock STATUS

SYSTEMD
    Under a Type=notify unit (NOTIFY_SOCKET set) the node sends READY=1 once it serves DNS
    and STOPPING=1 when it begins to stop. dist/dns-node@.service is a template unit.

OPTIONS
    -n NODE
        This node's id: a key of "nodes" in CONFIG.
    -c CONFIG
        The cluster configuration file (JSON).
    --data-dir DIR
        Where the raft log and the local datastore live. Default: the config's data_dir for
        this node, else data/node-NODE beside CONFIG. Locked: a second dns-node on the same
        directory is refused.
    --join
        Start a node that was added to a running cluster with ADD-NODE (on any member's
        console or dnsctl). It imports no zone file (-z is refused), never campaigns before
        the cluster promotes it to voter, and learns the other members and their addresses
        from the leader; CONFIG needs to list only this node. See docs/operations.md
        "Replacing a node".
    --no-console
        Do not read commands on standard input.
    --control-socket PATH
        Listen for commands on the Unix socket PATH (see dnsctl). Cluster mode: overrides the
        config's control_socket and the default DATA_DIR/control.sock. Standalone: no control
        socket without it; there STATUS, RELOAD and HELP apply and ADD/REMOVE are refused.
        A stale socket file left by a crashed run is replaced; one a live process answers on
        is an error.
    --gen-key FILE
        Write a new cluster key to FILE (32 random bytes as one line of base64, mode 0600)
        and exit. Refuses to overwrite an existing file. Copy FILE to every member and name
        it in the config: "cluster_key_file": "FILE" (relative to the config's directory).
    --standalone
        Serve the zone files on this machine alone, without a cluster.
    -z, --zone FILE
        A zone file to serve. Repeat for more files.
    --listen IP:PORT
        Address to serve on, UDP and TCP; IPv6 as [IP]:PORT. Default 127.0.0.1:5300.
        Port 0 picks a free port (printed in the ready line).
    --http IP:PORT
        Standalone mode: serve /metrics and /health over HTTP here (port 0 picks a free
        one, logged). In cluster mode the config's http_loc does this.
    --threads N
        DNS worker threads, each with its own UDP socket and TCP acceptor on the same port
        (SO_REUSEPORT). Default 0 = one per CPU core.
    --log-level LEVEL
        trace, debug, info, warn, error, critical or off. Default info.
    --log-format FORMAT
        text (default) or json: one JSON object per line on standard error, with "time"
        (UTC, RFC 3339), "level", "node" (cluster mode), "component" (e.g. "peers") and
        "message".
    --default-ttl SECONDS
        TTL of records that state none (every record of a prototype-format file).
        Default 3600.
    --tcp-idle-timeout SECONDS
        Close TCP connections idle this long (RFC 7766). Default 10.
    --max-tcp-connections N
        Open TCP connections allowed over all threads; further ones are closed at once.
        Default 1000.
    --batch-wait MICROSECONDS
        Under steady traffic, a DNS thread waits this long after answering before it reads
        again, so that it answers a batch per wake-up: less CPU per query for at most this
        much added latency. 0 never waits. Default 200.
    -h, --help
        Show this manual.

SIGNALS
    SIGHUP     Re-read every zone file and serve the new data without dropping queries.
               If a file is broken, the previous data stays in service and the error is
               logged.
    SIGINT, SIGTERM
               Stop serving, close every socket and exit with status 0.

EXIT STATUS
    0 after a clean shutdown; 1 for bad flags, a bad config (the message names the file and
    the field), an unreadable or invalid zone file (the message names file:line), a data
    directory in use or damaged beyond a torn tail, or an address that cannot be bound (e.g. "127.0.0.1:5300:
    address already in use").

EXAMPLES
    A 3-node cluster on loopback (see also `make run`):
        dns-node -n 0 -c zone-files/dns-config.json -z zone-files/zf0.txt &
        dns-node -n 1 -c zone-files/dns-config.json -z zone-files/zf1.txt &
        dns-node -n 2 -c zone-files/dns-config.json -z zone-files/zf2.txt
        ADD: new.example.com A 192.0.2.99          (typed into node 2)
        dig @127.0.0.1 -p 10053 new.example.com A  (answered by node 0)

    Serve the shipped zones and query them:
        dns-node --standalone -z zone-files/zf0.txt -z zone-files/zf1.txt --listen 127.0.0.1:5300
        dig @127.0.0.1 -p 5300 example.com SOA
        kdig @127.0.0.1 -p 5300 +tcp example.com MX

    Reload after editing a zone file:
        kill -HUP $(pidof dns-node)
)";

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  return false;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "dns-node: %s\n", message.c_str());
  return 1;
}

// `dns-node --gen-key FILE`: a command of its own, taking no other option.
int generate_key(int argc, char** argv) {
  if (argc != 3) return fail("usage: dns-node --gen-key FILE");
  try {
    net::write_new_cluster_key_file(argv[2]);
  } catch (const net::Error& e) {
    return fail(e.what());
  }
  std::printf(
      "dns-node: wrote a new cluster key to %s (mode 0600); copy it to every member and "
      "set \"cluster_key_file\" in the cluster config\n",
      argv[2]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(kManual, stdout);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--gen-key") == 0) return generate_key(argc, argv);

  CLI::App app("dns-node");
  app.set_help_flag();  // the manual above replaces CLI11's generated help
  bool standalone = false;
  std::vector<std::string> zone_files;
  std::string listen_text = "127.0.0.1:5300";
  std::string http_text;
  unsigned threads = 0;
  std::string log_level = "info";
  std::uint32_t default_ttl = 3600;
  double tcp_idle_timeout = 10.0;
  std::size_t max_tcp_connections = 1000;
  unsigned batch_wait_us = 200;
  std::optional<std::uint64_t> node_id;
  std::string cluster_config;
  std::string data_dir;
  bool no_console = false;
  bool join = false;
  std::string log_format = "text";
  std::string control_socket;
  app.add_flag("--standalone", standalone);
  app.add_option("-z,--zone", zone_files);
  app.add_option("--listen", listen_text);
  app.add_option("--http", http_text);
  app.add_option("--threads", threads)->check(CLI::Range(0u, 1024u));
  app.add_option("--log-level", log_level)
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--default-ttl", default_ttl);
  app.add_option("--tcp-idle-timeout", tcp_idle_timeout)->check(CLI::Range(0.001, 86400.0));
  app.add_option("--max-tcp-connections", max_tcp_connections)->check(CLI::PositiveNumber);
  app.add_option("--batch-wait", batch_wait_us)->check(CLI::Range(0u, 100'000u));
  app.add_option("-n", node_id);
  app.add_option("-c", cluster_config);
  app.add_option("--data-dir", data_dir);
  app.add_flag("--no-console", no_console);
  app.add_flag("--join", join);
  app.add_option("--log-format", log_format)->check(CLI::IsMember({"text", "json"}));
  app.add_option("--control-socket", control_socket);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()) + " (see dns-node --help)");
  }
  net::setup_logging(*net::parse_log_format(log_format), log_level,
                     standalone ? std::nullopt : node_id);
  const net::ProcessSetup process = net::prepare_process();
  if (!process.warning.empty()) spdlog::warn("{}", process.warning);
  if (process.open_files < max_tcp_connections + 64)
    spdlog::warn("open-file limit {} is low for {} TCP connections plus the node's own files",
                 process.open_files, max_tcp_connections);
  if (!standalone) {
    if (!node_id || cluster_config.empty())
      return fail("cluster mode needs -n NODE and -c CONFIG (or --standalone; see --help)");
    if (!http_text.empty())
      return fail(
          "--http is for --standalone; a cluster node serves HTTP on its http_loc in the "
          "config");
    if (join && !zone_files.empty())
      return fail("--join imports no zone file: the cluster already has the data (drop -z)");
    try {
      net::ClusterNodeOptions options;
      options.join = join;
      options.config_path = cluster_config;
      options.id = *node_id;
      options.zone_files = zone_files;
      if (!data_dir.empty()) options.data_dir = data_dir;
      options.server.threads = threads;
      options.server.tcp_idle_timeout =
          std::chrono::milliseconds(static_cast<std::int64_t>(tcp_idle_timeout * 1000.0));
      options.server.max_tcp_connections = max_tcp_connections;
      options.server.batch_wait = std::chrono::microseconds(batch_wait_us);
      options.default_ttl = default_ttl;
      options.console = !no_console;
      if (!control_socket.empty()) options.control_socket = control_socket;
      net::ClusterNode node(std::move(options));
      node.run();
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    return 0;
  }
  if (join) return fail("--join is for cluster mode (-n NODE -c CONFIG)");
  if (zone_files.empty()) return fail("--standalone needs at least one zone file (-z FILE)");

  try {
    net::StandaloneConfig config;
    config.zone_files = zone_files;
    config.listen = net::ListenAddress::parse(listen_text);
    if (!http_text.empty()) {
      try {
        config.http = net::ListenAddress::parse(http_text);
      } catch (const net::Error& e) {
        return fail(std::string("--http: ") + e.what());
      }
    }
    config.server.threads = threads;
    config.server.tcp_idle_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(tcp_idle_timeout * 1000.0));
    config.server.max_tcp_connections = max_tcp_connections;
    config.server.batch_wait = std::chrono::microseconds(batch_wait_us);
    config.default_ttl = default_ttl;
    if (!control_socket.empty()) config.control_socket = control_socket;
    net::StandaloneNode node(std::move(config));
    node.run();
  } catch (const dns::ZoneError& e) {
    return fail(e.what());
  } catch (const net::Error& e) {
    return fail(e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
