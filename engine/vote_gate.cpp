#include "engine/vote_gate.h"

#include <fmt/format.h>

#include "raft/codec.h"
#include "raft/message.h"

namespace engine {
namespace {

// Whether a standing shows no earlier life of a node whose directory has REJOIN nonce `nonce`.
bool no_earlier_life(const VoterStanding& standing, std::uint64_t nonce) {
  switch (standing.kind) {
    case VoterStanding::Kind::Unknown:
      return true;
    case VoterStanding::Kind::Rejoined:
      return standing.nonce == nonce && standing.import;
    case VoterStanding::Kind::Known:
      return false;
  }
  return false;
}

}  // namespace

std::string describe(const VoteGate& gate) {
  switch (gate.kind) {
    case VoteGate::Kind::Open:
      return "open";
    case VoteGate::Kind::Undecided:
      return "undecided";
    case VoteGate::Kind::Closed:
      return "closed";
    case VoteGate::Kind::AboveTerm:
      return fmt::format("above-term-{}", gate.term);
  }
  return "?";
}

Bytes encode_standing(const VoterStanding& standing) {
  Bytes out;
  if (standing.kind == VoterStanding::Kind::Unknown) return out;
  raft::ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(standing.kind));
  if (standing.kind == VoterStanding::Kind::Rejoined) {
    w.u64(standing.nonce);
    w.u8(standing.import ? 1 : 0);
  }
  return out;
}

std::optional<VoterStanding> decode_standing(ByteView bytes) {
  if (bytes.empty()) return VoterStanding{};
  try {
    raft::ByteReader r(bytes);
    VoterStanding standing;
    const std::uint8_t kind = r.u8("standing kind");
    if (kind == static_cast<std::uint8_t>(VoterStanding::Kind::Rejoined)) {
      standing.kind = VoterStanding::Kind::Rejoined;
      standing.nonce = r.u64("standing nonce");
      const std::uint8_t import = r.u8("standing import");
      if (import > 1) return std::nullopt;
      standing.import = import == 1;
    } else if (kind == static_cast<std::uint8_t>(VoterStanding::Kind::Known)) {
      standing.kind = VoterStanding::Kind::Known;
    } else {
      return std::nullopt;  // Unknown is never sent; anything else is not a standing
    }
    r.expect_end("standing");
    return standing;
  } catch (const raft::DecodeError&) {
    return std::nullopt;
  }
}

bool gate_allows(const VoteGate& gate, std::uint64_t own_nonce, const VoterStanding& own,
                 raft::Term term, ByteView candidate_context) {
  switch (gate.kind) {
    case VoteGate::Kind::Open:
      return true;
    case VoteGate::Kind::Closed:
      return false;
    case VoteGate::Kind::AboveTerm:
      return term > gate.term;
    case VoteGate::Kind::Undecided: {
      const std::optional<VoterStanding> said = decode_standing(candidate_context);
      return said && no_earlier_life(*said, own_nonce) && no_earlier_life(own, own_nonce);
    }
  }
  return false;
}

}  // namespace engine
