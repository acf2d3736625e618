"""End-to-end: dns-node run as a daemon (standard input /dev/null), driven through its control
socket with dnsctl; systemd's readiness protocol; JSON logs.

Usage: /usr/bin/python3 e2e_control.py BUILD/dns-node SEED_DIR [TestClass[.test] ...]
SEED_DIR holds the 2017 prototype's dns-config.json and zf0.txt..zf2.txt. dnsctl is expected
beside dns-node. Every wait is bounded; every process is stopped at the end of each test.
"""

import json
import os
import socket
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.node import StandaloneNode  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase  # noqa: E402

BINARY = None  # set from argv in main
SEED_DIR = None
SETTLE = 20.0


def seed(name):
    return os.path.join(SEED_DIR, name)


class NotifyListener:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def receive(self, timeout):
        """The next notification, or None after `timeout` s."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except TimeoutError:
            return None

    def close(self):
        self.sock.close()


class DaemonCluster(ClusterDirTestCase):
    """A 3-node cluster whose nodes have standard input at /dev/null."""

    prefix = "e2e-control"

    def setUp(self):
        super().setUp()
        self.notify = NotifyListener(os.path.join(self.workdir, "notify.sock"))
        self.addCleanup(self.notify.close)
        self.cluster = Cluster(
            BINARY, self.workdir, base_config=seed("dns-config.json"),
            zone_files=[[seed(f"zf{i}.txt")] for i in range(3)],
            config_extra={"write_timeout_ms": 2000, "checkpoint_interval_ms": 200},
            daemon=True, node_env=[{"NOTIFY_SOCKET": self.notify.path}, None, None],
            extra_args=[["--log-format", "json"], [], []])

    def dnsctl(self, *args):
        return self.cluster.dnsctl(*args)

    def expect(self, result, code, first_line_prefix=None):
        self.assertEqual(result.returncode, code,
                         f"dnsctl exit status {result.returncode}, expected {code}: "
                         f"stdout={result.stdout!r} stderr={result.stderr!r}")
        if first_line_prefix is not None:
            self.assertTrue(result.stdout.startswith(first_line_prefix),
                            f"{result.stdout!r} does not start with {first_line_prefix!r}")

    def test_dnsctl_drives_every_node(self):
        c = self.cluster
        c.start_all()
        self.assertEqual(self.notify.receive(SETTLE), "READY=1")
        c.wait_leader(timeout=SETTLE)
        for i in range(3):
            mode = os.stat(c.control_socket(i)).st_mode
            self.assertTrue(stat.S_ISSOCK(mode))
            self.assertEqual(stat.S_IMODE(mode), 0o600)

        # ADD through each node's socket; every other node serves the record.
        for i in range(3):
            name, address = f"ctl{i}.example.com", f"192.0.2.{10 + i}"
            self.expect(self.dnsctl("-s", c.control_socket(i), f"ADD: {name} A {address}"), 0,
                        "OK index=")
            for j in range(3):
                wait_until(lambda: c.has_record(j, name, "A", address), SETTLE,
                           what=f"node {j} serves {name}")

        # STATUS through the config: dnsctl finds each node's socket itself.
        for i in range(3):
            result = self.dnsctl("-c", c.config_path, "-n", i, "STATUS")
            self.expect(result, 0, f"STATUS node={i} ")
            self.assertEqual(len(result.stdout.splitlines()), 1)

        # REMOVE through each node; the records disappear everywhere; again is a NOOP.
        for i in range(3):
            name, address = f"ctl{i}.example.com", f"192.0.2.{10 + i}"
            self.expect(self.dnsctl("-s", c.control_socket((i + 1) % 3),
                                    f"REMOVE: {name} A {address}"), 0, "OK index=")
            for j in range(3):
                wait_until(lambda: not c.has_record(j, name, "A", address), SETTLE,
                           what=f"node {j} no longer serves {name}")
        self.expect(self.dnsctl("-s", c.control_socket(2), "REMOVE: ctl0.example.com A 192.0.2.10"),
                    0, "NOOP not present")

        # Errors: a bad command is 1 (and the other commands still run); usage and an
        # unreachable socket are 2.
        self.expect(self.dnsctl("-s", c.control_socket(0), "BOGUS"), 1,
                    "ERROR line 1: unknown command 'BOGUS'")
        result = self.dnsctl("-s", c.control_socket(1), "STATUS", "ADD: x.example.com A 999.1.1.1",
                             "STATUS")
        self.expect(result, 1)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.assertTrue(lines[0].startswith("STATUS ") and lines[2].startswith("STATUS "), lines)
        self.assertTrue(lines[1].startswith("ERROR line 2: "), lines)
        result = self.dnsctl("-s", c.control_socket(1), "HELP")
        self.expect(result, 0, "Commands")
        self.assertGreater(len(result.stdout.splitlines()), 10)
        result = self.dnsctl("-s", os.path.join(self.workdir, "nothing.sock"), "STATUS")
        self.expect(result, 2)
        self.assertIn("nothing.sock", result.stderr)
        self.expect(self.dnsctl("-s", c.control_socket(0)), 2)
        self.expect(self.dnsctl("-c", c.config_path, "-n", 9, "STATUS"), 2)

        # Node 0 logs JSON lines with its id.
        for line in c.log_text(0).splitlines():
            if line.startswith("==== start"):
                continue
            entry = json.loads(line)
            self.assertEqual(entry["node"], 0, line)
            self.assertTrue({"time", "level", "message"} <= entry.keys(), line)
        self.assertTrue(any(json.loads(line).get("component") == "peers"
                            for line in c.log_text(0).splitlines()
                            if not line.startswith("====")), "no peers log line in node 0's log")

        # SIGTERM: STOPPING=1, the socket file is gone.
        self.assertEqual(c.stop(0), 0)
        self.assertEqual(self.notify.receive(5.0), "STOPPING=1")
        self.assertFalse(os.path.exists(c.control_socket(0)))

        # A crash leaves the socket file behind; the restarted node replaces it.
        c.kill9(1)
        self.assertTrue(os.path.exists(c.control_socket(1)))
        c.start(1)
        self.expect(self.dnsctl("-s", c.control_socket(1), "STATUS"), 0, "STATUS node=1 ")

        # A socket that a live node answers on cannot be taken over.
        taker = subprocess.run(
            [BINARY, "--standalone", "-z", seed("zf0.txt"), "--listen", "127.0.0.1:0",
             "--control-socket", c.control_socket(2)],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        self.assertEqual(taker.returncode, 1, taker.stderr)
        self.assertIn(f"control socket {c.control_socket(2)} is in use", taker.stderr)
        self.expect(self.dnsctl("-s", c.control_socket(2), "STATUS"), 0, "STATUS node=2 ")


class Standalone(ClusterDirTestCase):
    """--standalone with --control-socket: STATUS and RELOAD apply, writes are refused."""

    prefix = "e2e-control-standalone"

    def test_status_reload_and_refused_writes(self):
        path = os.path.join(self.workdir, "standalone.sock")
        node = StandaloneNode(BINARY, ["--standalone", "-z", seed("zf0.txt"),
                                       "--control-socket", path], )
        self.addCleanup(node.stop)
        node.wait_ready()
        dnsctl = os.path.join(os.path.dirname(BINARY), "dnsctl")

        def run(*commands):
            return subprocess.run([dnsctl, "-s", path, *commands], capture_output=True, text=True,
                                  timeout=20, stdin=subprocess.DEVNULL)

        result = run("STATUS", "RELOAD")
        self.assertEqual(result.returncode, 0, result)
        status, reload = result.stdout.splitlines()
        self.assertTrue(status.startswith("STATUS standalone serving "), status)
        self.assertTrue(reload.startswith("RELOAD OK serving "), reload)
        result = run("ADD: x.example.com A 192.0.2.1")
        self.assertEqual(result.returncode, 1, result)
        self.assertTrue(result.stdout.startswith("ERROR standalone node"), result.stdout)


def main():
    global BINARY, SEED_DIR
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    BINARY, SEED_DIR = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])


if __name__ == "__main__":
    main()
