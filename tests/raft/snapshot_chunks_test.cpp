// Snapshots sent in chunks (Config::max_snapshot_chunk_bytes): whatever the chunk size and
// whatever is lost or duplicated on the way, the lagging follower ends up with exactly the
// leader's snapshot bytes, and no message carries more than one chunk of them.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "tests/raft/test_cluster.h"

namespace raft::testing {
namespace {

using namespace rc;

RC_GTEST_PROP(SnapshotChunks, LossDuplicatesAndRestartsStillInstallTheLeadersExactBytes, ()) {
  const size_t chunk = *gen::inRange<size_t>(1, 17);
  const Bytes data = *gen::container<Bytes>(gen::arbitrary<uint8_t>());
  const uint64_t seed = *gen::arbitrary<uint64_t>();
  const int loss_percent = *gen::inRange(0, 40);
  const int dup_percent = *gen::inRange(0, 40);
  const int restart_after = *gen::inRange(0, 60);  // ticks into the transfer; >= 50: never
  TestCluster c(3, [&](Config& cfg) {
    cfg.seed = seed;
    cfg.max_snapshot_chunk_bytes = chunk;
  });
  RC_ASSERT(c.elect(1));
  c.crash(3);
  for (int i = 0; i < 3; ++i) c[1].propose(bytes_of(std::to_string(i)));
  c.settle();
  c[1].compact(c[1].status().applied, data);
  c.settle();
  const Index snapshot_index = c[1].status().snapshot_index;
  c.start(3);

  // Only node 3's traffic is unreliable, so node 1 keeps its quorum (and its leadership).
  uint64_t state = seed;
  auto roll = [&](int percent) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % 100) < percent;
  };
  size_t largest_chunk = 0;
  size_t chunks = 0;
  auto note = [&](const Message& m) {
    if (m.type != MessageType::Snapshot || !m.snapshot) return;
    largest_chunk = std::max(largest_chunk, m.snapshot->data.size());
    chunks += m.snapshot_size != 0;
  };
  c.drop = [&](const Message& m) {
    note(m);
    return (m.from == 3 || m.to == 3) && roll(loss_percent);
  };
  c.duplicate = [&](const Message& m) { return (m.from == 3 || m.to == 3) && roll(dup_percent); };
  for (int t = 0; t < 50; ++t) {
    if (t == restart_after) c.restart(3);
    c.tick_all(1);
  }
  c.drop = [&](const Message& m) {
    note(m);
    return false;
  };
  c.duplicate = nullptr;
  c.tick_all(200);

  RC_ASSERT(c[1].role() == Role::Leader);
  RC_ASSERT(c[3].status().snapshot_index == snapshot_index);
  RC_ASSERT(c.app_snapshot(3) == data);
  RC_ASSERT(c[3].status().applied == c[1].status().applied);
  RC_ASSERT(largest_chunk <= chunk);
  // A snapshot larger than one chunk really went in chunks.
  RC_ASSERT(data.size() <= chunk || chunks >= (data.size() + chunk - 1) / chunk);
  RC_TAG(data.size() > chunk ? "chunked" : "whole");
}

}  // namespace
}  // namespace raft::testing
