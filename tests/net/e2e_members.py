"""End-to-end test of membership changes on a real dns-node cluster on loopback: MEMBERS,
ADD-NODE of a node started with --join (it learns the members from the cluster, answers the
records and becomes a voter), REMOVE-NODE of a dead node (pending drops on the survivors within
5 s), then the original leader killed: writes still commit. And the same replacement when the
cluster has already dropped everything from pending: the new node copies a peer's datastore of
100,000 records (issue 11's bound: it answers them within 60 s of its start).

Usage: /usr/bin/python3 e2e_members.py BUILD/dns-node SEED_DIR [TestClass[.test] ...]
SEED_DIR holds the 2017 prototype's dns-config.json and zf0.txt..zf2.txt. Every wait is bounded
and every process is killed at the end of each test, passed or failed.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase, run_tests  # noqa: E402

BINARY = None  # set from argv in main
BIG_NAMES = 100_000  # one A record each, in big.test. (node 0's zone file)
TRANSFER_BOUND = 60.0
SEED_DIR = None

TUNED = {"election_timeout_ms": 1000, "heartbeat_ms": 100, "checkpoint_interval_ms": 200,
         "write_timeout_ms": 2000}
SETTLE = 30.0
PROTOTYPE_ZONES = {"example.com.": "1.2.3.4", "cs244b.com.": "10.20.30.40", "cats.com.": "1.2.3.4"}
MEMBERS = re.compile(r"^OK voters=([0-9,]*) learners=([0-9,]*) leader=(\d+|none)$")


def seed(name):
    return os.path.join(SEED_DIR, name)


def big_address(i):
    return f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}"


def write_big_zone(path):
    with open(path, "w") as f:
        f.write("$ORIGIN big.test.\n$TTL 300\n")
        f.write("@ IN SOA ns1.big.test. admin.big.test. 1 3600 600 86400 300\n")
        f.write("@ IN NS ns1.big.test.\nns1 IN A 10.255.0.1\n")
        for i in range(BIG_NAMES):
            f.write(f"h{i} IN A {big_address(i)}\n")


class ReplaceNode(ClusterDirTestCase):
    prefix = "e2e-members"

    def members(self, i):
        reply = self.cluster.send(i, "MEMBERS", 5.0)
        match = MEMBERS.match(reply or "")
        self.assertIsNotNone(match, f"MEMBERS on node {i}: {reply!r}")
        ids = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
        leader = None if match.group(3) == "none" else int(match.group(3))
        return ids(match.group(1)), ids(match.group(2)), leader

    def write(self, i, name, address):
        reply = self.cluster.send(i, f"ADD: {name} A {address}", 10.0)
        self.assertTrue(reply.startswith("OK"), f"write on node {i}: {reply!r}")

    def test_replace_a_dead_node(self):
        c = self.cluster = Cluster(BINARY, self.workdir, base_config=seed("dns-config.json"),
                                   zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
                                   config_extra=TUNED)
        # Node 2 never runs: it is the dead member. Nothing leaves pending while it is a member.
        for i in (0, 1):
            c.start(i, wait_ready=False)
        for i in (0, 1):
            c.nodes[i].wait_ready(c.ready_timeout)
        leader = c.wait_leader(timeout=SETTLE, among=[0, 1])
        for zone, address in PROTOTYPE_ZONES.items():
            if zone == "cats.com.":
                continue  # node 2's zone file: never imported
            for i in (0, 1):
                wait_until(lambda: c.has_record(i, zone, "A", address), SETTLE,
                           what=f"node {i} serves {zone}")
        self.assertEqual(self.members(0), ([0, 1, 2], [], leader))
        # The same over the control socket, with dnsctl.
        out = c.dnsctl("-s", c.control_socket(1), "MEMBERS")
        self.assertEqual((out.returncode, out.stdout.strip()),
                         (0, f"OK voters=0,1,2 learners= leader={leader}"), out.stderr)
        self.write(leader, "before.example.com", "192.0.2.50")

        follower = 1 - leader
        spare, raft_addr, dns_addr = c.add_joiner()
        refused = c.send(follower, f"ADD-NODE {spare} {raft_addr} {dns_addr}", 10.0)
        self.assertTrue(refused.startswith("ERROR") and f"leader: {leader}" in refused, refused)
        added = c.send(leader, f"ADD-NODE {spare} {raft_addr} {dns_addr}", 10.0)
        self.assertRegex(added, r"^OK index=\d+$")
        # Committed and applied on the leader; the follower applies it with the next append.
        wait_until(lambda: self.members(follower)[1] == [spare], 5.0, interval=0.05,
                   what=f"node {follower} lists learner {spare}")

        c.start(spare)
        wait_until(lambda: spare in self.members(leader)[0], SETTLE,
                   what=f"node {spare} promoted to voter")
        for name, address in (("example.com.", "1.2.3.4"), ("before.example.com.", "192.0.2.50"),
                              ("cs244b.com.", "10.20.30.40")):
            wait_until(lambda: c.has_record(spare, name, "A", address), SETTLE,
                       what=f"node {spare} answers {name}")
        wait_until(lambda: self.members(spare)[:2] == ([0, 1, 2, spare], []), 5.0,
                   interval=0.05, what=f"node {spare} lists itself as a voter")

        self.assertGreater(c.status(leader)["pending"], 0)
        removed = c.send(leader, "REMOVE-NODE 2", 10.0)
        self.assertRegex(removed, r"^OK index=\d+$")
        start = time.monotonic()
        wait_until(lambda: all(c.status(i)["pending"] == 0 for i in (0, 1, spare)), 5.0,
                   interval=0.05, what="pending drained on the survivors within 5 s")
        print(f"pending drained {time.monotonic() - start:.2f} s after REMOVE-NODE",
              file=sys.stderr)
        wait_until(lambda: self.members(follower)[:2] == ([0, 1, spare], []), 5.0,
                   interval=0.05, what=f"node {follower} lists voters 0,1,{spare}")

        c.kill9(leader)
        survivors = [follower, spare]
        new_leader = c.wait_leader(timeout=SETTLE, among=survivors)
        wait_until(lambda: c.send(new_leader, "ADD: after.example.com A 192.0.2.51",
                                  5.0).startswith("OK"),
                   SETTLE, what="a write commits after the original leader died")
        for i in survivors:
            wait_until(lambda: c.has_record(i, "after.example.com.", "A", "192.0.2.51"), SETTLE,
                       what=f"node {i} answers the write")

    def test_a_joiner_copies_a_100k_record_datastore(self):
        zone = os.path.join(self.workdir, "source", "big.zone")  # the Cluster copies it up
        os.makedirs(os.path.dirname(zone))
        write_big_zone(zone)
        c = self.cluster = Cluster(BINARY, self.workdir, zone_files=[[zone], [], []],
                                   config_extra=TUNED, ready_timeout=60.0)
        for i in range(3):
            c.start(i, wait_ready=False)
        for i in range(3):
            c.nodes[i].wait_ready(c.ready_timeout)
        last = f"h{BIG_NAMES - 1}.big.test."
        for i in range(3):
            wait_until(lambda: c.has_record(i, last, "A", big_address(BIG_NAMES - 1)), SETTLE,
                       what=f"node {i} serves the whole imported zone")
        leader = c.wait_leader(timeout=SETTLE)
        # Everything acknowledged by all three: pending drained, so a new node lacks what R has
        # dropped and can only get it from a peer's datastore.
        wait_until(lambda: all(c.status(i)["pending"] == 0 for i in range(3)), SETTLE,
                   interval=0.1, what="pending drained after the import")
        dead = next(i for i in range(3) if i != leader)
        c.kill9(dead)
        self.assertRegex(c.send(leader, f"REMOVE-NODE {dead}", 10.0), r"^OK index=\d+$")
        self.write(leader, "before.big.test", "192.0.2.60")
        wait_until(lambda: c.status(leader)["pending"] == 0, 5.0, interval=0.05,
                   what="pending drained after REMOVE-NODE")

        spare, raft_addr, dns_addr = c.add_joiner()
        self.assertRegex(c.send(leader, f"ADD-NODE {spare} {raft_addr} {dns_addr}", 10.0),
                         r"^OK index=\d+$")
        start = time.monotonic()
        c.start(spare)
        wait_until(lambda: c.has_record(spare, last, "A", big_address(BIG_NAMES - 1)),
                   TRANSFER_BOUND, interval=0.2, what=f"node {spare} answers the copied zone")
        took = time.monotonic() - start
        wait_until(lambda: spare in self.members(leader)[0], SETTLE,
                   what=f"node {spare} promoted to voter")
        print(f"joiner answered the last of {BIG_NAMES} names {took:.1f} s after its start",
              file=sys.stderr)
        self.assertLess(took, TRANSFER_BOUND)
        # Every 50th name (2,000 queries) and the write made after the copy's source dropped it.
        missing = [i for i in range(0, BIG_NAMES, 50)
                   if not c.has_record(spare, f"h{i}.big.test.", "A", big_address(i))]
        self.assertEqual(missing[:5], [], f"{len(missing)} of {BIG_NAMES // 50} sampled names")
        self.assertTrue(c.has_record(spare, "before.big.test.", "A", "192.0.2.60"))
        self.assertFalse(c.has_record(spare, f"h{BIG_NAMES}.big.test.", "A",
                                      big_address(BIG_NAMES)))

        c.kill9(leader)
        survivors = [i for i in range(3) if i not in (leader, dead)] + [spare]
        new_leader = c.wait_leader(timeout=SETTLE, among=survivors)
        wait_until(lambda: c.send(new_leader, "ADD: after.big.test A 192.0.2.61",
                                  5.0).startswith("OK"),
                   SETTLE, what="a write commits after the original leader died")
        for i in survivors:
            wait_until(lambda: c.has_record(i, "after.big.test.", "A", "192.0.2.61"), SETTLE,
                       what=f"node {i} answers the write")


def main():
    global BINARY, SEED_DIR
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    BINARY, SEED_DIR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    names = sys.argv[3:]
    result = run_tests(__name__, names)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
