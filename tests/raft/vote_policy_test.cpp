// raft::VotePolicy: the application's context travels with every vote request, and its answer
// bounds which votes a node gives and whether it campaigns (docs/design.md, "Safe rejoin: votes").

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

// A policy for tests: sends "to-<voter>" and allows votes in terms above `min_term` whose
// context is `wanted` (any context when `wanted` is empty).
class ScriptedPolicy final : public VotePolicy {
 public:
  Bytes vote_context(NodeId voter) const override {
    return bytes_of("to-" + std::to_string(voter));
  }
  bool may_vote(Term term, const Bytes& context) const override {
    asked.emplace_back(term, string_of(context));
    return term > min_term && (wanted.empty() || string_of(context) == wanted);
  }
  Term min_term = 0;
  std::string wanted;
  mutable std::vector<std::pair<Term, std::string>> asked;
};

Raft make_node(NodeId id, const VotePolicy* policy, Restored restored = {}) {
  Raft r(no_pre_vote(Config{.id = id, .voters = {1, 2, 3}, .seed = 7}), std::move(restored));
  r.set_vote_policy(policy);
  return r;
}

// Whether `r` grants a request of `type` from `from` in `term` carrying `context`.
bool grants(Raft& r, Term term, const std::string& context, MessageType type = MessageType::Vote,
            NodeId from = 2) {
  r.step(Message{.type = type,
                 .from = from,
                 .to = 1,
                 .term = term,
                 .context = context.empty() ? Bytes{} : bytes_of(context)});
  for (const Message& m : take_messages(r))
    if (m.type == MessageType::VoteResponse || m.type == MessageType::PreVoteResponse)
      return !m.reject;
  ADD_FAILURE() << "no vote response";
  return false;
}

TEST(VotePolicy, CandidatesSendEachVoterItsOwnContext) {
  ScriptedPolicy policy;
  Raft r = make_node(1, &policy);
  r.campaign();
  std::map<NodeId, std::string> sent;
  for (const Message& m : take_messages(r))
    if (m.type == MessageType::Vote) sent[m.to] = string_of(m.context);
  EXPECT_EQ(sent, (std::map<NodeId, std::string>{{2, "to-2"}, {3, "to-3"}}));
  // The self-vote was asked with its own context, for the term it campaigns in.
  ASSERT_FALSE(policy.asked.empty());
  EXPECT_EQ(policy.asked.back(), (std::pair<Term, std::string>{1, "to-1"}));
}

TEST(VotePolicy, WithoutAPolicyRequestsCarryNoContext) {
  Raft r = make_node(1, nullptr);
  r.campaign();
  for (const Message& m : take_messages(r)) EXPECT_TRUE(m.context.empty()) << describe(m);
}

TEST(VotePolicy, AVoteThePolicyRefusesIsRejectedAndRecordsNoVote) {
  ScriptedPolicy policy;
  policy.wanted = "yes";
  Raft r = make_node(1, &policy);
  EXPECT_FALSE(grants(r, 1, "no"));
  // The refusal recorded no vote: another candidate of the same term may still get it.
  EXPECT_TRUE(grants(r, 1, "yes", MessageType::Vote, 3));
  EXPECT_EQ(policy.asked.back(), (std::pair<Term, std::string>{1, "yes"}));
  EXPECT_FALSE(grants(r, 1, "yes")) << "one vote per term";
}

TEST(VotePolicy, PreVotesAreAskedForTheTermTheyAreFor) {
  ScriptedPolicy policy;
  policy.min_term = 3;
  Raft r(Config{.id = 1, .voters = {1, 2, 3}, .seed = 7}, {});
  r.set_vote_policy(&policy);
  EXPECT_FALSE(grants(r, 3, "x", MessageType::PreVote));
  EXPECT_TRUE(grants(r, 4, "x", MessageType::PreVote));
}

TEST(VotePolicy, ANodeThePolicyForbidsToVoteNeverCampaigns) {
  ScriptedPolicy policy;
  policy.min_term = 5;
  Raft r = make_node(1, &policy);
  r.campaign();
  for (int i = 0; i < 100; ++i) r.tick();
  EXPECT_EQ(r.role(), Role::Follower);
  EXPECT_EQ(r.term(), 0u);
  // Once the policy allows its self-vote, it campaigns as usual.
  policy.min_term = 0;
  r.campaign();
  EXPECT_EQ(r.role(), Role::Candidate);
  EXPECT_EQ(r.term(), 1u);
}

TEST(VotePolicy, ContextsRoundTripThroughTheCodecAndOthersEncodeAsBefore) {
  Message vote{.type = MessageType::Vote, .from = 1, .to = 2, .term = 3, .context = {1, 2, 3}};
  EXPECT_EQ(decode(encode(vote)), vote);
  Message plain = vote;
  plain.context.clear();
  Bytes with = encode(vote), without = encode(plain);
  EXPECT_EQ(with.size(), without.size() + 4 + 3);
  // The context flag with an empty context is not a message anyone sends.
  without[2] |= 32;
  without.insert(without.end(), {0, 0, 0, 0});
  EXPECT_THROW(decode(without), DecodeError);
}

}  // namespace
}  // namespace raft::testing
