#pragma once
// The messages raft nodes exchange, and their versioned little-endian binary encoding (the same
// bytes travel over the real transport and the simulated network).

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/types.h"

namespace raft {

enum class MessageType : std::uint8_t {
  PreVote = 0,          // "would you vote for me at term+1?" (thesis §9.6); term not raised
  PreVoteResponse = 1,  // granted: term = the asked term; rejected: the voter's term
  Vote = 2,             // RequestVote: index/log_term = candidate's last entry
  VoteResponse = 3,
  Append = 4,          // AppendEntries: index/log_term = entry preceding `entries`
  AppendResponse = 5,  // also answers Snapshot; index = follower's match (or rejected index)
  Snapshot = 6,        // InstallSnapshot: `snapshot` holds the whole thing or one chunk of it
  Heartbeat = 7,       // leader liveness + commit = min(follower's match, leader commit)
  HeartbeatResponse = 8,
  Propose = 9,      // a follower forwards its client's entries to the leader
  TimeoutNow = 10,  // leadership transfer: "start an election right now" (thesis §3.10)
  // Answers a chunk that left the snapshot incomplete: index/log_term = the snapshot's,
  // snapshot_offset = how many of its bytes the follower holds (where the leader goes on from).
  SnapshotResponse = 11,
};
inline constexpr std::uint8_t kMaxMessageType = 11;

const char* to_string(MessageType type);

// One raft message; which fields matter depends on `type` (see MessageType).
struct Message {
  MessageType type = MessageType::Heartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;
  Term log_term = 0;  // Append: term at `index`; votes: candidate's last term; rejection: hint term
  Index index = 0;    // Append: previous index; votes: candidate's last index; responses: see type
  Index commit = 0;   // leader's commit index (Append, Heartbeat)
  bool reject = false;
  Index reject_hint = 0;  // rejected Append: follower's guess of the last index that may match
  bool force = false;     // Vote/PreVote caused by TimeoutNow: ignore the leader lease
  std::vector<Entry> entries{};
  std::optional<raft::Snapshot> snapshot{};
  // Snapshot sent in chunks (Config::max_snapshot_chunk_bytes): snapshot->data holds bytes
  // [snapshot_offset, snapshot_offset + data.size()) of snapshot data snapshot_size bytes long.
  // Both 0: snapshot->data is the whole snapshot. SnapshotResponse: see MessageType.
  std::uint64_t snapshot_offset = 0;
  std::uint64_t snapshot_size = 0;
  // Vote/PreVote: the candidate application's word to this voter (VotePolicy::vote_context).
  Bytes context{};
  friend bool operator==(const Message&, const Message&) = default;
};

// Thrown by decode() on anything that is not a well-formed message of a known format version.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint8_t kMessageFormatVersion = 1;

Bytes encode(const Message& message);
// Bounds-checked; throws DecodeError naming the offending field. Never reads past `bytes`.
Message decode(std::span<const std::uint8_t> bytes);

// A short human-readable form for logs and failing tests.
std::string describe(const Message& message);

}  // namespace raft
