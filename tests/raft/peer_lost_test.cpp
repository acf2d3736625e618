// Raft::peer_lost: a follower whose leader's connection closed waits for the lease alone, not for
// the random part of the election timeout; anything else it hears undoes that. A leader probes a
// lost follower instead of sending it a full window of appends.

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

constexpr int kElectionTicks = 40;  // the random part is [40, 80) ticks; after peer_lost, [40, 50)

Raft make_follower(std::uint64_t seed) {
  Raft r(Config{.id = 1, .voters = {1, 2, 3}, .election_ticks = kElectionTicks, .seed = seed}, {});
  r.step(Message{.type = MessageType::Heartbeat, .from = 2, .to = 1, .term = 1});
  take_messages(r);
  return r;
}

// Ticks until the follower stops being one (it pre-campaigns), at most 4 election timeouts.
int ticks_until_campaign(Raft& r) {
  for (int i = 1; i <= 4 * kElectionTicks; ++i) {
    r.tick();
    if (r.role() != Role::Follower) return i;
  }
  return -1;
}

TEST(PeerLost, LeaderLostSkipsTheRandomPartButNotTheLease) {
  int longest_without = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    Raft lost = make_follower(seed);
    lost.peer_lost(2);
    const int with = ticks_until_campaign(lost);
    EXPECT_GE(with, kElectionTicks) << "seed " << seed;
    EXPECT_LT(with, kElectionTicks + kElectionTicks / 4) << "seed " << seed;
    Raft plain = make_follower(seed);
    longest_without = std::max(longest_without, ticks_until_campaign(plain));
  }
  // Without the hint some seeds wait well past the shortened range: the bound above means
  // something.
  EXPECT_GE(longest_without, kElectionTicks + kElectionTicks / 2);
}

TEST(PeerLost, AnotherPeerOrANonFollowerChangesNothing) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Raft other = make_follower(seed);
    other.peer_lost(3);  // not the leader
    other.peer_lost(kNoNode);
    Raft plain = make_follower(seed);
    EXPECT_EQ(ticks_until_campaign(other), ticks_until_campaign(plain)) << "seed " << seed;
  }
  Raft candidate = make_follower(1);
  candidate.campaign();
  const Role before = candidate.role();
  candidate.peer_lost(2);
  EXPECT_EQ(candidate.role(), before);
}

TEST(PeerLost, HearingFromTheLeaderAgainRestoresAFreshTimeout) {
  int longest = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    Raft r = make_follower(seed);
    r.peer_lost(2);
    for (int i = 0; i < kElectionTicks / 2; ++i) r.tick();
    // The connection came back: the leader's next heartbeat starts the whole clock again.
    r.step(Message{.type = MessageType::Heartbeat, .from = 2, .to = 1, .term = 1});
    const int ticks = ticks_until_campaign(r);
    EXPECT_GE(ticks, kElectionTicks) << "seed " << seed;
    longest = std::max(longest, ticks);
  }
  EXPECT_GE(longest, kElectionTicks + kElectionTicks / 2);
}

TEST(PeerLost, ALeaderProbesALostFollowerInsteadOfFillingItsWindow) {
  TestCluster c(3);
  ASSERT_TRUE(c.elect(1));
  int appends_to_3 = 0;
  c.drop = [&](const Message& m) {
    if (m.to != 3) return false;
    appends_to_3 += m.type == MessageType::Append;
    return true;  // node 3's process died: nothing reaches it
  };
  for (int i = 0; i < 5; ++i) {
    c[1].propose(bytes_of(std::to_string(i)));
    c.settle();
  }
  EXPECT_GE(appends_to_3, 5) << "a follower in Replicate gets appends every round";
  c[1].peer_lost(3);
  EXPECT_EQ(c[1].progress(3)->state(), Progress::State::Probe);
  appends_to_3 = 0;
  for (int i = 5; i < 25; ++i) {
    c[1].propose(bytes_of(std::to_string(i)));
    c.settle();
  }
  EXPECT_LE(appends_to_3, 1) << "appends kept going into a broken connection";
  EXPECT_EQ(c.applied_strings(2).size(), 25u);
  // Back: the next heartbeat it answers lets the probe go on, and it catches up.
  c.drop = nullptr;
  for (int i = 0; i < 3 && c.applied_strings(3).size() < 25; ++i) {
    c.tick(1, 1);  // heartbeat_ticks is 1
    c.settle();
  }
  EXPECT_EQ(c.applied_strings(3).size(), 25u);
  EXPECT_EQ(c[1].progress(3)->state(), Progress::State::Replicate);
}

}  // namespace
}  // namespace raft::testing
