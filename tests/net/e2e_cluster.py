"""End-to-end tests of a real 3-node dns-node cluster on loopback.

Usage: /usr/bin/python3 e2e_cluster.py BUILD/dns-node SEED_DIR [TestClass[.test] ...]
SEED_DIR holds the 2017 prototype's dns-config.json and zf0.txt..zf2.txt (tests/data/prototype in
the repository). Every test runs its own cluster in its own temp dir (kept and printed when the
test fails, or always with E2E_KEEP=1); every wait is bounded and every process is killed at the
end of each test, passed or failed.
"""

import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

import dns.exception
import dns.message
import dns.query

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.history import HistoryRecorder, ReadLoad, check_history, verdict  # noqa: E402
from raftdns.testcase import ClusterDirTestCase, run_tests  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402

BINARY = None  # set from argv in main
SEED_DIR = None

# The zones of the prototype's zone files (zf0-zf2) and the address of each apex A record.
PROTOTYPE_ZONES = {"example.com.": "1.2.3.4", "cs244b.com.": "10.20.30.40", "cats.com.": "1.2.3.4"}
PROBE_TYPES = ("SOA", "NS", "MX", "A", "TXT")

# Timing for tests that kill nodes. Generous against a loaded 2-core machine; what is tested
# is the bound, not the speed.
TUNED = {"election_timeout_ms": 1000, "heartbeat_ms": 100, "checkpoint_interval_ms": 200,
         "write_timeout_ms": 2000}
WRITE_TIMEOUT = TUNED["write_timeout_ms"] / 1000
SETTLE = 30.0  # seconds to converge after a change in membership
REPLY = WRITE_TIMEOUT + 8.0  # a write's reply: the write timeout plus slack for a loaded machine


def seed(name):
    return os.path.join(SEED_DIR, name)


class ClusterTestCase(ClusterDirTestCase):
    """A test with its own temp dir and a cluster started from the prototype's config and zone
    files (ports remapped); the cluster's logs are printed when the test fails."""

    config_extra = TUNED
    history = None  # a HistoryRecorder: add() then goes through it

    prefix = "e2e-cluster"

    def make_cluster(self, **kwargs):
        kwargs.setdefault("base_config", seed("dns-config.json"))
        kwargs.setdefault("zone_files", [[seed(f"zf{i}.txt")] for i in range(3)])
        kwargs.setdefault("config_extra", self.config_extra)
        self.cluster = Cluster(BINARY, self.workdir, **kwargs)
        return self.cluster

    def start_imported(self):
        """Starts the nodes not running yet and waits until each node serves all three
        prototype zones."""
        c = self.cluster
        for i in range(c.size):
            if not c.alive(i):
                c.start(i, wait_ready=False)
        for i in range(c.size):
            c.nodes[i].wait_ready(c.ready_timeout)
        c.wait_leader(timeout=SETTLE)
        for i in range(c.size):
            for zone, address in PROTOTYPE_ZONES.items():
                wait_until(lambda: c.has_record(i, zone, "A", address), SETTLE,
                           what=f"node {i} serves {zone}")

    def add(self, i, name, address, timeout=REPLY):
        line = f"ADD: {name} A {address}"
        if self.history is not None:
            reply = self.history.write(i, line, timeout) or "no reply"
        else:
            reply = self.cluster.send(i, line, timeout)
        self.assertTrue(reply.startswith("OK index="), f"ADD {name} on node {i}: {reply!r}")
        return reply

    def wait_record(self, i, name, address, timeout=SETTLE):
        wait_until(lambda: self.cluster.has_record(i, name, "A", address), timeout,
                   what=f"node {i} answers {name} A {address}")

    def assert_serving(self, c, tag):
        """Every node answers and takes part in a new write."""
        for i in range(3):
            self.assertEqual(c.query(i, "example.com.", "A").rdatas(), ["1.2.3.4"],
                             f"node {i} after {tag}")
            self.assertIn("role", c.status(i))
        self.add(0, f"{tag}.example.com", "192.0.2.123")
        for i in range(3):
            self.wait_record(i, f"{tag}.example.com.", "192.0.2.123")

    def record_history(self):
        """A HistoryRecorder (raftdns.history) on the cluster, writing history.jsonl in the
        test's directory (kept when the test fails)."""
        return HistoryRecorder(self.cluster, os.path.join(self.workdir, "history.jsonl"))

    def assert_history_passes(self, history):
        """Final reads on every node (the cluster settled), then build/history-check (beside
        dns-node) must pass the history."""
        history.final_reads()
        history.close()
        passed, report = check_history(os.path.join(os.path.dirname(BINARY), "history-check"),
                                       history.path)
        print(f"  history: {history.lines} lines, {history.unbracketed} reads unbracketed; "
              f"history-check: {verdict(report)}", file=sys.stderr)
        self.assertTrue(passed, f"history-check failed on {history.path}:\n{report}")

    def snapshot(self, i, names):
        """(name, type) -> (rcode, sorted rdatas) as node i answers now."""
        result = {}
        for name in names:
            for rdtype in PROBE_TYPES:
                r = self.cluster.query(i, name, rdtype)
                result[(name, rdtype)] = (r.rcode, r.rdatas())
        return result


class PrototypeConfig(ClusterTestCase):
    """The 2017 prototype's files, unchanged but for the ports."""

    config_extra = None  # the prototype's config as it is: default timings

    def test_every_zone_on_every_node_and_add_answered_everywhere(self):
        c = self.make_cluster()
        ready = c.start_all()
        for i, line in enumerate(ready):
            self.assertIn(f"node {i} serving", line)
            self.assertIn(f"{c.query_addr(i)[0]}:{c.query_addr(i)[1]} udp+tcp", line)
        leader = c.wait_initialized(0, timeout=SETTLE)
        self.assertIn(leader, range(3))
        self.start_imported()
        for i in range(3):
            c.wait_initialized(i, timeout=SETTLE)
            self.assertEqual(c.nodes[i].announcements[1:],
                             ["Initializing raft...", c.nodes[i].initialized_line])
        views = [self.snapshot(i, PROTOTYPE_ZONES) for i in range(3)]
        for zone in PROTOTYPE_ZONES:
            for rdtype in PROBE_TYPES:
                rcode, rdatas = views[0][(zone, rdtype)]
                self.assertEqual(rcode, "NOERROR", f"{zone} {rdtype}")
                self.assertTrue(rdatas, f"{zone} {rdtype} has no answer")
        self.assertEqual(views[0], views[1])
        self.assertEqual(views[0], views[2])
        self.assertEqual(len(views[0][("example.com.", "MX")][1]), 3)
        self.assertEqual(views[0][("cats.com.", "NS")][1],
                         ["ns1.petsmart.com.", "ns2.petsmart.com."])

        for writer in range(3):
            name = f"added-on-{writer}.cs244b.com"
            self.add(writer, name, f"192.0.2.{writer + 1}")
            for i in range(3):
                self.wait_record(i, name + ".", f"192.0.2.{writer + 1}")
        reply = c.send(1, "ADD: added-on-1.cs244b.com A 192.0.2.2", REPLY)
        self.assertTrue(reply.startswith("NOOP already present"), reply)
        reply = c.send(2, "REMOVE: added-on-0.cs244b.com A 192.0.2.1", REPLY)
        self.assertTrue(reply.startswith("OK index="), reply)
        for i in range(3):
            wait_until(lambda: c.query(i, "added-on-0.cs244b.com.", "A").rcode == "NXDOMAIN",
                       SETTLE, what=f"node {i} no longer answers the removed record")
        self.assertEqual(c.stop_all(), {0: 0, 1: 0, 2: 0})


class DistinctAddresses(ClusterTestCase):
    """Nodes told apart by IP alone: 127.0.0.1/.2/.3 with the same raft and query ports."""

    def test_three_loopback_addresses_same_ports(self):
        hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        c = self.make_cluster(hosts=hosts, same_port=True)
        self.assertEqual(len({c.raft_addr(i)[1] for i in range(3)}), 1)
        self.assertEqual(len({c.query_addr(i)[1] for i in range(3)}), 1)
        ready = c.start_all()
        for i in range(3):
            self.assertIn(f"{hosts[i]}:{c.query_addr(i)[1]} udp+tcp", ready[i])
        self.start_imported()
        self.add(2, "multi-ip.cats.com", "192.0.2.33")
        for i in range(3):
            self.wait_record(i, "multi-ip.cats.com.", "192.0.2.33")
        # Each node reached each peer at the peer's own address (the port alone is ambiguous).
        port = c.raft_addr(0)[1]
        for i in range(3):
            log = c.log_text(i)
            for peer in range(3):
                if peer != i:
                    self.assertIn(f"peer {peer} up ({hosts[peer]}:{port})", log, f"node {i}")


class LeaderKill(ClusterTestCase):
    """kill -9 of the leader while a client streams ADDs into a follower; the clients' history
    (the stream, reads on every node up, final reads) passes history-check."""

    def test_every_acknowledged_add_survives_leader_kill(self):
        c = self.make_cluster()
        self.start_imported()
        leader = c.wait_leader(timeout=SETTLE)
        client_node = (leader + 1) % 3
        acknowledged, replies = [], []
        stop = threading.Event()
        killed_at, first_ok_after_kill = [None], [None]
        history = self.record_history()
        reads = ReadLoad(history, lambda: [a[0] for a in acknowledged[-3:]] + ["example.com."],
                         rate=20).start()

        def stream():
            for n in range(100000):
                if stop.is_set():
                    return
                name, address = f"w{n}.example.com.", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
                reply = history.write(client_node, f"ADD: {name} A {address}", REPLY)
                if reply is None:
                    replies.append(("timeout", f"no reply within {REPLY}s to ADD {name}"))
                    continue
                replies.append((name, reply))
                if reply.startswith("OK"):
                    acknowledged.append((name, address, killed_at[0] is not None))
                    if killed_at[0] is not None and first_ok_after_kill[0] is None:
                        first_ok_after_kill[0] = time.monotonic()

        client = threading.Thread(target=stream, daemon=True)
        client.start()
        try:
            wait_until(lambda: len(acknowledged) >= 20, SETTLE, what="20 ADDs before the kill")
            killed_at[0] = time.monotonic()
            self.assertEqual(c.kill9(leader), -9)
            wait_until(lambda: sum(after for _, _, after in acknowledged) >= 20, SETTLE,
                       what="20 ADDs acknowledged after the leader's kill")
        finally:
            stop.set()
            client.join(timeout=REPLY + 5)
            reads.stop()
        self.assertFalse(client.is_alive())
        unexpected = [r for r in replies
                      if not r[1].startswith("OK") and not r[1].startswith("ERROR no quorum")]
        self.assertEqual(unexpected, [], "replies other than OK / ERROR no quorum")
        print(f"\n  leader {leader} killed: {len(acknowledged)} ADDs acknowledged, "
              f"{sum(r[1].startswith('ERROR') for r in replies)} refused; first OK "
              f"{first_ok_after_kill[0] - killed_at[0]:.2f}s after the kill", file=sys.stderr)

        survivors = [i for i in range(3) if i != leader]
        c.wait_settled(survivors, timeout=SETTLE, drained=False)
        for i in survivors:
            for name, address, _ in acknowledged:
                self.assertTrue(c.has_record(i, name, "A", address),
                                f"node {i} lost acknowledged {name}")
        c.restart(leader)
        c.wait_settled(timeout=SETTLE)
        for name, address, _ in acknowledged:
            self.wait_record(leader, name, address, timeout=5)
        for i in range(3):
            self.assertEqual(c.status(i)["pending"], 0)
        self.assert_history_passes(history)


class Minority(ClusterTestCase):
    """kill -9 of two nodes out of three: the survivor serves, refuses writes, does not freeze;
    the clients' history (the writes, reads of every name on every node before the kills and on
    the survivor after them, final reads) passes history-check."""

    def timed_snapshot(self, i, names):
        latencies, answers = [], {}
        for name in names:
            for rdtype in PROBE_TYPES:
                start = time.monotonic()
                r = self.cluster.query(i, name, rdtype, timeout=2.0)
                latencies.append(time.monotonic() - start)
                answers[(name, rdtype)] = (r.rcode, r.rdatas())
        return answers, sorted(latencies)

    def test_survivor_serves_refuses_writes_and_cluster_recovers(self):
        c = self.make_cluster()
        self.start_imported()
        self.history = self.record_history()
        names = list(PROTOTYPE_ZONES)
        for n in range(5):
            self.add(n % 3, f"before{n}.example.com", f"192.0.2.{n + 10}")
            names.append(f"before{n}.example.com.")
        c.wait_settled(timeout=SETTLE)
        leader = c.wait_leader(timeout=SETTLE)
        survivor = (leader + 1) % 3
        before, latencies_before = self.timed_snapshot(survivor, names)
        for i in range(3):
            self.assertEqual(self.history.read(i, names), len(names))

        for i in range(3):
            if i != survivor:
                c.kill9(i)
        after, latencies_after = self.timed_snapshot(survivor, names)
        self.assertEqual(self.history.read(survivor, names), len(names))
        self.assertEqual(after, before, "the survivor's answers changed")
        median = latencies_after[len(latencies_after) // 2]
        self.assertLess(median, max(0.05, 5 * latencies_before[len(latencies_before) // 2]),
                        f"median query latency {median:.4f}s after the kills "
                        f"(before: {latencies_before})")

        start = time.monotonic()
        reply = self.history.write(survivor, "ADD: during.example.com A 192.0.2.99", REPLY)
        elapsed = time.monotonic() - start
        self.assertTrue(reply.startswith("ERROR no quorum"), reply)
        self.assertLess(elapsed, WRITE_TIMEOUT + 3.0, f"no-quorum reply took {elapsed:.2f}s")
        # Not frozen: STATUS and queries answer while the write is refused.
        start = time.monotonic()
        status = c.status(survivor, timeout=2.0)
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertNotEqual(str(status["role"]).lower(), "leader")
        self.assertEqual(c.query(survivor, "cats.com.", "A").rdatas(), ["1.2.3.4"])

        for i in range(3):
            if i != survivor:
                c.restart(i)
        c.wait_leader(timeout=SETTLE)
        self.add(survivor, "after.example.com", "192.0.2.100")
        statuses = c.wait_settled(timeout=SETTLE)
        self.assertTrue(all(s["pending"] == 0 for s in statuses), statuses)
        for i in range(3):
            self.wait_record(i, "after.example.com.", "192.0.2.100")
            self.assertEqual(self.snapshot(i, names), self.snapshot(survivor, names))
        self.assert_history_passes(self.history)


class RestartAll(ClusterTestCase):
    """Stopping and restarting nodes keeps every record and never imports a zone file twice."""

    def test_stop_all_restart_all_keeps_records_without_reimport(self):
        c = self.make_cluster()
        self.start_imported()
        names = list(PROTOTYPE_ZONES)
        for n in range(6):
            self.add(n % 3, f"kept{n}.cs244b.com", f"192.0.2.{n + 40}")
            names.append(f"kept{n}.cs244b.com.")
        statuses = c.wait_settled(timeout=SETTLE)
        # Checkpointed everywhere: every node's local datastore holds all it serves (hw and acks
        # count in the served index space, not raft's).
        statuses = wait_until(
            lambda: all(s["hw"] == s["served"] and min(s["acked"].values()) == s["served"]
                        for s in [c.status(i) for i in range(3)]) and
            [c.status(i) for i in range(3)], SETTLE, what="every node checkpointed")
        applied_before, served_before = statuses[0]["applied"], statuses[0]["served"]
        before = [self.snapshot(i, names) for i in range(3)]
        self.assertEqual(c.stop_all(), {0: 0, 1: 0, 2: 0})

        # A zone file edited while the cluster is down must not be imported on restart: the
        # data directory, not the zone file, is the truth after the first boot.
        with open(c.zone_files[0][0], "a") as f:
            f.write("reimported.example.com  A  192.0.2.250\n")
        # Node 0 alone has no majority: it says so, yet answers from its local data at once.
        ready = [c.start(0)]
        self.assertEqual(self.snapshot(0, names), before[0], "node 0 alone, without raft")
        status = c.status(0)
        self.assertFalse(c.nodes[0].initialized.is_set(), "'Raft initialized' without a majority")
        self.assertNotEqual(str(status["role"]).lower(), "leader", status)
        ready += [c.start(i) for i in (1, 2)]
        counts = {re.search(r"serving (\d+ zones \(\d+ records\))", line).group(1)
                  for line in ready}
        self.assertEqual(len(counts), 1, f"nodes restarted with different data: {ready}")
        for i in range(3):
            self.assertIn(" 3 zones ", ready[i], "local data served before raft is up")
            self.assertEqual(self.snapshot(i, names), before[i], f"node {i} right after restart")
        c.wait_leader(timeout=SETTLE)
        statuses = c.wait_settled(timeout=SETTLE)
        for i in range(3):
            self.assertEqual(self.snapshot(i, names), before[i], f"node {i} after election")
            self.assertFalse(c.has_record(i, "reimported.example.com.", "A", "192.0.2.250"))
            self.assertEqual(statuses[i]["imported"], "yes")
            # Raft moves on by the new leaders' no-op entries only; no record changed.
            self.assertLessEqual(statuses[i]["applied"], applied_before + 5,
                                 "applied index jumped: zone file imported again?")
            self.assertEqual(statuses[i]["served"], served_before, "records changed on restart")
            # No duplicate: example.com A answers exactly one address.
            self.assertEqual(c.query(i, "example.com.", "A").rdatas(), ["1.2.3.4"])
            log = c.log_text(i).split("==== start")[-1]
            self.assertNotIn("first boot", log)
        self.add(0, "after-restart.cats.com", "192.0.2.77")
        for i in range(3):
            self.wait_record(i, "after-restart.cats.com.", "192.0.2.77")

    def test_torn_wal_tail_cut_at_restart(self):
        c = self.make_cluster()
        self.start_imported()
        names = list(PROTOTYPE_ZONES)
        for n in range(4):
            self.add(n % 3, f"wal{n}.cats.com", f"192.0.2.{n + 60}")
            names.append(f"wal{n}.cats.com.")
        c.wait_settled(timeout=SETTLE)
        wait_until(lambda: c.status(0)["hw"] == c.status(0)["served"], SETTLE,
                   what="node 0 checkpointed")
        before = self.snapshot(0, names)
        self.assertEqual(c.stop(0), 0)
        wal = os.path.join(c.data_dir(0), "store.wal")
        size = os.path.getsize(wal)
        self.assertGreater(size, 16)
        # What a crash in the middle of an append leaves: a record header (u32 length, u32 crc,
        # little endian) that promises more bytes than follow it, after the last synced record.
        with open(wal, "ab") as f:
            f.write(struct.pack("<II", 200, 0xDEADBEEF) + b"half a record")
        c.restart(0)
        self.assertRegex(c.log_text(0), r"store\.wal: torn tail cut at byte \d+ \(21 bytes")
        with open(wal, "rb") as f:
            self.assertNotIn(b"half a record", f.read(), "the torn tail is still in the WAL")
        self.assertEqual(self.snapshot(0, names), before, "node 0 lost records")
        self.add(0, "after-cut.cats.com", "192.0.2.70")
        c.wait_settled(timeout=SETTLE)
        for i in range(3):
            self.wait_record(i, "after-cut.cats.com.", "192.0.2.70")
        wait_until(lambda: c.status(0)["hw"] == c.status(0)["served"], SETTLE,
                   what="node 0 checkpointed")
        before = self.snapshot(0, names + ["after-cut.cats.com."])  # SOA serials moved on
        # Once more from a clean stop: the cut WAL now reads without a warning.
        self.assertEqual(c.stop(0), 0)
        c.restart(0)
        self.assertNotIn("torn tail", c.log_text(0).split("==== start")[-1])
        self.assertEqual(self.snapshot(0, names + ["after-cut.cats.com."]), before)


    # A WAL whose last batch is damaged (not a crash: that batch was synced and acked) loses the
    # batch locally; while raft's log still has it, the node serves it again from there and must
    # also store it again (it copies what it serves, not only what is pending).
    def test_last_wal_batch_cut_mid_record_is_recovered_from_raft(self):
        c = self.make_cluster()
        self.start_imported()
        names = list(PROTOTYPE_ZONES)
        for n in range(4):
            self.add(n % 3, f"cut{n}.cats.com", f"192.0.2.{n + 80}")
            names.append(f"cut{n}.cats.com.")
        c.wait_settled(timeout=SETTLE)
        wait_until(lambda: all(c.status(i)["hw"] == c.status(i)["served"] for i in range(3)),
                   SETTLE, what="every node checkpointed")
        self.assertEqual(c.stop(0), 0)
        wal = os.path.join(c.data_dir(0), "store.wal")
        with open(wal, "rb") as f:
            data = f.read()
        offset, last = 0, None
        while offset < len(data):
            length, _crc = struct.unpack_from("<II", data, offset)
            last = (offset, length, data[offset + 8])
            offset += 8 + length
        self.assertEqual(offset, len(data), "the WAL does not end on a record boundary")
        self.assertEqual(last[2], 1, "the WAL's last record is not a batch")
        os.truncate(wal, last[0] + 8 + last[1] // 2)
        c.restart(0)
        self.assertRegex(c.log_text(0), r"store\.wal: torn tail cut at byte %d" % last[0])
        # Everything before the cut batch is served at once, from local data.
        for name in names[:-1]:
            self.assertTrue(c.query(0, name, "SOA").rcode in ("NOERROR", "NXDOMAIN"))
        for n in range(3):
            self.assertTrue(c.has_record(0, f"cut{n}.cats.com.", "A", f"192.0.2.{n + 80}"))
        # The cut batch is still in the cluster: node 0 gets it back and stores it again.
        c.wait_settled(timeout=SETTLE)
        self.wait_record(0, "cut3.cats.com.", "192.0.2.83")
        wait_until(lambda: c.status(0)["hw"] == c.status(0)["served"], 10,
                   what="node 0 stores what it serves (hw == served)")
        self.add(1, "later.cats.com", "192.0.2.90")
        self.wait_record(0, "later.cats.com.", "192.0.2.90")
        c.wait_settled(timeout=SETTLE)
        self.assertEqual(c.stop(0), 0)
        c.restart(0)
        self.assertTrue(c.has_record(0, "cut3.cats.com.", "A", "192.0.2.83"),
                        "the cut batch is lost after the next restart")

def random_bytes(rng, n, forbid=b""):
    return bytes(b for b in (rng.randrange(256) for _ in range(n * 2)) if b not in forbid)[:n]


class Garbage(ClusterTestCase):
    """Bad input on every door: the node says what is wrong and keeps serving."""

    def test_garbage_on_stdin(self):
        c = self.make_cluster()
        self.start_imported()
        rng = random.Random(7)
        # Each line and a word its error reply must contain ("" when any ERROR will do).
        bad_lines = [
            (b"FOO bar", "unknown command"),
            (b"ADD:", ""),
            (b"ADD: x.example.com", ""),
            (b"ADD: x.example.com A", ""),
            (b"ADD: x.example.com A not-an-address", ""),
            (b"ADD: x.example.com BOGUSTYPE 1", "BOGUSTYPE"),
            (b"REMOVE: x.example.com MX [\"unterminated", ""),
            (b"STATUS extra words", "extra"),
            (b"ADD: x.example.com A 1.2.3.4\x00trailing", "control character"),
            (b"\x00" * 10, "control character"),
            (b"\xff\xfe\xfd binary", "unknown command"),
            (random_bytes(rng, 300, forbid=b"\n\r#;\t "), ""),
            (b"ADD: " + b"a" * 200000 + b".example.com A 1.2.3.4", "too long"),
        ]
        for line, word in bad_lines:
            reply = c.send(0, line)
            self.assertRegex(reply, r"^ERROR line \d+: ", f"{line[:60]!r}")
            self.assertIn(word, reply, f"{line[:60]!r}")
        self.assertEqual(c.unanswered_lines(0), [], "more than one reply per line")
        self.assertTrue(c.nodes[0].alive())
        self.assert_serving(c, "after-stdin-garbage")

    def test_garbage_on_raft_port(self):
        c = self.make_cluster()
        self.start_imported()
        rng = random.Random(11)
        host, port = c.raft_addr(0)

        def hello(node_id, cluster="raft-dns", version=1, magic=b"RDNS"):
            name = cluster.encode()
            payload = magic + struct.pack(">HQB", version, node_id, len(name)) + name
            return struct.pack(">I", len(payload)) + payload

        # What is sent, and what node 0's log must say about it (a clear reason, naming the
        # remote address). Refusals are logged at most once per address per 10 s, so each attack
        # comes from its own loopback address, except the impostor, who must use node 2's.
        refused = r"peer connection from 127\.0\.0\.\d+:\d+ refused: "
        attacks = {
            "random bytes": (random_bytes(rng, 4096), refused),
            "huge frame length": (struct.pack(">I", 0xFFFFFFF0) + b"x" * 64,
                                  refused + r"frame length 4294967280"),
            "bad magic": (hello(1, magic=b"HTTP"), refused + r".*magic"),
            "wrong cluster": (hello(1, cluster="other-cluster"), refused + r".*other-cluster"),
            "unknown node": (hello(9), refused + r".*node id 9"),
            "wrong version": (hello(1, version=77), refused + r".*version 77"),
            "half a hello": (hello(1)[:7], refused + r".*hello"),
            # An impostor with a member's id and address: accepted, then its garbage frame
            # closes the connection; the real peer 2 reconnects.
            "hello then garbage": (hello(2) + random_bytes(rng, 2048),
                                   r"peer 2 \(127\.0\.0\.1:\d+\): .*frame length"),
        }
        for k, (what, (data, expected)) in enumerate(attacks.items()):
            log_before = len(c.log_text(0))
            source = host if what == "hello then garbage" else f"127.0.0.{100 + k}"
            with socket.create_connection((host, port), timeout=2.0,
                                          source_address=(source, 0)) as s:
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(3.0)
                    while s.recv(4096):  # the node closes the connection (or we time out)
                        pass
                except OSError:  # reset, broken pipe, not connected, timeout: the node hung up
                    pass
            wait_until(lambda: re.search(expected, c.log_text(0)[log_before:]), 5,
                       what=f"node 0 logs /{expected}/ after {what}")
            self.assertTrue(c.nodes[0].alive(), f"node 0 died of {what}")
        self.assertTrue(c.nodes[0].alive())
        self.assert_serving(c, "after-raft-garbage")

    def test_malformed_dns_packets(self):
        c = self.make_cluster()
        self.start_imported()
        rng = random.Random(13)
        host, port = c.query_addr(1)
        good = dns.message.make_query("example.com.", "A").to_wire()
        packets = [b"", b"\x00", good[:11], good[:12] + b"\xff" * 5, good[:-1],
                   good[:4] + b"\x00\x05" + good[6:],  # 5 questions claimed, 1 present
                   good[:12] + b"\xc0\x0c" + good[14:],  # compression loop
                   good + random_bytes(rng, 100)]
        packets += [random_bytes(rng, rng.randrange(1, 600)) for _ in range(200)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for p in packets:
                udp.sendto(p, (host, port))
        for p in packets[:20]:
            with socket.create_connection((host, port), timeout=2.0) as tcp:
                try:
                    tcp.sendall(struct.pack(">H", len(p)) + p)
                    tcp.sendall(struct.pack(">H", 4000) + b"short")  # a frame cut short
                    tcp.shutdown(socket.SHUT_WR)
                    tcp.settimeout(2.0)
                    while tcp.recv(4096):
                        pass
                except OSError:  # reset, broken pipe, not connected, timeout: the node hung up
                    pass
        self.assertTrue(c.nodes[1].alive())
        self.assertEqual(c.query(1, "example.com.", "A", tcp=True).rdatas(), ["1.2.3.4"])
        self.assert_serving(c, "after-dns-garbage")


class Keyed(ClusterTestCase):
    """A cluster whose peer links are authenticated with a cluster key (cluster_key_file)."""

    def make_keyed_cluster(self):
        code = subprocess.run([BINARY, "--gen-key", os.path.join(self.workdir, "cluster.key")],
                              capture_output=True, text=True, timeout=10).returncode
        self.assertEqual(code, 0)
        return self.make_cluster(config_extra={**TUNED, "cluster_key_file": "cluster.key"})

    def test_members_with_the_key_replicate_and_keyless_peers_are_refused(self):
        c = self.make_keyed_cluster()
        self.start_imported()
        self.assertIn("peer links authenticated with the cluster key", c.log_text(0))
        self.add(0, "keyed.example.com", "192.0.2.61")
        for i in range(3):
            self.wait_record(i, "keyed.example.com.", "192.0.2.61")
        host, port = c.raft_addr(0)

        def hello(node_id, version, nonce=b""):
            name = b"raft-dns"
            payload = b"RDNS" + struct.pack(">HQB", version, node_id, len(name)) + name + nonce
            return struct.pack(">I", len(payload)) + payload

        rng = random.Random(5)
        # Refusals are logged once per address per 10 s: each attack has its own source.
        attacks = {
            # The keyed protocol without the key, as member 2 from its address: any proof it
            # makes up fails.
            "made-up proof": ("127.0.0.1",
                              hello(2, 2, random_bytes(rng, 32)) + struct.pack(">I", 32) +
                              random_bytes(rng, 32) + random_bytes(rng, 512),
                              r"refused: (authentication failed|closed during authentication)"),
            # The 2017 protocol, then a frame.
            "keyless hello": ("127.0.0.150", hello(1, 1) + random_bytes(rng, 512),
                              r"refused: unauthenticated hello"),
        }
        for what, (source, data, expected) in attacks.items():
            log_before = len(c.log_text(0))
            with socket.create_connection((host, port), timeout=2.0,
                                          source_address=(source, 0)) as s:
                try:
                    s.sendall(data)
                    s.settimeout(3.0)
                    while s.recv(4096):
                        pass
                except OSError:
                    pass
            wait_until(lambda: re.search(expected, c.log_text(0)[log_before:]), 8,
                       what=f"node 0 logs /{expected}/ after {what}")
            self.assertTrue(c.nodes[0].alive(), f"node 0 died of {what}")
        self.assert_serving(c, "after-keyless-peers")

    def test_a_member_with_another_key_never_joins(self):
        c = self.make_keyed_cluster()
        self.start_imported()
        c.stop(2)
        key = os.path.join(self.workdir, "cluster.key")
        os.unlink(key)
        subprocess.run([BINARY, "--gen-key", key], capture_output=True, timeout=10, check=True)
        c.start(2)  # node 2 now reads a different key; nodes 0 and 1 keep the first one
        self.add(0, "after-rekey.example.com", "192.0.2.62")
        self.wait_record(1, "after-rekey.example.com.", "192.0.2.62")
        wait_until(lambda: re.search(r"proof does not match our cluster key", c.log_text(2)), 10,
                   what="node 2 logs that its peers' proofs do not match its key")
        time.sleep(2)  # replication to a joined node takes milliseconds
        self.assertFalse(c.has_record(2, "after-rekey.example.com.", "A", "192.0.2.62"),
                         "a node with another key received a committed change")
        self.assertTrue(c.nodes[2].alive())


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
