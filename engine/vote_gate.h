#pragma once
// Which votes a node may give when its data directory may have lost votes it gave before, and
// what a candidate tells each voter about it (docs/design.md, "Safe rejoin: votes").

#include <cstdint>
#include <optional>
#include <string>

#include "engine/io.h"
#include "raft/types.h"

namespace engine {

// The votes this node may give, kept in its identity file. A data directory started without an
// identity file has a new raft vote record: votes given before a wipe are forgotten, and voting
// as its old self could elect two leaders in one term or a leader without committed entries.
struct VoteGate {
  enum class Kind : std::uint8_t {
    Open = 0,       // the vote record is whole: raft's rules alone
    Undecided = 1,  // R has not decided on this directory's REJOIN: votes only for candidates
                    // that know nothing of an earlier life of this node (VoterStanding)
    Closed = 2,     // R knew this node before the wipe: no vote until it is promoted back
    AboveTerm = 3,  // promoted back: votes (and campaigns) only in terms above `term`
  };
  Kind kind = Kind::Open;
  raft::Term term = 0;  // AboveTerm only
  friend bool operator==(const VoteGate&, const VoteGate&) = default;
};
inline constexpr std::uint8_t kMaxVoteGateKind = 3;

// "open", "undecided", "closed", "above-term-7".
std::string describe(const VoteGate& gate);

// What a candidate's R says of one voter, sent with its vote requests (raft::VotePolicy).
struct VoterStanding {
  enum class Kind : std::uint8_t {
    Unknown = 0,   // R never heard of it: no REJOIN decision, no import, no acknowledgement
    Rejoined = 1,  // R decided on its REJOIN with `nonce`: new (`import`) or known
    Known = 2,     // R saw it import or acknowledge, with no REJOIN decision
  };
  Kind kind = Kind::Unknown;
  std::uint64_t nonce = 0;  // Rejoined only
  bool import = false;      // Rejoined only
  friend bool operator==(const VoterStanding&, const VoterStanding&) = default;
};

// Unknown encodes as nothing (a vote request without a context), so a cluster where nobody was
// ever heard of (a new one) sends the same messages as before vote gates.
Bytes encode_standing(const VoterStanding& standing);
// nullopt on anything malformed.
std::optional<VoterStanding> decode_standing(ByteView bytes);

// Whether a node with `gate`, whose identity file holds REJOIN nonce `own_nonce` and whose own R
// says `own` of it, may vote in `term` for a candidate whose request carried `candidate_context`.
// An Undecided node votes only when neither R speaks of an earlier life of it: a candidate whose
// R never heard of it, or decided on this very directory's REJOIN (this nonce) as new.
bool gate_allows(const VoteGate& gate, std::uint64_t own_nonce, const VoterStanding& own,
                 raft::Term term, ByteView candidate_context);

}  // namespace engine
