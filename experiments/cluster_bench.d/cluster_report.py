"""cluster_bench's results: the machine it ran on, the CSV (one measured value per row) and the
Markdown report with tables, ratios ours/etcd, the benchmark's targets and a reading."""

import csv
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import workloads

REPO = Path(__file__).resolve().parents[2]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _filesystem(path: str) -> str:
    try:
        out = subprocess.run(["df", "-T", path], capture_output=True, text=True, timeout=10)
        fields = out.stdout.splitlines()[1].split()
        return f"{fields[1]} ({fields[0]})"
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def machine_info() -> dict:
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": _cpu_model(),
            "loadavg_start": loadavg(), "loadavg_end": "", "tmp_fs": _filesystem(
                tempfile.gettempdir())}


def _commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "") if head else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


@dataclass
class Results:
    """Everything one cluster_bench run measured."""

    args: object
    machine: dict
    started: object
    finished: object = None
    etcd_version: str = ""
    writes: list = field(default_factory=list)  # workloads.WriteRun
    propagation: list = field(default_factory=list)  # workloads.PropagationSample
    queries: list = field(default_factory=list)  # (rate, queries_under_writes.QueryRun)
    query_node: int = -1
    failovers: list = field(default_factory=list)  # workloads.FailoverSample
    fsync: dict = field(default_factory=dict)  # fsync_probe.measure
    syscalls: list = field(default_factory=list)  # (system, {syscall: calls}, committed writes)
    errors: list = field(default_factory=list)  # what failed during the run, as text


def _finite(values):
    return [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def _stats(values) -> dict:
    """p50/p99/max/mean of the finite values, nan when there are none."""
    v = _finite(values)
    if not v:
        return {"n": 0, "p50": math.nan, "p99": math.nan, "max": math.nan, "mean": math.nan}
    return {"n": len(v), "p50": workloads.percentile(v, 50), "p99": workloads.percentile(v, 99),
            "max": max(v), "mean": statistics.fmean(v)}


@dataclass
class WriteCell:
    """All rounds of one system at one client count: median rate, its range, pooled latency."""

    runs: list

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)

    @property
    def low(self) -> float:
        return min(r.rate for r in self.runs)

    @property
    def high(self) -> float:
        return max(r.rate for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.runs)

    @property
    def cpu_ms_per_write(self) -> float:
        return statistics.median(r.cpu_ms_per_write for r in self.runs)

    def _latency(self, p):
        pooled = [x for r in self.runs for x in r.latencies_ms]
        return workloads.percentile(pooled, p) if pooled else math.nan

    @property
    def p50_ms(self) -> float:
        return self._latency(50)

    @property
    def p99_ms(self) -> float:
        return self._latency(99)


def _rate(results, system, clients):
    runs = [r for r in results.writes if r.system == system and r.clients == clients]
    return WriteCell(runs) if runs else None


def _ratio(a, b) -> float:
    return a / b if b and math.isfinite(a) and math.isfinite(b) else math.nan


def _fmt(x, digits=1) -> str:
    return "n/a" if not isinstance(x, (int, float)) or not math.isfinite(x) else f"{x:,.{digits}f}"


def rows(results) -> list:
    """The CSV rows: experiment, system, case, metric, value."""
    out = []
    rounds = {}
    for run in results.writes:
        rounds[(run.system, run.clients)] = rounds.get((run.system, run.clients), 0) + 1
        case = f"clients={run.clients},round={rounds[(run.system, run.clients)]}"
        out += [("writes", run.system, case, "committed_per_s", round(run.rate, 2)),
                ("writes", run.system, case, "latency_p50_ms", round(run.p50_ms, 3)),
                ("writes", run.system, case, "latency_p99_ms", round(run.p99_ms, 3)),
                ("writes", run.system, case, "failed", run.failed),
                ("writes", run.system, case, "server_cpu_ms_per_write",
                 round(run.cpu_ms_per_write, 3))]
    for k, s in enumerate(results.propagation):
        out += [("propagation", "ours", f"write={k},node={s.node}", "all_nodes_ms",
                 round(s.all_ms, 3)),
                ("propagation", "ours", f"write={k},node={s.node}", "ok_reply_ms",
                 round(s.ok_ms, 3))]
    for system, counts, ok in results.syscalls:
        for name, calls in sorted(counts.items()):
            out.append(("syscalls", system, f"leader,clients=8,writes={ok}", f"{name}_calls",
                        calls))
    if results.fsync:
        for key in ("p50", "p99", "max"):
            out.append(("fsync", "disk", f"samples={results.fsync['n']}", f"{key}_ms",
                        round(results.fsync[key], 3)))
    for f in results.failovers:
        case = f"rep={f.repetition},killed={f.old_leader}"
        out += [("failover", f.system, case, "new_leader_ms", round(f.leader_ms, 1)),
                ("failover", f.system, case, "first_write_ms", round(f.write_ms, 1))]
    for k, (rate, run) in enumerate(results.queries):
        m = run.measurement
        case = (f"node={results.query_node},run={k + 1},rate={rate or 'max'},"
                f"{run.case.replace(' ', '_')}")
        out += [("queries", "ours", case, "achieved_qps", round(m.achieved_qps, 1)),
                ("queries", "ours", case, "queries_sent", m.queries_sent),
                ("queries", "ours", case, "queries_lost", m.queries_lost),
                ("queries", "ours", case, "avg_latency_ms", round(m.avg_latency_ms, 3)),
                ("queries", "ours", case, "writes_per_s", round(run.writes_per_s, 1)),
                ("queries", "ours", case, "node_cpu_s", round(m.server_cpu_s, 2)),
                ("queries", "ours", case, "other_nodes_cpu_s", round(run.other_nodes_cpu_s, 2)),
                ("queries", "ours", case, "write_clients_cpu_s", round(run.clients_cpu_s, 2)),
                ("queries", "ours", case, "dnsperf_cpu_s", round(m.client_cpu_s, 2)),
                ("queries", "ours", case, "udp_rcvbuf_errors", run.rcvbuf_errors)]
    return out


def targets(results) -> list:
    """(target, measured, verdict) for the cluster benchmark's four targets."""
    args = results.args
    out = []
    prop = _stats([s.all_ms for s in results.propagation])
    missing = sum(1 for s in results.propagation if not math.isfinite(s.all_ms))
    verdict = "met" if prop["n"] and prop["p99"] < 10.0 and not missing else "MISSED"
    out.append(("propagation p99 < 10 ms", f"p99 {_fmt(prop['p99'], 2)} ms over {prop['n']} "
                f"writes" + (f", {missing} not answered within 5 s" if missing else ""), verdict))
    ratios = []
    for clients in args.clients:
        a, b = _rate(results, "ours", clients), _rate(results, "etcd", clients)
        if a and b:
            ratios.append((clients, _ratio(a.rate, b.rate)))
    if ratios:
        worst = min(r for _, r in ratios)
        out.append(("write throughput >= 3x etcd",
                    ", ".join(f"{c} client{'s' if c != 1 else ''}: {_fmt(r, 2)}x"
                              for c, r in ratios),
                    "met" if worst >= 3.0 else "MISSED"))
    else:
        out.append(("write throughput >= 3x etcd", "etcd not run", "not measured"))
    limit = 1.5 * args.election_timeout_ms
    ours_fo = [f for f in results.failovers if f.system == "ours"]
    etcd_fo = [f for f in results.failovers if f.system == "etcd"]
    title = (f"failover: median new leader <= 1.5 x election timeout ({limit:.0f} ms) and <= "
             f"etcd's, over >= 20 kills")
    if ours_fo:
        leader = _stats([f.leader_ms for f in ours_fo])
        write = _stats([f.write_ms for f in ours_fo])
        over = sum(1 for f in ours_fo if not (f.leader_ms <= limit and f.write_ms <= limit))
        etcd_p50 = _stats([f.leader_ms for f in etcd_fo])["p50"] if etcd_fo else None
        problems = []
        if not leader["p50"] <= limit:
            problems.append("median over the limit")
        if etcd_p50 is not None and not leader["p50"] <= etcd_p50:
            problems.append("median above etcd's")
        if len(ours_fo) < 20:
            problems.append(f"only {len(ours_fo)} kills")
        verdict = "met" if not problems else "MISSED (" + ", ".join(problems) + ")"
        versus = f"; etcd median {_fmt(etcd_p50, 0)} ms" if etcd_p50 is not None else ""
        out.append((title,
                    f"new leader median {_fmt(leader['p50'], 0)} ms (max {_fmt(leader['max'], 0)}),"
                    f" first write median {_fmt(write['p50'], 0)} ms (max "
                    f"{_fmt(write['max'], 0)}) over {len(ours_fo)} kills, {over} over the limit"
                    f"{versus}", verdict))
    else:
        out.append((title, "not run", "not measured"))
    parts, verdict = [], "not measured"
    for rate in sorted({rate for rate, _ in results.queries}, reverse=True):
        quiet = [run.measurement for r, run in results.queries if r == rate and
                 run.case == "no writes"]
        busy = [run.measurement for r, run in results.queries if r == rate and
                run.case == "writes"]
        if not quiet or not busy:
            continue
        label = "max rate" if not rate else f"{rate:,} qps"
        parts.append(f"{label}: loss {', '.join(f'{m.loss_pct:.3f}%' for m in busy)} with writes "
                     f"vs {', '.join(f'{m.loss_pct:.3f}%' for m in quiet)} without")
        if rate:
            # Writes cause loss only if the loss with writes exceeds that of every run without
            # them (the spread of the quiet runs is this machine's noise) by 0.01 points.
            caused = max(m.loss_pct for m in busy) > max(m.loss_pct for m in quiet) + 0.01
            verdict = "MISSED" if caused else "met"
    out.append(("no query loss caused by writes (fixed rate)", "; ".join(parts) or "not run",
                verdict))
    return out


def targets_text(results) -> str:
    return "\n".join(f"{verdict:>8}  {name}: {measured}"
                     for name, measured, verdict in targets(results))


def _command(args) -> str:
    argv = " ".join(sys.argv[1:])
    return f"experiments/cluster_bench {argv}".strip()


def markdown(results) -> str:
    a = results.args
    m = results.machine
    L = []
    L.append("# Cluster benchmark: 3-node dns-node cluster vs 3-member etcd on loopback\n")
    L.append(f"- Date (UTC): {results.started:%Y-%m-%d %H:%M} - {results.finished:%H:%M}")
    L.append(f"- Commit: `{_commit()}`")
    L.append(f"- Machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}; load average "
             f"{m['loadavg_start']} at start, {m['loadavg_end']} at end (1, 5, 15 min; the "
             f"machine is shared, so every figure carries other jobs' noise)")
    L.append(f"- Data directories: fresh temporary directories on {m['tmp_fs']}; fsync as each "
             f"system ships (dns-node: its WAL and raft log; etcd: default, no --unsafe-no-fsync)")
    if results.fsync:
        f = results.fsync
        L.append(f"- fsync of a 200-byte append in the data directories' filesystem at the "
                 f"start: p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms, max {f['max']:.2f} ms "
                 f"({f['n']} samples): every committed write of either system waits for at "
                 f"least one")
    L.append(f"- Software: {a.dns_node} vs {results.etcd_version or 'no etcd'}; dnsperf; "
             f"python {sys.version.split()[0]} clients")
    L.append(f"- Raft timing, both systems: election timeout {a.election_timeout_ms} ms, "
             f"heartbeat {a.heartbeat_ms} ms")
    L.append(f"- Command: `{_command(a)}` (write and dnsperf runs {a.duration:g} s each; niceness "
             f"{a.nice} for both systems and the clients)")
    L.append("")
    if results.errors:
        L.append("## Failures during the run\n")
        L += [f"- {e}" for e in results.errors]
        L.append("")
    L.append("## Targets of the cluster benchmark\n")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for name, measured, verdict in targets(results):
        L.append(f"| {name} | {measured} | {verdict} |")
    L.append("")

    L.append("## (a) Write throughput\n")
    L.append("Closed-loop clients, one write in flight each, for the whole window; a write "
             "counts when its OK arrives inside the window. Ours: each client types `ADD: name A "
             "address` lines into the standard input of node k mod 3 (clients share a node's "
             "pipe; replies matched in order) and waits for `OK index=N`. etcd: each client "
             "POSTs /v3/kv/put to member k mod 3 over its own keep-alive HTTP connection. "
             "Same Python client code otherwise. CPU per write: user+system time of all "
             "three members over the run, divided by the committed writes.\n")
    L.append(f"Median of {a.rounds} round(s) of {a.duration:g} s, range in brackets; the systems "
             f"take turns run by run. Latency percentiles pool every round.\n")
    L.append("| clients | ours writes/s | etcd writes/s | ratio ours/etcd | ours p50 / p99 ms | "
             "etcd p50 / p99 ms | CPU ms per write ours / etcd | failed ours / etcd |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")

    def cell(c):
        return f"{_fmt(c.rate)} ({_fmt(c.low, 0)}-{_fmt(c.high, 0)})" if c else "n/a"
    for clients in a.clients:
        o, e = _rate(results, "ours", clients), _rate(results, "etcd", clients)
        L.append(f"| {clients} | {cell(o)} | {cell(e)} "
                 f"| {_fmt(_ratio(o.rate, e.rate), 2) if o and e else 'n/a'} "
                 f"| {_fmt(o.p50_ms) if o else 'n/a'} / {_fmt(o.p99_ms) if o else 'n/a'} "
                 f"| {_fmt(e.p50_ms) if e else 'n/a'} / {_fmt(e.p99_ms) if e else 'n/a'} "
                 f"| {_fmt(o.cpu_ms_per_write, 2) if o else 'n/a'} / "
                 f"{_fmt(e.cpu_ms_per_write, 2) if e else 'n/a'} "
                 f"| {o.failed if o else '-'} / {e.failed if e else '-'} |")
    L.append("")

    if results.syscalls:
        L.append("Disk flushes on each leader, counted with `strace -c -f` in a separate "
                 f"{min(a.duration, 3.0):g} s run of 8 clients (tracing slows the leader, so "
                 "these runs are not in the table above):\n")
        L.append("| system | committed writes | fsync | fdatasync | rename | flushes per write |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for system, counts, ok in results.syscalls:
            flushes = counts.get("fsync", 0) + counts.get("fdatasync", 0)
            renames = sum(v for k, v in counts.items() if k.startswith("rename"))
            L.append(f"| {system} | {ok} | {counts.get('fsync', 0)} | "
                     f"{counts.get('fdatasync', 0)} | {renames} | "
                     f"{_fmt(flushes / ok if ok else math.nan, 2)} |")
        L.append("")

    L.append("## (b) Propagation (ours)\n")
    prop = _stats([s.all_ms for s in results.propagation])
    okr = _stats([s.ok_ms for s in results.propagation])
    L.append(f"{len(results.propagation)} ADDs, one at a time, typed into node 0, 1, 2 in turn. "
             f"Clock starts when the line is written to the node's stdin; every node is polled "
             f"with UDP queries (dnspython; a round to every node not yet answering, then a 0.5 ms "
             f"pause) until it answers the new A record.\n")
    L.append("| measure | n | p50 ms | p99 ms | max ms | mean ms |")
    L.append("|---|---:|---:|---:|---:|---:|")
    L.append(f"| ADD -> answerable on all 3 nodes | {prop['n']} | {_fmt(prop['p50'], 2)} | "
             f"{_fmt(prop['p99'], 2)} | {_fmt(prop['max'], 2)} | {_fmt(prop['mean'], 2)} |")
    L.append(f"| ADD -> `OK` reply from the node it was typed into | {okr['n']} | "
             f"{_fmt(okr['p50'], 2)} | {_fmt(okr['p99'], 2)} | {_fmt(okr['max'], 2)} | "
             f"{_fmt(okr['mean'], 2)} |")
    for node in range(3):
        per = _stats([s.per_node_ms[node] for s in results.propagation])
        L.append(f"| ADD -> answerable on node {node} | {per['n']} | {_fmt(per['p50'], 2)} | "
                 f"{_fmt(per['p99'], 2)} | {_fmt(per['max'], 2)} | {_fmt(per['mean'], 2)} |")
    L.append("")
    L.append("For reference, the 2017 prototype's median propagation was 551 ms.\n")

    L.append("## (c) Failover\n")
    L.append("kill -9 of the current leader; then every survivor is asked every 10 ms which node "
             "leads (ours: `STATUS` role=Leader; etcd: /v3/maintenance/status), and every 50 ms a "
             "new write attempt starts on every survivor (attempts overlap, so a client or "
             "server timeout of one attempt hides nothing); first write = the first attempt "
             "acknowledged. Times from the SIGKILL. "
             "The killed member is restarted and caught up before the next repetition.\n")
    L.append("| rep | system | killed | new leader | new leader ms | first write ms |")
    L.append("|---:|---|---:|---:|---:|---:|")
    for f in results.failovers:
        L.append(f"| {f.repetition} | {f.system} | {f.old_leader} | {f.new_leader} | "
                 f"{_fmt(f.leader_ms, 0)} | {_fmt(f.write_ms, 0)} |")
    L.append("")
    L.append("| system | new leader median / max ms | first write median / max ms | "
             "new leader / election timeout (median) |")
    L.append("|---|---:|---:|---:|")
    medians = {}
    for system in ("ours", "etcd"):
        fs = [f for f in results.failovers if f.system == system]
        if not fs:
            continue
        ls, ws = _stats([f.leader_ms for f in fs]), _stats([f.write_ms for f in fs])
        medians[system] = (ls["p50"], ws["p50"])
        L.append(f"| {system} | {_fmt(ls['p50'], 0)} / {_fmt(ls['max'], 0)} | "
                 f"{_fmt(ws['p50'], 0)} / {_fmt(ws['max'], 0)} | "
                 f"{_fmt(ls['p50'] / a.election_timeout_ms, 2)} |")
    if "ours" in medians and "etcd" in medians:
        L.append("")
        L.append(f"Ratio ours/etcd of the medians: new leader "
                 f"{_fmt(_ratio(medians['ours'][0], medians['etcd'][0]), 2)}, first write "
                 f"{_fmt(_ratio(medians['ours'][1], medians['etcd'][1]), 2)}.")
    L.append("")

    L.append("## (d) Queries while writes stream\n")
    L.append(f"dnsperf -m udp -c 4 -q 1000 -t 2 against the leader (node {results.query_node}), "
             f"without writes, with 8 closed-loop ADD clients spread over the 3 nodes, and (at the "
             f"fixed rate) without writes again; "
             f"queries are every (name, type) of zf0-zf2 plus ~10% names that do not exist.\n")
    L.append("CPU seconds over each run: the queried node, the two other nodes, the Python "
             "write clients, and dnsperf (all on the same CPUs). UDP rcvbuf drops: datagrams "
             "the kernel dropped meanwhile because a socket's receive buffer was full "
             "(/proc/net/snmp, machine-wide): a lost query counted there was never read by "
             "the node (or its answer by dnsperf).\n")
    L.append("| target qps | writes | achieved qps | lost / sent | loss % | avg latency ms | "
             "writes/s meanwhile | CPU s node / others / clients / dnsperf | UDP rcvbuf drops |")
    L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for rate, run in results.queries:
        q = run.measurement
        L.append(f"| {'max' if not rate else f'{rate:,}'} | {run.case} | {_fmt(q.achieved_qps, 0)} "
                 f"| {q.queries_lost:,} / {q.queries_sent:,} | {q.loss_pct:.3f} | "
                 f"{q.avg_latency_ms:.3f} | {_fmt(run.writes_per_s, 0)} | "
                 f"{q.server_cpu_s:.1f} / {run.other_nodes_cpu_s:.1f} / {run.clients_cpu_s:.1f} / "
                 f"{q.client_cpu_s:.1f} | {run.rcvbuf_errors:,} |")
    L.append("")
    L.append("## Reading\n")
    L += reading(results)
    L.append("")
    return "\n".join(L)


def reading(results) -> list:
    """Plain sentences derived from the numbers (no claims the data does not show)."""
    a = results.args
    out = []
    for name, measured, verdict in targets(results):
        out.append(f"- **{name}: {verdict}** ({measured}).")
    prop = _stats([s.all_ms for s in results.propagation])
    okr = _stats([s.ok_ms for s in results.propagation])
    if prop["n"] and okr["n"]:
        out.append(f"- Propagation: the median write became answerable everywhere "
                   f"{_fmt(prop['p50'], 2)} ms after it was typed, "
                   f"{_fmt(prop['p50'] - okr['p50'], 2)} ms after the median `OK` reply; the "
                   f"prototype's median was 551 ms.")
    for system, counts, ok in results.syscalls:
        if ok:
            flushes = counts.get("fsync", 0) + counts.get("fdatasync", 0)
            renames = sum(v for k, v in counts.items() if k.startswith("rename"))
            out.append(f"- Under strace, the {system} leader made {flushes / ok:.2f} "
                       f"fsync/fdatasync calls and {renames / ok:.2f} renames per committed write.")
    fo = [f for f in results.failovers if f.system == "ours" and math.isfinite(f.leader_ms)]
    if fo:
        t = a.election_timeout_ms
        out.append(f"- Failover: dns-node draws its election timeout between {t} and {2 * t} "
                   f"ms (net/cluster_config.h; etcd does the same), so after a kill the first "
                   f"survivor to time out is the smaller of two draws: with two survivors about "
                   f"one kill in four is expected to exceed {1.5 * t:.0f} ms by design, before "
                   f"any election round trip. Measured new-leader times ranged "
                   f"{_fmt(min(f.leader_ms for f in fo), 0)}-"
                   f"{_fmt(max(f.leader_ms for f in fo), 0)} ms.")
    for rate, run in results.queries:
        q = run.measurement
        if run.case == "writes" and q.queries_lost:
            out.append(f"- Queries at {'max rate' if not rate else f'{rate:,} qps'} with writes: "
                       f"{q.queries_lost:,} lost; the kernel counted {run.rcvbuf_errors:,} UDP "
                       f"receive-buffer drops meanwhile"
                       + (" (so at least that many were dropped before a socket read them)"
                          if run.rcvbuf_errors else " (so they were not dropped for full "
                          "socket buffers)") + ".")
    runs = [(c, _rate(results, "ours", c), _rate(results, "etcd", c)) for c in a.clients]
    runs = [(c, o, e) for c, o, e in runs if o]
    if len(runs) >= 2:
        c0, o0, _ = runs[0]
        c1, o1, _ = runs[-1]
        out.append(f"- Ours scales from {_fmt(o0.rate)} writes/s with {c0} "
                   f"client{'s' if c0 != 1 else ''} to "
                   f"{_fmt(o1.rate)} with {c1} ({_fmt(_ratio(o1.rate, o0.rate), 1)}x); "
                   f"per-write latency p50 goes from {_fmt(o0.p50_ms)} to {_fmt(o1.p50_ms)} ms.")
    return out


def write(results, out_dir: Path):
    md_path = out_dir / "cluster_bench.md"
    csv_path = out_dir / "cluster_bench.csv"
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["experiment", "system", "case", "metric", "value"])
        writer.writerows(rows(results))
    md_path.write_text(markdown(results))
    return md_path, csv_path
