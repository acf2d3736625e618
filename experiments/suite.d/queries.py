"""queries: dnsperf against one dns-node, NSD and Knot DNS (experiments/query_throughput)."""

from plotting import figure, save
from summary import Outcome, fmt, median, number, ratio, read_csv, write_csv

SERVERS = ("ours", "nsd", "knot")
TRANSPORTS = ("udp", "tcp")
HEADER = ["mode", "server", "transport", "target_qps", "round", "duration_s", "queries_sent",
          "queries_completed", "queries_lost", "loss_pct", "achieved_qps", "avg_latency_ms",
          "server_cpu_s", "cpu_s_per_mq", "client_cpu_s"]


def _cell(rows, server, transport, target, column):
    return median(r[column] for r in rows if r["server"] == server
                  and r["transport"] == transport and r["target_qps"] == target)


def summarize(ctx) -> Outcome:
    rows = read_csv(ctx.raw_file("dnsperf", "query_throughput.csv"))
    for r in rows:
        r["mode"] = "real"
    out = Outcome(csv=write_csv(ctx.out / "queries.csv", HEADER, rows))
    if not rows:
        out.notes.append("no dnsperf results (see the step's log)")
        return out
    fixed = sorted({r["target_qps"] for r in rows if r["target_qps"] != "max"}, key=number)
    fixed_rate = fixed[0] if fixed else None
    servers = [s for s in SERVERS if any(r["server"] == s for r in rows)]

    fig, axes = figure(1, 3, width=12, height=3.8)
    panels = [("max", "achieved_qps", "queries/s at maximum rate"),
              (fixed_rate, "avg_latency_ms", f"average latency at {fixed_rate} qps (ms)"),
              (fixed_rate, "cpu_s_per_mq", f"server CPU s per million queries at {fixed_rate} qps")]
    width = 0.8 / len(servers)
    for ax, (target, column, title) in zip(axes[0], panels):
        for k, server in enumerate(servers):
            values = [_cell(rows, server, t, target, column) for t in TRANSPORTS]
            ax.bar([i + k * width for i in range(len(TRANSPORTS))], values, width, label=server)
        ax.set_xticks([i + width * (len(servers) - 1) / 2 for i in range(len(TRANSPORTS))],
                      [t.upper() for t in TRANSPORTS])
        ax.set_title(title)
    axes[0][0].legend()
    out.pngs.append(save(fig, ctx.out / "queries.png"))

    for transport in TRANSPORTS:
        for server in servers:
            out.headline.append((f"{transport.upper()} max qps, {server}",
                                 fmt(_cell(rows, server, transport, "max", "achieved_qps"), 0)))
        for server in servers:
            out.headline.append((f"{transport.upper()} CPU s per million queries at {fixed_rate} "
                                 f"qps, {server}",
                                 fmt(_cell(rows, server, transport, fixed_rate, "cpu_s_per_mq"), 2)))
        for server in servers:
            out.headline.append((f"{transport.upper()} loss % at {fixed_rate} qps, {server}",
                                 fmt(_cell(rows, server, transport, fixed_rate, "loss_pct"), 3)))

    def vs(transport, column, target):
        ours = _cell(rows, "ours", transport, target, column)
        return ", ".join(f"{fmt(ratio(ours, _cell(rows, p, transport, target, column)), 2)}x "
                         f"{p.upper() if p == 'nsd' else p.capitalize()}"
                         for p in servers if p != "ours")

    def loss(transport):
        return ", ".join(f"{fmt(_cell(rows, s, transport, fixed_rate, 'loss_pct'), 2)}% {s}"
                         for s in servers)

    out.summary = ("max queries/s of ours over UDP / TCP (vs the others)",
                   f"{fmt(_cell(rows, 'ours', 'udp', 'max', 'achieved_qps'), 0)} "
                   f"({vs('udp', 'achieved_qps', 'max')}) / "
                   f"{fmt(_cell(rows, 'ours', 'tcp', 'max', 'achieved_qps'), 0)} "
                   f"({vs('tcp', 'achieved_qps', 'max')})")
    rounds = len({r["round"] for r in rows})
    out.reading = (
        f"At the maximum rate dnsperf could drive, one dns-node answered "
        f"{fmt(_cell(rows, 'ours', 'udp', 'max', 'achieved_qps'), 0)} queries/s over UDP "
        f"({vs('udp', 'achieved_qps', 'max')}) and "
        f"{fmt(_cell(rows, 'ours', 'tcp', 'max', 'achieved_qps'), 0)} over TCP "
        f"({vs('tcp', 'achieved_qps', 'max')}). At the fixed {fixed_rate} qps the loss over "
        f"UDP was {loss('udp')} and over TCP {loss('tcp')}; the server CPU spent per million queries was "
        f"{fmt(_cell(rows, 'ours', 'udp', fixed_rate, 'cpu_s_per_mq'), 2)} s for ours over UDP "
        f"(ours/peer: {vs('udp', 'cpu_s_per_mq', fixed_rate)}; below 1 is cheaper) and "
        f"{fmt(_cell(rows, 'ours', 'tcp', fixed_rate, 'cpu_s_per_mq'), 2)} s over TCP "
        f"({vs('tcp', 'cpu_s_per_mq', fixed_rate)}). dnsperf shares the two cores with the "
        f"server, so the maximum-rate numbers are a lower bound for every server alike; values "
        f"are medians of {rounds} round(s) and vary by tens of percent between runs on a shared "
        f"machine, so ratios within about 1.2x are not a difference. " + _target_3(rows, fixed_rate))
    return out


def _target_3(rows, fixed_rate) -> str:
    """Issue 16 target 3's verdicts: UDP CPU per query at most 0.8x the better peer's (median of
    at least 5 rounds) with zero loss in every round, TCP at maximum at least 2x Knot's qps."""
    peers = [p for p in ("nsd", "knot") if any(r["server"] == p for r in rows)]
    if "ours" not in {r["server"] for r in rows} or not peers or fixed_rate is None:
        return "Issue 16 target 3 is not judged: this run lacks ours or both peers."
    ours_rows = [r for r in rows if r["server"] == "ours" and r["transport"] == "udp"
                 and r["target_qps"] == fixed_rate]
    rounds = len(ours_rows)
    best = min(_cell(rows, p, "udp", fixed_rate, "cpu_s_per_mq") for p in peers)
    cpu = ratio(_cell(rows, "ours", "udp", fixed_rate, "cpu_s_per_mq"), best)
    lossy = sum(1 for r in ours_rows if number(r["queries_lost"], 0) > 0)
    parts = [f"UDP CPU per query {fmt(cpu, 2)}x the better peer's over {rounds} round(s) "
             f"({'met' if cpu is not None and cpu <= 0.8 and rounds >= 5 else 'NOT met'}), "
             f"{lossy} round(s) with loss ({'met' if lossy == 0 and rounds >= 5 else 'NOT met'})"]
    if "knot" in peers:
        tcp = ratio(_cell(rows, "ours", "tcp", "max", "achieved_qps"),
                    _cell(rows, "knot", "tcp", "max", "achieved_qps"))
        parts.append(f"TCP at maximum {fmt(tcp, 2)}x Knot's qps "
                     f"({'met' if tcp is not None and tcp >= 2 else 'NOT met'})")
    return ("Issue 16 target 3 (UDP CPU per query at most 0.8x the better of NSD and Knot, median "
            "of >= 5 rounds, zero loss in every round; TCP with 4 pipelined connections at least "
            "2x Knot): " + "; ".join(parts) + ".")
