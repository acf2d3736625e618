"""End-to-end: a node whose data directory was wiped rejoins by datastore transfer, and a node
down past the pending bound (max_pending_bytes) catches up by transfer when it returns.

Usage: /usr/bin/python3 e2e_rejoin.py BUILD/dns-node SEED_DIR [TestClass[.test] ...]
SEED_DIR holds the 2017 prototype's dns-config.json and zf0.txt..zf2.txt (tests/data/prototype).
The operator scenario of issue 11: enough ADDs that raft compacts and pending drains, REMOVE of
cats.com MX ["mx3.petsmart.com.", 3] (from node 2's own zone file), kill -9 node 2, rm -rf its
data directory, start it again with the same command line. Within 30 s all three nodes answer
identically, the removed MX stays removed everywhere, writes keep committing meanwhile, and the
empty node never re-imports its zone file; it is demoted to learner and promoted back before it
votes again (STATUS votes=above-term-T). The clients' history from the wipe on (the writes
during the rejoin, reads of the latest of them on every node up, the rejoining one included,
final reads; raftdns.history) passes build/history-check (beside dns-node). Every wait is
bounded; every process is killed at the end of each test, passed or failed.
"""

import os
import re
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.history import HistoryRecorder, ReadLoad, check_history, verdict  # noqa: E402
from raftdns.testcase import ClusterDirTestCase, run_tests  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402

BINARY = None  # set from argv in main
SEED_DIR = None

TUNED = {"election_timeout_ms": 1000, "heartbeat_ms": 100, "checkpoint_interval_ms": 200,
         "write_timeout_ms": 3000}
ADDS = 1500  # above raft's compaction interval (1024 applied entries)
REJOIN = 30.0  # the bound: the three nodes answer identically within 30 s
MX = "3 mx3.petsmart.com."
PROBES = [("example.com.", "A"), ("cs244b.com.", "A"), ("cats.com.", "A"), ("cats.com.", "MX"),
          ("cats.com.", "NS"), ("cats.com.", "SOA"), ("example.com.", "SOA"),
          ("nosuch.cats.com.", "A"), ("add-0.example.com.", "A"), ("add-749.example.com.", "A"),
          (f"add-{ADDS - 1}.example.com.", "A")]


def seed(name):
    return os.path.join(SEED_DIR, name)


class WipeRejoin(ClusterDirTestCase):
    prefix = "e2e-rejoin"

    def view(self, i):
        """(name, type) -> (rcode, rdatas) as node i answers now; None on a timeout."""
        out = {}
        for name, rdtype in PROBES:
            try:
                r = self.cluster.query(i, name, rdtype, timeout=1.0)
                out[(name, rdtype)] = (r.rcode, sorted(r.rdatas()))
            except Exception:  # noqa: BLE001 - a timeout is "not the same answer"
                out[(name, rdtype)] = None
        return out

    def add_many(self, node, count):
        """ADDs count names through node's console, many in flight at once; all must commit."""
        console = self.cluster.console(node)
        pending = []
        for k in range(count):
            pending.append(console.submit(f"ADD: add-{k}.example.com A 10.1.{k // 250}.{k % 250}"))
            if len(pending) >= 100:
                for p in pending:
                    reply = p.wait(20.0)
                    self.assertTrue(reply.startswith(("OK", "NOOP")), reply)
                pending = []
        for p in pending:
            reply = p.wait(20.0)
            self.assertTrue(reply.startswith(("OK", "NOOP")), reply)

    def test_wiped_node_rejoins_by_transfer_and_never_reimports(self):
        c = self.cluster = Cluster(BINARY, self.workdir, base_config=seed("dns-config.json"),
                                   zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
                                   config_extra=TUNED)
        c.start_all()
        c.wait_leader(timeout=REJOIN)
        for i in range(3):
            wait_until(lambda i=i: c.has_record(i, "cats.com.", "MX", MX), REJOIN,
                       what=f"node {i} serves the imported cats.com MX")
        self.add_many(0, ADDS)
        reply = c.send(1, 'REMOVE: cats.com MX ["mx3.petsmart.com.", 3]', 10.0)
        self.assertTrue(reply.startswith("OK"), reply)
        # Checkpointed everywhere and dropped from pending: only the datastores have it now.
        statuses = c.wait_settled(timeout=REJOIN)
        self.assertGreater(statuses[0]["dropped-through"], ADDS)
        cluster_id = statuses[0]["cluster"]
        for i in range(3):
            self.assertFalse(c.has_record(i, "cats.com.", "MX", MX), f"node {i}")

        history = HistoryRecorder(c, os.path.join(self.workdir, "history.jsonl"))
        c.kill9(2)
        shutil.rmtree(c.data_dir(2))
        # Writes keep committing on the others while node 2 joins and copies.
        stop = threading.Event()
        written, failures = [], []
        reads = ReadLoad(history, lambda: [f"during-{k}.example.com" for k, _ in written[-3:]] +
                         ["cats.com"], rate=20).start()

        def writer():
            k = 0
            while not stop.is_set() and k < 200:
                reply = history.write(k % 2,
                                      f"ADD: during-{k}.example.com A 10.9.{k // 250}.{k % 250}",
                                      10.0)
                if reply is None:
                    failures.append((k, "no reply"))
                    break
                (written if reply.startswith("OK") else failures).append((k, reply))
                k += 1
                time.sleep(0.02)

        thread = threading.Thread(target=writer, daemon=True)
        restarted = time.monotonic()
        thread.start()
        c.start(2)  # the same command line as before
        try:
            def identical():
                views = [self.view(i) for i in range(3)]
                return views[0] == views[1] == views[2] and views[0]
            wait_until(identical, REJOIN, interval=0.2,
                       what="the three nodes answer identically after the wipe")
            took = time.monotonic() - restarted
        finally:
            stop.set()
            thread.join(30)
            reads.stop()
        self.assertFalse(failures, f"writes failed during the transfer: {failures[:5]}")
        self.assertGreater(len(written), 0)
        print(f"wipe-rejoin: identical answers {took:.1f}s after the restart; "
              f"{len(written)} writes committed meanwhile", file=sys.stderr)
        # The removed MX stays removed on every node, also after any import could have committed.
        time.sleep(2)
        for i in range(3):
            self.assertFalse(c.has_record(i, "cats.com.", "MX", MX), f"node {i} serves the MX again")
            self.assertTrue(c.has_record(i, "add-1499.example.com.", "A", "10.1.5.249"), f"node {i}")
        log = c.log_text(2).split("==== start")[-1]  # the restarted process only
        self.assertNotRegex(log, r"proposing \d+ zone-file records")
        self.assertRegex(log, r"datastore copied from node \d+")
        s2 = c.status(2)
        self.assertEqual(s2["cluster"], cluster_id)
        self.assertEqual(s2["transfer"], "none")
        # The last writes of the writer thread reach node 2 too, and it acknowledges again.
        k, _ = written[-1]
        wait_until(lambda: c.has_record(2, f"during-{k}.example.com.", "A",
                                        f"10.9.{k // 250}.{k % 250}"), 10,
                   what="node 2 serves the last write made during the transfer")
        # It lost the votes it gave with its data directory: demoted to learner, it votes again
        # only once promoted back, in later terms (docs/design.md, "Safe rejoin: votes").
        wait_until(lambda: c.status(2)["votes"].startswith("above-term-"), REJOIN,
                   what="node 2 promoted back to voter (STATUS votes=above-term-T)")
        self.assertTrue(any("demoting voter 2 to learner" in c.log_text(i) for i in range(3)),
                        "no node logged the demotion of node 2")
        c.wait_settled(timeout=REJOIN)
        history.final_reads()
        history.close()
        passed, report = check_history(os.path.join(os.path.dirname(BINARY), "history-check"),
                                       history.path)
        print(f"wipe-rejoin: history {history.lines} lines ({reads.recorded} reads during the "
              f"rejoin, {history.unbracketed} unbracketed); history-check: {verdict(report)}",
              file=sys.stderr)
        self.assertTrue(passed, f"history-check failed on {history.path}:\n{report}")

    def test_data_directory_of_another_node_is_refused(self):
        c = self.cluster = Cluster(BINARY, self.workdir, base_config=seed("dns-config.json"),
                                   zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
                                   config_extra=TUNED)
        c.start_all()
        c.wait_leader(timeout=REJOIN)
        wait_until(lambda: os.path.exists(os.path.join(c.data_dir(1), "identity")), 10,
                   what="node 1 wrote its identity file")
        c.stop(1)
        c.stop(2)
        shutil.rmtree(c.data_dir(2))
        shutil.copytree(c.data_dir(1), c.data_dir(2),
                        ignore=shutil.ignore_patterns("*.sock", "*.lock", "LOCK"))
        c.start(2, wait_ready=False)
        wait_until(lambda: not c.alive(2), 15, what="node 2 refuses another node's data directory")
        self.assertRegex(c.log_text(2), r"belongs to node 1, not node 2")


def needs_transfer(status):
    """The members a STATUS line lists after needs_transfer= (nothing after '=' when none)."""
    value = str(status.get("needs_transfer", ""))
    return sorted(int(v) for v in value.split(",") if v)


class Laggard(ClusterDirTestCase):
    """Issue 11 item 4 with real processes: a small max_pending_bytes, one follower killed while
    writes go on. The others stop holding changes for it (STATUS needs_transfer=, pending_bytes
    within the bound); started again with the same command line it copies a peer's datastore,
    answers identically and its acks count again (pending drains)."""

    prefix = "e2e-laggard"
    BOUND = 4096
    WRITES = 200  # about 45 bytes each: twice the bound

    def test_node_down_past_the_pending_bound_catches_up_by_transfer(self):
        c = self.cluster = Cluster(BINARY, self.workdir, base_config=seed("dns-config.json"),
                                   zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
                                   config_extra=dict(TUNED, max_pending_bytes=self.BOUND))
        c.start_all()
        leader = c.wait_leader(timeout=REJOIN)
        for i in range(3):
            wait_until(lambda i=i: c.has_record(i, "cats.com.", "MX", MX), REJOIN,
                       what=f"node {i} serves the imported cats.com MX")
        wait_until(lambda: c.status(leader)["max_pending_bytes"] == self.BOUND, 10,
                   what="the bound recorded in R")
        victim = next(i for i in range(3) if i != leader)
        live = [i for i in range(3) if i != victim]
        c.kill9(victim)
        console = c.console(leader)
        replies = [console.submit(f"ADD: lag-{k}.example.com A 10.2.{k // 250}.{k % 250}")
                   for k in range(self.WRITES)]
        for r in replies:
            reply = r.wait(20.0)
            self.assertTrue(reply.startswith(("OK", "NOOP")), reply)
        # The survivors hold nothing more for the victim, and pending (hence raft's snapshot)
        # stays within the bound; with the victim left out, pending drains on them.
        statuses = c.wait_settled(nodes=live, timeout=10)
        for i, s in zip(live, statuses):
            self.assertEqual(needs_transfer(s), [victim], f"node {i}: {s}")
            self.assertLessEqual(s["pending_bytes"], self.BOUND, f"node {i}")
            self.assertGreater(s["dropped-through"], self.WRITES)
        self.assertRegex(c.log_text(leader), rf"no longer holding changes for node {victim}")
        # More entries after the drain (raft compacts every 128 with pending empty), so that
        # raft's snapshot says what was dropped and the victim's own log cannot fill the gap.
        replies = [console.submit(f"ADD: more-{k}.example.com A 10.3.0.{k}") for k in range(150)]
        for r in replies:
            reply = r.wait(20.0)
            self.assertTrue(reply.startswith(("OK", "NOOP")), reply)
        c.wait_settled(nodes=live, timeout=10)

        restarted = time.monotonic()
        c.start(victim)  # the same command line as before
        last = (f"lag-{self.WRITES - 1}.example.com.", "A")

        def identical():
            views = []
            for i in range(3):
                view = {}
                for name, rdtype in PROBES[:8] + [last, ("more-149.example.com.", "A")]:
                    try:
                        r = c.query(i, name, rdtype, timeout=1.0)
                        view[(name, rdtype)] = (r.rcode, sorted(r.rdatas()))
                    except Exception:  # noqa: BLE001 - a timeout is "not the same answer"
                        view[(name, rdtype)] = None
                views.append(view)
            return views[0] == views[1] == views[2] and views[0][last] == ("NOERROR", ["10.2.0.199"])

        wait_until(identical, 10, interval=0.2, what="the returned node answers like the others")
        took = time.monotonic() - restarted
        log = c.log_text(victim).split("==== start")[-1]
        self.assertRegex(log, r"datastore copied from node \d+")
        # Its acks count again: pending drains everywhere and, once each node has heard of the
        # victim's acks (a follower learns them a heartbeat or so after the leader), nobody needs
        # a transfer.
        c.wait_settled(timeout=10)
        wait_until(lambda: all(needs_transfer(c.status(i)) == [] for i in range(3)), 10,
                   interval=0.1, what="no node needs a transfer for the returned node")
        print(f"laggard: identical answers {took:.1f}s after the restart", file=sys.stderr)


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
