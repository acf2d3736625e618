#include "harness/dns_cluster_run.h"

#include <fmt/core.h>

#include <algorithm>

#include "dns/rdata.h"
#include "dns/types.h"
#include "engine/local_store.h"
#include "harness/bug_switches.h"
#include "harness/dns_workload.h"

namespace harness {

namespace {

constexpr double kQueriesPerSecond = 20;

engine::NodeOptions engine_options(const Scenario& scenario, const Knobs& k) {
  using namespace std::chrono_literals;
  engine::NodeOptions o;
  for (engine::NodeId n = 1; n <= k.nodes; ++n) o.members.push_back(n);
  o.tick = 10ms;
  o.election_ticks = 10;
  o.heartbeat_ticks = 2;
  o.checkpoint_interval = std::chrono::milliseconds(k.checkpoint_ms);
  o.write_timeout = 1s;
  o.retry_interval = 200ms;
  o.import_batch = 3;  // several import batches per zone file
  o.compact_every = 64;
  o.store_snapshot_wal_bytes = 2048;  // local datastore snapshots happen within a run
  if (!k.bug.empty()) find_bug_switch(scenario, k.bug).dns_run(o);
  return o;
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
        static constexpr const char* kinds[] = {"OK", "NOOP", "no quorum", "invalid", "stopped"};
        return fmt::format("{:10.6f}s n{} answers a write: {} index={}", t, e.node,
                           e.a < 5 ? kinds[e.a] : "?", e.b);
      }
      return fmt::format("{:10.6f}s majority loss {} around survivor n{} ({})", t,
                         e.a == 1 ? "begins" : "ends", e.node,
                         e.b ? "majority crashed" : "survivor cut off");
    default:
      return std::nullopt;
  }
}

DnsClusterRun::DnsClusterRun(const RunOptions& options)
    : options_(options),
      scenario_(find_scenario(options.scenario)),
      node_options_(engine_options(scenario_, options.knobs)),
      fault_end_(static_cast<sim::SimTime>(options.knobs.time_s * 1e9)),
      world_(options.seed, world_options(options.knobs)),
      raft_checker_(options.knobs.nodes),
      dns_checker_(options.knobs.nodes),
      workload_prng_(world_.stream("workload")),
      fault_prng_(world_.stream("faults")),
      plan_prng_(world_.stream("plan")),
      faults_(world_, options.knobs.nodes,
              {.up = [this](std::uint64_t n) { return drivers_[n] != nullptr; },
               .crash = [this](std::uint64_t n) { crash_node(n); },
               .restart_after = [this](std::uint64_t n,
                                       sim::SimTime after) { restart_later(n, after); },
               .leader = [this] { return current_leader(); },
               .active = [this] { return workload_on_; }}),
      drivers_(options.knobs.nodes + 1),
      incarnations_(options.knobs.nodes + 1, 0),
      held_down_(options.knobs.nodes + 1, false) {
  const Knobs& k = options.knobs;
  if (!scenario_.dns)
    throw std::invalid_argument(fmt::format("'{}' is not a DNS scenario", scenario_.name));
  if (k.nodes < 1 || k.nodes > 9) throw std::invalid_argument("--nodes must be in 1..9");
  if (k.checkpoint_ms < 1) throw std::invalid_argument("--checkpoint-ms must be >= 1");
  dns_checker_.set_direct_checks(!options.outcome_checks_only);
  world_.trace().set_verbose(options.trace);
  if (options.trace_formatter) world_.trace().set_formatter(options.trace_formatter);
  world_.network().set_deliver([this](engine::NodeId to, engine::NodeId from, engine::Bytes bytes) {
    if (drivers_[to]) drivers_[to]->deliver(from, bytes);
  });
}

DnsClusterRun::~DnsClusterRun() {
  // Drivers reference the world; make sure they go first.
  drivers_.clear();
}

void DnsClusterRun::start_node(engine::NodeId node) {
  if (drivers_[node]) return;
  world_.restart(node);
  drivers_[node] =
      std::make_unique<DnsNodeDriver>(node, incarnations_[node]++, world_, raft_checker_,
                                      dns_checker_, node_options_, dns_zone_file(node));
}

void DnsClusterRun::crash_node(engine::NodeId node) {
  if (!drivers_[node]) return;
  drivers_[node].reset();
  world_.crash(node);
  ++crashes_;
}

void DnsClusterRun::restart_later(engine::NodeId node, sim::SimTime after) {
  world_.queue().schedule_after(after, [this, node] {
    // After the heal began everyone is up already; a plan may hold a node down for longer.
    if (workload_on_ && !held_down_[node]) start_node(node);
  });
}

void DnsClusterRun::hold_down(engine::NodeId node) {
  crash_node(node);
  held_down_[node] = true;
}

void DnsClusterRun::release(engine::NodeId node) {
  held_down_[node] = false;
  start_node(node);
}

engine::NodeId DnsClusterRun::random_live_node() {
  std::vector<engine::NodeId> live;
  for (engine::NodeId n = 1; n < drivers_.size(); ++n)
    if (drivers_[n]) live.push_back(n);
  return live.empty() ? 0 : live[workload_prng_.below(live.size())];
}

engine::NodeId DnsClusterRun::current_leader() const {
  engine::NodeId leader = 0;
  raft::Term term = 0;
  for (engine::NodeId n = 1; n < drivers_.size(); ++n) {
    if (!drivers_[n]) continue;
    const raft::Status s = drivers_[n]->node().raft().status();
    if (s.role == raft::Role::Leader && s.term >= term) leader = n, term = s.term;
  }
  return leader;
}

// ---- workload -------------------------------------------------------------------------------

void DnsClusterRun::submit_write(engine::NodeId node, std::vector<dns::Change> changes,
                                 bool must_fail) {
  if (!drivers_[node]) return;
  const std::uint64_t id = next_write_++;
  Write& w = writes_[id];
  w.node = node;
  w.incarnation = incarnations_[node];
  w.submitted = world_.now();
  w.changes = changes;
  w.must_fail = must_fail;
  ++stats_.writes;
  // The node expires a write on the first tick after its deadline: write_timeout + one tick
  // of its clock, stretched a little in global time by drift (<= 1000 ppm) and timer jitter.
  const sim::SimTime timeout = node_options_.write_timeout.count();
  const sim::SimTime tick = node_options_.tick.count();
  const sim::SimTime bound = (timeout + tick) + (timeout + tick) / 1000 +
                             world_.options().timer_jitter + sim::kMillisecond / 10;
  world_.queue().schedule_after(bound, [this, id, bound] {
    const Write& w = writes_.at(id);
    if (w.answered || w.incarnation != incarnations_[w.node] || !drivers_[w.node]) return;
    throw InvariantViolation(
        "every write answered within write_timeout",
        fmt::format("n{} has not answered a write submitted at {:.3f}s after {:.3f}s", w.node,
                    static_cast<double>(w.submitted) / 1e9, static_cast<double>(bound) / 1e9));
  });
  drivers_[node]->submit(std::move(changes),
                         [this, id](const engine::WriteResult& r) { on_reply(id, r); });
}

void DnsClusterRun::on_reply(std::uint64_t id, const engine::WriteResult& r) {
  Write& w = writes_.at(id);
  world_.trace().record({world_.now(), sim::EventKind::Note, w.node, kDnsReplyNote,
                         static_cast<std::uint64_t>(r.kind), r.index});
  if (w.answered)
    throw InvariantViolation("every write answered once",
                             fmt::format("n{} answered a write twice ({})", w.node, r.message));
  w.answered = true;
  switch (r.kind) {
    case engine::WriteResult::Ok:
      ++stats_.ok;
      dns_checker_.on_write_ok(w.node, r.index, w.changes);
      break;
    case engine::WriteResult::Noop:
      ++stats_.noop;
      break;
    case engine::WriteResult::NoQuorum:
      ++stats_.no_quorum;
      break;
    default:
      throw InvariantViolation("valid writes accepted",
                               fmt::format("n{} answered a valid write: {}", w.node, r.message));
  }
  if (w.must_fail && r.kind != engine::WriteResult::NoQuorum)
    throw InvariantViolation(
        "no commit without quorum",
        fmt::format("n{} answered '{}' to a write submitted while it had no quorum", w.node,
                    r.message));
}

void DnsClusterRun::query(engine::NodeId node, std::size_t index) {
  if (!drivers_[node]) return;
  ++stats_.queries;
  const std::vector<std::uint8_t> response =
      answer_from(drivers_[node]->serving(), dns_query(index));
  // REFUSED is right only while that node has not yet got the zone; anything else from our
  // data must be an authoritative NOERROR / NXDOMAIN.
  const int rcode = response.size() >= 4 ? response[3] & 0x0F : -1;
  const bool aa = response.size() >= 3 && (response[2] & 0x04);
  if (rcode == dns::rcode::REFUSED) return;
  if ((rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) || !aa)
    throw InvariantViolation(
        "queries answered from local data",
        fmt::format("n{} answered query {} with rcode {} aa={}", node, index, rcode, aa));
}

void DnsClusterRun::schedule_writes(sim::SimTime until) {
  if (scenario_.proposals_per_second <= 0) return;
  const double gap = workload_prng_.exponential(1e9 / scenario_.proposals_per_second);
  const sim::SimTime at = world_.now() + static_cast<sim::SimTime>(gap);
  if (at >= until) return;
  world_.queue().schedule_at(at, [this, until] {
    if (!workload_on_) return;
    std::vector<dns::Change> changes = random_dns_write(workload_prng_);
    if (const engine::NodeId node = random_live_node())
      submit_write(node, std::move(changes), false);
    schedule_writes(until);
  });
}

void DnsClusterRun::schedule_queries(sim::SimTime until) {
  const sim::SimTime at =
      world_.now() + static_cast<sim::SimTime>(workload_prng_.exponential(1e9 / kQueriesPerSecond));
  if (at >= until) return;
  world_.queue().schedule_at(at, [this, until] {
    if (!workload_on_) return;
    const std::size_t index = workload_prng_.below(dns_query_count());
    if (const engine::NodeId node = random_live_node()) query(node, index);
    schedule_queries(until);
  });
}

void DnsClusterRun::schedule_sampling() {
  world_.queue().schedule_after(kPoll, [this] {
    for (engine::NodeId n = 1; n < drivers_.size(); ++n)
      if (drivers_[n])
        stats_.max_pending =
            std::max(stats_.max_pending, drivers_[n]->node().state().pending().size());
    schedule_sampling();
  });
}

// ---- heal and convergence -------------------------------------------------------------------

void DnsClusterRun::heal() {
  workload_on_ = false;
  world_.trace().record({world_.now(), sim::EventKind::Heal, 0, 0, 0, 0});
  faults_.heal_network();
  // Every node restarts from its disk: acknowledged writes must survive that too.
  for (engine::NodeId n = 1; n < drivers_.size(); ++n) crash_node(n);
  for (engine::NodeId n = 1; n < drivers_.size(); ++n) start_node(n);
}

std::string DnsClusterRun::convergence_gap() {
  const engine::NodeId leader = current_leader();
  if (leader == 0) return "no leader";
  const raft::Status ls = drivers_[leader]->node().raft().status();
  if (ls.commit < ls.last_index)
    return fmt::format("leader n{} has committed {} of {}", leader, ls.commit, ls.last_index);
  for (engine::NodeId n = 1; n < drivers_.size(); ++n) {
    const engine::Node& node = drivers_[n]->node();
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
      dns_checker_.reference_records(dns_checker_.last_committed_batch());
  const std::vector<std::string> reference = canonical(reference_records);
  stats_.records = reference.size();
  // SOA serials first: the clearest symptom of a lost or doubled change.
  for (std::size_t z = 0; z < kDnsZones && z < options_.knobs.nodes; ++z) {
    const dns::Name apex = dns::Name::from_text(dns_zone_apex(z));
    const std::uint32_t want = soa_serial(reference_records, apex);
    for (engine::NodeId n = 1; n < drivers_.size(); ++n) {
      const std::uint32_t got = soa_serial(drivers_[n]->serving().all_records(), apex);
      if (got != want)
        throw InvariantViolation("converged: SOA serials equal everywhere",
                                 fmt::format("n{} serves {} with serial {}, reference {}", n,
                                             apex.to_text(), got, want));
    }
  }
  // First boot imported every node's zone file through raft: the cluster serves their union
  // (the workload's pool is disjoint from the zone files, so nothing in them was removed).
  for (engine::NodeId n = 1; n < drivers_.size(); ++n)
    for (const dns::Record& r : dns_zone_file(n)) {
      const bool present = r.type == dns::type::SOA
                               ? soa_serial(reference_records, r.owner) != 0
                               : std::find(reference_records.begin(), reference_records.end(), r) !=
                                     reference_records.end();
      if (!present)
        throw InvariantViolation(
            "converged: the union of all zone files is served",
            fmt::format("n{}'s zone file record {} was never committed", n, dns::to_text(r)));
    }
  const std::vector<dns::Record> removed = dns_checker_.removed_records();
  for (engine::NodeId n = 1; n < drivers_.size(); ++n) {
    const std::vector<dns::Record> served = drivers_[n]->serving().all_records();
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
    sim::SimDisk disk = world_.disk(n);
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

DnsRunResult DnsClusterRun::run() {
  DnsRunResult result;
  const Knobs& k = options_.knobs;
  result.schedule = options_.schedule ? *options_.schedule
                                      : random_schedule(fault_prng_, fault_rates(scenario_, k),
                                                        k.nodes, kWarmup, fault_end_);
  sim::SimTime healed_at = 0;
  try {
    for (engine::NodeId n = 1; n <= k.nodes; ++n) start_node(n);
    for (const Fault& f : result.schedule)
      if (f.at < fault_end_)
        world_.queue().schedule_at(f.at, [this, f] { faults_.apply(f, fault_prng_); });
    extra_faults_ = !result.schedule.empty();
    if (scenario_.plan) scenario_.plan(*this);
    schedule_writes(fault_end_);
    schedule_queries(fault_end_);
    schedule_sampling();
    world_.queue().run_until(fault_end_);
    heal();
    healed_at = world_.now();
    const sim::SimTime deadline = world_.now() + kHealBound;
    std::string gap = "not checked";
    while (world_.now() < deadline) {
      world_.queue().run_until(world_.now() + kPoll);
      gap = convergence_gap();
      if (gap.empty()) break;
    }
    if (!gap.empty())
      throw InvariantViolation(
          "no convergence",
          fmt::format("{} s after healing: {}", static_cast<double>(kHealBound) / 1e9, gap));
    stats_.converge_s = static_cast<double>(world_.now() - healed_at) / 1e9;
    check_converged();
  } catch (const InvariantViolation& v) {
    result.ok = false;
    result.invariant = v.invariant();
    result.detail = v.what();
  } catch (const std::exception& e) {
    // The engine threw where it must not (a crash of the real process).
    result.ok = false;
    result.invariant = "no unexpected exception";
    result.detail = fmt::format("no unexpected exception: {}", e.what());
  }
  for (const auto& [id, w] : writes_)
    if (!w.answered) ++stats_.unanswered;
  stats_.committed_batches = dns_checker_.committed_batches();
  result.dns = stats_;
  result.history = world_.trace().tail(30);
  result.trace_hash = world_.trace().hash();
  result.events = world_.queue().executed();
  result.sim_seconds = static_cast<double>(world_.now()) / 1e9;
  result.elections = raft_checker_.elections();
  result.highest_term = raft_checker_.highest_term();
  result.committed = raft_checker_.max_committed();
  result.proposed = stats_.writes;
  result.acknowledged = stats_.ok + stats_.noop;
  result.crashes = crashes_;
  result.messages = world_.network().sent();
  return result;
}

DnsRunResult run_dns_cluster(const RunOptions& options) {
  return DnsClusterRun(options).run();
}

}  // namespace harness
