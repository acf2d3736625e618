#pragma once
// A NodeObserver in front of another that also says when the serving database changed: the
// engine stays pure (it only calls its observer) and dns-node learns of every served batch and
// every installed datastore copy, which is when a zone's served serial can move (NOTIFY).

#include <functional>
#include <utility>

#include "engine/node.h"

namespace net {

// Forwards every observation to `next`, then calls `changed` after a batch was served or a
// datastore copy installed (on the engine's thread, inside the engine: keep it short).
class ServingWatch final : public engine::NodeObserver {
 public:
  ServingWatch(engine::NodeObserver& next, std::function<void()> changed)
      : next_(next), changed_(std::move(changed)) {}

  void on_raft_restored(const raft::Restored& r) override { next_.on_raft_restored(r); }
  void on_raft_persisted(const raft::Ready& r) override { next_.on_raft_persisted(r); }
  void on_raft_sent(const raft::Message& m) override { next_.on_raft_sent(m); }
  void on_applied(raft::Index index, std::uint64_t hash) override { next_.on_applied(index, hash); }
  void on_served(raft::Index index, const engine::ChangeBatch& batch,
                 const dns::ApplyResult& result) override {
    next_.on_served(index, batch, result);
    if (result.applied > 0 && changed_) changed_();
  }
  void on_store_synced(raft::Index hw) override { next_.on_store_synced(hw); }
  void on_pending_dropped(raft::Index index) override { next_.on_pending_dropped(index); }
  void on_checkpoint(engine::Duration took) override { next_.on_checkpoint(took); }
  void on_transfer_needed(raft::Index served, raft::Index dropped) override {
    next_.on_transfer_needed(served, dropped);
  }
  void on_write_answered(const engine::WriteResult& r) override { next_.on_write_answered(r); }
  void on_transfer_installed(std::uint64_t bytes, std::uint64_t chunks) override {
    next_.on_transfer_installed(bytes, chunks);
    if (changed_) changed_();
  }
  void on_transfer_chunk_sent(std::uint64_t bytes) override { next_.on_transfer_chunk_sent(bytes); }

 private:
  engine::NodeObserver& next_;
  std::function<void()> changed_;
};

}  // namespace net
