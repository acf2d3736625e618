#pragma once
// Plain value types shared by the raft state machine, its wire codec and its durable store.

#include <cstdint>
#include <limits>
#include <vector>

namespace raft {

using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;
using Bytes = std::vector<std::uint8_t>;

inline constexpr NodeId kNoNode = std::numeric_limits<std::uint64_t>::max();

enum class EntryKind : std::uint8_t {
  Normal = 0,
  Noop = 1,  // the leader's first entry of its term: lets it commit earlier-term entries
};

// One log entry: an opaque command for the application, or a leader's Noop.
struct Entry {
  Term term = 0;
  Index index = 0;
  EntryKind kind = EntryKind::Normal;
  Bytes data{};
  friend bool operator==(const Entry&, const Entry&) = default;
};

// What must survive a restart besides the log (Raft paper, Figure 2 "persistent state").
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;
  friend bool operator==(const HardState&, const HardState&) = default;
};

// Where a snapshot sits in the log and which voters the cluster had then.
struct SnapshotMeta {
  Index index = 0;
  Term term = 0;
  std::vector<NodeId> voters{};
  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

// The application's state machine as of meta.index, replacing every entry up to it.
struct Snapshot {
  SnapshotMeta meta{};
  Bytes data{};
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

enum class Role : std::uint8_t { Follower, PreCandidate, Candidate, Leader };

const char* to_string(Role role);

}  // namespace raft
