"""The real 3-node cluster of the timeline experiments: cluster_bench's DnsCluster (each node's
console shared through a ConsoleMux) with extra top-level config fields, plus the set of nodes
the experiment considers up (started and ready, not yet killed)."""

import sys
import threading
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parents[1]
REPO = EXPERIMENTS.parent
sys.path.insert(0, str(EXPERIMENTS / "cluster_bench.d"))

import dns_cluster  # noqa: E402  (experiments/cluster_bench.d/dns_cluster.py)
from dns_cluster import test_cluster  # noqa: E402,F401  (tests/net/cluster.py, re-exported)

ZONE_FILES = [REPO / "zone-files" / f"zf{i}.txt" for i in range(3)]


class TimelineCluster(dns_cluster.DnsCluster):
    """A DnsCluster whose config also carries `config_extra` and which tracks which nodes are up."""

    def __init__(self, binary: Path, work_dir: Path, config_extra: dict = None,
                 election_timeout_ms: int = 1000, heartbeat_ms: int = 100):
        if not Path(binary).is_file():
            raise RuntimeError(f"dns-node binary not found: {binary} (build it, or pass "
                               f"--dns-node PATH)")
        super().__init__(binary, work_dir, ZONE_FILES, election_timeout_ms=election_timeout_ms,
                         heartbeat_ms=heartbeat_ms, config_extra=config_extra)
        self._up = set()
        self._up_lock = threading.Lock()

    def up_nodes(self) -> list:
        """Nodes started and ready, and not being killed: where clients may send work."""
        with self._up_lock:
            return sorted(self._up)

    def mark_up(self, i: int):
        with self._up_lock:
            self._up.add(i)

    def mark_down(self, i: int):
        with self._up_lock:
            self._up.discard(i)

    def start_all(self):
        super().start_all()
        for i in range(self.size):
            self.mark_up(i)

    def kill(self, i: int, sig_name: str = "kill"):
        """Takes node i out of the up set, then SIGKILLs ("kill") or SIGTERMs ("term") it."""
        self.mark_down(i)
        if sig_name == "kill":
            self.kill9(i)
        else:
            self.stop(i)

    def bring_back(self, i: int):
        """Restarts node i (from the main thread: see tests/net/cluster.py) and marks it up once
        it printed its ready line."""
        self.restart(i)
        self.mark_up(i)
