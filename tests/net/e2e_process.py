"""End-to-end tests of dns-node as a long-running process: bounded TCP resources under slow
clients, and process hygiene (signals, standard input).

Usage: /usr/bin/python3 e2e_process.py BUILD/dns-node [unittest args]
Every process started is stopped, every wait is bounded, and only 127.0.0.1 is used.
"""

import json
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import dns.message
import dns.query
import dns.rcode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.node import NodeProcess, StandaloneNode  # noqa: E402
from raftdns.processes import forget, free_port, spawn  # noqa: E402

BINARY = None  # set from argv in main

ZONE = """$ORIGIN proc.test.
$TTL 300
@   SOA ns1 hostmaster 1 3600 600 86400 300
@   NS  ns1
ns1 A   192.0.2.1
www A   192.0.2.10
"""


def udp_query(port, name, rdtype="A", timeout=2.0):
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port,
                         timeout=timeout)


def answers(response):
    return sorted(rr.to_text() for rrset in response.answer for rr in rrset)


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # a query that times out while the node reloads
            pass
        time.sleep(0.05)
    return False


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="e2e-process-")
        self.zone = os.path.join(self.dir, "proc.zone")
        with open(self.zone, "w") as f:
            f.write(ZONE)
        self.nodes = []

    def tearDown(self):
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def standalone(self, *extra):
        node = StandaloneNode(BINARY, ["--standalone", "-z", self.zone, "--threads", "2", *extra])
        self.nodes.append(node)
        node.wait_ready()
        return node

    def one_node_cluster(self, stdin_devnull=False):
        """A 1-member cluster (it commits alone), so console and reload paths run for real."""
        raft_port, dns_port = free_port(), free_port()
        config = os.path.join(self.dir, "dns-config.json")
        with open(config, "w") as f:
            json.dump({"nodes": {"0": {"raft_loc": f"127.0.0.1:{raft_port}",
                                       "query_loc": f"127.0.0.1:{dns_port}"}},
                       "election_timeout_ms": 300, "heartbeat_ms": 50,
                       "checkpoint_interval_ms": 200}, f)
        args = [BINARY, "-n", "0", "-c", config, "-z", self.zone, "--threads", "2",
                "--data-dir", os.path.join(self.dir, "data")]
        node = NodeProcess(args, os.path.join(self.dir, "node.log"))
        if stdin_devnull:
            node.proc.stdin.close()  # end of input right away
        node.port = dns_port
        self.nodes.append(node)
        node.wait_ready(15)
        return node


class SlowTcpClients(TempDirTest):
    CONNECTIONS = 1000

    def test_trickling_clients_do_not_lock_out_a_new_client(self):
        """RFC 7766 section 6.2.3: 1000 connections each sending one byte every 2 s fill every TCP
        slot; a new client must still be answered over TCP within 3 s."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < self.CONNECTIONS + 100:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        node = self.standalone("--max-tcp-connections", str(self.CONNECTIONS))
        slow = []
        try:
            for _ in range(self.CONNECTIONS):
                s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
                s.setblocking(False)
                slow.append(s)
            # Each announces a 512-byte message and then trickles it, one byte per 2 s.
            for s in slow:
                s.send(struct.pack("!H", 512)[:1])
            started = time.monotonic()
            for round_ in range(2):
                time.sleep(1.0)
                for s in slow:
                    try:
                        s.send(b"\x00" if round_ else struct.pack("!H", 512)[1:])
                    except OSError:
                        pass  # closed by the server to make room: expected for one of them
            t0 = time.monotonic()
            response = dns.query.tcp(dns.message.make_query("www.proc.test.", "A"), "127.0.0.1",
                                     port=node.port, timeout=3.0)
            elapsed = time.monotonic() - t0
            self.assertEqual(answers(response), ["192.0.2.10"])
            self.assertLess(elapsed, 3.0)
            self.assertLess(time.monotonic() - started, 30)
        finally:
            for s in slow:
                s.close()

    def test_unfinished_message_does_not_reset_the_idle_timeout(self):
        """Bytes of an unfinished message do not keep a connection open past the idle timeout."""
        node = self.standalone("--tcp-idle-timeout", "0.5")
        s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
        try:
            s.sendall(struct.pack("!H", 200))
            closed = False
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not closed:
                try:
                    s.send(b"\x00")
                except OSError:
                    closed = True
                    break
                readable, _, _ = select.select([s], [], [], 0.1)
                if readable:
                    try:
                        closed = s.recv(1) == b""
                    except OSError:
                        closed = True
            self.assertTrue(closed, "a connection trickling one byte per 0.1 s stayed open 5 s "
                                    "with a 0.5 s idle timeout")
        finally:
            s.close()


class ProcessHygiene(TempDirTest):
    def test_sigttin_and_sigttou_do_not_stop_the_node(self):
        """A node started with & from an interactive shell gets SIGTTIN when it reads the
        terminal; it must keep running (the read fails instead)."""
        node = self.standalone()
        node.send_signal(signal.SIGTTIN)
        node.send_signal(signal.SIGTTOU)
        self.assertTrue(wait_until(lambda: answers(udp_query(node.port, "www.proc.test.")) ==
                                   ["192.0.2.10"], 5))
        with open(f"/proc/{node.pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        self.assertNotEqual(state, "T", "the node is stopped")

    def test_closed_log_pipe_does_not_kill_the_node(self):
        """SIGPIPE is ignored: a node whose standard error is a closed pipe keeps serving when it
        logs."""
        port = free_port()
        proc = spawn([BINARY, "--standalone", "-z", self.zone, "--listen", f"127.0.0.1:{port}",
                      "--threads", "1"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            self.assertTrue(ready, "no ready line within 10 s")
            self.assertIn(b"serving", proc.stdout.readline())
            proc.stderr.close()  # the log reader goes away
            proc.send_signal(signal.SIGHUP)  # the reload logs a line into the closed pipe
            time.sleep(0.5)
            proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: answers(udp_query(port, "www.proc.test.")) ==
                                       ["192.0.2.10"], 5))
            self.assertIsNone(proc.poll(), f"dns-node exited with {proc.returncode}")
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            proc.stdout.close()
            forget(proc)

    def test_end_of_standard_input_keeps_the_node_serving(self):
        node = self.one_node_cluster(stdin_devnull=True)
        self.assertTrue(node.wait_for_log("standard input closed", 10))
        self.assertTrue(wait_until(lambda: answers(udp_query(node.port, "www.proc.test.")) ==
                                   ["192.0.2.10"], 5))
        time.sleep(0.5)
        self.assertTrue(node.alive())
        self.assertEqual(answers(udp_query(node.port, "www.proc.test.")), ["192.0.2.10"])

    def test_every_sighup_reloads_in_cluster_mode(self):
        node = self.one_node_cluster()
        self.assertTrue(wait_until(lambda: node.send("STATUS", 5).find("role=Leader") >= 0, 15))
        for i in range(1, 5):
            with open(self.zone, "a") as f:
                f.write(f"added{i} A 192.0.2.{100 + i}\n")
            node.send_signal(signal.SIGHUP)
            name = f"added{i}.proc.test."
            self.assertTrue(
                wait_until(lambda: answers(udp_query(node.port, name)) == [f"192.0.2.{100 + i}"],
                           10), f"SIGHUP number {i} did not reload {name}")


def main():
    global BINARY
    if len(sys.argv) < 2:
        sys.exit("usage: e2e_process.py BUILD/dns-node [unittest args]")
    BINARY = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)


if __name__ == "__main__":
    main()
