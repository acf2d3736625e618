#include "harness/dns_cluster_run.h"

#include <fmt/core.h>

#include <algorithm>

#include "dns/rdata.h"
#include "dns/types.h"
#include "engine/local_store.h"
#include "harness/bug_switches.h"
#include "harness/dns_history.h"
#include "harness/dns_workload.h"

namespace harness {

namespace {

constexpr double kQueriesPerSecond = 20;
// Reads only a history records (RunOptions::history), spread over the nodes: enough that each
// node is read every few tens of milliseconds, to time when writes become visible there.
constexpr double kHistoryReadsPerSecond = 100;

// The DNS nodes of a DNS scenario (with the run's bug switch on).
DnsDriverOptions dns_node_options(const Scenario& scenario, const Knobs& k) {
  using namespace std::chrono_literals;
  if (!scenario.dns)
    throw std::invalid_argument(fmt::format("'{}' is not a DNS scenario", scenario.name));
  if (k.checkpoint_ms < 1) throw std::invalid_argument("--checkpoint-ms must be >= 1");
  DnsDriverOptions driver;
  engine::NodeOptions& o = driver.engine;
  if (scenario.spares >= k.nodes)
    throw std::invalid_argument(
        fmt::format("--nodes must be above the scenario's {} spare(s)", scenario.spares));
  for (engine::NodeId n = 1; n + scenario.spares <= k.nodes; ++n) o.members.push_back(n);
  o.tick = 10ms;
  o.election_ticks = 10;
  o.heartbeat_ticks = 2;
  if (k.election_ms != 0 || k.heartbeat_ms != 0) {
    const std::int64_t election = k.election_ms != 0 ? k.election_ms : 100;
    const std::int64_t heartbeat = k.heartbeat_ms != 0 ? k.heartbeat_ms : 20;
    if (election % 10 != 0 || heartbeat % 10 != 0 || heartbeat < 10 || heartbeat >= election ||
        election > 60000)
      throw std::invalid_argument(fmt::format(
          "--election-ms {} / --heartbeat-ms {}: multiples of the 10 ms tick, heartbeat >= 10 "
          "and below the election timeout (at most 60000)",
          election, heartbeat));
    o.election_ticks = static_cast<int>(election / 10);
    o.heartbeat_ticks = static_cast<int>(heartbeat / 10);
  }
  o.checkpoint_interval = std::chrono::milliseconds(k.checkpoint_ms);
  // Early checkpoints (a burst of writes) happen within a run, between the timed ones.
  o.checkpoint_batches = 4;
  o.write_timeout = 1s;
  o.retry_interval = 200ms;
  o.import_batch = 3;  // several import batches per zone file
  o.compact_every = 64;
  if (k.snapshot_chunk_bytes > 0) o.max_snapshot_chunk_bytes = k.snapshot_chunk_bytes;
  if (k.max_pending_bytes > 0) o.max_pending_bytes = k.max_pending_bytes;
  if (k.transfer_chunk_bytes > 0) o.transfer_chunk_bytes = k.transfer_chunk_bytes;
  o.store_snapshot_wal_bytes = 2048;  // local datastore snapshots happen within a run
  o.store_snapshot_scales = false;    // ... as often as before the rule for large zones
  o.disk_retry_interval = 200ms;
  driver.log_sync = k.log_sync_us * (sim::kMillisecond / 1000);
  driver.store_snapshot = k.store_snapshot_us * (sim::kMillisecond / 1000);
  o.import_copy_records = static_cast<std::size_t>(k.import_copy_records);
  o.import_slice = 2;  // an import by copy takes several turns, with messages in between
  if (!k.bug.empty()) find_bug_switch(scenario, k.bug).dns_run(driver);
  return driver;
}

std::uint32_t soa_serial(const std::vector<dns::Record>& records, const dns::Name& apex) {
  for (const dns::Record& r : records)
    if (r.type == dns::type::SOA && r.owner == apex) return dns::soa_from_rdata(r.rdata).serial;
  return 0;
}

}  // namespace

std::optional<std::string> describe_dns_event(const sim::TraceEvent& e) {
  const double t = static_cast<double>(e.time_ns) / 1e9;
  switch (e.kind) {
    case sim::EventKind::Propose:
      return fmt::format("{:10.6f}s n{} client write of {} change(s)", t, e.node, e.a);
    case sim::EventKind::Apply:
      return fmt::format("{:10.6f}s n{} applied index {}", t, e.node, e.a);
    case sim::EventKind::Note:
      if (e.peer == kDnsReplyNote) {
        static constexpr const char* kinds[] = {"OK",      "NOOP",    "no quorum",
                                                "invalid", "stopped", "disk fault"};
        return fmt::format("{:10.6f}s n{} answers a write: {} index={}", t, e.node,
                           e.a < 6 ? kinds[e.a] : "?", e.b);
      }
      if (e.peer == kDnsDiskNote)
        return fmt::format("{:10.6f}s n{} {}", t, e.node,
                           e.a == kDiskFaulted     ? "disk fault: serving from memory"
                           : e.a == kDiskRecovered ? "disk works again: resuming"
                                                   : "disk fault needs a restart");
      if (e.peer == kDnsWipeNote)
        return fmt::format("{:10.6f}s n{} disk wiped (data directory erased)", t, e.node);
      if (e.peer == kDnsProbeNote)
        return fmt::format("{:10.6f}s n{} probe write while n{} is disk-faulted", t, e.node, e.a);
      return fmt::format("{:10.6f}s majority loss {} around survivor n{} ({})", t,
                         e.a == 1 ? "begins" : "ends", e.node,
                         e.b ? "majority crashed" : "survivor cut off");
    default:
      return std::nullopt;
  }
}

DnsClusterRun::DnsClusterRun(const RunOptions& options)
    : ScenarioRun(options, find_scenario(options.scenario),
                  dns_node_options(find_scenario(options.scenario), options.knobs)),
      dns_checks_(options.knobs.nodes),
      plan_prng_(world().stream("plan")),
      probe_prng_(world().stream("probe")),
      invariants_(!options.no_invariants),
      history_(options.history ? std::make_unique<HistoryWriter>(*options.history) : nullptr),
      history_prng_(world().stream("history-reads")) {
  if (invariants_)
    cluster_.set_checks(&raft_checks_, &dns_checks_);
  else
    cluster_.set_checks(nullptr, nullptr);
  dns_checks_.set_direct_checks(!options.outcome_checks_only);
  cluster_.hooks().restart_needed = [this](engine::NodeId n) { restart_for_disk(n); };
  cluster_.hooks().transfer_installed = [this](engine::NodeId, std::uint64_t) {
    ++stats_.transfers;
  };
  cluster_.hooks().transfer_resumed = [this](engine::NodeId) { ++stats_.transfers_resumed; };
  faults_.set_disk_window_hook(
      [this](std::uint64_t n, FaultKind, bool begins) { on_disk_window(n, begins); });
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (is_spare(n)) dns_checks_.expect_joiner(n);
  if (scenario_.faults_skip_outsiders)
    faults_.set_in_play_hook([this](std::uint64_t n) { return in_play(n); });
}

// ---- disk faults ----------------------------------------------------------------------------

void DnsClusterRun::restart_for_disk(engine::NodeId node) {
  const std::uint64_t process = incarnation(node);
  world().queue().schedule_after(kOperatorDelay, [this, node, process] {
    if (!workload_on() || incarnation(node) != process || !driver(node)) return;
    ++stats_.disk_restarts;
    crash(node);
    start_or_retry(node);
  });
}

void DnsClusterRun::on_disk_window(engine::NodeId node, bool begins) {
  if (!only_disk_faults() || !workload_on()) return;
  if (begins) {
    world().queue().schedule_after(kOperatorDelay, [this, node] {
      if (workload_on()) probe_commit(node);
    });
    return;
  }
  // Everyone else kept committing; what they had committed when the space came back, `node`
  // must have too once it settles (FaultApplier lets no new disk fault hit it before).
  raft::Index commit = 0;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n)) commit = std::max(commit, driver(n)->raft_status().commit);
  world().queue().schedule_after(kDiskSettle - sim::kMillisecond, [this, node, commit] {
    if (workload_on()) check_recovered(node, commit);
  });
}

void DnsClusterRun::probe_commit(engine::NodeId faulted) {
  std::vector<engine::NodeId> healthy;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (n != faulted && driver(n) && !faults().disk_faulted(n) &&
        !driver(n)->node().status().disk_fault)
      healthy.push_back(n);
  if (healthy.size() <= nodes() / 2 && invariants_)
    throw InvariantViolation("disk faults hit only a minority",
                             fmt::format("while n{}'s disk fails only {} of {} nodes are healthy",
                                         faulted, healthy.size(), nodes()));
  const engine::NodeId node = healthy[probe_prng_.below(healthy.size())];
  world().trace().record({world().now(), sim::EventKind::Note, node, kDnsProbeNote, faulted, 0});
  ++stats_.probes;
  const std::uint64_t id = next_write_;
  submit_write(node, random_dns_write(probe_prng_), false);
  writes_.at(id).must_commit = true;
}

void DnsClusterRun::check_recovered(engine::NodeId node, raft::Index commit_at_end) {
  if (!invariants_) return;
  if (!driver(node))
    throw InvariantViolation("a disk-faulted node recovers once its disk works",
                             fmt::format("n{} is still down {:.3f}s after its disk fault ended",
                                         node, static_cast<double>(kDiskSettle) / 1e9));
  const engine::NodeStatus status = driver(node)->node().status();
  if (status.disk_fault)
    throw InvariantViolation(
        "a disk-faulted node recovers once its disk works",
        fmt::format("n{} is still disk-faulted ({}) {:.3f}s after its disk fault ended", node,
                    status.disk_fault->message, static_cast<double>(kDiskSettle) / 1e9));
  if (status.applied < commit_at_end)
    throw InvariantViolation(
        "a disk-faulted node recovers once its disk works",
        fmt::format("n{} has applied {} {:.3f}s after its disk fault ended, when the cluster had "
                    "committed {}",
                    node, status.applied, static_cast<double>(kDiskSettle) / 1e9, commit_at_end));
}

bool DnsClusterRun::is_member(engine::NodeId node) {
  const engine::Node* most = nullptr;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n) && (!most || driver(n)->node().state().applied() > most->state().applied()))
      most = &driver(n)->node();
  return !most || most->state().members().membership.contains(node);
}

void DnsClusterRun::note_removed(engine::NodeId node) {
  raft::Term term = 0;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n)) term = std::max(term, driver(n)->node().raft().term());
  if (removed_.try_emplace(node, term).second && history_)
    history_->removed({0, node, world().now()});
}

void DnsClusterRun::check_removed_never_lead() {
  for (const auto& [node, term] : removed_) {
    if (!driver(node)) continue;
    const raft::Status s = driver(node)->node().raft().status();
    if (s.role == raft::Role::Leader && s.term > term)
      throw InvariantViolation(
          "a removed node never leads",
          fmt::format("n{} leads term {}; its removal committed by term {}", node, s.term, term));
  }
}

engine::NodeId DnsClusterRun::random_live_node() {
  std::vector<engine::NodeId> live;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n)) live.push_back(n);
  return live.empty() ? 0 : live[workload_prng_.below(live.size())];
}

// ---- workload -------------------------------------------------------------------------------

void DnsClusterRun::submit_write(engine::NodeId node, std::vector<dns::Change> changes,
                                 bool must_fail) {
  if (!driver(node)) return;
  const std::uint64_t id = next_write_++;
  Write& w = writes_[id];
  w.node = node;
  w.incarnation = incarnation(node);
  w.submitted = world().now();
  w.changes = changes;
  w.must_fail = must_fail;
  ++stats_.writes;
  // The node expires a write on the first tick after its deadline: write_timeout + one tick
  // of its clock, stretched a little in global time by drift (<= 1000 ppm) and timer jitter.
  const sim::SimTime timeout = node_options().write_timeout.count();
  const sim::SimTime tick = node_options().tick.count();
  const sim::SimTime bound = (timeout + tick) + (timeout + tick) / 1000 +
                             world().options().timer_jitter + sim::kMillisecond / 10;
  world().queue().schedule_after(bound, [this, id, bound] {
    const Write& w = writes_.at(id);
    if (!invariants_ || w.answered || w.incarnation != incarnation(w.node) || !driver(w.node))
      return;
    throw InvariantViolation(
        "every write answered within write_timeout",
        fmt::format("n{} has not answered a write submitted at {:.3f}s after {:.3f}s", w.node,
                    static_cast<double>(w.submitted) / 1e9, static_cast<double>(bound) / 1e9));
  });
  driver(node)->submit(std::move(changes),
                       [this, id](const engine::WriteResult& r) { on_reply(id, r); });
}

void DnsClusterRun::submit_must_commit(engine::NodeId node, std::vector<dns::Change> changes,
                                       const char* claim) {
  if (!driver(node)) return;
  const std::uint64_t id = next_write_;
  submit_write(node, std::move(changes), false);
  writes_.at(id).must_commit = true;
  writes_.at(id).must_commit_claim = claim;
}

void DnsClusterRun::on_reply(std::uint64_t id, const engine::WriteResult& r) {
  Write& w = writes_.at(id);
  world().trace().record({world().now(), sim::EventKind::Note, w.node, kDnsReplyNote,
                          static_cast<std::uint64_t>(r.kind), r.index});
  if (w.answered && invariants_)
    throw InvariantViolation("every write answered once",
                             fmt::format("n{} answered a write twice ({})", w.node, r.message));
  if (!w.answered) record_write(id, w, &r);
  w.answered = true;
  if (!invariants_) {
    // Counted, not judged (only the history judges such a run).
    if (r.kind == engine::WriteResult::Ok) ++stats_.ok;
    if (r.kind == engine::WriteResult::Noop) ++stats_.noop;
    if (r.kind == engine::WriteResult::NoQuorum) ++stats_.no_quorum;
    if (r.kind == engine::WriteResult::DiskFault) ++stats_.disk_fault_answers;
    return;
  }
  switch (r.kind) {
    case engine::WriteResult::Ok:
      ++stats_.ok;
      dns_checks_.on_write_ok(w.node, r.index, w.changes);
      break;
    case engine::WriteResult::Noop:
      ++stats_.noop;
      break;
    case engine::WriteResult::NoQuorum:
      ++stats_.no_quorum;
      break;
    case engine::WriteResult::DiskFault:
      // Only a node whose disk failed may refuse a write for it (it answers inside submit() or
      // on the tick that expires the write, still faulted).
      if (!driver(w.node) || !driver(w.node)->node().status().disk_fault)
        throw InvariantViolation(
            "valid writes accepted",
            fmt::format("n{} answered a disk fault without one: {}", w.node, r.message));
      ++stats_.disk_fault_answers;
      break;
    case engine::WriteResult::Copying:
      // Only a node copying a peer's datastore may refuse a write for it.
      if (!driver(w.node) || !driver(w.node)->node().status().transfer.has_value())
        throw InvariantViolation(
            "valid writes accepted",
            fmt::format("n{} answered 'copying' without a transfer: {}", w.node, r.message));
      break;
    default:
      throw InvariantViolation("valid writes accepted",
                               fmt::format("n{} answered a valid write: {}", w.node, r.message));
  }
  if (w.must_commit && r.kind != engine::WriteResult::Ok && r.kind != engine::WriteResult::Noop)
    throw InvariantViolation(
        w.must_commit_claim,
        fmt::format("n{} answered '{}' to a write that had to commit", w.node, r.message));
  // A disk-faulted node refuses it outright: not committed either.
  if (w.must_fail && r.kind != engine::WriteResult::NoQuorum &&
      r.kind != engine::WriteResult::DiskFault && r.kind != engine::WriteResult::Copying)
    throw InvariantViolation(
        "no commit without quorum",
        fmt::format("n{} answered '{}' to a write submitted while it had no quorum", w.node,
                    r.message));
}

void DnsClusterRun::query(engine::NodeId node, std::size_t index) {
  if (!driver(node)) return;
  ++stats_.queries;
  if (history_) record_read(node, index, false);
  const std::vector<std::uint8_t> response = answer_from(driver(node)->serving(), dns_query(index));
  // REFUSED is right only while that node has not yet got the zone; anything else from our
  // data must be an authoritative NOERROR / NXDOMAIN.
  const int rcode = response.size() >= 4 ? response[3] & 0x0F : -1;
  const bool aa = response.size() >= 3 && (response[2] & 0x04);
  if (rcode == dns::rcode::REFUSED || !invariants_) return;
  if ((rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) || !aa)
    throw InvariantViolation(
        "queries answered from local data",
        fmt::format("n{} answered query {} with rcode {} aa={}", node, index, rcode, aa));
}

void DnsClusterRun::schedule_writes(sim::SimTime until) {
  if (scenario_.proposals_per_second <= 0) return;
  const double gap = workload_prng_.exponential(1e9 / scenario_.proposals_per_second);
  const sim::SimTime at = world().now() + static_cast<sim::SimTime>(gap);
  if (at >= until) return;
  world().queue().schedule_at(at, [this, until] {
    if (!workload_on()) return;
    std::vector<dns::Change> changes = random_dns_write(workload_prng_);
    if (const engine::NodeId node = random_live_node())
      submit_write(node, std::move(changes), false);
    schedule_writes(until);
  });
}

void DnsClusterRun::schedule_queries(sim::SimTime until) {
  const sim::SimTime at = world().now() + static_cast<sim::SimTime>(
                                              workload_prng_.exponential(1e9 / kQueriesPerSecond));
  if (at >= until) return;
  world().queue().schedule_at(at, [this, until] {
    if (!workload_on()) return;
    const std::size_t index = workload_prng_.below(dns_query_count());
    if (const engine::NodeId node = random_live_node()) query(node, index);
    schedule_queries(until);
  });
}

void DnsClusterRun::schedule_sampling() {
  world().queue().schedule_after(kPoll, [this] {
    check_removed_never_lead();
    for (engine::NodeId n = 1; n <= nodes(); ++n)
      if (driver(n))
        stats_.max_pending =
            std::max(stats_.max_pending, driver(n)->node().state().pending().size());
    schedule_sampling();
  });
}

// ---- heal and convergence -------------------------------------------------------------------

std::string DnsClusterRun::convergence_gap() {
  check_removed_never_lead();
  // A spare whose ADD-NODE committed too late for the plan to start it: the operator does now.
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (is_spare(n) && !joined_.contains(n) && is_member(n)) start_joiner(n);
  const engine::NodeId leader = cluster_.leader();
  if (leader == 0) return "no leader";
  const raft::Status ls = driver(leader)->node().raft().status();
  if (ls.commit < ls.last_index)
    return fmt::format("leader n{} has committed {} of {}", leader, ls.commit, ls.last_index);
  const engine::MemberSet& members = driver(leader)->node().state().members();
  for (engine::NodeId n = 1; n <= nodes(); ++n) {
    // A removed node is out of the cluster: it no longer receives anything to converge to.
    if (!members.membership.contains(n)) continue;
    const engine::Node& node = driver(n)->node();
    if (node.state().members() != members)
      return fmt::format("n{} has members {}, leader n{} {}", n,
                         raft::describe(node.state().members().membership), leader,
                         raft::describe(members.membership));
    const raft::Status s = node.raft().status();
    if (s.term != ls.term) return fmt::format("n{} at term {}, leader at {}", n, s.term, ls.term);
    if (node.state().applied() != ls.commit)
      return fmt::format("n{} applied {} of {} committed", n, node.state().applied(), ls.commit);
    const engine::NodeStatus status = node.status();
    if (!status.imported) return fmt::format("n{} has not finished importing its zone file", n);
    if (status.pending_batches > 0)
      return fmt::format("n{} still has {} batches pending (its hw {})", n, status.pending_batches,
                         status.hw);
  }
  return "";
}

void DnsClusterRun::check_converged() {
  const std::vector<dns::Record> reference_records =
      dns_checks_.reference_records(dns_checks_.last_committed_batch());
  const std::vector<std::string> reference = canonical(reference_records);
  stats_.records = reference.size();
  std::vector<engine::NodeId> members;
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (is_member(n)) members.push_back(n);
  // SOA serials first: the clearest symptom of a lost or doubled change.
  for (std::size_t z = 0; z < kDnsZones && z < nodes(); ++z) {
    const dns::Name apex = dns::Name::from_text(dns_zone_apex(z));
    const std::uint32_t want = soa_serial(reference_records, apex);
    for (engine::NodeId n : members) {
      const std::uint32_t got = soa_serial(driver(n)->serving().all_records(), apex);
      if (got != want)
        throw InvariantViolation("converged: SOA serials equal everywhere",
                                 fmt::format("n{} serves {} with serial {}, reference {}", n,
                                             apex.to_text(), got, want));
    }
  }
  // First boot imported every node's zone file through raft: the cluster serves their union
  // (the workload's pool is disjoint from the zone files, so nothing in them was removed).
  const auto& zone_removed = dns_checks_.zone_records_removed();
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    for (const dns::Record& r :
         removed_.contains(n) || is_spare(n) ? std::vector<dns::Record>{} : dns_zone_file(n)) {
      // A plan's REMOVE of a zone file record (lifecycle scenarios) keeps it out for good.
      if (zone_removed.contains(dns::to_text(r))) continue;
      const bool present = r.type == dns::type::SOA
                               ? soa_serial(reference_records, r.owner) != 0
                               : std::find(reference_records.begin(), reference_records.end(), r) !=
                                     reference_records.end();
      if (!present)
        throw InvariantViolation(
            "converged: the union of all zone files is served",
            fmt::format("n{}'s zone file record {} was never committed", n, dns::to_text(r)));
    }
  const std::vector<dns::Record> removed = dns_checks_.removed_records();
  for (engine::NodeId n : members) {
    const std::vector<dns::Record> served = driver(n)->serving().all_records();
    const std::vector<std::string> got = canonical(served);
    if (got != reference)
      throw InvariantViolation(
          "converged: every node serves the acknowledged writes in commit order",
          fmt::format("n{} serves {}", n, describe_difference(got, reference)));
    for (const dns::Record& r : removed)
      if (std::find(served.begin(), served.end(), r) != served.end())
        throw InvariantViolation("converged: a removed record is answered by no node",
                                 fmt::format("n{} still serves {}", n, dns::to_text(r)));
    // What the node would serve after one more restart: a fresh load of its local datastore
    // (from a copy of its disk, so the check changes nothing).
    sim::SimDisk disk = world().disk(n);
    engine::LocalStore store(disk);
    engine::LocalStoreContents contents = store.load();
    dns::Database loaded;
    loaded.load(std::move(contents.snapshot_records));
    for (const engine::StoredBatch& b : contents.batches) loaded.apply(b.changes);
    const std::vector<std::string> stored = canonical(loaded.all_records());
    if (stored != reference)
      throw InvariantViolation("converged: local datastore equals the serving view",
                               fmt::format("n{} local datastore (hw {}) holds {}", n, contents.hw,
                                           describe_difference(stored, reference)));
  }
}

void DnsClusterRun::start_workload() {
  if (scenario_.plan) scenario_.plan(*this);
  schedule_writes(fault_end_);
  schedule_queries(fault_end_);
  if (history_) schedule_history_reads(fault_end_);
  schedule_sampling();
}

void DnsClusterRun::after_convergence() {
  stats_.converge_s = static_cast<double>(world().now() - healed_at_) / 1e9;
  if (history_) record_final_reads();
  if (invariants_) check_converged();
}

// ---- history --------------------------------------------------------------------------------

void DnsClusterRun::record_write(std::uint64_t id, const Write& w,
                                 const engine::WriteResult* result) {
  if (!history_) return;
  HistoryWrite h;
  h.client = fmt::format("w{}", id);
  h.node = w.node;
  h.process = w.incarnation;
  h.invoke_ns = w.submitted;
  h.changes = history_changes(w.changes);
  if (result) {
    h.complete_ns = world().now();
    h.result = history_outcome(result->kind);
    if (h.result == WriteOutcome::Ok || h.result == WriteOutcome::Noop) h.index = result->index;
    h.message = result->message;
  } else {
    h.result = WriteOutcome::Unknown;
    h.message = "no answer: the node crashed or the run ended first";
  }
  history_->write(std::move(h));
}

void DnsClusterRun::record_read(engine::NodeId node, std::size_t index, bool final) {
  HistoryRead r = history_read(driver(node)->serving(), index);
  r.client = fmt::format("r{}", next_read_++);
  r.node = node;
  r.process = incarnation(node);
  r.time_ns = world().now();
  // What the node reports serving (its STATUS "served"), like a revision in a reply header.
  r.index = driver(node)->node().status().served;
  r.final = final;
  history_->read(std::move(r));
}

void DnsClusterRun::record_final_reads() {
  if (final_reads_done_) return;
  final_reads_done_ = true;
  // A removed member no longer follows the cluster: what it still serves is not the cluster's.
  for (engine::NodeId n = 1; n <= nodes(); ++n)
    if (driver(n) && !removed_.contains(n))
      for (std::size_t q = 0; q < dns_query_count(); ++q) record_read(n, q, true);
}

void DnsClusterRun::schedule_history_reads(sim::SimTime until) {
  const sim::SimTime at =
      world().now() +
      static_cast<sim::SimTime>(history_prng_.exponential(1e9 / kHistoryReadsPerSecond));
  if (at >= until) return;
  world().queue().schedule_at(at, [this, until] {
    if (!workload_on()) return;
    const engine::NodeId node = 1 + history_prng_.below(nodes());
    const std::size_t index = history_prng_.below(dns_query_count());
    if (driver(node) && !removed_.contains(node)) record_read(node, index, false);
    schedule_history_reads(until);
  });
}

void DnsClusterRun::finish_result(RunResult& result) {
  // A run that got to the heal but failed there still shows what each node serves at the end.
  if (history_ && healed_at_ > 0) record_final_reads();
  for (const auto& [id, w] : writes_)
    if (!w.answered) record_write(id, w, nullptr);
  stats_.removed_members = removed_.size();
  stats_.added_members = joined_.size();
  stats_.wipes = wipes_;
  for (engine::NodeId n : joined_) stats_.promoted += healed_at_ > 0 && is_voter(n);
  for (const auto& [id, w] : writes_)
    if (!w.answered) ++stats_.unanswered;
  stats_.committed_batches = dns_checks_.committed_batches();
  result.dns = stats_;
  result.proposed = stats_.writes;
  result.acknowledged = stats_.ok + stats_.noop;
}

RunResult run_dns_cluster(const RunOptions& options) {
  return DnsClusterRun(options).run();
}

}  // namespace harness
