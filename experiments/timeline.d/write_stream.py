"""Closed-loop write clients over the nodes that are up, recording every write's fate."""

import threading
import time
from dataclasses import dataclass

OUTCOMES = ("ok", "no_quorum", "error", "timeout", "node_died")


@dataclass
class WriteRecord:
    """One ADD typed into one node's console and what became of it."""

    seq: int
    client: int
    node: int
    name: str
    address: str
    issued_s: float
    replied_s: float = None
    outcome: str = None
    reply: str = None

    @property
    def latency_ms(self):
        return None if self.replied_s is None else (self.replied_s - self.issued_s) * 1000.0


def classify(reply, resolved: bool) -> str:
    """The outcome of a reply line (None: the node went away if resolved, else no reply)."""
    if reply is None:
        return "node_died" if resolved else "timeout"
    if reply.startswith(("OK", "NOOP already present")):
        return "ok"  # NOOP already present: acknowledged as present all the same
    if reply.startswith("ERROR no quorum"):
        return "no_quorum"
    return "error"


class WriteStream:
    """`clients` threads, each with one write in flight: `ADD: av<client>-<k>.example.com A
    10.<client>.<k/256>.<k%256>` to the up nodes in turn. At most one write is in flight per
    node (a lock per node): ADD replies carry no name, so this makes matching them to requests
    exact even when a node answers an error before an earlier write commits."""

    def __init__(self, cluster, t0: float, clients: int = 2, reply_timeout: float = 15.0):
        if not 1 <= clients <= 250:
            raise ValueError("write clients must be between 1 and 250")
        self.cluster = cluster
        self.t0 = t0
        self.clients = clients
        self.reply_timeout = reply_timeout
        self.records = []
        self._lock = threading.Lock()
        self._node_locks = [threading.Lock() for _ in range(cluster.size)]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(c,), daemon=True,
                                          name=f"writer-{c}") for c in range(clients)]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> bool:
        """Stops issuing writes and waits for those in flight; False if a client is stuck."""
        self._stop.set()
        deadline = time.perf_counter() + self.reply_timeout + 5
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.perf_counter()))
        return not any(t.is_alive() for t in self._threads)

    def snapshot(self) -> list:
        with self._lock:
            return list(self.records)

    def _client(self, client: int):
        k = 0
        turn = client
        while not self._stop.is_set():
            up = self.cluster.up_nodes()
            if not up:
                self._stop.wait(0.05)
                continue
            node = up[turn % len(up)]
            turn += 1
            if not self._node_locks[node].acquire(timeout=0.05):
                continue  # another client's write is in flight there: try the next node
            try:
                if self._stop.is_set() or node not in self.cluster.up_nodes():
                    continue
                self._write(client, k, node)
                k += 1
            finally:
                self._node_locks[node].release()

    def _write(self, client: int, k: int, node: int):
        name = f"av{client}-{k}.example.com"
        address = f"10.{client}.{k // 256 % 256}.{k % 256}"
        console = self.cluster.console(node)
        record = WriteRecord(0, client, node, name, address,
                             time.perf_counter() - self.t0)
        with self._lock:
            record.seq = len(self.records)
            self.records.append(record)
        pending = console.submit(f"ADD: {name} A {address}")
        reply = pending.wait(self.reply_timeout)
        record.replied_s = (pending.resolved_at if pending.event.is_set() else time.perf_counter()) \
            - self.t0
        record.outcome = classify(reply, pending.event.is_set())
        record.reply = reply
