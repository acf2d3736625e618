#pragma once
// `dns-node -n X -c CONFIG -z ZONEFILE`: one member of the replicated DNS cluster on a real
// machine. Wires engine::Node to the file-backed disk, the TCP peer transport, Asio timers, the
// DNS servers and the console on standard input.

#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dns/zone_db.h"
#include "engine/console_command.h"
#include "engine/node.h"
#include "net/asio_clock.h"
#include "net/authoritative_server.h"
#include "net/cluster_config.h"
#include "net/console_reader.h"
#include "net/control_socket.h"
#include "net/data_dir_lock.h"
#include "net/file_disk.h"
#include "net/http_server.h"
#include "net/member_addresses.h"
#include "net/metrics_cluster.h"
#include "net/metrics_disk.h"
#include "net/metrics_dns.h"
#include "net/notify_sender.h"
#include "net/os_random.h"
#include "net/peer_transport.h"
#include "net/server_options.h"
#include "net/serving_watch.h"
#include "net/signed_query_service.h"
#include "net/transfer_service.h"
#include "net/worker_thread.h"

namespace net {

// What the command line asked for.
struct ClusterNodeOptions {
  std::string config_path;
  engine::NodeId id = 0;
  std::vector<std::string> zone_files;
  std::optional<std::string> data_dir;  // overrides the config's
  ServerOptions server;                 // threads 0 = the config's
  std::uint32_t default_ttl = 3600;
  bool console = true;                        // read commands on standard input
  std::optional<std::string> control_socket;  // overrides the config's (and the default)
  bool join = false;  // --join: added with ADD-NODE; no import, no campaign until a voter
};

class ClusterNode {
 public:
  // Reads the config and zone files, locks the data directory and binds every socket. Throws
  // ConfigError, dns::ZoneError, net::Error (with file, field or address in the message).
  explicit ClusterNode(ClusterNodeOptions options);
  ~ClusterNode();
  // Loads the local datastore, starts raft, serves until SIGINT/SIGTERM, then stops cleanly.
  void run();

 private:
  void on_line(std::string line);
  // One command line from the console or the control socket, answered through `reply` (an
  // empty reply for a blank line or comment).
  void handle_command(std::string line, int line_number, ControlReplyFn reply);
  void reply(const std::string& text);
  void reload(ControlReplyFn reply);
  // ADD-NODE: the change carries the address book with the new node's addresses in it.
  void add_node(const engine::console::AddNode& command, ControlReplyFn reply);
  // R's member set changed: update the address book and point the peer links at the members.
  void on_members(const engine::MemberSet& members);
  // A peer frame: an address book (a joining node learns where to reply) or a raft message.
  void on_peer_frame(engine::NodeId from, engine::Bytes bytes);
  // Leader: tells each learner every member's address (see address_book_frame).
  void send_book_to_learners();
  void watch_initialization();
  // Returns freed heap pages to the OS once pending drains after >= 1024 entries.
  void trim_after_burst(const engine::NodeStatus& s);
  void wait_for_signals();
  void wait_for_reload();
  void shutdown();

  ClusterNodeOptions options_;
  ClusterConfig config_;
  const NodeConfig* self_ = nullptr;
  boost::asio::io_context io_;  // the engine's thread: raft, peers, timers, console lines
  boost::asio::signal_set stop_signals_{io_, SIGINT, SIGTERM};
  boost::asio::signal_set reload_signal_{io_, SIGHUP};
  boost::asio::steady_timer init_timer_{io_};
  // Before everything that counts into them; the HTTP server (last) reads them.
  DnsMetrics dns_metrics_;
  ClusterMetrics cluster_metrics_;
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<FileDisk> disk_;
  std::unique_ptr<TimedDisk> timed_disk_;  // disk_ with its fsyncs timed
  // The engine's local-store snapshots, off the engine thread; writes through timed_disk_, so
  // declared after it, and before node_, which it outlives.
  std::unique_ptr<WorkerThread> worker_;
  std::unique_ptr<WorkerThread> log_syncer_;  // the raft log's fsyncs; like worker_
  std::unique_ptr<AsioClock> clock_;
  OsRandom random_;
  dns::Database db_;
  std::vector<dns::Record> zone_records_;
  std::unique_ptr<PeerTransport> transport_;
  // NOTIFY to the zones' notify targets, and the engine's observer: cluster_metrics_ plus a word
  // to notify_ whenever the serving database changed. Both outlive node_ (declared before it).
  std::unique_ptr<NotifySender> notify_;
  std::unique_ptr<ServingWatch> serving_watch_;
  std::unique_ptr<engine::Node> node_;
  std::unique_ptr<UpdateService> updates_;
  std::unique_ptr<TransferService> transfers_;
  std::unique_ptr<SignedQueryService> signed_queries_;
  std::unique_ptr<AuthoritativeServer> server_;
  std::unique_ptr<ConsoleReader> console_;
  std::unique_ptr<HttpServer> http_;  // with http_loc only
  std::unique_ptr<ControlSocket> control_;
  AddressBook address_book_;  // every member's addresses: the config's, then the changes'
  bool config_members_warned_ = false;
  int book_ticks_ = 0;  // watch_initialization rounds since the last book sent to learners
  // The served index at the last release_free_heap() (trim_after_burst).
  std::uint64_t trimmed_at_ = 0;
  // 256, not more: a 1M-record import is under 1024 entries since import batches hold 1024 records.
  static constexpr std::uint64_t kTrimAfterEntries = 256;
  int console_line_ = 0;
  bool initialized_ = false;
  bool stopped_ = false;
};

}  // namespace net
