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
  Noop = 1,        // the leader's first entry of its term: lets it commit earlier-term entries
  ConfChange = 2,  // data is an encoded ConfChange (codec.h); takes effect when appended
};
inline constexpr std::uint8_t kMaxEntryKind = 2;

// One log entry: an opaque command for the application, a leader's Noop, or a ConfChange.
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

// A single-server membership change (Raft thesis §4.1), the data of an EntryKind::ConfChange
// entry. New nodes join as learners and are promoted once caught up; a voter that lost its
// durable state (a wiped data directory) is demoted to learner and promoted again the same way.
struct ConfChange {
  enum class Kind : std::uint8_t {
    AddLearner = 0,
    PromoteLearner = 1,
    RemoveNode = 2,
    DemoteVoter = 3
  };
  Kind kind = Kind::AddLearner;
  NodeId node = kNoNode;
  Bytes context{};  // opaque to raft: for the application (e.g. the node's address)
  friend bool operator==(const ConfChange&, const ConfChange&) = default;
};
inline constexpr std::uint8_t kMaxConfChangeKind = 3;

// Where a snapshot sits in the log and the cluster's configuration as of that index.
struct SnapshotMeta {
  Index index = 0;
  Term term = 0;
  std::vector<NodeId> voters{};
  std::vector<NodeId> learners{};  // encoded only when non-empty (see codec.h)
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
