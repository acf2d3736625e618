"""End-to-end: a real 3-node dns-node cluster whose raft links pass through build/fault-proxy
(testbed/), with its leader isolated and healed (issue 17's first Done-when, real half; the
simulator half and the side-by-side report are experiments/real_faults).

Usage: /usr/bin/python3 e2e_partition.py BUILD/dns-node BUILD/fault-proxy SEED_DIR

SEED_DIR holds the prototype's dns-config.json and zf0.txt..zf2.txt (tests/data/prototype).
Checks, with the cluster key on (the proxy relays bytes, so HMACs pass):
  - isolating the leader elects a new leader among the other two within the election bound
    (2 x election_timeout_ms for the randomised timeout, plus slack for a loaded machine);
  - the isolated node keeps answering queries from its local data, old and new records alike;
  - a write through the isolated node gets a clear "ERROR no quorum" within the write timeout;
  - a write through the majority commits;
  - after healing, every node serves every acknowledged write, and all agree on the
    unacknowledged one (present everywhere or nowhere) with the same commit and nothing pending;
  - the clients' history (writes through the control socket, bracketed reads on every node all
    through the fault, final reads after the heal; raftdns.history) passes build/history-check
    (found beside dns-node), kept as history.jsonl in the test's directory.
"""

import concurrent.futures

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.faultproxy import ProxiedCluster  # noqa: E402
from raftdns.history import HistoryRecorder, ReadLoad, check_history, verdict  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase  # noqa: E402

BINARY = PROXY = SEED_DIR = None  # from argv

ELECTION_MS = 500
TIMING = {"election_timeout_ms": ELECTION_MS, "heartbeat_ms": 50, "checkpoint_interval_ms": 200,
          "write_timeout_ms": 1500}
# Raft's randomised timeout is in [T, 2T); a pre-vote and a vote round follow. The slack covers
# a loaded 2-core machine polling STATUS; what is tested is the bound, not the speed.
ELECTION_BOUND = 2 * ELECTION_MS / 1000 + 2.0
WRITE_REPLY_BOUND = TIMING["write_timeout_ms"] / 1000 + 3.0
ZONES = {"example.com.": "1.2.3.4", "cs244b.com.": "10.20.30.40", "cats.com.": "1.2.3.4"}


class IsolateLeader(ClusterDirTestCase):
    prefix = "e2e-partition"

    def test_isolated_leader(self):
        key = os.path.join(self.workdir, "cluster.key")
        subprocess.run([BINARY, "--gen-key", key], capture_output=True, timeout=10, check=True)
        c = self.cluster = ProxiedCluster(
            BINARY, self.workdir, proxy_binary=PROXY,
            base_config=os.path.join(SEED_DIR, "dns-config.json"),
            zone_files=[[os.path.join(SEED_DIR, f"zf{i}.txt")] for i in range(3)],
            config_extra={**TIMING, "cluster_key_file": "cluster.key"})
        c.start_all()
        c.wait_leader(timeout=20)
        for i in range(3):
            for zone, address in ZONES.items():
                wait_until(lambda: c.has_record(i, zone, "A", address), 20,
                           what=f"node {i} serves {zone}")
        old = c.wait_leader()
        history = HistoryRecorder(c, os.path.join(self.workdir, "history.jsonl"))
        names = ["before.example.com", "isolated.example.com", "majority.example.com",
                 "example.com"]
        reads = ReadLoad(history, lambda: names, rate=20).start()
        reply = history.write(old, "ADD: before.example.com A 192.0.2.10", WRITE_REPLY_BOUND)
        self.assertTrue(reply.startswith("OK"), reply)
        for i in range(3):
            wait_until(lambda: c.has_record(i, "before.example.com", "A", "192.0.2.10"), 10,
                       what=f"node {i} answers before.example.com")

        others = [i for i in range(3) if i != old]
        start = time.monotonic()
        c.proxy.command(f"fault isolate@0/{old + 1}/0/0")
        new = c.wait_leader(timeout=ELECTION_BOUND + 5, among=others)
        elapsed = time.monotonic() - start
        print(f"isolated leader {old}; node {new} leads after {elapsed:.2f}s "
              f"(bound {ELECTION_BOUND:.1f}s)", file=sys.stderr)
        self.assertLess(elapsed, ELECTION_BOUND, f"failover took {elapsed:.2f}s")

        # The isolated node refuses a write clearly, in bounded time, and keeps answering
        # queries from its local data meanwhile.
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        pending = pool.submit(history.write, old, "ADD: isolated.example.com A 192.0.2.11",
                              WRITE_REPLY_BOUND)
        for _ in range(5):
            self.assertTrue(c.has_record(old, "before.example.com", "A", "192.0.2.10"))
            self.assertTrue(c.has_record(old, "cs244b.com", "A", "10.20.30.40"))
            time.sleep(0.1)
        reply = pending.result(WRITE_REPLY_BOUND + 1)
        pool.shutdown()
        self.assertIsNotNone(reply, "the isolated node never answered the write")
        self.assertTrue(reply.startswith("ERROR no quorum"), reply)
        self.assertTrue(c.proxy.command("status").find(f"isolate n{old + 1}") > 0)

        reply = history.write(new, "ADD: majority.example.com A 192.0.2.12", WRITE_REPLY_BOUND)
        self.assertTrue(reply.startswith("OK"), reply)
        # Still isolated: the old leader cannot have it.
        self.assertFalse(c.has_record(old, "majority.example.com", "A", "192.0.2.12"))

        c.proxy.command("heal")
        statuses = c.wait_settled(timeout=20)
        self.assertEqual(len({s["leader"] for s in statuses}), 1, statuses)
        for i in range(3):
            for name, address in (("before", "192.0.2.10"), ("majority", "192.0.2.12")):
                wait_until(lambda: c.has_record(i, f"{name}.example.com", "A", address), 10,
                           what=f"node {i} answers the acknowledged {name}.example.com")
        seen = {c.has_record(i, "isolated.example.com", "A", "192.0.2.11") for i in range(3)}
        self.assertEqual(len(seen), 1, "nodes disagree on the unacknowledged write")

        reads.stop()
        history.final_reads()
        history.close()
        passed, report = check_history(os.path.join(os.path.dirname(BINARY), "history-check"),
                                       history.path)
        print(f"history: {history.lines} lines ({reads.recorded} reads during the run, "
              f"{history.unbracketed} unbracketed); history-check: {verdict(report)}",
              file=sys.stderr)
        self.assertTrue(passed, f"history-check failed on {history.path}:\n{report}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: e2e_partition.py DNS_NODE FAULT_PROXY SEED_DIR [unittest args]")
    BINARY, PROXY, SEED_DIR = sys.argv[1:4]
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:])
