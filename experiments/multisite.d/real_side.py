"""The real half of experiments/multisite: an N-node dns-node cluster whose raft links pass
through build/fault-proxy --sites (the same placement spec as the simulator's), then writes one
at a time (commit latency, and propagation: every node polled over UDP until it answers the
name), then leader isolations through the proxy (failover), with a STATUS sampler recording
every leader change for the spurious-election count (times in seconds since the cluster served).
"""

import threading
import time
from pathlib import Path

import measures
from raftdns import control
from raftdns.faultproxy import ProxiedCluster
from raftdns.processes import wait_until

ZONE = Path(__file__).resolve().parents[2] / "zone-files" / "zf0.txt"


class LeaderSampler:
    """Polls every node's STATUS every `interval` s; records each change of the newest term's
    leader claim as (t, leader 1..N, term)."""

    def __init__(self, cluster, t0, interval=0.02):
        self.c, self.t0, self.interval = cluster, t0, interval
        self.leaders = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def current(self):
        return self.leaders[-1][1] if self.leaders else None

    def _run(self):
        while not self._stop.is_set():
            claims = []
            for i in range(self.c.size):
                try:
                    s = self.c.status(i, timeout=0.5)
                except (TimeoutError, OSError):
                    continue
                if str(s.get("role", "")).lower() == "leader":
                    claims.append((int(s.get("term", 0)), i + 1))
            if claims:
                term, leader = max(claims)
                if not self.leaders or (leader, term) != tuple(self.leaders[-1][1:]):
                    self.leaders.append((time.perf_counter() - self.t0, leader, term))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def _visible_times(c, name, address, t_sub, timeout):
    """Seconds from t_sub until each node answers name A address (None if not within timeout)."""
    seen = [None] * c.size

    def poll(i):
        end = t_sub + timeout
        while time.perf_counter() < end:
            if c.has_record(i, name, "A", address, timeout=0.3):
                seen[i] = time.perf_counter() - t_sub
                return
            time.sleep(0.003)

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(c.size)]
    for t in threads:
        t.start()
    return threads, seen


def run(build, cfg, workdir, writes, failovers, log):
    """One cluster for one (placement, timeouts); returns measures.RunMeasures (world "real")."""
    n = cfg["nodes"]
    e = cfg["election_ms"] / 1000
    m = measures.RunMeasures(world="real", nodes=n, cmd=f"fault-proxy --sites {cfg['sites']}")
    c = ProxiedCluster(build / "dns-node", workdir, proxy_binary=build / "fault-proxy", size=n,
                       zone_files=[[str(ZONE)] if i == 0 else [] for i in range(n)],
                       proxy_sites=cfg["sites"],
                       config_extra={"election_timeout_ms": cfg["election_ms"],
                                     "heartbeat_ms": cfg["heartbeat_ms"],
                                     "write_timeout_ms": max(2000, 3 * cfg["election_ms"])})
    sampler = None
    try:
        c.start_all()
        c.wait_leader(timeout=30)
        c.wait_serving(["example.com"], timeout=60)
        t0 = time.perf_counter()
        sampler = LeaderSampler(c, t0)
        # Writes one at a time, round robin over the nodes.
        for k in range(writes):
            node = k % n
            name, address = f"ms-{k}.example.com", f"192.0.2.{k % 250 + 1}"
            t_sub = time.perf_counter()
            threads, seen = _visible_times(c, name, address, t_sub, 10.0)
            reply = control.request(c.control_socket(node), f"ADD: {name} A {address}", 15.0)
            t_ok = time.perf_counter()
            for t in threads:
                t.join(timeout=12)
            if reply.startswith("OK"):
                m.writes.append((t_sub - t0, t_ok - t0, node + 1, k))
                m.propagation.append([s for s in seen if s is not None])
            else:
                log(f"real: write {name} via node {node + 1}: {reply}")
        # Leader isolations through the proxy.
        for _ in range(failovers):
            time.sleep(max(0.5, 2 * cfg["heartbeat_ms"] / 1000))
            leader = c.leader()
            if leader is None:
                continue
            at = time.perf_counter() - t0
            c.proxy.command(f"fault isolate@0/{leader + 1}/0/0")
            m.cuts.append((at, leader + 1))
            bound = 3 * e + 2.0
            try:
                wait_until(lambda: any(t >= at and x != leader + 1 for t, x, _ in sampler.leaders),
                           bound, interval=0.01, what="a new leader")
            except TimeoutError:
                log(f"real: no new leader within {bound:.1f} s of isolating node {leader + 1}")
            c.proxy.command("heal")
            m.cut_duration[round(at, 3)] = time.perf_counter() - t0 - at
            c.wait_settled(timeout=30, drained=False)
            time.sleep(2 * e)  # the old leader rejoins (pre-vote keeps the new one)
        time.sleep(1.0)
        m.end = time.perf_counter() - t0
    finally:
        if sampler:
            sampler.stop()
            m.leaders = sampler.leaders
        c.close()
    return m
