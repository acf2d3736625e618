#include "net/cluster_node.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <spdlog/spdlog.h>
#include <algorithm>

#include "engine/console_command.h"
#include "engine/status_text.h"
#include "net/heap_release.h"
#include "net/logging.h"
#include "net/metrics_endpoint.h"
#include "net/systemd_notify.h"
#include "net/zone_files.h"

namespace net {
namespace {

engine::LogSink spdlog_sink(std::shared_ptr<spdlog::logger> logger) {
  return [logger = std::move(logger)](engine::LogLevel level, const std::string& message) {
    switch (level) {
      case engine::LogLevel::Debug:
        logger->debug("{}", message);
        break;
      case engine::LogLevel::Info:
        logger->info("{}", message);
        break;
      case engine::LogLevel::Warn:
        logger->warn("{}", message);
        break;
      case engine::LogLevel::Error:
        logger->error("{}", message);
        break;
    }
  };
}

// The stores name the file ("raft.log: record at byte 812 is damaged ..."); the operator needs
// its path too.
std::string damaged_data_message(const std::filesystem::path& directory, const std::string& what) {
  return fmt::format("{}; refusing to start on damaged data", (directory / what).string());
}

boost::asio::ip::tcp::endpoint tcp_endpoint(const ListenAddress& address) {
  return {address.address, address.port};
}

}  // namespace

ClusterNode::ClusterNode(ClusterNodeOptions options) : options_(std::move(options)) {
  config_ = load_cluster_config(options_.config_path);
  for (const std::string& w : config_.warnings) spdlog::warn("{}", w);
  self_ = &config_.node(options_.id);

  const std::filesystem::path data_dir =
      options_.data_dir ? std::filesystem::path(*options_.data_dir) : self_->data_dir;
  lock_ = std::make_unique<DataDirLock>(data_dir);
  disk_ = std::make_unique<FileDisk>(data_dir);
  clock_ = std::make_unique<AsioClock>(io_);

  ZoneFileContents zones = read_zone_files(options_.zone_files, options_.default_ttl);
  for (const std::string& w : zones.warnings) spdlog::warn("{}", w);
  zone_records_ = std::move(zones.records);

  PeerMembers members;
  for (const auto& [id, node] : config_.nodes) {
    members[id] = tcp_endpoint(node.raft);
    address_book_[id] = {node.raft, node.query};
  }
  PeerOptions peer_options;
  peer_options.cluster_key = config_.cluster_key;
  transport_ = std::make_unique<PeerTransport>(
      io_, options_.id, config_.cluster_name, std::move(members),
      [this](engine::NodeId from, engine::Bytes bytes) { on_peer_frame(from, std::move(bytes)); },
      spdlog_sink(component_logger("peers")), peer_options);
  // A joining node hears first from a leader it may not know; it admits any node id (with
  // the cluster key, if there is one) until the change that added it tells it the members.
  if (options_.join) transport_->admit_unknown_peers(true);
  // A leader's process that died closed its connections: its followers need not wait out the
  // random part of the election timeout (engine::Node::peer_lost).
  transport_->on_peer_lost([this](engine::NodeId peer) {
    if (node_) node_->peer_lost(peer);
  });

  engine::NodeOptions engine_options;
  engine_options.id = options_.id;
  engine_options.members = config_.member_ids();
  engine_options.join = options_.join;
  engine_options.on_members = [this](const engine::MemberSet& m) { on_members(m); };
  engine_options.tick = config_.heartbeat;
  engine_options.heartbeat_ticks = 1;
  engine_options.election_ticks = std::max<int>(
      2, static_cast<int>(config_.election_timeout.count() / config_.heartbeat.count()));
  engine_options.checkpoint_interval = config_.checkpoint_interval;
  engine_options.write_timeout = config_.write_timeout;
  engine_options.max_pending_bytes = config_.max_pending_bytes;
  engine_options.import_copy_records = config_.import_copy_records;
  // A datastore copy (an import by copy, a wiped node) fsyncs its staged file and identity every
  // 16 MiB rather than every 1 MiB chunk: a 1M-record copy waited on the disk for 94 fsyncs.
  engine_options.transfer_sync_bytes = std::uint64_t{16} << 20;
  engine_options.journal = config_.journal;
  engine_options.retry_interval = std::max(config_.heartbeat * 2, config_.write_timeout / 8);
  engine_options.coalesce_io = true;
  engine_options.fast_first_election = true;
  // A raft snapshot of R carries every pending batch (thousands under a write load, until each
  // node's next ACK) and rewrites the log file with two more fsyncs: at the engine's default of
  // 1024 entries, compaction took about a seventh of the CPU of a 128-client UPDATE load
  // (experiments/update_bench, perf). 8192 entries of log cost a few MiB of memory.
  engine_options.compact_every = 8192;
  engine_options.data_dir_name = lock_->directory().string();
  engine_options.log = spdlog_sink(spdlog::default_logger());
  timed_disk_ = std::make_unique<TimedDisk>(*disk_, cluster_metrics_.fsync());
  worker_ = std::make_unique<WorkerThread>(io_.get_executor());
  engine_options.worker = worker_.get();
  // Writes coming in while the raft log syncs make the next entry batch (docs/design.md,
  // "Group commit"): the engine thread does not wait out each fsync.
  log_syncer_ = std::make_unique<WorkerThread>(io_.get_executor());
  engine_options.log_syncer = log_syncer_.get();
  // Every node sends NOTIFY once it serves a new serial (docs/design.md, "NOTIFY").
  notify_ =
      std::make_unique<NotifySender>(io_, *clock_, random_, db_, *config_.policy,
                                     self_->query.address, NotifyRetryPolicy{}, &cluster_metrics_);
  serving_watch_ =
      std::make_unique<ServingWatch>(cluster_metrics_, [this] { notify_->serving_changed(); });
  node_ = std::make_unique<engine::Node>(engine_options, *transport_, *clock_, *timed_disk_,
                                         random_, db_, serving_watch_.get());

  ServerOptions server = options_.server;
  if (server.threads == 0) server.threads = self_->threads;
  updates_ = std::make_unique<UpdateService>(config_.policy, io_, *node_, &cluster_metrics_);
  transfers_ = std::make_unique<TransferService>(config_.policy, db_, &node_->journal());
  signed_queries_ = std::make_unique<SignedQueryService>(config_.policy);
  server_ = std::make_unique<AuthoritativeServer>(db_, self_->query, server, &dns_metrics_,
                                                  updates_.get(), transfers_.get(),
                                                  signed_queries_.get());
  if (self_->http)
    http_ = std::make_unique<HttpServer>(
        io_, *self_->http,
        [endpoints = cluster_endpoints(*node_, *transport_, *clock_, config_.election_timeout, db_,
                                       dns_metrics_, cluster_metrics_)](std::string_view path) {
          return answer_node_request(endpoints, path);
        });

  const std::filesystem::path control_path = options_.control_socket
                                                 ? std::filesystem::path(*options_.control_socket)
                                                 : control_socket_path(*self_, lock_->directory());
  control_ = std::make_unique<ControlSocket>(
      io_, control_path, [this](std::string line, int line_number, ControlReplyFn reply) {
        handle_command(std::move(line), line_number, std::move(reply));
      });
}

ClusterNode::~ClusterNode() {
  shutdown();
}

void ClusterNode::run() {
  // The local datastore goes into service before raft has a leader: queries are answered from
  // local data at once, whatever the state of the cluster.
  try {
    // Handed over, not copied: a large zone file's records are freed once imported.
    node_->start(std::exchange(zone_records_, {}));
  } catch (const engine::RaftLogStoreError& e) {
    throw Error(damaged_data_message(lock_->directory(), e.what()));
  } catch (const engine::LocalStoreError& e) {
    throw Error(damaged_data_message(lock_->directory(), e.what()));
  } catch (const engine::IdentityError& e) {
    throw Error(e.what());
  }
  server_->start();
  notify_->start();  // after the local datastore is loaded: announces the serials served now
  if (http_) {
    http_->start();
    spdlog::info("http: metrics on http://{}/metrics (also /health, /ready, /status)",
                 http_->address().to_string());
  }
  auto version = db_.current();
  std::printf(
      "dns-node: node %llu serving %zu zones (%zu records) on %s udp+tcp with %u "
      "threads; raft on %s; data in %s\n",
      static_cast<unsigned long long>(options_.id), version->zones().size(),
      version->record_count(), server_->address().to_string().c_str(), server_->threads(),
      self_->raft.to_string().c_str(), lock_->directory().c_str());
  std::printf("Initializing raft...\n");
  std::fflush(stdout);
  control_->start();
  spdlog::info("control socket {}", control_->path().string());
  notify_systemd("READY=1");  // serving DNS from local data; raft may still look for a leader
  watch_initialization();
  wait_for_signals();
  if (options_.console)
    console_ = std::make_unique<ConsoleReader>(
        io_, STDIN_FILENO, engine::kMaxConsoleLineLength,
        [this](std::string line) { on_line(std::move(line)); },
        [] { spdlog::info("standard input closed; still serving (stop with SIGTERM)"); });
  io_.run();
  shutdown();
}

void ClusterNode::watch_initialization() {
  init_timer_.expires_after(std::chrono::milliseconds(50));
  init_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    const engine::NodeStatus s = node_->status();
    if (s.raft.leader != raft::kNoNode) {
      if (!initialized_)
        std::printf("Raft initialized: leader is node %llu (term %llu)\n",
                    static_cast<unsigned long long>(s.raft.leader),
                    static_cast<unsigned long long>(s.raft.term));
      initialized_ = true;
      std::fflush(stdout);
    }
    if (++book_ticks_ >= 20) {  // every second
      book_ticks_ = 0;
      send_book_to_learners();
      trim_after_burst(s);
    }
    watch_initialization();
  });
}

void ClusterNode::trim_after_burst(const engine::NodeStatus& s) {
  // A large import (or write burst) leaves the heap full of freed change batches, raft entries
  // and parsed records; once nothing is pending, give those pages back to the OS, as the
  // standalone node does after its load. Only after a burst: glibc's trim walks the whole heap.
  if (s.pending_batches != 0 || s.served < trimmed_at_ + kTrimAfterEntries) return;
  trimmed_at_ = s.served;
  release_free_heap();
}

void ClusterNode::wait_for_signals() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signal);
    shutdown();
  });
  wait_for_reload();
}

void ClusterNode::wait_for_reload() {
  reload_signal_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec || stopped_) return;
    reload([this](const std::string& text) { reply(text); });
    wait_for_reload();  // every SIGHUP reloads, not only the first
  });
}

// Standard output: the reply as it is (HELP's ends in a line end already), nothing when empty.
void ClusterNode::reply(const std::string& text) {
  if (text.empty()) return;
  std::fputs(text.c_str(), stdout);
  if (text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

void ClusterNode::reload(ControlReplyFn reply) {
  try {
    ZoneFileContents zones = read_zone_files(options_.zone_files, options_.default_ttl);
    for (const std::string& w : zones.warnings) spdlog::warn("{}", w);
    node_->reload_zone(std::move(zones.records),
                       [reply](const engine::WriteResult& r) { reply("RELOAD " + r.message); });
  } catch (const std::exception& e) {
    reply(fmt::format("ERROR reload: {}", e.what()));
  }
}

void ClusterNode::on_line(std::string line) {
  if (stopped_) return;
  handle_command(std::move(line), ++console_line_,
                 [this](const std::string& text) { reply(text); });
}

void ClusterNode::handle_command(std::string line, int line_number, ControlReplyFn reply) {
  if (stopped_) return reply("ERROR node stopping");
  const engine::ConsoleCommand command = engine::parse_console_line(
      line, line_number, engine::ConsoleDefaults{options_.default_ttl, dns::Name()});
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, engine::console::Change>) {
          node_->submit({c.change}, [reply](const engine::WriteResult& r) { reply(r.message); });
        } else if constexpr (std::is_same_v<T, engine::console::Status>) {
          reply(engine::format_status(options_.id, node_->status()));
        } else if constexpr (std::is_same_v<T, engine::console::Help>) {
          reply(engine::console_help());
        } else if constexpr (std::is_same_v<T, engine::console::Reload>) {
          reload(reply);
        } else if constexpr (std::is_same_v<T, engine::console::Members>) {
          reply(node_->members_line());
        } else if constexpr (std::is_same_v<T, engine::console::AddNode>) {
          add_node(c, reply);
        } else if constexpr (std::is_same_v<T, engine::console::RemoveNode>) {
          node_->remove_node(c.id, [reply](const engine::WriteResult& r) { reply(r.message); });
        } else if constexpr (std::is_same_v<T, engine::console::Error>) {
          reply("ERROR " + c.message);
        } else {
          reply("");  // blank line or comment
        }
      },
      command);
}

void ClusterNode::on_members(const engine::MemberSet& members) {
  std::vector<std::string> warnings;
  address_book_ = merge_member_books(std::move(address_book_), members, &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  std::vector<engine::NodeId> missing;
  PeerMembers peers = peer_members(address_book_, members, options_.id, &missing);
  if (!missing.empty())
    spdlog::warn("no raft address known for member(s) {}: nothing is sent to them",
                 fmt::join(missing, ", "));
  transport_->set_members(std::move(peers));
  if (options_.join && members.membership.contains(options_.id))
    transport_->admit_unknown_peers(false);
  // The config's node list is only the initial membership; a restarted member follows raft.
  std::vector<engine::NodeId> now = members.membership.voters;
  now.insert(now.end(), members.membership.learners.begin(), members.membership.learners.end());
  std::sort(now.begin(), now.end());
  if (!options_.join && !config_members_warned_ && now != config_.member_ids() &&
      !members.added_at.empty()) {
    config_members_warned_ = true;
    spdlog::warn(
        "the cluster's members are {} (from raft), not the config's node list {}: "
        "membership changes since the cluster began are followed; the config's list "
        "is only the initial membership",
        fmt::join(now, ","), fmt::join(config_.member_ids(), ","));
  }
}

void ClusterNode::on_peer_frame(engine::NodeId from, engine::Bytes bytes) {
  if (!node_) return;
  if (!is_address_book_frame(bytes)) return node_->receive(from, bytes);
  // Only a joining node that has not yet seen the change adding it needs this; everyone else
  // follows R's member set.
  const engine::MemberSet& members = node_->state().members();
  if (!options_.join || members.membership.contains(options_.id)) return;
  AddressBook book;
  try {
    book = decode_address_book_frame(bytes);
  } catch (const Error& e) {
    spdlog::warn("dropped an address book from node {}: {}", from, e.what());
    return;
  }
  if (!book.contains(from) || !book.contains(options_.id)) return;
  for (const auto& [id, addresses] : book) address_book_.try_emplace(id, addresses);
  PeerMembers peers;
  for (const auto& [id, addresses] : address_book_) peers[id] = tcp_endpoint(addresses.raft);
  transport_->set_members(std::move(peers));
}

void ClusterNode::send_book_to_learners() {
  if (node_->raft().role() != raft::Role::Leader) return;
  const engine::MemberSet& members = node_->state().members();
  if (members.membership.learners.empty()) return;
  const engine::Bytes frame = address_book_frame(address_book_);
  for (engine::NodeId learner : members.membership.learners)
    if (learner != options_.id) transport_->send(learner, frame);
}

void ClusterNode::add_node(const engine::console::AddNode& command, ControlReplyFn reply) {
  MemberAddresses addresses;
  try {
    addresses = {ListenAddress::parse(command.raft_address),
                 ListenAddress::parse(command.dns_address)};
  } catch (const Error& e) {
    return reply(fmt::format("ERROR ADD-NODE: {}", e.what()));
  }
  AddressBook book = address_book_;
  book[command.id] = addresses;
  node_->add_node(command.id, encode_address_book(book),
                  [reply](const engine::WriteResult& r) { reply(r.message); });
}

void ClusterNode::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  notify_systemd("STOPPING=1");
  init_timer_.cancel();
  if (control_) control_->close();
  stop_signals_.cancel();
  reload_signal_.cancel();
  if (console_) console_->stop();
  if (node_) node_->stop();
  if (notify_) notify_->stop();
  if (transport_) transport_->close();
  if (http_) http_->stop();
  if (server_) server_->stop();
  io_.stop();
}

}  // namespace net
