"""Real processes: fault-proxy's delay and loss in the simulator's --faults syntax act on a live
3-node dns-node cluster. A 150 ms delay on every directed link makes a commit through the leader
take at least one round trip to a follower (300 ms; it took well under that before); certain
loss on the leader's link to a follower cuts every connection the leader dials on it (it redials,
the proxy counts the accepts), while the other follower keeps the majority; after `heal` the
cluster converges.

Usage: /usr/bin/python3 proxy_shaping_test.py BUILD/dns-node BUILD/fault-proxy ZONE_FILE
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns import control  # noqa: E402
from raftdns.faultproxy import ProxiedCluster  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase  # noqa: E402

BINARY = PROXY = ZONE = None  # from argv
DELAY_MS = 150
TIMING = {"election_timeout_ms": 1000, "heartbeat_ms": 50, "write_timeout_ms": 4000}


def accepted(status, a, b):
    m = re.search(rf" {a}->{b}:(\d+)/(\d+)", status)
    if not m:
        raise AssertionError(f"no link {a}->{b} in fault-proxy status: {status}")
    return int(m.group(2))


class ProxyShaping(ClusterDirTestCase):
    prefix = "proxy-shaping"

    def commit_s(self, node, name):
        t = time.perf_counter()
        reply = control.request(self.cluster.control_socket(node), f"ADD: {name} A 192.0.2.7",
                                10.0)
        took = time.perf_counter() - t
        self.assertTrue(reply.startswith("OK"), f"ADD {name} via node {node}: {reply}")
        return took

    def test_delay_delays_commits_and_loss_cuts_connections(self):
        c = self.cluster = ProxiedCluster(BINARY, self.workdir, proxy_binary=PROXY, size=3,
                                          zone_files=[[ZONE], [], []], config_extra=TIMING)
        c.start_all()
        leader = c.wait_leader(timeout=20)
        c.wait_serving(["example.com"], timeout=30)
        before = self.commit_s(leader, "before.example.com")

        links = [(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b]
        c.proxy.command("fault " + ",".join(f"delay@0/{a}/{b}/0/{DELAY_MS}" for a, b in links))
        delayed = [self.commit_s(leader, f"delayed-{k}.example.com") for k in range(3)]
        self.assertGreaterEqual(min(delayed), 2 * DELAY_MS / 1000,
                                f"commits through {DELAY_MS} ms links took {delayed} s "
                                f"(before: {before:.3f} s)")
        self.assertLess(before, 2 * DELAY_MS / 1000, f"the undelayed commit took {before} s")
        c.proxy.command("heal")

        follower = next(i for i in range(3) if i != leader)
        a, b = leader + 1, follower + 1
        first = accepted(c.proxy.command("status"), a, b)
        c.proxy.command(f"fault loss@0/{a}/{b}/0/1")
        # The leader's heartbeats cut the connection; it redials and the next chunk cuts again.
        wait_until(lambda: accepted(c.proxy.command("status"), a, b) >= first + 2, 10,
                   interval=0.05, what=f"link {a}->{b} cut and redialed twice")
        self.commit_s(leader, "lossy.example.com")  # the other follower is the majority
        self.assertEqual(c.leader(), leader)
        c.proxy.command("heal")
        c.wait_settled(timeout=20)
        for i in range(3):
            self.assertTrue(c.has_record(i, "lossy.example.com", "A", "192.0.2.7"),
                            f"node {i} lacks the write committed under loss")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: proxy_shaping_test.py DNS_NODE FAULT_PROXY ZONE_FILE [unittest args]")
    BINARY, PROXY, ZONE = sys.argv[1:4]
    unittest.main(argv=[sys.argv[0]] + sys.argv[4:])
