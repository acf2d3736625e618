#include "harness/dns_lifecycle_plans.h"

#include <fmt/core.h>

#include <functional>
#include <memory>
#include <vector>

#include "engine/local_store.h"
#include "harness/dns_cluster_run.h"
#include "harness/dns_workload.h"

namespace harness {

namespace {

sim::SimTime between(sim::Prng& prng, sim::SimTime lo, sim::SimTime hi) {
  return static_cast<sim::SimTime>(
      prng.uniform(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)));
}

// Runs `step` every 300-700 ms (drawn from the plan's stream) until it returns true, the heal
// begins or `until` passes.
void every_while(DnsClusterRun& run, sim::SimTime until, std::function<bool()> step) {
  const sim::SimTime at = run.world().now() + between(run.plan_prng(), 300 * sim::kMillisecond,
                                                      700 * sim::kMillisecond);
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until, step = std::move(step)] {
    if (!run.workload_on() || step()) return;
    every_while(run, until, step);
  });
}

// Spare `spare` is added: ADD-NODE retried until it is a member, then started with join; `then`
// runs once it is a voter (the cluster promoted it).
void add_spare(DnsClusterRun& run, engine::NodeId spare, sim::SimTime until,
               std::function<void()> then) {
  every_while(run, until, [&run, spare, until, then] {
    if (!run.is_member(spare)) {
      run.propose_add(spare);
      return false;
    }
    run.start_joiner(spare);
    every_while(run, until, [&run, spare, then] {
      if (!run.is_voter(spare)) return false;
      if (then) then();
      return true;
    });
    return true;
  });
}

// Running members other than `except`, not spares still out.
std::vector<engine::NodeId> running_members(DnsClusterRun& run, engine::NodeId except) {
  std::vector<engine::NodeId> out;
  for (engine::NodeId n = 1; n <= run.nodes(); ++n)
    if (n != except && run.driver(n) && run.is_member(n) && !run.removed().contains(n))
      out.push_back(n);
  return out;
}

// Whether `node`'s zone file import survives a power cut now (its local datastore says so):
// only then is a removal of its zone file records for good (a crash before that re-imports the
// file, the engine finding docs/simulator.md describes).
bool import_durable(DnsClusterRun& run, engine::NodeId node) {
  if (!run.driver(node) || !run.driver(node)->node().status().imported) return false;
  sim::SimDisk disk = run.world().disk(node);
  disk.clear_faults();
  sim::Prng unused(0);
  disk.crash(false, unused);
  try {
    return engine::LocalStore(disk).load().imported;
  } catch (const std::exception&) {
    return false;
  }
}

// The zone file record of `node` the wipe-rejoin plan removes (not the SOA or NS).
const dns::Record& doomed_record(engine::NodeId node) {
  return dns_zone_file(node).at(3);  // www.zN.test. A
}

// First a zone file record of every importing node goes (once its import is durable), so that
// a node that imports its zone file again after a wipe brings back a removed record; then
// `then` runs.
void remove_zone_records(DnsClusterRun& run, sim::SimTime until, std::function<void()> then) {
  every_while(run, until, [&run, then] {
    bool all = true;
    for (engine::NodeId n = 1; n <= run.nodes() && n <= kDnsZones; ++n) {
      if (run.is_spare(n)) continue;
      const std::string text = dns::to_text(doomed_record(n));
      if (run.dns_checks().zone_records_removed().contains(text)) continue;
      all = false;
      if (!import_durable(run, n)) continue;
      if (const engine::NodeId on = run.random_live_node())
        run.submit_write(on, {{dns::Change::Remove, doomed_record(n)}}, false);
    }
    if (all) then();
    return all;
  });
}

}  // namespace

// ---- replace-node ---------------------------------------------------------------------------

void plan_replace_node(DnsClusterRun& run) {
  const sim::SimTime until = run.fault_end() - sim::kSecond / 2;
  engine::NodeId spare = 0;
  for (engine::NodeId n = 1; n <= run.nodes(); ++n)
    if (run.is_spare(n)) {
      spare = n;
      break;
    }
  if (spare == 0) return;
  auto done = std::make_shared<bool>(false);
  const sim::SimTime start = kWarmup + between(run.plan_prng(), 0, 500 * sim::kMillisecond);
  run.world().queue().schedule_at(start, [&run, spare, until, done] {
    // The node that dies for good: a follower (never the leader: its death alone would be
    // remove-leader's job).
    remove_zone_records(run, until, [&run, spare, until, done] {
      every_while(run, until, [&run, spare, until, done] {
        const engine::NodeId leader = run.leader();
        if (leader == 0) return false;
        const std::vector<engine::NodeId> followers = running_members(run, leader);
        if (followers.empty()) return false;
        const engine::NodeId dead = followers[run.plan_prng().below(followers.size())];
        run.hold_down(dead);
        every_while(run, until, [&run, dead, spare, until, done] {
          if (run.is_member(dead)) {
            run.propose_remove(dead);
            return false;
          }
          run.note_removed(dead);
          add_spare(run, spare, until, [&run, until, done] {
            // The joiner is a voter: the leader dies too, and the remaining voters (the joiner
            // among them) must still commit a write.
            // Half the time its machine comes back with a new, empty disk (same id, same command
            // line): it must rejoin by transfer, never import its zone file again.
            const engine::NodeId leader = run.leader();
            if (leader == 0) return;
            const sim::SimTime down = between(run.plan_prng(), sim::kSecond, 2 * sim::kSecond);
            if (run.plan_prng().chance(0.5)) {
              run.wipe(leader);
            } else {
              run.crash(leader);
            }
            run.restart_later(leader, down);
            run.world().queue().schedule_after(
                between(run.plan_prng(), 1200 * sim::kMillisecond, 1500 * sim::kMillisecond),
                [&run, leader, done] {
                  if (!run.workload_on()) return;
                  const std::vector<engine::NodeId> live = running_members(run, leader);
                  if (live.empty()) return;
                  *done = true;
                  run.submit_must_commit(live[run.plan_prng().below(live.size())],
                                         random_dns_write(run.plan_prng()),
                                         "replace-node: writes go on after the leader dies");
                });
          });
          return true;
        });
        return true;
      });
    });
  });
  // With nothing but message loss besides the plan, the replacement finishes well within the
  // fault phase (unless the command line shortened it or added faults).
  run.world().queue().schedule_at(run.fault_end() - sim::kMillisecond, [&run, spare, done] {
    if (*done || run.extra_faults() || run.fault_end() < 8 * sim::kSecond) return;
    throw InvariantViolation(
        "replace-node: the dead node is replaced",
        fmt::format("by the end of the fault phase n{} is {}", spare,
                    !run.joined(spare)     ? "not added"
                    : !run.is_voter(spare) ? "added but not promoted"
                                           : "a voter but the leader was not killed yet"));
  });
}

// ---- wipe-rejoin ----------------------------------------------------------------------------

namespace {

struct WipeState {
  engine::NodeId last = 0;  // the last node wiped
};

// Whether the node wiped last is back in the cluster: running, its REJOIN decided, no copy in
// progress, serving, and voting again (STATUS votes=above-term-T: demoted to learner and
// promoted back). Wiping another voter before would leave too few voters to elect a leader.
bool rejoined(DnsClusterRun& run, engine::NodeId node) {
  if (node == 0) return true;
  if (!run.driver(node)) return false;
  const engine::NodeStatus s = run.driver(node)->node().status();
  return !s.joining && !s.transfer && s.imported && run.is_voter(node) &&
         (s.votes.kind == raft::VoteGate::Kind::Open ||
          s.votes.kind == raft::VoteGate::Kind::AboveTerm);
}

void wipe_again(DnsClusterRun& run, sim::SimTime until, std::shared_ptr<WipeState> state) {
  const sim::SimTime at = run.world().now() + between(run.plan_prng(), 1500 * sim::kMillisecond,
                                                      3000 * sim::kMillisecond);
  if (at >= until) return;
  run.world().queue().schedule_at(at, [&run, until, state] {
    if (!run.workload_on()) return;
    const engine::NodeId leader = run.leader();
    if (rejoined(run, state->last)) {
      // The leader (40%) or a running follower; with no leader, any running member. It comes
      // back whether or not another node leads: it rejoins as a learner (design.md).
      engine::NodeId victim = leader;
      const std::vector<engine::NodeId> others = running_members(run, leader);
      if ((leader == 0 || !run.plan_prng().chance(0.4)) && !others.empty())
        victim = others[run.plan_prng().below(others.size())];
      if (victim != 0) {
        run.wipe(victim);
        state->last = victim;
        run.restart_later(
            victim, between(run.plan_prng(), 300 * sim::kMillisecond, 1200 * sim::kMillisecond));
      }
    }
    wipe_again(run, until, state);
  });
}

}  // namespace

void plan_wipe_rejoin(DnsClusterRun& run) {
  const sim::SimTime until = run.fault_end() - 2 * sim::kSecond;
  run.world().queue().schedule_at(kWarmup, [&run, until] {
    remove_zone_records(run, until,
                        [&run, until] { wipe_again(run, until, std::make_shared<WipeState>()); });
  });
}

// ---- add-under-load -------------------------------------------------------------------------

namespace {

void add_spares_from(DnsClusterRun& run, engine::NodeId spare, sim::SimTime until) {
  if (spare > run.nodes()) return;
  add_spare(run, spare, until, [&run, spare, until] {
    run.world().queue().schedule_after(
        between(run.plan_prng(), 200 * sim::kMillisecond, sim::kSecond),
        [&run, spare, until] { add_spares_from(run, spare + 1, until); });
  });
}

}  // namespace

void plan_add_under_load(DnsClusterRun& run) {
  engine::NodeId first = 0;
  for (engine::NodeId n = run.nodes(); n >= 1 && run.is_spare(n); --n) first = n;
  if (first == 0) return;
  const sim::SimTime start = kWarmup + between(run.plan_prng(), sim::kSecond, 2 * sim::kSecond);
  run.world().queue().schedule_at(
      start, [&run, first] { add_spares_from(run, first, run.fault_end() - sim::kSecond); });
}

}  // namespace harness
