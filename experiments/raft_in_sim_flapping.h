#pragma once
// The flapping-link experiment of raft-in-sim: no node ever crashes, but links go down and up
// again and again while a closed-loop client writes, and we count what that costs (elections,
// time without a leader, client-visible gaps), with and without pre-vote.

#include <cstdint>
#include <string>

#include "experiments/raft_in_sim_model.h"

namespace raft_in_sim {

// Which links flap.
enum class FlapVariant {
  IsolatedFollower,  // every link of one follower goes down and up together
  LeaderLink,        // only the leader <-> one follower link; that follower still reaches others
};

FlapVariant parse_flap_variant(const std::string& name);  // throws std::invalid_argument
const char* flap_variant_name(FlapVariant variant);

struct FlapConfig {
  ClusterModel model;
  FlapVariant variant = FlapVariant::IsolatedFollower;
  SimTime down = 300 * kMillisecond;  // how long the links stay down per flap
  SimTime up = 200 * kMillisecond;    // how long they stay up between flaps
  SimTime measure = 60 * kSecond;
  bool client = true;  // false: an idle cluster (then commits = 0 and the gap is the window)
};

// What one seed measured inside the window. Since nothing crashes, every election is spurious:
//   spurious_elections = real candidacies started in the window, counted once per (node, term):
//     a node entering the Candidate role (pre-candidacies that never raise the term are not
//     elections and are not counted);
//   leader_changes = times a node became leader in a term higher than the last leader's;
//   term_increments = highest term of any node at the end minus at the start of the window;
//   leaderless = time in the window when no leader was known to a majority, i.e. no node L was
//     leader of a term T with a quorum of nodes (L included) at term T naming L as their leader.
struct FlapSample {
  std::uint64_t flaps = 0;  // down transitions inside the window
  std::uint64_t leader_changes = 0;
  std::uint64_t term_increments = 0;
  std::uint64_t spurious_elections = 0;
  SimTime leaderless = 0;
  std::uint64_t commits = 0;   // client commands first applied (on any node) in the window
  SimTime max_commit_gap = 0;  // longest gap between two commits (window edges count as commits)
};

FlapSample run_flapping(std::uint64_t seed, const FlapConfig& config);

}  // namespace raft_in_sim
