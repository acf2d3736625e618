"""Our dns-node cluster for cluster_bench: the test suite's Cluster (tests/net/cluster.py) with
each node's standard input shared by many concurrent clients through a ConsoleMux.

The test Cluster sends one command at a time per node (its replies carry no id), which would
cap a benchmark at one write in flight per node; here ADD replies are matched first-in
first-out and STATUS replies by their prefix, so any number of clients can write at once."""

import sys
from pathlib import Path

from console_mux import ConsoleMux

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "net"))
import cluster as test_cluster  # noqa: E402  (tests/net/cluster.py)


class MuxNodeProcess(test_cluster.ClusterNodeProcess):
    """A cluster node whose command replies go to a ConsoleMux instead of a reply queue."""

    def __init__(self, index, args, log_path):
        self.mux = ConsoleMux(lambda line: self.write(line.encode() + b"\n"))
        super().__init__(index, args, log_path)

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if test_cluster.READY.match(line):
                self.ready_line = line
                self.ready.set()
            elif test_cluster.INITIALIZED.match(line):
                self.initialized_line = line
                self.initialized.set()
            elif line != test_cluster.INITIALIZING:
                self.mux.feed(line)
        self.mux.close()
        self.exited.set()


class DnsCluster(test_cluster.Cluster):
    """N dns-node processes of one cluster; node i imports zone_files[i] on first boot."""

    def __init__(self, binary: Path, work_dir: Path, zone_files: list, size: int = 3,
                 election_timeout_ms: int = 1000, heartbeat_ms: int = 100, threads: int = 2,
                 config_extra: dict = None):
        """config_extra: more top-level config fields (e.g. checkpoint_interval_ms)."""
        super().__init__(str(binary), str(work_dir), n=size,
                         zone_files=[[str(zone_files[i % len(zone_files)])] for i in range(size)],
                         config_extra={"cluster_name": "cluster-bench",
                                       "election_timeout_ms": election_timeout_ms,
                                       "heartbeat_ms": heartbeat_ms, "threads": threads,
                                       **(config_extra or {})},
                         ready_timeout=30.0)
        self.size = size
        self.work_dir = Path(work_dir)

    def start(self, i, wait_ready=True):
        # As Cluster.start, with MuxNodeProcess.
        if self.nodes[i] is not None and self.nodes[i].alive():
            raise RuntimeError(f"node {i} is already running")
        args = [self.binary, "-n", str(i), "-c", self.config_path, "--log-level", self.log_level]
        for zf in self.zone_files[i]:
            args += ["-z", zf]
        args += self.extra_args[i]
        self.nodes[i] = MuxNodeProcess(i, args, self.log_path(i))
        return self.nodes[i].wait_ready(self.ready_timeout) if wait_ready else None

    restart = start

    @property
    def muxes(self) -> list:
        return [node.mux for node in self.nodes]

    @property
    def query_ports(self) -> list:
        return [self.query_addr(i)[1] for i in range(self.size)]

    def pid(self, i: int) -> int:
        return self.nodes[i].proc.pid

    def send(self, i, line, timeout=10.0):
        """One command to node i; its reply line, or None (timeout or node gone)."""
        return self.nodes[i].mux.request(line, timeout)

    def status(self, i, timeout=5.0) -> dict:
        reply = self.send(i, "STATUS", timeout)
        if reply is None:
            raise TimeoutError(f"node {i}: no STATUS reply within {timeout}s "
                               f"(alive={self.alive(i)})")
        return test_cluster.parse_status(reply)

    def wait_leader(self, timeout=15.0, among=None) -> int:
        # Cluster.wait_leader passes the id to wait_until, which takes leader 0 as "not yet".
        found = test_cluster.wait_until(lambda: (self.leader(among),) if self.leader(among)
                                        is not None else None, timeout, interval=0.05,
                                        what="a leader")
        return found[0]

    def wait_ready(self, members=None, timeout: float = 30.0):
        """Waits until the given nodes know a leader and a write typed into each commits."""
        for i in range(self.size) if members is None else members:
            def ready(i=i):
                if not self.alive(i):
                    raise RuntimeError(f"node {i} exited; see {self.log_path(i)}")
                if not isinstance(self.status(i, 2.0).get("leader"), int):
                    return False
                reply = self.send(i, f"ADD: ready-{i}.example.com A 192.0.2.{i + 1}", 5.0)
                return bool(reply) and reply.startswith(("OK", "NOOP"))
            test_cluster.wait_until(ready, timeout, interval=0.05,
                                    what=f"node {i} knows a leader and commits a write")

    def wait_caught_up(self, i: int, timeout: float = 20.0):
        """Waits until node i has applied what the leader had committed (after a restart)."""
        def caught_up():
            leader = self.leader()
            return leader is not None and (self.status(i, 2.0)["applied"] >=
                                           self.status(leader, 2.0)["commit"])
        test_cluster.wait_until(caught_up, timeout, interval=0.05, what=f"node {i} caught up")

    def start_all(self):
        super().start_all()
        self.wait_ready()

    def stop_all(self):
        try:
            super().stop_all()
        finally:
            self.close()  # SIGKILL whatever did not stop
