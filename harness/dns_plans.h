#pragma once
// The scripted plans of the DNS scenarios (Scenario::plan): events placed on top of the drawn
// fault schedule, with the claims each plan checks while it runs.

namespace harness {

class DnsClusterRun;

// A majority crashes (held down) or one survivor is cut off for most of the fault phase: the
// survivor's served data must not change and its writes must come back "no quorum" in time.
void plan_majority_loss(DnsClusterRun& run);
// Now and then writes go to the leader (and one other node), and the leader crashes within
// milliseconds, before, while or just after they replicate.
void plan_leader_crash_mid_write(DnsClusterRun& run);
// A node takes writes and crashes (usually it, sometimes the leader) long before its next
// checkpoint could make them durable; the first crash usually hits the zone file import.
void plan_crash_before_fsync(DnsClusterRun& run);
// One node crashes (held down) or is cut off for most of the run: pending must grow on the
// others while it is away and shrink once it is back.
void plan_long_down_node(DnsClusterRun& run);
// One node crashes (held down) or is cut off while the leader takes large writes: pending passes
// max_pending_bytes, every replica stops holding changes for the node, and when it returns it
// copies a peer's datastore, after which its acks count again.
void plan_laggard_transfer(DnsClusterRun& run);
// Every node loses power at once, again and again; the first outage usually interrupts the
// first-boot import.
void plan_whole_cluster_restart(DnsClusterRun& run);
// The leader is removed from the cluster (REMOVE-NODE of itself) after the warm-up, retried
// until the removal commits: the survivors elect a new leader and drain pending without it,
// and the removed node, still running, never leads again.
void plan_remove_leader(DnsClusterRun& run);
// Two members (leader or not, drawn) are removed one after the other while the schedule's
// partitions, crashes and message loss go on: each removal retried until it commits.
void plan_reconfig_partition(DnsClusterRun& run);

}  // namespace harness
