#pragma once
// The application's say over the votes a node gives (docs/design.md, "Safe rejoin: votes").

#include "raft/types.h"

namespace raft {

// Lets the application restrict which votes this node gives, and so whether it may campaign (its
// self-vote is a vote too): a node whose durable vote record may be incomplete (a wiped data
// directory) must not vote as its old self, and only the application knows when that is so. Raft
// sends each candidate's vote_context() with its (pre-)vote requests and asks may_vote() before
// granting one, on top of its own rules.
class VotePolicy {
 public:
  virtual ~VotePolicy() = default;
  // Carried by this node's Vote and PreVote requests to `voter` (and asked for this node itself
  // before it campaigns): what the candidate knows that bears on the voter's choice. Empty: none.
  virtual Bytes vote_context(NodeId voter) const = 0;
  // Whether this node may vote in `term` for a candidate whose request carried `context`.
  virtual bool may_vote(Term term, const Bytes& context) const = 0;
};

}  // namespace raft
