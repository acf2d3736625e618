"""The real half of experiments/real_faults: a cluster through fault-proxy under the simulator's
workload shape, with the schedule's faults done to links (the proxy) or processes (kill -9). The
clients' history (raftdns.history: every write, 20 bracketed reads/s, final reads after the heal)
goes to OUT/real_history.jsonl and is judged by build/history-check."""

import concurrent.futures
import random
import shutil
import threading
import time
from pathlib import Path

import query_load
from raftdns.faultproxy import ProxiedCluster
from raftdns.history import HistoryRecorder, ReadLoad, check_history, verdict
from raftdns.processes import wait_until

ZONE_FILES = [Path(__file__).resolve().parents[2] / "zone-files" / f"zf{i}.txt"
              for i in range(3)]
LINK_KINDS = ("isolate", "partition", "one-way", "clog", "delay", "loss")


class RoleSampler:
    """Polls every node's STATUS every `interval` s; records who claims leadership."""

    def __init__(self, cluster, t0, interval=0.05):
        self.c, self.t0, self.interval = cluster, t0, interval
        self.spans = []  # [(t, leader or None, term)]
        self.current = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            t = time.perf_counter() - self.t0
            claims, silent = [], False
            for i in self.c.up_nodes():
                try:
                    s = self.c.status(i, timeout=0.5)
                except (TimeoutError, OSError):
                    silent = True
                    continue
                if str(s.get("role", "")).lower() == "leader":
                    claims.append((s.get("term", 0), i + 1))
            # The newest term's claim counts: an old leader cut off claims until it steps down.
            # No claim but a node did not answer: unknown, not "no leader".
            if claims or not silent:
                term, leader = max(claims) if claims else (0, None)
                if (leader, term) != self.current:
                    self.spans.append((t, leader, term))
                    self.current = (leader, term)
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def run_real(args, workdir, log):
    rng = random.Random(args.seed)
    n = args.nodes
    zone_files = [[str(ZONE_FILES[i])] if i < len(ZONE_FILES) else [] for i in range(n)]
    c = ProxiedCluster(args.build / "dns-node", workdir, proxy_binary=args.build / "fault-proxy",
                       size=n, zone_files=zone_files, proxy_seed=args.seed,
                       config_extra={"election_timeout_ms": args.election_timeout_ms,
                                     "heartbeat_ms": args.heartbeat_ms,
                                     "write_timeout_ms": args.write_timeout_ms,
                                     "checkpoint_interval_ms": args.checkpoint_ms})
    names = query_load.existing_a_names([z for zs in zone_files for z in zs])
    try:
        c.start_all()
        c.wait_leader(timeout=20)
        for i in range(n):
            for name in names[:3]:
                wait_until(lambda: c.query(i, name, "A", timeout=1.0).answers, 30,
                           what=f"node {i} answers {name}")
        history = HistoryRecorder(c, Path(workdir) / "history.jsonl")
        t0 = time.perf_counter()
        sampler = RoleSampler(c, t0)
        sampler.start()
        queries = query_load.QueryLoad(c.query_ports, names, args.query_rate / n, t0,
                                       answer_timeout=0.5).start()
        stop = threading.Event()
        submitted = []  # (t, node, name, address, Future of (reply or None, perf_counter))
        # Each write on its own control-socket connection: replies cannot be matched to the
        # wrong write (on a console, a refusal at the deadline can overtake a later commit).
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=64)
        reply_timeout = args.write_timeout_ms / 1000 + 10

        def send_write(node, line):
            # None when unanswered: killed, the connection drops (the history says unknown).
            reply = history.write(node, line, reply_timeout)
            return reply, time.perf_counter()

        def writer():
            k, next_at = 0, rng.expovariate(args.write_rate)
            while not stop.is_set():
                delay = next_at - (time.perf_counter() - t0)
                if delay > 0 and stop.wait(delay):
                    break
                up = c.up_nodes()
                if up:
                    node = rng.choice(up)
                    k += 1
                    name = f"rf-{k}.example.com"
                    t = time.perf_counter() - t0
                    address = f"192.0.2.{k % 250 + 1}"
                    submitted.append((t, node, name, address, pool.submit(
                        send_write, node, f"ADD: {name} A {address}")))
                next_at += rng.expovariate(args.write_rate)

        writer_thread = threading.Thread(target=writer, daemon=True)
        writer_thread.start()
        # The history's reads: the last few names written (where staleness shows) and a zone
        # file's name, on random nodes that are up.
        reads = ReadLoad(history, lambda: [s[2] for s in submitted[-5:]] + names[:1],
                         rate=args.history_read_rate, seed=args.seed).start()
        events = []  # (t, what) of the fault driver, for the report
        isolated = []  # (t, node) each isolate-leader hit
        timers = []  # pending restarts: (t, node)
        down = {i + 1: [] for i in range(n)}

        def now():
            return time.perf_counter() - t0

        def kill(node):
            if c.alive(node - 1):
                c.kill9(node - 1)
                down[node].append([now(), None])

        def restart_due(until):
            for t, node in sorted(timers):
                if t <= until and not c.alive(node - 1):
                    c.start(node - 1, wait_ready=False)
                    down[node][-1][1] = now()
                    events.append((now(), f"restart n{node}"))
            timers[:] = [(t, x) for t, x in timers if t > until]

        for at, kind, a, b, dur, extra in args.schedule:
            while now() < at:
                restart_due(now())
                time.sleep(min(0.01, max(0.0, at - now())))
            restart_due(now())
            if at >= args.time:
                break
            spec = None
            if kind in LINK_KINDS:
                spec = f"{kind}@0/{a}/{b}/{int(dur * 1000)}{extra}"
            elif kind in ("isolate-leader", "crash-leader", "isolate-follower"):
                leader = c.leader()
                target = (leader + 1) if leader is not None else 1 + (a - 1) % n
                if kind == "isolate-follower":
                    others = [i + 1 for i in c.up_nodes() if leader is None or i != leader]
                    target = rng.choice(others) if leader is not None and others else None
                if target is None:
                    events.append((now(), f"{kind}: no leader, skipped"))
                    continue
                if kind == "crash-leader":
                    kill(target)
                    timers.append((now() + dur, target))
                    events.append((now(), f"crash-leader: kill -9 n{target}"))
                    continue
                spec = f"isolate@0/{target}/0/{int(dur * 1000)}"
                if kind == "isolate-leader":
                    isolated.append((now(), target, dur))
            elif kind == "crash":
                kill(a)
                timers.append((now() + dur, a))
                events.append((now(), f"crash: kill -9 n{a}"))
                continue
            else:
                events.append((now(), f"{kind}: not done in real mode, skipped"))
                continue
            reply = c.proxy.command(f"fault {spec}")
            events.append((now(), f"proxy: fault {spec} -> {reply}"))
        while now() < args.time:
            restart_due(now())
            time.sleep(0.01)
        stop.set()
        writer_thread.join(timeout=5)
        queries.stop()
        reads.stop()
        heal_at = now()
        c.proxy.command("heal")
        timers[:] = [(0, node) for node in range(1, n + 1) if not c.alive(node - 1)]
        restart_due(float("inf"))
        events.append((heal_at, "HEAL: proxy heal, killed nodes restarted"))
        for i in range(n):
            c.nodes[i].wait_ready(c.ready_timeout)
        concurrent.futures.wait([f for *_, f in submitted], timeout=reply_timeout)
        pool.shutdown(wait=False, cancel_futures=True)
        converged_after = None
        try:
            c.wait_settled(timeout=args.settle_s)
            converged_after = now() - heal_at
        except TimeoutError as e:
            log(f"real: not converged: {e}")
        sampler.stop()
        history_verdict = judge_history(args, c, history, converged_after is not None, log)
        writes = []
        for t, node, name, address, future in submitted:
            reply, at = future.result() if future.done() else (None, None)
            answered = None if reply is None else at - t0
            result = ("unanswered" if reply is None else "OK" if reply.startswith("OK") else
                      "NOOP" if reply.startswith("NOOP") else
                      "no-quorum" if reply.startswith("ERROR no quorum") else "other")
            writes.append((t, answered, node + 1, result, name, address))
        lost = []
        for t, answered, node, result, name, address in writes:
            if result == "OK":
                for i in range(n):
                    if not c.has_record(i, name, "A", address):
                        lost.append((name, i + 1))
        disagree = []
        for t, answered, node, result, name, _ in writes:
            if result != "OK":
                seen = {bool(c.query(i, name, "A").answers) for i in range(n)}
                if len(seen) > 1:
                    disagree.append(name)
        per_second = {}
        for second in range(int(args.time) + 1):
            per_second[second] = [queries.counts(second, i) for i in range(n)]
        return {"leader_spans": sampler.spans, "writes": writes, "down": down, "events": events,
                "isolated": isolated,
                "lost": lost, "disagree": disagree, "converged_after": converged_after,
                "queries": per_second, "proxy_status": c.proxy.command("status"),
                "history": history_verdict}
    finally:
        c.close()


def judge_history(args, c, history, converged, log):
    """Final reads on every node (once converged), then build/history-check on the history,
    copied to OUT/real_history.jsonl: {"passed", "verdict", "report", "lines", ...}."""
    problem = None
    if converged:
        try:
            history.final_reads()
        except RuntimeError as e:
            problem = str(e)
    else:
        problem = "not converged: no final reads"
    history.close()
    out = args.out / "real_history.jsonl"
    shutil.copyfile(history.path, out)
    passed, report = check_history(args.build / "history-check", out)
    (args.out / "real_history_check.txt").write_text(report)
    if not passed:
        log(f"real: history-check failed on {out}:\n{report}")
    return {"passed": passed, "verdict": verdict(report) or "no verdict", "report": report,
            "lines": history.lines, "unbracketed": history.unbracketed, "problem": problem,
            "file": str(out)}
