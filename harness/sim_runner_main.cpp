// build/sim-runner: runs simulated raft clusters from seeds (one, or a sweep), VOPR style.
// First line: the seed and the build's commit; last line: the trace hash. Exit 1 on a violation,
// with the invariant, the recent history and the command that reproduces it.

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/command.h"
#include "harness/bug_switches.h"
#include "harness/dns_cluster_run.h"
#include "harness/history.h"
#include "harness/history_check.h"
#include "harness/scenario.h"
#include "harness/scenario_run.h"
#include "harness/sites.h"
#include "raft/message.h"
#include "sim/trace.h"

#ifndef RAFTDNS_GIT_COMMIT
#define RAFTDNS_GIT_COMMIT "unknown"
#endif

namespace {

bool dns_run = false;  // the scenario is a DNS one: its trace events read differently

// Parses "A..B" into two numbers; throws std::invalid_argument naming the flag.
template <typename T>
std::pair<T, T> parse_range(const std::string& text, const char* flag) {
  const auto dots = text.find("..");
  auto number = [&](std::string_view s) {
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size())
      throw std::invalid_argument(fmt::format("{}: expected A..B, got '{}'", flag, text));
    return value;
  };
  if (dots == std::string::npos)
    throw std::invalid_argument(fmt::format("{}: expected A..B, got '{}'", flag, text));
  const std::string_view all(text);
  auto range = std::pair<T, T>{number(all.substr(0, dots)), number(all.substr(dots + 2))};
  if (range.second < range.first)
    throw std::invalid_argument(fmt::format("{}: empty range '{}'", flag, text));
  return range;
}

std::string describe_event(const sim::TraceEvent& e) {
  if (dns_run)
    if (auto text = harness::describe_dns_event(e)) return *text;
  const double t = static_cast<double>(e.time_ns) / 1e9;
  switch (e.kind) {
    case sim::EventKind::Deliver:
      return fmt::format(
          "{:10.6f}s n{} <- n{} {} term {}", t, e.node, e.peer,
          e.a <= raft::kMaxMessageType ? raft::to_string(static_cast<raft::MessageType>(e.a)) : "?",
          e.b);
    case sim::EventKind::RoleChange:
      return fmt::format("{:10.6f}s n{} becomes {} in term {}", t, e.node,
                         raft::to_string(static_cast<raft::Role>(e.a)), e.b);
    case sim::EventKind::Fault:
      return fmt::format("{:10.6f}s fault {} ({} {}) for {:.3f}s", t,
                         harness::to_string(static_cast<harness::FaultKind>(e.a)), e.node, e.peer,
                         static_cast<double>(e.b) / 1e9);
    case sim::EventKind::Propose:
      return fmt::format("{:10.6f}s n{} propose command {} ({})", t, e.node, e.a,
                         e.b == 0   ? "appended"
                         : e.b == 1 ? "forwarded"
                                    : "dropped");
    case sim::EventKind::Drop:
      return fmt::format("{:10.6f}s n{} <- n{} dropped ({})", t, e.node, e.peer,
                         e.a == 1   ? "loss"
                         : e.a == 2 ? "blocked"
                         : e.a == 3 ? "crashed"
                                    : "garbage");
    case sim::EventKind::Timer:
      return fmt::format("{:10.6f}s n{} tick", t, e.node);
    case sim::EventKind::Crash:
      return fmt::format("{:10.6f}s n{} CRASH (unsynced writes lost)", t, e.node);
    case sim::EventKind::Restart:
      return fmt::format("{:10.6f}s n{} restart from disk", t, e.node);
    case sim::EventKind::Heal:
      return fmt::format("{:10.6f}s HEAL: all links up, every node restarts", t);
    default:
      return sim::Trace::format(e);
  }
}

void print_failure(const harness::RunOptions& options, const harness::RunResult& r,
                   const std::string& reproduce) {
  fmt::print("VIOLATION: {}\n", r.detail);
  fmt::print("fault schedule: {}\n", harness::describe(r.schedule));
  fmt::print("last {} events:\n", r.history.size());
  for (const auto& e : r.history) fmt::print("  {}\n", describe_event(e));
  fmt::print("reproduce: {}\n", reproduce);
}

void print_dns_stats(const harness::DnsRunStats& d) {
  fmt::print(
      "dns: writes={} ok={} noop={} no-quorum={} unanswered={} queries={} committed-batches={} "
      "max-pending={} records={} converged-after={:.2f}s\n",
      d.writes, d.ok, d.noop, d.no_quorum, d.unanswered, d.queries, d.committed_batches,
      d.max_pending, d.records, d.converge_s);
  if (d.removed_members + d.added_members + d.wipes + d.transfers > 0)
    fmt::print("members: removed={} added={} promoted={} wipes={} transfers={} resumed={}\n",
               d.removed_members, d.added_members, d.promoted, d.wipes, d.transfers,
               d.transfers_resumed);
  if (d.disk_fault_answers + d.disk_restarts + d.probes > 0)
    fmt::print("disk: refused-writes={} restarts={} probes={}\n", d.disk_fault_answers,
               d.disk_restarts, d.probes);
}

// "raft only: random, partition, ...; the DNS cluster: random-dns, ..." from the scenario table.
std::string scenario_help() {
  std::vector<std::string> raft, dns;
  for (const harness::Scenario& s : harness::scenarios()) (s.dns ? dns : raft).push_back(s.name);
  return fmt::format("raft only: {}; the DNS cluster: {}", fmt::join(raft, ", "),
                     fmt::join(dns, ", "));
}

// Every bug switch with what it breaks and which kinds of scenario accept it.
std::string bug_help() {
  std::vector<std::string> items;
  for (const harness::BugSwitch& b : harness::bug_switches()) {
    bool raft = false, dns = false;
    for (const harness::Scenario& s : harness::scenarios())
      if (std::find(s.bugs.begin(), s.bugs.end(), b.name) != s.bugs.end())
        (s.dns ? dns : raft) = true;
    items.push_back(fmt::format("{} ({}; {} scenarios)", b.name, b.summary,
                                raft && dns ? "raft and DNS"
                                : dns       ? "DNS"
                                            : "raft"));
  }
  return fmt::format("deliberate bug: {}", fmt::join(items, ", "));
}

void print_stats(const harness::RunResult& r) {
  fmt::print(
      "sim-time={:.2f}s events={} messages={} elections={} highest-term={} committed={} "
      "proposed={} acked={} crashes={}\n",
      r.sim_seconds, r.events, r.messages, r.elections, r.highest_term, r.committed, r.proposed,
      r.acknowledged, r.crashes);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Deterministic simulation of a raft cluster: one seed decides every fault."};
  std::uint64_t seed = 1;
  std::string scenario = "random";
  std::string seeds_text, delay_text;
  bool check_determinism = false, trace = false, outcome_only = false;
  std::optional<std::size_t> nodes;
  std::optional<double> time_s, loss, dup, crash_rate, partition_rate, disk_fault_rate;
  std::optional<std::int64_t> drift, checkpoint_ms, election_ms, heartbeat_ms, log_sync_us,
      store_snapshot_us;
  std::optional<std::int64_t> import_copy_records;
  std::string sites;
  std::optional<std::size_t> snapshot_chunk_bytes, transfer_chunk_bytes;
  std::optional<std::uint64_t> max_pending_bytes;
  bool torn = false, no_torn = false;
  std::string bug, faults, history_file;
  bool no_invariants = false, check_history = false;
  app.add_option("--seed", seed, "the seed of a single run");
  app.add_option("--seeds", seeds_text, "sweep seeds A..B (inclusive)");
  app.add_option("--scenario", scenario, scenario_help());
  app.add_option("--nodes", nodes, "cluster size (default 3)");
  app.add_option("--time", time_s, "seconds of the fault phase (default 10)");
  app.add_option("--loss", loss, "probability a message is lost");
  app.add_option("--dup", dup, "probability a message is duplicated");
  app.add_option("--delay-ms", delay_text, "message delay MIN..MAX milliseconds");
  app.add_option("--crash-rate", crash_rate, "node crashes per second");
  app.add_option("--partition-rate", partition_rate, "link faults per second");
  app.add_option("--disk-fault-rate", disk_fault_rate,
                 "DNS scenarios: disk faults (full disk, failing fsync) per second");
  app.add_option("--clock-drift", drift, "max clock drift in ppm");
  app.add_option("--checkpoint-ms", checkpoint_ms, "DNS scenarios: checkpoint interval in ms");
  app.add_option("--max-pending-bytes", max_pending_bytes,
                 "DNS scenarios: the nodes' bound on pending (max_pending_bytes)");
  app.add_option("--snapshot-chunk-bytes", snapshot_chunk_bytes,
                 "raft sends larger snapshots in chunks of this many bytes (default 4 MiB)");
  app.add_option("--transfer-chunk-bytes", transfer_chunk_bytes,
                 "DNS scenarios: a datastore transfer's chunk size (default 1 MiB; the lifetime "
                 "scenarios 256)");
  app.add_flag("--torn", torn, "crashes keep a torn prefix of unsynced writes");
  app.add_flag("--no-torn", no_torn, "crashes lose all unsynced writes (no torn prefix)");
  app.add_flag("--check-determinism", check_determinism, "run every seed twice, compare hashes");
  app.add_flag("--trace", trace, "print every event to stderr");
  app.add_flag("--outcome-only", outcome_only,
               "DNS scenarios: only outcome checks (no direct ack/pending-drop checks)");
  app.add_option("--history", history_file,
                 "DNS scenarios, one seed: write the clients' history (one JSON object per line) "
                 "to this file, for build/history-check");
  app.add_flag("--check-history", check_history,
               "DNS scenarios: record every seed's history and judge it as build/history-check "
               "does; a failed check fails the seed");
  app.add_flag("--no-invariants", no_invariants,
               "DNS scenarios: check no invariant during the run (only convergence is waited "
               "for), so that --history shows what clients of a broken cluster see to the end");
  app.add_option("--bug", bug, bug_help());
  app.add_option("--sites", sites,
                 "multi-site placement SITES/RTT_MS[/JITTER_MS], e.g. 1,2,3/20,80,150: node n's "
                 "site, the round trips between sites (1-2, 1-3, 2-3, ...), each direction RTT/2 "
                 "plus up to JITTER_MS, for the whole run");
  app.add_option("--election-ms", election_ms,
                 "DNS scenarios: election timeout in ms (multiple of 10; default 100)");
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "DNS scenarios: heartbeat interval in ms (multiple of 10; default 20)");
  app.add_option("--log-sync-us", log_sync_us,
                 "DNS scenarios: the raft log's fsync runs off the node's thread and returns this "
                 "many microseconds later, while the node goes on (0: inline, the default)");
  app.add_option("--store-snapshot-us", store_snapshot_us,
                 "DNS scenarios: local-datastore snapshots (and checkpoints by snapshot) are "
                 "written off the node's thread and finish this many microseconds later, while "
                 "the node goes on (0: inline, the default)");
  app.add_option("--import-copy-records", import_copy_records,
                 "DNS scenarios: a zone file of at least this many records is imported by copy "
                 "(one entry; the other nodes copy the importer's datastore); 0: never, the "
                 "default");
  CLI::Option* faults_option = app.add_option(
      "--faults", faults,
      "replace the scenario's fault schedule: kind@AT_MS/A/B/DURATION_MS,... "
      "(kinds: crash, crash-leader, isolate, isolate-leader, isolate-follower, partition (A = "
      "bitmask of one side), one-way, clog, disk-full, fsync-fail (DNS runs)), "
      "delay@AT_MS/A/B/DURATION_MS/DELAY_MS[/JITTER_MS], loss@AT_MS/A/B/DURATION_MS/P "
      "(duration 0: until the heal)");
  CLI11_PARSE(app, argc, argv);

  harness::RunOptions base;
  std::uint64_t first = seed, last = seed;
  try {
    base = harness::default_options(seed, scenario);
    harness::Knobs& k = base.knobs;
    if (nodes) k.nodes = *nodes;
    if (time_s) k.time_s = *time_s;
    if (loss) k.loss = *loss;
    if (dup) k.dup = *dup;
    if (crash_rate) k.crash_rate = *crash_rate;
    if (partition_rate) k.partition_rate = *partition_rate;
    if (disk_fault_rate) k.disk_fault_rate = *disk_fault_rate;
    if (drift) k.clock_drift_ppm = *drift;
    if (checkpoint_ms) k.checkpoint_ms = *checkpoint_ms;
    if (log_sync_us) {
      if (*log_sync_us < 0 || *log_sync_us > 1'000'000)
        throw std::invalid_argument("--log-sync-us must be 0..1000000");
      k.log_sync_us = *log_sync_us;
    }
    if (store_snapshot_us) {
      if (*store_snapshot_us < 0 || *store_snapshot_us > 10'000'000)
        throw std::invalid_argument("--store-snapshot-us must be 0..10000000");
      k.store_snapshot_us = *store_snapshot_us;
    }
    if (import_copy_records) {
      if (*import_copy_records < 0)
        throw std::invalid_argument("--import-copy-records must be >= 0");
      k.import_copy_records = *import_copy_records;
    }
    if (snapshot_chunk_bytes) {
      if (*snapshot_chunk_bytes < 1)
        throw std::invalid_argument("--snapshot-chunk-bytes must be >= 1");
      k.snapshot_chunk_bytes = *snapshot_chunk_bytes;
    }
    if (transfer_chunk_bytes) {
      if (*transfer_chunk_bytes < 1)
        throw std::invalid_argument("--transfer-chunk-bytes must be >= 1");
      k.transfer_chunk_bytes = *transfer_chunk_bytes;
    }
    if (max_pending_bytes) {
      if (*max_pending_bytes < engine::kMinPendingBound)
        throw std::invalid_argument(
            fmt::format("--max-pending-bytes must be >= {}", engine::kMinPendingBound));
      k.max_pending_bytes = *max_pending_bytes;
    }
    if (torn && no_torn) throw std::invalid_argument("--torn and --no-torn contradict");
    if (torn) k.torn = true;
    if (no_torn) k.torn = false;
    if (!delay_text.empty())
      std::tie(k.delay_min_ms, k.delay_max_ms) =
          parse_range<std::int64_t>(delay_text, "--delay-ms");
    k.bug = bug;
    if (!sites.empty()) {
      harness::parse_sites(sites, k.nodes);  // names the bad field now
      k.sites = sites;
    }
    if (election_ms) k.election_ms = *election_ms;
    if (heartbeat_ms) k.heartbeat_ms = *heartbeat_ms;
    if ((election_ms || heartbeat_ms) && !harness::find_scenario(scenario).dns)
      throw std::invalid_argument("--election-ms and --heartbeat-ms need a DNS scenario");
    // Given at all, even as '' (what a property shrunk to no faults prints), it replaces the
    // scenario's schedule.
    if (faults_option->count() > 0) base.schedule = harness::parse_schedule(faults);
    base.trace = trace;
    base.outcome_checks_only = outcome_only;
    base.no_invariants = no_invariants;
    base.trace_formatter = describe_event;
    if (!seeds_text.empty())
      std::tie(first, last) = parse_range<std::uint64_t>(seeds_text, "--seeds");
    if (k.nodes < 1 || k.nodes > 9) throw std::invalid_argument("--nodes must be in 1..9");
    if (k.time_s <= 0 || k.time_s > 3600)
      throw std::invalid_argument("--time must be in (0, 3600]");
    if (k.loss < 0 || k.loss > 1 || k.dup < 0 || k.dup > 1)
      throw std::invalid_argument("--loss and --dup are probabilities in [0, 1]");
    if (k.delay_min_ms < 0 || k.delay_max_ms < k.delay_min_ms)
      throw std::invalid_argument("--delay-ms needs 0 <= MIN <= MAX");
    dns_run = harness::find_scenario(scenario).dns;
    if (!bug.empty()) harness::find_bug_switch(harness::find_scenario(scenario), bug);
    if (k.checkpoint_ms < 1) throw std::invalid_argument("--checkpoint-ms must be >= 1");
    if (k.disk_fault_rate < 0) throw std::invalid_argument("--disk-fault-rate must be >= 0");
    if (k.disk_fault_rate > 0 && !dns_run)
      throw std::invalid_argument("--disk-fault-rate: disk faults need a DNS scenario");
    if ((!history_file.empty() || no_invariants || check_history) && !dns_run)
      throw std::invalid_argument(
          "--history, --check-history and --no-invariants need a DNS scenario");
    if (!history_file.empty() && !seeds_text.empty())
      throw std::invalid_argument("--history records one run: give --seed, not --seeds");
  } catch (const std::exception& e) {
    fmt::print(stderr, "sim-runner: {}\n", e.what());
    return 2;
  }

  std::ofstream history;
  if (!history_file.empty()) {
    history.open(history_file, std::ios::trunc);
    if (!history) {
      fmt::print(stderr, "sim-runner: cannot write --history {}\n", history_file);
      return 2;
    }
  }

  const bool sweep = !seeds_text.empty();
  auto reproduce = [&](const harness::RunOptions& options) {
    return harness::reproduce_command(options) + (check_history ? " --check-history" : "");
  };
  if (sweep)
    fmt::print("seed={}..{} commit={}\n", first, last, RAFTDNS_GIT_COMMIT);
  else
    fmt::print("seed={} commit={}\n", seed, RAFTDNS_GIT_COMMIT);
  std::fflush(stdout);

  std::uint64_t passed = 0, failed = 0, combined = 0xCBF29CE484222325ULL;
  std::uint64_t transfers = 0, resumed = 0;  // datastore copies over the sweep
  for (std::uint64_t s = first;; ++s) {
    harness::RunOptions options = base;
    options.seed = s;
    std::ostringstream recorded;
    if (check_history || history.is_open()) options.history = &recorded;
    harness::RunResult r = harness::run_scenario(options);
    if (history.is_open()) history << recorded.str();
    if (check_history && r.ok) {
      std::istringstream in(recorded.str());
      const std::string name = fmt::format("seed-{}.history", s);
      const harness::CheckReport report =
          harness::check_history(harness::parse_history(in, name), name);
      if (report.failed() > 0) {
        r.ok = false;
        r.invariant = "history check";
        std::string first;
        for (const harness::CheckOutcome& c : report.checks)
          if (!c.passed() && first.empty()) first = c.failures.front();
        r.detail = fmt::format("history check: {} of {} checks failed, first: {}", report.failed(),
                               report.checks.size(), first);
      }
    }
    if (r.ok && check_determinism) {
      harness::RunOptions twice = options;
      twice.history = nullptr;  // the history holds the first run only
      const harness::RunResult again = harness::run_scenario(twice);
      if (again.trace_hash != r.trace_hash) {
        r.ok = false;
        r.invariant = "determinism";
        r.detail = fmt::format("determinism: trace hash {:016x} then {:016x} for the same seed",
                               r.trace_hash, again.trace_hash);
      }
    }
    combined = (combined ^ r.trace_hash) * 0x100000001B3ULL;
    if (r.dns) {
      transfers += r.dns->transfers;
      resumed += r.dns->transfers_resumed;
    }
    if (r.ok) {
      ++passed;
    } else {
      ++failed;
    }
    if (!sweep) {
      fmt::print("scenario={} nodes={} faults={} result={}\n", options.scenario,
                 options.knobs.nodes, r.schedule.size(), r.ok ? "ok" : "VIOLATION");
      print_stats(r);
      if (r.dns) print_dns_stats(*r.dns);
      if (!r.ok) print_failure(options, r, reproduce(options));
      fmt::print("trace-hash={:016x}\n", r.trace_hash);
      return r.ok ? 0 : 1;
    }
    if (!r.ok) fmt::print("FAIL seed={} {} | reproduce: {}\n", s, r.detail, reproduce(options));
    std::fflush(stdout);
    if (s == last) break;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  if (transfers + resumed > 0)
    fmt::print("datastore transfers: {} installed, {} resumed after a restart\n", transfers,
               resumed);
  fmt::print("trace-hash={:016x}\n", combined);
  return failed == 0 ? 0 : 1;
}
