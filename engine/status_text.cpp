#include "engine/status_text.h"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace engine {
namespace {

std::string bytes_text(std::uint64_t n) {
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024 * 1024) return fmt::format("{:.1f}KiB", n / 1024.0);
  return fmt::format("{:.1f}MiB", n / (1024.0 * 1024.0));
}

std::string node_text(raft::NodeId id) {
  return id == raft::kNoNode ? "none" : std::to_string(id);
}

// One token, like every other value: "ok", "faulted(ENOSPC:raft.log:write,retrying)",
// "faulted(EIO:store.wal:fsync,restart-needed)".
std::string disk_text(const std::optional<DiskFaultStatus>& fault) {
  if (!fault) return "ok";
  std::string summary = fault->summary;
  std::replace(summary.begin(), summary.end(), ' ', '_');
  return fmt::format("faulted({},{})", summary,
                     fault->restart_needed ? "restart-needed" : "retrying");
}

// "none", "joining" (waiting for the REJOIN decision) or "copying(from=2,index=1500,chunks=3,
// bytes=2.9MiB)".
std::string transfer_text(const NodeStatus& s) {
  if (s.joining) return "joining";
  if (!s.transfer) return "none";
  return fmt::format("copying(from={},index={},chunks={},records={},bytes={})", s.transfer->peer,
                     s.transfer->index, s.transfer->chunks, s.transfer->records,
                     bytes_text(s.transfer->bytes));
}

}  // namespace

std::string format_status(NodeId self, const NodeStatus& s) {
  std::string acked;
  for (const auto& [node, index] : s.acked)
    acked += fmt::format("{}{}:{}", acked.empty() ? "" : ",", node, index);
  return fmt::format(
      "STATUS node={} role={} term={} leader={} commit={} applied={} pending={} ({} changes) "
      "acked={} hw={} served={} writes={} imported={} wal={} raft-log={} disk={} cluster={:016x} "
      "dropped-through={} transfer={} pending_bytes={} max_pending_bytes={} needs_transfer={} "
      "votes={}",
      self, raft::to_string(s.raft.role), s.raft.term, node_text(s.raft.leader), s.raft.commit,
      s.applied, s.pending_batches, s.pending_changes, acked, s.hw, s.served, s.writes_in_flight,
      s.imported ? "yes" : "no", bytes_text(s.wal_bytes), bytes_text(s.raft_log_bytes),
      disk_text(s.disk_fault), s.cluster_id, s.dropped_through, transfer_text(s), s.pending_bytes,
      s.max_pending_bytes, fmt::join(s.needs_transfer, ","), describe(s.votes));
}

}  // namespace engine
