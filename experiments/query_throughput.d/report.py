"""Write the measured runs as a markdown report (medians over rounds, our ratio to each peer,
the benchmark's targets checked) and a CSV file with every single run."""

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from dnsperf_run import Measurement

PEERS = ("nsd", "knot")
TARGET_LATENCY_MS = 0.3
TARGET_TCP_QPS = 40_000
FIXED_RATE = 50_000
# Issue 16, target 3: UDP CPU per query at most this times the better peer's (median of at
# least MIN_ROUNDS rounds, zero loss in every one); TCP over 4 pipelined connections at least
# TARGET_TCP_VS_KNOT times Knot's queries per second.
TARGET_CPU_VS_BEST_PEER = 0.8
MIN_ROUNDS = 5
TARGET_TCP_VS_KNOT = 2.0


@dataclass
class Cell:
    """All rounds of one (server, transport, rate): medians, summed loss, CPU spread."""

    server: str
    transport: str
    target_qps: int
    rounds: int
    achieved_qps: float
    queries_sent: int
    queries_lost: int
    lost_per_round: list[int]  # in round order: the target needs zero in every round
    server_drops: int  # of the lost: dropped at the server's own UDP sockets
    avg_latency_ms: float
    cpu_s_per_mq: float
    cpu_min: float
    cpu_max: float
    client_cpu_s: float
    loadavg: float

    @property
    def loss_pct(self) -> float:
        return 100.0 * self.queries_lost / self.queries_sent if self.queries_sent else 0.0


def rate_label(target_qps: int) -> str:
    return f"{target_qps // 1000}k" if target_qps else "max"


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(ours: float, peer: float) -> float:
    return ours / peer if peer and not math.isnan(peer) and not math.isnan(ours) else float("nan")


def cells(runs: list[Measurement]) -> list[Cell]:
    grouped: dict[tuple, list[Measurement]] = {}
    for m in runs:
        grouped.setdefault((m.server, m.transport, m.target_qps), []).append(m)
    result = []
    for (server, transport, rate), ms in grouped.items():
        cpu = [m.cpu_s_per_mq for m in ms]
        result.append(Cell(
            server, transport, rate, len(ms),
            achieved_qps=statistics.median(m.achieved_qps for m in ms),
            queries_sent=sum(m.queries_sent for m in ms),
            queries_lost=sum(m.queries_lost for m in ms),
            lost_per_round=[m.queries_lost for m in sorted(ms, key=lambda m: m.round)],
            server_drops=sum(m.server_drops for m in ms),
            avg_latency_ms=statistics.median(m.avg_latency_ms for m in ms),
            cpu_s_per_mq=statistics.median(cpu), cpu_min=min(cpu), cpu_max=max(cpu),
            client_cpu_s=statistics.median(m.client_cpu_s for m in ms),
            loadavg=statistics.median(m.loadavg for m in ms)))
    order = {name: i for i, name in enumerate(("ours",) + PEERS)}
    result.sort(key=lambda c: (order.get(c.server, 9), c.transport != "udp", c.target_qps == 0))
    return result


def write_csv(path: Path, runs: list[Measurement], meta: dict[str, str]) -> None:
    columns = ["server", "transport", "target_qps", "round", "duration_s", "queries_sent",
               "queries_completed", "queries_lost", "server_drops", "loss_pct", "achieved_qps",
               "avg_latency_ms",
               "server_cpu_s", "cpu_s_per_mq", "client_cpu_s", "loadavg_1min", "rcodes",
               "commit", "nproc", "kernel"]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for m in runs:
            writer.writerow([
                m.server, m.transport, m.target_qps or "max", m.round, f"{m.duration_s:.3f}",
                m.queries_sent, m.queries_completed, m.queries_lost, m.server_drops,
                f"{m.loss_pct:.4f}",
                f"{m.achieved_qps:.1f}", f"{m.avg_latency_ms:.4f}", f"{m.server_cpu_s:.2f}",
                f"{m.cpu_s_per_mq:.3f}", f"{m.client_cpu_s:.2f}", f"{m.loadavg:.2f}",
                " ".join(f"{k}:{v}" for k, v in m.rcodes.items()), meta["commit"],
                meta["nproc"], meta["kernel"]])


def _find(table: list[Cell], server: str, transport: str, rate: int) -> Cell | None:
    for c in table:
        if (c.server, c.transport, c.target_qps) == (server, transport, rate):
            return c
    return None


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def _targets(table: list[Cell]) -> list[str]:
    lines = []
    udp = _find(table, "ours", "udp", FIXED_RATE)
    if udp:
        ok = udp.queries_lost == 0 and udp.avg_latency_ms <= TARGET_LATENCY_MS
        starved = ""
        if udp.achieved_qps < 0.95 * FIXED_RATE:
            starved = (f"; dnsperf itself reached only {udp.achieved_qps:,.0f} qps, so the "
                       f"machine, not the server, set these figures")
        lines.append(f"- UDP at 50k qps, 0 loss and average latency <= {TARGET_LATENCY_MS} ms: "
                     f"{_verdict(ok)} (lost {udp.queries_lost} of {udp.queries_sent:,}, median "
                     f"latency {udp.avg_latency_ms:.3f} ms{starved})")
        lossy = sum(1 for lost in udp.lost_per_round if lost)
        ok = udp.rounds >= MIN_ROUNDS and lossy == 0
        lines.append(f"- UDP at 50k qps, zero loss in every one of >= {MIN_ROUNDS} rounds: "
                     f"{_verdict(ok)} ({udp.rounds} rounds, {lossy} with loss; lost per round "
                     f"{_rounds(udp.lost_per_round)}; {udp.server_drops} dropped at our "
                     f"sockets{starved})")
        peers = [c for c in (_find(table, p, "udp", FIXED_RATE) for p in PEERS) if c]
        if peers:
            best = min(peers, key=lambda c: c.cpu_s_per_mq)
            ratio = _ratio(udp.cpu_s_per_mq, best.cpu_s_per_mq)
            ok = udp.rounds >= MIN_ROUNDS and ratio <= TARGET_CPU_VS_BEST_PEER
            lines.append(f"- CPU per query at 50k qps UDP at most {TARGET_CPU_VS_BEST_PEER}x the "
                         f"better peer's, median of >= {MIN_ROUNDS} rounds: {_verdict(ok)} (ours "
                         f"{_fmt(udp.cpu_s_per_mq)} vs {best.server} {_fmt(best.cpu_s_per_mq)} "
                         f"CPU-s per million queries, ratio {_fmt(ratio)}, {udp.rounds} rounds)")
    ours = _find(table, "ours", "tcp", FIXED_RATE)
    for peer in PEERS:
        other = _find(table, peer, "tcp", FIXED_RATE)
        if ours and other:
            ratio = _ratio(ours.cpu_s_per_mq, other.cpu_s_per_mq)
            lines.append(f"- CPU per query at 50k qps TCP at most {peer}'s: "
                         f"{_verdict(ratio <= 1.0)} (ours {_fmt(ours.cpu_s_per_mq)} vs "
                         f"{_fmt(other.cpu_s_per_mq)} CPU-s per million queries, ratio "
                         f"{_fmt(ratio)})")
    tcp = _find(table, "ours", "tcp", 0)
    if tcp:
        lines.append(f"- TCP >= {TARGET_TCP_QPS // 1000}k qps over 4 pipelined connections: "
                     f"{_verdict(tcp.achieved_qps >= TARGET_TCP_QPS)} "
                     f"({tcp.achieved_qps:,.0f} qps)")
        knot = _find(table, "knot", "tcp", 0)
        if knot:
            ratio = _ratio(tcp.achieved_qps, knot.achieved_qps)
            lines.append(f"- TCP over 4 pipelined connections at least {TARGET_TCP_VS_KNOT:g}x "
                         f"Knot's qps: {_verdict(ratio >= TARGET_TCP_VS_KNOT)} (ours "
                         f"{tcp.achieved_qps:,.0f} vs {knot.achieved_qps:,.0f} qps, ratio "
                         f"{_fmt(ratio)})")
    return lines or ["- (our server was not part of this run)"]


def _rounds(lost: list[int]) -> str:
    return " ".join(f"{n:,}" for n in lost)


def write_markdown(path: Path, runs: list[Measurement], meta: dict[str, str],
                   problems: list[str]) -> None:
    table = cells(runs)
    out = ["# Query throughput: our standalone node vs NSD and Knot DNS", ""]
    out += [f"- Date (UTC): {meta['date']}",
            f"- Commit: `{meta['commit']}`",
            f"- Machine: {meta['nproc']} CPUs ({meta['cpu_model']}), kernel {meta['kernel']}, "
            f"load average {meta['loadavg']}",
            f"- Software: {meta['versions']}",
            f"- Zone: {meta['zone']}",
            f"- Load: {meta['load']}",
            f"- Command: `{meta['command']}`", ""]
    out += ["## Results (median of rounds)", "",
            "| server | transport | target qps | achieved qps | lost / sent | loss % | "
            "lost per round | server socket drops | avg latency ms | CPU-s per M queries | (min-max) | dnsperf CPU s | "
            "load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in table:
        out.append(f"| {c.server} | {c.transport.upper()} | {rate_label(c.target_qps)} | "
                   f"{c.achieved_qps:,.0f} | {c.queries_lost:,} / {c.queries_sent:,} | "
                   f"{c.loss_pct:.3f} | {_rounds(c.lost_per_round)} | {c.server_drops:,} | "
                   f"{c.avg_latency_ms:.3f} | {_fmt(c.cpu_s_per_mq)} | "
                   f"{_fmt(c.cpu_min)}-{_fmt(c.cpu_max)} | {c.client_cpu_s:.2f} | "
                   f"{c.loadavg:.1f} |")
    if any(c.server == "ours" for c in table):
        out += ["", "## Ours relative to each peer", "",
                "Ratios are ours / peer: a qps ratio above 1 and a CPU-per-query or latency "
                "ratio below 1 favour ours.", "",
                "| transport | target qps | peer | qps ratio | CPU-per-query ratio | "
                "latency ratio |", "|---|---:|---|---:|---:|---:|"]
        for c in table:
            if c.server != "ours":
                continue
            for peer in PEERS:
                other = _find(table, peer, c.transport, c.target_qps)
                if other:
                    out.append(f"| {c.transport.upper()} | {rate_label(c.target_qps)} | {peer} | "
                               f"{_fmt(_ratio(c.achieved_qps, other.achieved_qps))} | "
                               f"{_fmt(_ratio(c.cpu_s_per_mq, other.cpu_s_per_mq))} | "
                               f"{_fmt(_ratio(c.avg_latency_ms, other.avg_latency_ms))} |")
    out += ["", "## Targets of the query benchmark", ""] + _targets(table)
    notes = list(meta["notes"])
    if runs:
        load = statistics.median(m.loadavg for m in runs)
        nproc = int(meta["nproc"])
        if load > nproc:
            notes.append(
                f"**Overloaded machine**: the median 1-minute load average during the runs was "
                f"{load:.1f} on {nproc} CPUs (other jobs). dnsperf could not always reach the "
                f"fixed rate, and latency and loss mostly show CPU starvation. The servers took "
                f"turns under the same load, so their CPU per query still compares them, but "
                f"absolute figures are pessimistic.")
        else:
            notes.append(f"Median 1-minute load average during the runs: {load:.1f} on "
                         f"{nproc} CPUs.")
    out += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    odd = [f"{m.server} {m.transport} {rate_label(m.target_qps)} round {m.round}: "
           f"unexpected response codes {m.unexpected_rcodes}" for m in runs if m.unexpected_rcodes]
    if problems or odd:
        out += ["", "## Problems seen", ""] + [f"- {p}" for p in problems + odd]
    path.write_text("\n".join(out) + "\n")
