"""The measurements of cluster_bench, written against small callables so that our cluster and
etcd are driven the same way: closed-loop clients (one request in flight each), kill -9 of the
leader with retrying writers, and UDP polling of every node for propagation."""

import select
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import dns.message
import dns.rdatatype


def percentile(values: list, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class WriteRun:
    """Committed writes of `clients` closed-loop clients over `seconds`."""

    system: str
    clients: int
    seconds: float
    ok: int
    failed: int
    latencies_ms: list = field(default_factory=list, repr=False)
    server_cpu_s: float = float("nan")  # CPU of all the system's processes over the run

    @property
    def cpu_ms_per_write(self) -> float:
        """Server CPU (all members together) per committed write."""
        return self.server_cpu_s * 1000.0 / self.ok if self.ok else float("nan")

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50) if self.latencies_ms else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99) if self.latencies_ms else float("nan")


def write_throughput(system: str, make_writer, clients: int, seconds: float) -> WriteRun:
    """Runs `clients` threads for `seconds`; writer(seq) -> True when the write committed.
    Counts writes that completed OK within the window (the ones in flight at its end are not)."""
    lock = threading.Lock()
    run = WriteRun(system, clients, seconds, 0, 0)
    window = {}

    def open_window():
        # Runs once every client has opened its connection: the measured window starts now.
        window["end"] = time.perf_counter() + seconds

    barrier = threading.Barrier(clients, action=open_window)

    def client(k: int):
        write = make_writer(k)
        barrier.wait()
        end = window["end"]
        seq = 0
        while True:
            start = time.perf_counter()
            if start >= end:
                return
            ok = write(seq)
            done = time.perf_counter()
            seq += 1
            if done > end:
                return
            with lock:
                if ok:
                    run.ok += 1
                    run.latencies_ms.append((done - start) * 1000.0)
                else:
                    run.failed += 1

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    if any(t.is_alive() for t in threads):
        raise RuntimeError(f"{system}: a write client did not finish {seconds + 60:.0f} s after "
                           f"its window started")
    return run


class Poller:
    """Asks every node for name/A over UDP, again and again, until each one answers with
    `address`; returns the perf_counter time at which each node first did."""

    def __init__(self, ports: list, interval: float = 0.0005):
        self.ports = ports
        self.interval = interval
        self.sockets = []
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.sockets.append(s)
        self.queries = 0

    def wait_answerable(self, name: str, address: str, timeout: float) -> list:
        query = dns.message.make_query(name, dns.rdatatype.A)
        seen = [None] * len(self.ports)
        deadline = time.perf_counter() + timeout
        while None in seen and time.perf_counter() < deadline:
            waiting = [i for i, t in enumerate(seen) if t is None]
            for i in waiting:
                query.id = (query.id + 1) & 0xFFFF
                try:
                    self.sockets[i].send(query.to_wire())
                    self.queries += 1
                except OSError:
                    pass  # ECONNREFUSED from an earlier datagram: ask again next round
            # Collect the answers of this round (each node answers in well under a millisecond).
            round_end = time.perf_counter() + 0.005
            pending = set(waiting)
            while pending and time.perf_counter() < round_end:
                ready, _, _ = select.select([self.sockets[i] for i in pending], [], [],
                                            max(0.0, round_end - time.perf_counter()))
                now = time.perf_counter()
                for s in ready:
                    i = self.sockets.index(s)
                    try:
                        reply = dns.message.from_wire(s.recv(4096))
                    except (OSError, dns.exception.DNSException):
                        pending.discard(i)
                        continue
                    pending.discard(i)
                    if any(rrset.rdtype == dns.rdatatype.A and
                           any(rd.address == address for rd in rrset)
                           for rrset in reply.answer):
                        seen[i] = now
            # A short pause bounds the polling load (~3k queries/s) the nodes see, so the
            # poller does not compete with the write path it is timing; resolution ~0.5 ms.
            time.sleep(self.interval)
        return seen

    def close(self):
        for s in self.sockets:
            s.close()


@dataclass
class PropagationSample:
    node: int  # the node the ADD was typed into
    ok_ms: float  # ADD written -> "OK" reply from that node (commit as that node sees it)
    all_ms: float  # ADD written -> answerable on every node (nan if not within the timeout)
    per_node_ms: list


def propagation(cluster, writes: int, tag: str, progress, timeout: float = 5.0) -> list:
    """ADD on node k % size, then polls every node until all answer it; one write at a time."""
    poller = Poller(cluster.query_ports)
    samples = []
    try:
        for k in range(writes):
            node = k % cluster.size
            name = f"prop-{tag}-{k}.example.com"
            address = f"198.51.{100 + k // 250 % 100}.{k % 250 + 1}"
            start = time.perf_counter()
            pending = cluster.console(node).submit(f"ADD: {name} A {address}")
            seen = poller.wait_answerable(name, address, timeout)
            reply = pending.wait(timeout)
            if not reply or not reply.startswith("OK"):
                raise RuntimeError(f"propagation write {k} on node {node}: {reply!r}")
            ok_ms = (pending.resolved_at - start) * 1000.0
            per_node = [(t - start) * 1000.0 if t else float("nan") for t in seen]
            all_ms = max(per_node) if None not in seen else float("nan")
            samples.append(PropagationSample(node, ok_ms, all_ms, per_node))
            if (k + 1) % 50 == 0 or k + 1 == writes:
                done = [s.all_ms for s in samples if s.all_ms == s.all_ms]
                progress(f"  propagation {k + 1}/{writes} writes, median so far "
                         f"{statistics.median(done) if done else float('nan'):.2f} ms")
    finally:
        poller.close()
    return samples


@dataclass
class FailoverSample:
    system: str
    repetition: int
    old_leader: int
    leader_ms: float  # kill -> a survivor reports a new leader
    write_ms: float  # kill -> first write issued after the kill is acknowledged
    new_leader: int = -1


def failover_once(system: str, repetition: int, old_leader: int, survivors: list, kill,
                  new_leader_of, write_to, timeout: float = 20.0,
                  attempt_every: float = 0.05) -> FailoverSample:
    """Kills the leader, then (a) polls every survivor every 10 ms with new_leader_of(s) ->
    index of the leader it reports, or None, and (b) starts a write attempt on every survivor
    every `attempt_every` s, each in its own thread (write_to(s, seq) -> True once that write
    is acknowledged), so a write stuck in a client or server timeout does not hide the moment
    the cluster accepts writes again. Times are from the SIGKILL."""
    result = {}
    lock = threading.Lock()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for s in survivors:
                leader = new_leader_of(s)
                if leader is not None and leader != old_leader:
                    with lock:
                        result.setdefault("leader", (time.perf_counter(), leader))
                    return
            time.sleep(0.01)

    def attempt(s: int, seq: int):
        if write_to(s, seq):
            with lock:
                result.setdefault("write", time.perf_counter())

    start = time.perf_counter()
    kill()
    threading.Thread(target=watch, daemon=True).start()
    deadline = start + timeout
    seq = 0
    while time.perf_counter() < deadline:
        with lock:
            if "leader" in result and "write" in result:
                break
            write_done = "write" in result
        if not write_done:
            for s in survivors:
                # Attempts still in flight when this returns finish on their own (daemons).
                threading.Thread(target=attempt, args=(s, seq), daemon=True).start()
                seq += 1
        time.sleep(attempt_every)
    stop.set()
    leader_at, new_leader = result.get("leader", (None, -1))
    write_at = result.get("write")
    return FailoverSample(
        system, repetition, old_leader,
        (leader_at - start) * 1000.0 if leader_at else float("nan"),
        (write_at - start) * 1000.0 if write_at else float("nan"), new_leader)
