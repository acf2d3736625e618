#include "harness/dns_plans.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "harness/dns_cluster_run.h"
#include "harness/dns_workload.h"

namespace harness {

namespace {

sim::SimTime between(sim::Prng& prng, sim::SimTime lo, sim::SimTime hi) {
  return static_cast<sim::SimTime>(
      prng.uniform(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)));
}

void leader_crash_mid_write_until(DnsClusterRun& run, sim::SimTime until) {
  const sim::SimTime at = run.world().now() + between(run.plan_prng(), 800 * sim::kMillisecond,
                                                      1600 * sim::kMillisecond);
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until] {
    if (!run.workload_on()) return;
    if (const engine::NodeId leader = run.leader()) {
      const std::size_t writes = 1 + run.plan_prng().below(3);
      for (std::size_t i = 0; i < writes; ++i)
        run.submit_write(leader, random_dns_write(run.plan_prng()), false);
      if (const engine::NodeId other = run.random_live_node(); other != leader)
        run.submit_write(other, random_dns_write(run.plan_prng()), false);
      // Mid-write: before, while or just after the entries replicate and commit.
      run.world().queue().schedule_after(
          between(run.plan_prng(), 0, 15 * sim::kMillisecond), [&run, leader] {
            if (!run.workload_on() || !run.driver(leader)) return;
            run.crash(leader);
            run.restart_later(leader, between(run.plan_prng(), 300 * sim::kMillisecond,
                                              1500 * sim::kMillisecond));
          });
    }
    leader_crash_mid_write_until(run, until);
  });
}

void crash_before_fsync_until(DnsClusterRun& run, sim::SimTime until) {
  // The first crash usually lands in the middle of the first-boot zone file import.
  const sim::SimTime at =
      run.world().now() == 0
          ? between(run.plan_prng(), 50 * sim::kMillisecond, 400 * sim::kMillisecond)
          : run.world().now() +
                between(run.plan_prng(), 400 * sim::kMillisecond, 1000 * sim::kMillisecond);
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until] {
    if (!run.workload_on()) return;
    if (const engine::NodeId node = run.random_live_node()) {
      const std::size_t writes = 1 + run.plan_prng().below(3);
      for (std::size_t i = 0; i < writes; ++i)
        run.submit_write(node, random_dns_write(run.plan_prng()), false);
      // Usually the node that took the writes, sometimes the leader that is replicating them;
      // either way long before its next checkpoint could copy and fsync them.
      const engine::NodeId leader = run.leader();
      const engine::NodeId victim = leader != 0 && run.plan_prng().chance(0.3) ? leader : node;
      run.world().queue().schedule_after(
          between(run.plan_prng(), sim::kMillisecond, 40 * sim::kMillisecond), [&run, victim] {
            if (!run.workload_on() || !run.driver(victim)) return;
            run.crash(victim);
            run.restart_later(
                victim, between(run.plan_prng(), 50 * sim::kMillisecond, 800 * sim::kMillisecond));
          });
    }
    crash_before_fsync_until(run, until);
  });
}

void whole_cluster_restart_until(DnsClusterRun& run, sim::SimTime until) {
  // The first outage usually interrupts the first-boot zone file import.
  const sim::SimTime at =
      run.world().now() == 0
          ? between(run.plan_prng(), 100 * sim::kMillisecond, 600 * sim::kMillisecond)
          : run.world().now() +
                between(run.plan_prng(), 1500 * sim::kMillisecond, 3000 * sim::kMillisecond);
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until] {
    if (!run.workload_on()) return;
    for (engine::NodeId n = 1; n <= run.nodes(); ++n) run.crash(n);
    for (engine::NodeId n = 1; n <= run.nodes(); ++n)
      run.restart_later(n,
                        between(run.plan_prng(), 50 * sim::kMillisecond, 800 * sim::kMillisecond));
    whole_cluster_restart_until(run, until);
  });
}

// Removes `removals` members, one at a time: the leader when `leader_only`, else a drawn
// member. Every 300-700 ms: a removal seen committed (a running node's R lacks the target)
// moves on to the next; otherwise the current leader proposes it again (refusals, lost
// leaders and crashes just mean another try).
void remove_members_until(DnsClusterRun& run, sim::SimTime until, bool leader_only,
                          std::size_t removals, engine::NodeId target) {
  const sim::SimTime at = run.world().now() + between(run.plan_prng(), 300 * sim::kMillisecond,
                                                      700 * sim::kMillisecond);
  if (at >= until || removals == 0) return;
  run.world().queue().schedule_at(at, [&run, until, leader_only, removals, target]() mutable {
    if (!run.workload_on()) return;
    if (target != 0 && !run.is_member(target)) {
      run.note_removed(target);
      target = 0;
      if (--removals == 0) return;
    }
    const engine::NodeId leader = run.leader();
    if (target == 0 && leader != 0) {
      if (leader_only) {
        target = leader;
      } else {
        std::vector<engine::NodeId> members;
        for (engine::NodeId n = 1; n <= run.nodes(); ++n)
          if (run.is_member(n) && !run.removed().contains(n)) members.push_back(n);
        if (!members.empty()) target = members[run.plan_prng().below(members.size())];
      }
    }
    if (target != 0 && leader != 0 && run.driver(leader))
      run.driver(leader)->node().remove_node(target, [](const engine::WriteResult&) {});
    remove_members_until(run, until, leader_only, removals, target);
  });
}

}  // namespace

void plan_remove_leader(DnsClusterRun& run) {
  run.world().queue().schedule_at(
      kWarmup, [&run] { remove_members_until(run, run.fault_end(), true, 1, 0); });
}

void plan_reconfig_partition(DnsClusterRun& run) {
  run.world().queue().schedule_at(
      kWarmup, [&run] { remove_members_until(run, run.fault_end(), false, 2, 0); });
}

void plan_majority_loss(DnsClusterRun& run) {
  const std::size_t n = run.nodes();
  if (n < 3 || run.fault_end() < 4 * sim::kSecond) return;
  // The cut lasts most of the fault phase after the warm-up, leaving 1 s to recover.
  const sim::SimTime cut = kWarmup + sim::kSecond + between(run.plan_prng(), 0, sim::kSecond / 2);
  const sim::SimTime end = std::max(cut + 2 * sim::kSecond, run.fault_end() - sim::kSecond);
  const engine::NodeId survivor = 1 + run.plan_prng().below(n);
  const bool crash_mode = run.plan_prng().chance(0.5);
  // Crash mode: a majority of the others loses power (with 3 nodes, both). Isolate mode: the
  // survivor is cut off and the rest carry on committing without it.
  auto survivors = std::make_shared<std::vector<engine::NodeId>>();
  auto crashed = std::make_shared<std::vector<engine::NodeId>>();
  {
    std::vector<engine::NodeId> others;
    for (engine::NodeId o = 1; o <= n; ++o)
      if (o != survivor) others.push_back(o);
    for (std::size_t i = others.size(); i > 1; --i)
      std::swap(others[i - 1], others[run.plan_prng().below(i)]);
    survivors->push_back(survivor);
    for (std::size_t i = 0; i < others.size(); ++i) {
      if (crash_mode && i < n / 2 + 1)
        crashed->push_back(others[i]);
      else if (crash_mode)
        survivors->push_back(others[i]);
    }
  }
  run.world().queue().schedule_at(cut, [&run, survivor, crash_mode, crashed] {
    run.world().trace().record(
        {run.world().now(), sim::EventKind::Note, survivor, kDnsPlanNote, 1, crash_mode});
    if (crash_mode)
      for (engine::NodeId c : *crashed) run.hold_down(c);
    else
      run.faults().isolate(survivor, true);
  });
  // What each survivor served once messages sent before the cut have landed: its data must not
  // change while it has no quorum, and every sampled query must get the same answer.
  struct Before {
    std::uint64_t incarnation = 0;
    std::uint64_t version = 0;
    std::vector<std::vector<std::uint8_t>> answers;
  };
  auto before = std::make_shared<std::map<engine::NodeId, Before>>();
  const sim::SimTime settled = cut + 50 * sim::kMillisecond;
  auto check = [&run, before](const char* when) {
    for (auto& [node, b] : *before) {
      // A survivor that lost power too (only with extra crash faults) serves its local
      // datastore again once back; the restart invariant covers that.
      if (!run.driver(node) || run.incarnation(node) != b.incarnation) continue;
      const dns::Database& db = run.driver(node)->serving();
      if (db.current_number() != b.version)
        throw InvariantViolation(
            "majority loss: no change applies without quorum",
            fmt::format("survivor n{} serving view went from version {} to {} {}", node, b.version,
                        db.current_number(), when));
      for (std::size_t q = 0; q < b.answers.size(); ++q)
        if (answer_from(db, dns_query(q)) != b.answers[q])
          throw InvariantViolation(
              "majority loss: survivor answers as before the cut",
              fmt::format("survivor n{} answers query {} differently {}", node, q, when));
      run.stats().queries += b.answers.size();
    }
  };
  run.world().queue().schedule_at(settled, [&run, before, survivors] {
    for (engine::NodeId s : *survivors) {
      if (!run.driver(s)) continue;
      Before& b = (*before)[s];
      b.incarnation = run.incarnation(s);
      b.version = run.driver(s)->serving().current_number();
      for (std::size_t q = 0; q < dns_query_count(); ++q)
        b.answers.push_back(answer_from(run.driver(s)->serving(), dns_query(q)));
    }
  });
  for (sim::SimTime t = settled + kPoll; t < end; t += kPoll)
    run.world().queue().schedule_at(t, [check] { check("during the cut"); });
  // Writes on the survivor: each must come back "no quorum" within the write timeout.
  const sim::SimTime last_write =
      end - run.node_options().write_timeout.count() - 200 * sim::kMillisecond;
  for (sim::SimTime t = settled; t < last_write; t += 250 * sim::kMillisecond)
    run.world().queue().schedule_at(t, [&run, survivor] {
      run.submit_write(survivor, random_dns_write(run.plan_prng()), true);
    });
  run.world().queue().schedule_at(end, [&run, check, survivor, crash_mode, crashed] {
    check("at the end of the cut");
    run.world().trace().record(
        {run.world().now(), sim::EventKind::Note, survivor, kDnsPlanNote, 2, crash_mode});
    if (crash_mode)
      for (engine::NodeId c : *crashed) run.release(c);
    else
      run.faults().isolate(survivor, false);
  });
}

void plan_leader_crash_mid_write(DnsClusterRun& run) {
  leader_crash_mid_write_until(run, run.fault_end() - sim::kSecond);
}

void plan_crash_before_fsync(DnsClusterRun& run) {
  crash_before_fsync_until(run, run.fault_end() - sim::kSecond / 2);
}

void plan_long_down_node(DnsClusterRun& run) {
  const std::size_t n = run.nodes();
  if (n < 3 || run.fault_end() < 6 * sim::kSecond) return;
  const sim::SimTime down = kWarmup + sim::kSecond / 2;
  const sim::SimTime up = run.fault_end() - 3 * sim::kSecond;
  const engine::NodeId away = 1 + run.plan_prng().below(n);
  const bool crash_mode = run.plan_prng().chance(0.5);
  run.world().queue().schedule_at(down, [&run, away, crash_mode] {
    if (crash_mode)
      run.hold_down(away);
    else
      run.faults().isolate(away, true);
  });
  // From 1 s after it left (its last acks have landed) pending may only grow on the others.
  struct Track {
    std::vector<std::size_t> last;
    std::vector<std::uint64_t> incarnation;
    std::size_t at_start = 0, at_return = 0;
    std::size_t ok_at_start = 0;
  };
  auto track = std::make_shared<Track>();
  track->last.assign(n + 1, 0);
  track->incarnation.assign(n + 1, 0);
  auto pending_of = [&run](engine::NodeId node) {
    return run.driver(node) ? run.driver(node)->node().state().pending().size() : 0;
  };
  const sim::SimTime watch = down + sim::kSecond;
  run.world().queue().schedule_at(watch, [&run, track, away, pending_of] {
    for (engine::NodeId o = 1; o <= run.nodes(); ++o)
      if (o != away) track->last[o] = pending_of(o), track->incarnation[o] = run.incarnation(o);
    track->at_start = *std::max_element(track->last.begin(), track->last.end());
    track->ok_at_start = run.stats().ok;
  });
  // The scripted claims assume only this plan's fault: extra faults from the command line
  // (e.g. the last other node down too) can delay acks sent before the node left past the
  // settling second. The general invariants still hold then and are checked regardless.
  for (sim::SimTime t = watch + kPoll; t <= up; t += kPoll)
    run.world().queue().schedule_at(t, [&run, track, away, pending_of] {
      if (run.extra_faults()) return;
      for (engine::NodeId o = 1; o <= run.nodes(); ++o) {
        if (o == away || !run.driver(o)) continue;
        const std::size_t now = pending_of(o);
        // Restarted by an extra crash fault: its R is rebuilt from an older raft snapshot and
        // replays acks, so its pending legitimately shrinks; stop watching it.
        if (track->incarnation[o] != run.incarnation(o)) continue;
        if (now < track->last[o])
          throw InvariantViolation(
              "long-down-node: pending grows while a node is away",
              fmt::format("pending on n{} shrank from {} to {} while n{} was away", o,
                          track->last[o], now, away));
        track->last[o] = now;
      }
    });
  run.world().queue().schedule_at(up, [&run, track, away, crash_mode] {
    track->at_return = *std::max_element(track->last.begin(), track->last.end());
    if (!run.extra_faults() && run.stats().ok > track->ok_at_start + 5 &&
        track->at_return <= track->at_start)
      throw InvariantViolation(
          "long-down-node: pending grows while a node is away",
          fmt::format("{} writes committed while n{} was away but pending stayed at {}",
                      run.stats().ok - track->ok_at_start, away, track->at_return));
    if (crash_mode)
      run.release(away);
    else
      run.faults().isolate(away, false);
  });
  // Well before the heal restarts everyone, the returned node must have copied and acked
  // (unless extra faults from the command line may keep it from doing so).
  run.world().queue().schedule_at(run.fault_end() - kPoll, [&run, track, away, pending_of] {
    if (track->at_return == 0 || run.extra_faults()) return;
    for (engine::NodeId o = 1; o <= run.nodes(); ++o)
      if (run.driver(o) && pending_of(o) >= track->at_return)
        throw InvariantViolation(
            "long-down-node: pending shrinks after the node returns",
            fmt::format("pending on n{} is {} batches 3 s after n{} returned (was {})", o,
                        pending_of(o), away, track->at_return));
  });
}

namespace {

// Every 100 ms until `until`: one large write to the leader, of about bound/640 changes (some
// 35 bytes each), so that pending outgrows the bound about 2 s after a member stops acking.
void bulk_writes_until(DnsClusterRun& run, sim::SimTime until) {
  const sim::SimTime at = run.world().now() + 100 * sim::kMillisecond;
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until] {
    if (!run.workload_on()) return;
    if (const engine::NodeId leader = run.leader()) {
      const std::size_t size = std::max<std::size_t>(
          1, static_cast<std::size_t>(run.node_options().max_pending_bytes / 640));
      std::vector<dns::Change> changes;
      while (changes.size() < size) {
        std::vector<dns::Change> more = random_dns_write(run.plan_prng());
        changes.insert(changes.end(), more.begin(), more.end());
      }
      run.submit_write(leader, std::move(changes), false);
    }
    bulk_writes_until(run, until);
  });
}

}  // namespace

void plan_laggard_transfer(DnsClusterRun& run) {
  const std::size_t n = run.nodes();
  if (n < 3 || run.fault_end() < 6 * sim::kSecond) return;
  const sim::SimTime down = kWarmup + sim::kSecond / 2;
  const sim::SimTime up = run.fault_end() - 3 * sim::kSecond;
  // Sometimes the leader: then the others elect a new one and go on without it.
  const engine::NodeId leader = run.leader();
  const engine::NodeId away =
      leader != 0 && run.plan_prng().chance(0.3) ? leader : 1 + run.plan_prng().below(n);
  const bool crash_mode = run.plan_prng().chance(0.6);
  run.world().queue().schedule_at(down, [&run, away, crash_mode, up] {
    if (crash_mode)
      run.hold_down(away);
    else
      run.faults().isolate(away, true);
    bulk_writes_until(run, up);
  });
  // Before it returns: every running replica left it behind (the load is several times the
  // bound). Only this plan's faults assumed, as in long-down-node.
  run.world().queue().schedule_at(up - kPoll, [&run, away] {
    if (run.extra_faults()) return;
    for (engine::NodeId o = 1; o <= run.nodes(); ++o)
      if (o != away && run.driver(o) && !run.driver(o)->node().state().needs_transfer(away))
        throw InvariantViolation(
            "laggard-transfer: pending over its bound leaves the node behind",
            fmt::format("n{} still holds changes for n{} ({} bytes pending, bound {})", o, away,
                        run.driver(o)->node().state().pending_bytes(),
                        run.driver(o)->node().state().pending_bound().max_pending_bytes));
  });
  auto away_applied = std::make_shared<raft::Index>(0);
  run.world().queue().schedule_at(up, [&run, away, crash_mode, away_applied] {
    if (run.driver(away)) *away_applied = run.driver(away)->node().state().applied();
    if (crash_mode)
      run.release(away);
    else
      run.faults().isolate(away, false);
  });
  // Well before the heal: it copied a peer's datastore and its acks count again everywhere.
  run.world().queue().schedule_at(run.fault_end() - kPoll, [&run, away, crash_mode, away_applied] {
    if (run.extra_faults() || !run.driver(away)) return;
    const engine::NodeId leader = run.leader();
    if (!run.driver(away)->needed_transfer())
      throw InvariantViolation(
          "laggard-transfer: the returned node copies a peer's datastore",
          fmt::format("n{} returned without a datastore transfer ({}, applied {} when it "
                      "returned; leader n{} snapshot at {}, dropped through {})",
                      away, crash_mode ? "crashed" : "cut off", *away_applied, leader,
                      leader ? run.driver(leader)->node().raft().status().snapshot_index : 0,
                      leader ? run.driver(leader)->node().state().dropped_through() : 0));
    for (engine::NodeId o = 1; o <= run.nodes(); ++o)
      if (run.driver(o) && !run.driver(o)->node().state().pending_bound().laggards.empty())
        throw InvariantViolation(
            "laggard-transfer: a returned laggard's acks count again",
            fmt::format("n{} still needs n{} to copy a datastore 3 s after it returned", o,
                        run.driver(o)->node().state().pending_bound().laggards.begin()->first));
  });
}

void plan_whole_cluster_restart(DnsClusterRun& run) {
  whole_cluster_restart_until(run, run.fault_end() - sim::kSecond);
}

}  // namespace harness
