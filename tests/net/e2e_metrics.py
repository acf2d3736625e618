"""End-to-end test of dns-node's HTTP endpoints (/metrics, /health, /ready, /status) on a real
3-node cluster on loopback, and of --http in standalone mode. /metrics is read with the
Prometheus client library's own parser (Debian's python3-prometheus-client).

Usage: /usr/bin/python3 e2e_metrics.py BUILD/dns-node SEED_DIR [TestClass[.test] ...]
SEED_DIR holds the 2017 prototype's dns-config.json and zf0.txt..zf2.txt. Every wait is bounded
and every process is killed at the end of each test, passed or failed.
"""

import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import dns.message
import dns.query
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.node import StandaloneNode  # noqa: E402
from raftdns.processes import free_port, wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase, run_tests  # noqa: E402

BINARY = None  # set from argv in main
SEED_DIR = None

ELECTION_TIMEOUT = 1.0  # seconds, as configured below
TIMINGS = {"election_timeout_ms": int(ELECTION_TIMEOUT * 1000), "heartbeat_ms": 100,
           "checkpoint_interval_ms": 200, "write_timeout_ms": 2000}
SETTLE = 20.0

# Every family a cluster node must expose, as the parser names them (counters lose _total).
CLUSTER_FAMILIES = {
    "raftdns_dns_queries": "counter",
    "raftdns_dns_query_duration_seconds": "histogram",
    "raftdns_raft_term": "gauge",
    "raftdns_raft_role": "gauge",
    "raftdns_raft_commit_index": "gauge",
    "raftdns_raft_applied_index": "gauge",
    "raftdns_raft_leader_changes": "counter",
    "raftdns_raft_elections": "counter",
    "raftdns_pending_batches": "gauge",
    "raftdns_pending_bytes": "gauge",
    "raftdns_pending_bound_bytes": "gauge",
    "raftdns_members_needing_transfer": "gauge",
    "raftdns_member_acked_index": "gauge",
    "raftdns_checkpoint_duration_seconds": "histogram",
    "raftdns_fsync_duration_seconds": "histogram",
    "raftdns_writes": "counter",
    "raftdns_zone_serial": "gauge",
    "raftdns_zone_records": "gauge",
    "raftdns_peer_up": "gauge",
    "raftdns_dns_updates": "counter",
    "raftdns_notify_sent": "counter",
    "raftdns_notify": "counter",
    "raftdns_datastore_transfers": "counter",
    "raftdns_datastore_transfer_bytes": "counter",
    "raftdns_datastore_transfer_active": "gauge",
}
STANDALONE_FAMILIES = {"raftdns_dns_queries", "raftdns_dns_query_duration_seconds",
                       "raftdns_zone_serial", "raftdns_zone_records"}


def seed(name):
    return os.path.join(SEED_DIR, name)


class Metrics:
    """One scrape, parsed: families by name, and sample lookup by name and labels."""

    def __init__(self, text):
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def samples(self, name):
        return [s for f in self.families.values() for s in f.samples if s.name == name]

    def value(self, name, **labels):
        """The value of the one sample `name` with exactly these labels (0 if absent: counters
        are listed once seen)."""
        found = [s.value for s in self.samples(name) if s.labels == labels]
        assert len(found) <= 1, (name, labels, found)
        return found[0] if found else 0.0

    def check_histogram(self, testcase, name):
        """Buckets cumulative (non-decreasing by le), +Inf equal to _count, _sum present."""
        buckets = sorted((float(s.labels["le"]), s.value) for s in self.samples(f"{name}_bucket"))
        testcase.assertTrue(buckets, f"{name}: no buckets")
        testcase.assertEqual(buckets[-1][0], float("inf"), name)
        values = [v for _, v in buckets]
        testcase.assertEqual(values, sorted(values), f"{name}: buckets not cumulative")
        testcase.assertEqual(values[-1], self.value(f"{name}_count"), name)
        testcase.assertEqual(len(self.samples(f"{name}_sum")), 1, name)


class ClusterMetrics(ClusterDirTestCase):
    """A 3-node cluster with http_loc on every node."""

    prefix = "e2e-metrics"

    def scrape(self, i):
        status, body = self.cluster.http_get(i, "/metrics")
        self.assertEqual(status, 200, body)
        return Metrics(body)

    def ready(self, i):
        status, body = self.cluster.http_get(i, "/ready")
        return status, json.loads(body)

    def test_families_values_and_readiness(self):
        c = self.cluster = Cluster(BINARY, self.workdir, base_config=seed("dns-config.json"),
                                   zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
                                   config_extra=TIMINGS, http=True)
        c.start_all()
        leader = c.wait_leader(timeout=SETTLE)
        c.wait_serving(["example.com.", "cs244b.com.", "cats.com."], timeout=SETTLE)
        for i in range(3):
            wait_until(lambda: self.ready(i)[0] == 200, SETTLE, what=f"node {i} /ready 200")
            self.assertEqual(c.http_get(i, "/health"), (200, "ok\n"))
            self.assertEqual(c.http_get(i, "/nope")[0], 404)

        # Every family on every node, with the right type and consistent histograms.
        for i in range(3):
            m = self.scrape(i)
            for name, kind in CLUSTER_FAMILIES.items():
                self.assertIn(name, m.families, f"node {i}: family {name} missing")
                self.assertEqual(m.families[name].type, kind, f"node {i}: {name}")
            for h in ("raftdns_dns_query_duration_seconds", "raftdns_checkpoint_duration_seconds",
                      "raftdns_fsync_duration_seconds"):
                m.check_histogram(self, h)
            self.assertEqual(m.value("raftdns_raft_role", role="Leader"), 1 if i == leader else 0)
            self.assertEqual(sum(s.value for s in m.samples("raftdns_raft_role")), 1)
            self.assertEqual({s.labels["member"] for s in m.samples("raftdns_member_acked_index")},
                             {"0", "1", "2"})
            self.assertEqual({s.labels["peer"]: s.value for s in m.samples("raftdns_peer_up")},
                             {str(p): 1.0 for p in range(3) if p != i})
            self.assertGreater(m.value("raftdns_zone_serial", zone="example.com."), 0)
            self.assertGreater(m.value("raftdns_zone_records", zone="cats.com."), 0)
            self.assertGreater(m.value("raftdns_fsync_duration_seconds_count"), 0)
            self.assertGreater(m.value("raftdns_raft_term"), 0)
            status = json.loads(c.http_get(i, "/status")[1])
            self.assertEqual(status["node"], i)
            self.assertEqual(status["voters"], [0, 1, 2])
            self.assertEqual(status["learners"], [])
            # A new cluster: every REJOIN was decided as new, so every vote gate is open.
            self.assertEqual(status["votes"], "open")
            self.assertTrue(status["ready"])

        # Queries are counted by transport, type and rcode: exactly the ones sent here.
        node = (leader + 1) % 3
        host, port = c.query_addr(node)
        before = self.scrape(node)
        for _ in range(5):
            dns.query.udp(dns.message.make_query("example.com.", "A"), host, port=port, timeout=2)
        for _ in range(3):
            dns.query.udp(dns.message.make_query("nothere.example.com.", "A"), host, port=port,
                          timeout=2)
        dns.query.tcp(dns.message.make_query("example.org.", "MX"), host, port=port, timeout=2)
        dig = subprocess.run(["dig", f"@{host}", "-p", str(port), "+tcp", "+tries=1", "+time=2",
                              "cats.com.", "SOA"], capture_output=True, text=True, timeout=10)
        self.assertIn("status: NOERROR", dig.stdout)
        after = self.scrape(node)

        def delta(**labels):
            return (after.value("raftdns_dns_queries_total", **labels) -
                    before.value("raftdns_dns_queries_total", **labels))

        self.assertEqual(delta(transport="udp", qtype="A", rcode="NOERROR"), 5)
        self.assertEqual(delta(transport="udp", qtype="A", rcode="NXDOMAIN"), 3)
        self.assertEqual(delta(transport="tcp", qtype="MX", rcode="REFUSED"), 1)
        self.assertEqual(delta(transport="tcp", qtype="SOA", rcode="NOERROR"), 1)
        self.assertEqual(after.value("raftdns_dns_query_duration_seconds_count") -
                         before.value("raftdns_dns_query_duration_seconds_count"), 10)

        # A write moves the commit index on every node and is counted where it was typed.
        commits = [self.scrape(i).value("raftdns_raft_commit_index") for i in range(3)]
        serial = before.value("raftdns_zone_serial", zone="example.com.")
        reply = c.send(node, "ADD: metrics.example.com A 192.0.2.77", 10)
        self.assertTrue(reply.startswith("OK"), reply)
        for i in range(3):
            wait_until(lambda: self.scrape(i).value("raftdns_raft_commit_index") > commits[i],
                       SETTLE, what=f"node {i} commit index moves")
            wait_until(lambda: self.scrape(i).value("raftdns_zone_serial",
                                                    zone="example.com.") == serial + 1,
                       SETTLE, what=f"node {i} serves the new serial")
        self.assertEqual(self.scrape(node).value("raftdns_writes_total", result="ok") -
                         before.value("raftdns_writes_total", result="ok"), 1)

        # A stopped node cannot acknowledge: pending grows on the others and its link is down.
        stopped = (leader + 2) % 3
        self.assertEqual(c.stop(stopped), 0)
        reply = c.send(node, "ADD: pending.example.com A 192.0.2.78", 10)
        self.assertTrue(reply.startswith("OK"), reply)
        for i in (leader, node):
            wait_until(lambda: self.scrape(i).value("raftdns_pending_batches") >= 1, SETTLE,
                       what=f"node {i} has pending batches")
            m = self.scrape(i)
            self.assertGreater(m.value("raftdns_pending_bytes"), 0)
            self.assertLess(m.value("raftdns_member_acked_index", member=str(stopped)),
                            m.value("raftdns_raft_commit_index"))
            wait_until(lambda: self.scrape(i).value("raftdns_peer_up", peer=str(stopped)) == 0,
                       SETTLE, what=f"node {i} sees node {stopped} down")
        survivor_before = self.scrape(node)

        # Two of three down: the survivor turns unready within two election timeouts, but stays
        # healthy and answers DNS.
        survivor = node
        c.kill9(leader)
        killed_at = time.monotonic()
        elapsed = wait_until(lambda: self.ready(survivor)[0] == 503 and time.monotonic() - killed_at,
                             10, interval=0.05, what=f"node {survivor} /ready 503")
        self.assertLessEqual(elapsed, 2 * ELECTION_TIMEOUT,
                             f"/ready turned 503 only {elapsed:.2f}s after the majority was lost")
        status, body = self.ready(survivor)
        self.assertEqual(body["ready"], False)
        self.assertTrue(body["reason"], body)
        self.assertEqual(c.http_get(survivor, "/health"), (200, "ok\n"))
        self.assertEqual(c.query(survivor, "metrics.example.com.", "A").rdatas(), ["192.0.2.77"])

        # Both back: everyone ready again, a new term, pending drained.
        c.restart(leader)
        c.restart(stopped)
        for i in range(3):
            wait_until(lambda: self.ready(i)[0] == 200, SETTLE, what=f"node {i} /ready 200 again")
        # A new leader was elected (the old one stepped down or died): a new term, a leader
        # change seen by the survivor, and an election started by someone (the restarted
        # nodes' counters start from zero).
        survivor_after = self.scrape(survivor)
        for name in ("raftdns_raft_term", "raftdns_raft_leader_changes_total"):
            self.assertGreater(survivor_after.value(name), survivor_before.value(name), name)
        elections = (survivor_after.value("raftdns_raft_elections_total") -
                     survivor_before.value("raftdns_raft_elections_total") +
                     sum(self.scrape(i).value("raftdns_raft_elections_total")
                         for i in (leader, stopped)))
        self.assertGreaterEqual(elections, 1)
        for i in range(3):
            wait_until(lambda: self.scrape(i).value("raftdns_pending_batches") == 0, SETTLE,
                       what=f"node {i} pending drained")


class StandaloneMetrics(unittest.TestCase):
    """--standalone --http: the DNS and zone families and /health; no raft endpoints."""

    def test_dns_metrics_and_health_only(self):
        http_port = free_port()
        node = StandaloneNode(BINARY, ["--standalone", "-z", seed("zf0.txt"), "--threads", "2",
                                       "--http", f"127.0.0.1:{http_port}"])
        try:
            node.wait_ready()
            for _ in range(4):
                dns.query.udp(dns.message.make_query("example.com.", "SOA"), "127.0.0.1",
                              port=node.port, timeout=2)
            base = f"http://127.0.0.1:{http_port}"
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:
                m = Metrics(r.read().decode())
            self.assertEqual(set(m.families), STANDALONE_FAMILIES)
            self.assertEqual(m.value("raftdns_dns_queries_total", transport="udp", qtype="SOA",
                                     rcode="NOERROR"), 4)
            m.check_histogram(self, "raftdns_dns_query_duration_seconds")
            with urllib.request.urlopen(f"{base}/health", timeout=5) as r:
                self.assertEqual(r.status, 200)
            for path in ("/ready", "/status"):
                with self.assertRaises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(f"{base}{path}", timeout=5)
                self.assertEqual(e.exception.code, 404)
            self.assertEqual(node.stop(), 0)
        finally:
            node.stop()


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
