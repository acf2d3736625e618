#pragma once
// A cluster node's own metrics (raft, checkpointing, writes, peers), its readiness to commit a
// write, and its status as JSON: what /metrics, /ready and /status of dns-node serve besides
// the DNS query counters (metrics_dns.h).

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "engine/node.h"
#include "net/metrics_histogram.h"
#include "net/metrics_text.h"
#include "net/notify_schedule.h"
#include "net/peer_transport.h"

namespace net {

// Observes the engine (checkpoint times, answered writes, datastore transfers) and holds the
// fsync histogram that a TimedDisk fills. Written on the engine's thread, except the UPDATE
// counters, which DNS worker threads bump too (every counter is an atomic).
class ClusterMetrics final : public engine::NodeObserver {
 public:
  void on_checkpoint(engine::Duration took) override { checkpoint_.observe(took); }
  void on_write_answered(const engine::WriteResult& result) override;
  void on_transfer_needed(raft::Index, raft::Index) override { bump(transfers_needed_); }
  void on_transfer_installed(std::uint64_t bytes, std::uint64_t) override {
    bump(transfers_installed_);
    bump(transfer_bytes_received_, bytes);
  }
  void on_transfer_chunk_sent(std::uint64_t bytes) override { bump(transfer_bytes_sent_, bytes); }
  // A DNS UPDATE was answered with `rcode` (any DNS worker thread, or the engine's).
  void on_update_answered(std::uint16_t rcode);
  // A NOTIFY went out, and what became of one (net/notify_sender.h; the engine's thread).
  void on_notify_sent() { bump(notify_sent_); }
  void on_notify(NotifyEvent event);
  DurationHistogram& fsync() { return fsync_; }

  // Every raft, checkpoint, write and peer family (the families of metrics_cluster.cpp).
  void render(const engine::NodeStatus& status, const PeerTransportStats& peers,
              MetricsText& out) const;

 private:
  static constexpr std::size_t kWriteKinds = 7;     // engine::WriteResult::Kind
  static constexpr std::size_t kUpdateRcodes = 16;  // the 4-bit header rcodes
  DurationHistogram checkpoint_{kDiskDurationBounds};
  DurationHistogram fsync_{kDiskDurationBounds};
  std::array<std::atomic<std::uint64_t>, kWriteKinds> writes_{};
  std::array<std::atomic<std::uint64_t>, kUpdateRcodes> updates_{};
  static constexpr std::size_t kNotifyEvents = 4;  // NotifyEvent
  std::array<std::atomic<std::uint64_t>, kNotifyEvents> notify_{};
  std::atomic<std::uint64_t> notify_sent_{0};
  std::atomic<std::uint64_t> transfers_needed_{0};
  std::atomic<std::uint64_t> transfers_installed_{0};
  std::atomic<std::uint64_t> transfer_bytes_received_{0};
  std::atomic<std::uint64_t> transfer_bytes_sent_{0};
};

// Whether this node can commit a write now, and if not, why.
struct Readiness {
  bool ready = false;
  std::string reason;  // empty when ready
};

// A node is ready when its disk works and a leader that has a quorum is known: the leader itself
// when it has heard from a quorum of voters (itself included) within `election_timeout`; a
// follower when it has heard from its leader within `election_timeout` (a leader without a
// quorum steps down within two election timeouts, check-quorum, so a follower's view cannot be
// stale for longer). `now` is on the same clock as status.last_heard.
Readiness node_readiness(const engine::NodeStatus& status, engine::TimePoint now,
                         engine::Duration election_timeout);

// STATUS as JSON, with raft's membership and the readiness.
nlohmann::json status_json(engine::NodeId self, const engine::NodeStatus& status,
                           const Readiness& readiness);

}  // namespace net
