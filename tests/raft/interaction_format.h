#pragma once
// Deterministic one-line renderings of raft values for the interaction test scripts. Entries and
// log positions are written term/index, as etcd-io/raft's test output does.

#include <string>
#include <vector>

#include "raft/raft.h"

namespace raft::testing {

std::string format_node(NodeId id);                             // "none" for kNoNode
std::string format_entry(const Entry& e);                       // 2/5 "data", 2/4 Noop
std::string format_entries(const std::vector<Entry>& entries);  // comma separated
std::string format_message(const Message& m);
std::string format_hard_state(const HardState& hs);
std::string format_snapshot_meta(const SnapshotMeta& meta);  // index=5 term=2 voters=(1,2,3)
std::string format_progress(NodeId peer, const Progress& pr);
std::string format_role_line(const Raft& r);                   // "Leader term=2 lead=1"
std::string format_voters(const std::vector<NodeId>& voters);  // (1,2,3)

}  // namespace raft::testing
