"""A steady UDP query load on every node, counted per second of the run and per node."""

import collections
import select
import socket
import threading
import time
from pathlib import Path

import dns.message
import dns.rdatatype


def existing_a_names(zone_files: list) -> list:
    """The names with an A record in the prototype-format zone files (the cluster serves the
    union of them), so every query of the load has an answer."""
    names = []
    for zone_file in zone_files:
        for line in Path(zone_file).read_text().splitlines():
            fields = line.split()
            if (len(fields) >= 3 and not line[0].isspace() and not fields[0].startswith("#")
                    and fields[1] == "A" and fields[0] not in names):
                names.append(fields[0])
    if not names:
        raise RuntimeError(f"no A records in {zone_files}")
    return names


class QueryLoad:
    """One thread per node sends A queries at `rate` per second to 127.0.0.1:port over UDP and
    counts, by the second of the run in which each query was sent, the queries sent and those
    answered within `answer_timeout` s. A node that is down refuses (ICMP) or ignores them:
    they count as sent, not answered."""

    def __init__(self, ports: list, names: list, rate: float, t0: float,
                 answer_timeout: float = 1.0):
        if rate <= 0:
            raise ValueError("query rate must be positive")
        self.ports = ports
        self.rate = rate
        self.t0 = t0
        self.answer_timeout = answer_timeout
        self.wires = [dns.message.make_query(n, dns.rdatatype.A).to_wire() for n in names]
        self.sent = collections.Counter()  # (second, node) -> queries sent
        self.answered = collections.Counter()  # (second, node) -> answered
        self.skipped = collections.Counter()  # node -> sends skipped because this thread lagged
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True,
                                          name=f"query-load-{i}") for i in range(len(ports))]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.answer_timeout + 5)

    def counts(self, second: int, node: int):
        with self._lock:
            return self.sent[(second, node)], self.answered[(second, node)]

    def _run(self, node: int):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", self.ports[node]))
        sock.setblocking(False)
        outstanding = {}  # query id -> (send time, second of the run)
        period = 1.0 / self.rate
        next_send = time.perf_counter()
        k = 0
        try:
            while not self._stop.is_set():
                now = time.perf_counter()
                if now - next_send > 1.0:  # starved of CPU for a second: do not burst
                    missed = int((now - next_send) / period)
                    with self._lock:
                        self.skipped[node] += missed
                    next_send += missed * period
                while next_send <= now:
                    k += 1
                    qid = k & 0xFFFF
                    wire = qid.to_bytes(2, "big") + self.wires[k % len(self.wires)][2:]
                    second = int(next_send - self.t0)
                    outstanding[qid] = (now, second)
                    with self._lock:
                        self.sent[(second, node)] += 1
                    try:
                        sock.send(wire)
                    except OSError:
                        pass  # refused: the node is down (counted as sent, never answered)
                    next_send += period
                ready, _, _ = select.select([sock], [], [], max(0.0, next_send - now))
                if ready:
                    self._receive(sock, node, outstanding)
                if len(outstanding) > 2 * self.rate * self.answer_timeout:
                    self._expire(outstanding)
        finally:
            sock.close()

    def _receive(self, sock, node, outstanding):
        now = time.perf_counter()
        while True:
            try:
                reply = sock.recv(4096)
            except BlockingIOError:
                return
            except OSError:
                continue  # ECONNREFUSED of an earlier query to a dead node
            if len(reply) < 12:
                continue
            entry = outstanding.pop(int.from_bytes(reply[:2], "big"), None)
            if entry is not None and now - entry[0] <= self.answer_timeout:
                with self._lock:
                    self.answered[(entry[1], node)] += 1

    def _expire(self, outstanding):
        limit = time.perf_counter() - self.answer_timeout
        for qid in [q for q, (sent, _) in outstanding.items() if sent < limit]:
            del outstanding[qid]
