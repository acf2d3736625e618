"""End-to-end tests of dns-node against damaged and failing data directories.

Usage: /usr/bin/python3 e2e_disk.py BUILD/dns-node [TestClass[.test] ...]
FullDisk mounts a small tmpfs, so it needs root; without it (or if mount fails) it is skipped
with a message, and a run that skipped everything exits 77 (ctest: skipped).
Every test runs a 3-node cluster on loopback in its own temp dir (kept and printed when the test
fails, or always with E2E_KEEP=1); every wait is bounded and every process is killed at the end
of each test, passed or failed.
"""

import errno
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.testcase import ClusterDirTestCase, run_tests  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402

BINARY = None  # set from argv in main

TUNED = {"election_timeout_ms": 1000, "heartbeat_ms": 100, "checkpoint_interval_ms": 200,
         "write_timeout_ms": 2000}
SETTLE = 30.0  # seconds to converge after a change in membership
REPLY = 10.0  # a write's reply: the write timeout plus slack for a loaded machine

ZONE = """$ORIGIN {apex}
$TTL 300
@ IN SOA ns.{apex} admin.{apex} 1 3600 600 86400 300
@ IN NS ns.{apex}
@ IN A 192.0.2.{n}
ns IN A 192.0.2.{n}
"""
ZONES = [f"z{n}.test." for n in range(3)]


def log_records(path):
    """(offset, length) of every [u32 length][u32 crc32][payload] record of an append-only log
    (little endian), checking that the file ends on a record boundary or in zeros."""
    with open(path, "rb") as f:
        data = f.read()
    records, offset = [], 0
    while offset < len(data):
        if not any(data[offset:]):
            return records  # zeros the node wrote ahead of its appends (raft.log)
        length, _crc = struct.unpack_from("<II", data, offset)
        records.append((offset, length))
        offset += 8 + length
    if offset != len(data):
        raise AssertionError(f"{path} does not end on a record boundary")
    return records


class DiskTestCase(ClusterDirTestCase):
    """A test with its own temp dir, zone files z0.test..z2.test (one per node) and the cluster's
    logs printed when it fails."""

    prefix = "e2e-disk"

    def make_cluster(self, **kwargs):
        zone_files = []
        os.makedirs(os.path.join(self.workdir, "seed"))
        for n, apex in enumerate(ZONES):
            path = os.path.join(self.workdir, "seed", f"z{n}.zone")  # the cluster copies them
            with open(path, "w") as f:
                f.write(ZONE.format(apex=apex, n=n + 1))
            zone_files.append([path])
        self.cluster = Cluster(BINARY, self.workdir, 3, zone_files=zone_files,
                               config_extra=TUNED, **kwargs)
        return self.cluster

    def start_serving(self):
        """Starts every node and waits until each serves every zone and a leader is known."""
        c = self.cluster
        c.start_all()
        c.wait_leader(timeout=SETTLE)
        for i in range(3):
            for n, apex in enumerate(ZONES):
                wait_until(lambda: c.has_record(i, apex, "A", f"192.0.2.{n + 1}"), SETTLE,
                           what=f"node {i} serves {apex}")

    def add(self, i, name, address, timeout=REPLY):
        reply = self.cluster.send(i, f"ADD: {name} A {address}", timeout)
        self.assertTrue(reply.startswith("OK index="), f"ADD {name} on node {i}: {reply!r}")
        return reply


class DamagedRaftLog(DiskTestCase):
    """Damage in the middle of raft.log is not a torn tail: the node refuses to start."""

    def test_flipped_byte_in_the_middle_of_raft_log_is_refused(self):
        c = self.make_cluster()
        self.start_serving()
        for n in range(6):
            self.add(n % 3, f"r{n}.z0.test", f"198.51.100.{n + 1}")
        c.wait_settled(timeout=SETTLE, drained=False)
        self.assertEqual(c.stop(1), 0)
        raft_log = os.path.join(c.data_dir(1), "raft.log")
        records = log_records(raft_log)
        self.assertGreaterEqual(len(records), 4, "too few raft.log records to damage the middle")
        offset, length = records[len(records) // 2]
        with open(raft_log, "r+b") as f:
            f.seek(offset + 8 + length // 2)
            byte = f.read(1)
            f.seek(offset + 8 + length // 2)
            f.write(bytes([byte[0] ^ 0x20]))
        size = os.path.getsize(raft_log)

        c.start(1, wait_ready=False)
        node = c.nodes[1]
        code = node.proc.wait(timeout=20)
        node.stop()
        log = c.log_text(1).split("==== start")[-1]
        self.assertEqual(code, 1, f"exit status {code}; log:\n{log}")
        expected = (f"dns-node: {raft_log}: record at byte {offset} is damaged "
                    f"(checksum mismatch) but a valid record follows at byte "
                    f"{records[len(records) // 2 + 1][0]}: not a torn tail; "
                    f"refusing to start on damaged data")
        self.assertIn(expected, log)
        for crash in ("terminate called", "Aborted", "core dumped", "Segmentation"):
            self.assertNotIn(crash, log)
        self.assertEqual(os.path.getsize(raft_log), size, "the damaged log was cut")
        # The other two keep the cluster going.
        self.add(0, "after.z1.test", "198.51.100.99")


def fill(path):
    """Writes `path` until the file system has no room left (ENOSPC at every write size)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)


class FullDisk(DiskTestCase):
    """One node's data directory on a tiny tmpfs that fills up: that node keeps answering its
    zones from memory, says so in STATUS and its log, acknowledges nothing, and converges once
    space is freed; the other two keep committing, and nothing acknowledged is lost. Needs root
    (mount); skipped with a message otherwise."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs")
        self.mount = os.path.join(self.workdir, "tmpfs")
        os.makedirs(self.mount)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", self.mount],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            self.skipTest(f"mount -t tmpfs failed: {r.stderr.strip() or r.returncode}")
        self.addCleanup(self.unmount)

    def unmount(self):
        if self.cluster is not None:
            self.cluster.close()  # nothing may keep a file open on the mount
        r = subprocess.run(["umount", self.mount], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", self.mount], timeout=30)

    def test_full_data_dir_keeps_answering_and_converges_after_space_is_freed(self):
        full, writer = 2, 0
        c = self.make_cluster(extra_args=[[], [], ["--data-dir", os.path.join(self.mount, "node")]])
        self.start_serving()
        acknowledged = {}

        def add(i, name, address):
            # When the full node was the leader, the others elect a new one once it stops
            # heartbeating; a write sent during that election times out with no quorum, which is
            # what a client sees in any failover. The claim is that writes commit again, so a
            # write is retried (at most twice) only on that reply.
            for _ in range(3):
                reply = self.cluster.send(i, f"ADD: {name} A {address}", REPLY)
                if not reply.startswith("ERROR no quorum"):
                    break
            self.assertTrue(reply.startswith("OK index="), f"ADD {name} on node {i}: {reply!r}")
            acknowledged[name] = address

        for n in range(3):
            add(n, f"before{n}.z1.test.", f"198.51.100.{n + 1}")
        c.wait_settled(timeout=SETTLE)

        filler = os.path.join(self.mount, "filler")
        fill(filler)
        # Writes through another node commit while the full node's appends start failing: its
        # store's at the next checkpoint, its raft log's once they pass the zeros it wrote ahead
        # of them (FileDisk::kZeroAhead).
        deadline = time.monotonic() + 30
        for n in range(5000):
            add(writer, f"during{n}.z1.test.", f"198.51.{100 + n // 200}.{n % 200 + 10}")
            if n % 10 == 0 and str(c.status(full)["disk"]).startswith("faulted("):
                break
            if time.monotonic() > deadline:
                break
        status = c.status(full)
        self.assertRegex(status["disk"], r"^faulted\(ENOSPC:[a-z.]+:[a-z]+,retrying\)$", status)
        for n in range(5):
            add(writer, f"more{n}.z2.test.", f"203.0.113.{n + 1}")
        # The full node answers every zone from memory, records from before the fault included,
        # refuses writes and acknowledges nothing, so the changes stay pending everywhere.
        for n, apex in enumerate(ZONES):
            self.assertEqual(c.query(full, apex, "A").rdatas(), [f"192.0.2.{n + 1}"])
            self.assertEqual(c.query(full, apex, "SOA", tcp=True).rcode, "NOERROR")
        for n in range(3):
            self.assertTrue(c.has_record(full, f"before{n}.z1.test.", "A", f"198.51.100.{n + 1}"))
        reply = c.send(full, "ADD: refused.z2.test A 203.0.113.99", REPLY)
        self.assertTrue(reply.startswith("ERROR disk fault on this node (ENOSPC:"), reply)
        self.assertGreater(c.status(writer)["pending"], 0)
        self.assertEqual(c.status(full)["disk"], status["disk"])
        time.sleep(2.5)  # a few retries go by: logged once, not per retry
        log = c.log_text(full)
        self.assertEqual(log.count("disk fault: "), 1, log)
        self.assertIn("No space left on device", log)

        os.remove(filler)
        wait_until(lambda: c.status(full)["disk"] == "ok", 15, what="the full node resumes")
        for name, address in acknowledged.items():
            wait_until(lambda: c.has_record(full, name, "A", address), SETTLE,
                       what=f"node {full} answers {name}")
        c.wait_settled(timeout=SETTLE)  # pending drained: the full node stored and acked all
        self.assertEqual(c.log_text(full).count("disk recovered"), 1)
        add(full, "after.z0.test.", "198.51.100.200")

        # Nothing acknowledged is lost: every node answers every acknowledged write, the formerly
        # full one also after a restart.
        self.assertEqual(c.stop(full), 0)
        c.start(full)
        for i in range(3):
            for name, address in acknowledged.items():
                wait_until(lambda: c.has_record(i, name, "A", address), SETTLE,
                           what=f"node {i} answers {name}")


def main():
    global BINARY
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    BINARY = os.path.abspath(sys.argv[1])
    names = sys.argv[2:]
    result = run_tests(__name__, names)
    if not result.wasSuccessful():
        sys.exit(1)
    # Every test skipped (e.g. not root): ctest reports it as skipped (SKIP_RETURN_CODE 77).
    sys.exit(77 if result.testsRun and len(result.skipped) == result.testsRun else 0)


if __name__ == "__main__":
    main()
