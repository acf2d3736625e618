"""Samples every node's STATUS line at a fixed interval in a background thread."""

import re
import threading
import time
from dataclasses import dataclass

from raftdns.console import parse_status

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}


def size_bytes(text) -> int:
    """Bytes of a STATUS size such as "512B", "1.5KiB", "3.2MiB" (engine/status_text.cpp; the
    one-decimal units make the result approximate above 1 KiB)."""
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"not a STATUS size: {text!r}")
    return int(round(float(m.group(1)) * _UNITS[m.group(2)]))


@dataclass
class StatusSample:
    """One node's STATUS at one moment of the run (status None: down or no reply in time)."""

    t_s: float
    node: int
    alive: bool
    status: dict = None

    def get(self, key, default=None):
        return default if self.status is None else self.status.get(key, default)

    @property
    def raft_log_bytes(self):
        return None if self.status is None else size_bytes(self.status["raft-log"])

    @property
    def wal_bytes(self):
        return None if self.status is None else size_bytes(self.status["wal"])


class StatusSampler:
    """Every `interval` s asks every up node for STATUS (all at once, each bounded by `timeout`)
    and keeps the samples; on_round(samples) is called after each round."""

    def __init__(self, cluster, t0: float, interval: float = 0.25, timeout: float = 1.0,
                 on_round=None):
        self.cluster = cluster
        self.t0 = t0
        self.interval = interval
        self.timeout = timeout
        self.on_round = on_round
        self.samples = []
        self.latest = {}  # node -> its last StatusSample with a status
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="status-sampler")

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    def sample_now(self) -> list:
        """One round: the samples of every node, taken at (about) the same moment."""
        t = time.perf_counter() - self.t0
        up = set(self.cluster.up_nodes())
        asked = {}
        for i in range(self.cluster.size):
            if i in up:
                asked[i] = self.cluster.console(i).submit("STATUS")
        deadline = time.perf_counter() + self.timeout
        round_samples = []
        for i in range(self.cluster.size):
            status = None
            if i in asked:
                reply = asked[i].wait(max(0.0, deadline - time.perf_counter()))
                if reply:
                    try:
                        status = parse_status(reply)
                    except ValueError:
                        status = None
            round_samples.append(StatusSample(round(t, 3), i, i in up, status))
        with self._lock:
            self.samples.extend(round_samples)
            for s in round_samples:
                if s.status is not None:
                    self.latest[s.node] = s
        return round_samples

    def _run(self):
        next_at = time.perf_counter()
        while not self._stop.is_set():
            samples = self.sample_now()
            if self.on_round is not None:
                self.on_round(samples)
            next_at += self.interval
            delay = next_at - time.perf_counter()
            if delay < 0:  # behind (a loaded machine): skip the missed rounds, do not burst
                next_at = time.perf_counter()
                delay = 0
            self._stop.wait(delay)

    def snapshot(self) -> list:
        with self._lock:
            return list(self.samples)


def leader_of(samples: list):
    """The leader the round's nodes agree on: the node reporting role=Leader with the highest
    term, else None (an election in progress, or no majority)."""
    leaders = [(s.get("term", 0), s.node) for s in samples
               if str(s.get("role", "")).lower() == "leader"]
    return max(leaders)[1] if leaders else None
