#pragma once
// The scripted plans of the cluster-lifetime scenarios (replace-node, wipe-rejoin,
// add-under-load): spares added with ADD-NODE and started with NodeOptions::join, dead members
// removed, disks wiped; with the claims each plan checks while it runs.

namespace harness {

class DnsClusterRun;

// A follower dies for good; REMOVE-NODE of it, ADD-NODE of the spare, which starts with join,
// copies a peer's datastore and is promoted; then the leader is killed and a write must still
// commit on the remaining voters. Each step retried every 300-700 ms until it committed.
void plan_replace_node(DnsClusterRun& run);
// A zone file record of every importing node is removed; then, again and again, a follower or
// the leader is killed and its disk wiped, and it restarts with the same id (once the others
// have a leader, as operations.md asks): it must rejoin by transfer, never re-import its zone
// file (the removed records stay removed).
void plan_wipe_rejoin(DnsClusterRun& run);
// The spares are added one after the other (ADD-NODE, then started with join) under the
// scenario's steady write load, message loss and partitions.
void plan_add_under_load(DnsClusterRun& run);

}  // namespace harness
