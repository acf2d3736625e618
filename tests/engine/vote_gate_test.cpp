// engine::VoteGate and VoterStanding: which votes a node whose data directory may have lost votes
// it gave may give (docs/design.md, "Safe rejoin: votes").

#include "engine/vote_gate.h"

#include <gtest/gtest.h>

#include "engine/cluster_identity.h"

namespace engine {
namespace {

constexpr std::uint64_t kNonce = 0x5eed;

Bytes said(const VoterStanding& standing) {
  return encode_standing(standing);
}

const VoterStanding kUnknown{};
const VoterStanding kNewWithThisNonce{VoterStanding::Kind::Rejoined, kNonce, true};
const VoterStanding kKnownWithThisNonce{VoterStanding::Kind::Rejoined, kNonce, false};
const VoterStanding kNewWithAnotherNonce{VoterStanding::Kind::Rejoined, kNonce + 1, true};
const VoterStanding kKnown{VoterStanding::Kind::Known, 0, false};

TEST(VoterStanding, RoundTripsAndUnknownIsNoContextAtAll) {
  EXPECT_TRUE(encode_standing(kUnknown).empty());
  for (const VoterStanding& s : {kUnknown, kNewWithThisNonce, kKnownWithThisNonce, kKnown})
    EXPECT_EQ(decode_standing(encode_standing(s)), s);
}

TEST(VoterStanding, AnythingMalformedIsNotAStanding) {
  EXPECT_FALSE(decode_standing(Bytes{0}));        // Unknown is never sent
  EXPECT_FALSE(decode_standing(Bytes{9}));        // no such kind
  EXPECT_FALSE(decode_standing(Bytes{1, 1, 2}));  // truncated nonce
  Bytes bad_flag = encode_standing(kNewWithThisNonce);
  bad_flag.back() = 2;
  EXPECT_FALSE(decode_standing(bad_flag));
  Bytes trailing = encode_standing(kKnown);
  trailing.push_back(0);
  EXPECT_FALSE(decode_standing(trailing));
}

TEST(VoteGate, OpenClosedAndAboveTermIgnoreTheContext) {
  const Bytes any = said(kKnown);
  EXPECT_TRUE(gate_allows({VoteGate::Kind::Open, 0}, kNonce, kKnown, 1, any));
  EXPECT_FALSE(gate_allows({VoteGate::Kind::Closed, 0}, kNonce, kUnknown, 9, said(kUnknown)));
  EXPECT_FALSE(gate_allows({VoteGate::Kind::AboveTerm, 7}, kNonce, kUnknown, 7, {}));
  EXPECT_TRUE(gate_allows({VoteGate::Kind::AboveTerm, 7}, kNonce, kUnknown, 8, any));
  EXPECT_EQ(describe(VoteGate{VoteGate::Kind::AboveTerm, 7}), "above-term-7");
  EXPECT_EQ(describe(VoteGate{VoteGate::Kind::Undecided, 0}), "undecided");
}

TEST(VoteGate, UndecidedVotesOnlyWhenNobodySpeaksOfAnEarlierLife) {
  const VoteGate undecided{VoteGate::Kind::Undecided, 0};
  // A new cluster: nobody heard of anybody, or R decided this very directory is new.
  EXPECT_TRUE(gate_allows(undecided, kNonce, kUnknown, 2, said(kUnknown)));
  EXPECT_TRUE(gate_allows(undecided, kNonce, kUnknown, 2, said(kNewWithThisNonce)));
  EXPECT_TRUE(gate_allows(undecided, kNonce, kNewWithThisNonce, 2, said(kUnknown)));
  // The candidate's R knew this node before: it was wiped, and may have voted in this term.
  EXPECT_FALSE(gate_allows(undecided, kNonce, kUnknown, 2, said(kKnown)));
  EXPECT_FALSE(gate_allows(undecided, kNonce, kUnknown, 2, said(kKnownWithThisNonce)));
  EXPECT_FALSE(gate_allows(undecided, kNonce, kUnknown, 2, said(kNewWithAnotherNonce)));
  // Its own R (applied from the leader since the wipe) knew it: no vote either.
  EXPECT_FALSE(gate_allows(undecided, kNonce, kKnown, 2, said(kUnknown)));
  EXPECT_FALSE(gate_allows(undecided, kNonce, kNewWithAnotherNonce, 2, said(kUnknown)));
  // A candidate speaking nonsense gets no vote.
  EXPECT_FALSE(gate_allows(undecided, kNonce, kUnknown, 2, Bytes{7, 7}));
}

TEST(VoteGate, StandingFollowsWhatRKnows) {
  IdentityState state;
  EXPECT_EQ(standing_of(state, 2, 0), kUnknown);
  EXPECT_EQ(standing_of(state, 2, 5), kKnown) << "acknowledged something";
  state.imported.insert(2);
  EXPECT_EQ(standing_of(state, 2, 0), kKnown) << "imported its zone file";
  apply_rejoin(state, Rejoin{3, kNonce, 0xc1}, 0);
  EXPECT_EQ(standing_of(state, 3, 0), kNewWithThisNonce);
  apply_rejoin(state, Rejoin{3, kNonce + 9, 0xc1}, 0);
  EXPECT_EQ(standing_of(state, 3, 0),
            (VoterStanding{VoterStanding::Kind::Rejoined, kNonce + 9, false}));
}

}  // namespace
}  // namespace engine
