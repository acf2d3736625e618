"""multisite: 3 and 5 nodes over sites 20-150 ms apart, sim and real: commit latency,
propagation, failover and spurious elections per heartbeat/election pair, and the recommended
timeouts per max round trip (experiments/multisite)."""

import csv
import math
import sys
from pathlib import Path

from matplotlib import ticker

from plotting import figure, save
from summary import Outcome, fmt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "multisite.d"))
import table  # noqa: E402

HEADER = ["mode", "nodes", "sites", "max_rtt_ms", "heartbeat_ms", "election_ms", "runs",
          "bad_runs", "cuts", "failovers_failed", "spurious", "commit_p50_ms", "commit_p99_ms",
          "propagation_p50_ms", "propagation_p99_ms", "everywhere_p50_ms", "everywhere_p99_ms",
          "failover_p50_ms", "failover_max_ms",
          "failovers"]


def summarize(ctx) -> Outcome:
    paths = [(ctx.raw_file(step, "samples.csv"), ctx.raw_file(step, "runs.csv"))
             for step in ("sim", "real")]
    samples, runs = table.read(paths)
    rows = table.rows(samples, runs)
    csv_path = ctx.out / "multisite.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            row = {k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()}
            w.writerow(dict(row, mode=r["world"]))
    out = Outcome(csv=csv_path)

    # One panel per measure; x: election timeout, one line per (world, nodes, heartbeat) at the
    # 150 ms placement (the one both worlds run).
    main = [r for r in rows if int(r["max_rtt_ms"]) == 150]
    fig, axes = figure(1, 3, width=15, height=4.5)
    panels = [("failover_p50_ms", "failover median (ms)", "leader isolated -> new leader"),
              ("commit_p50_ms", "commit latency median (ms)", "write -> OK"),
              ("everywhere_p99_ms", "propagation to every node, p99 (ms)",
               "write -> on every node")]
    colors = {50: "tab:blue", 100: "tab:orange", 200: "tab:green"}
    for ax, (key, ylabel, title) in zip(axes[0], panels):
        groups = sorted({(r["world"], int(r["nodes"]), int(r["heartbeat_ms"])) for r in main})
        for world, nodes, hb in groups:
            pts = sorted((int(r["election_ms"]), r[key]) for r in main
                         if (r["world"], int(r["nodes"]), int(r["heartbeat_ms"])) ==
                         (world, nodes, hb) and not math.isnan(r[key]))
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    marker="o" if world == "real" else "s",
                    linestyle="-" if world == "real" else ":",
                    color=colors.get(hb, "gray"), alpha=1 if nodes == 3 else 0.55,
                    label=f"{world}, {nodes} nodes, heartbeat {hb} ms")
        if key == "failover_p50_ms":
            xs = sorted({int(r["election_ms"]) for r in main})
            ax.plot(xs, [2 * x for x in xs], color="red", linestyle="--", linewidth=1,
                    label="2 x election timeout")
        ax.set_xscale("log")
        ax.set_xticks(sorted({int(r["election_ms"]) for r in main}) or [1000])
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel("election timeout (ms)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{title}, sites 20/80/150 ms")
    axes[0][0].legend(loc="upper left", fontsize=6)
    out.pngs.append(save(fig, ctx.out / "multisite.png"))

    recommended = table.recommend(rows)
    for world, nodes, rtt, r in recommended:
        out.headline.append((
            f"{world}, {nodes} nodes, max RTT {rtt} ms: recommended heartbeat / election",
            f"{r['heartbeat_ms']} / {r['election_ms']} ms: failover median "
            f"{fmt(r['failover_p50_ms'], 0)} ms (max {fmt(r['failover_max_ms'], 0)}), commit p50 "
            f"{fmt(r['commit_p50_ms'], 0)} ms, {r['spurious']} spurious elections"))
    if not recommended:
        out.notes.append("no configuration without failed failovers and spurious elections")
    spurious = [r for r in rows if r["spurious"] > 0 or r["failovers_failed"] > 0]
    out.reading = (
        "Side by side (sim / real, one table per world in multisite.csv; the plot marks real with "
        "solid lines): failover grows with the election timeout, about 1-2 timeouts plus a round "
        "trip, while the heartbeat and the placement move commit latency and propagation little. "
        f"{len(spurious)} of {len(rows)} configurations had a spurious election or a failover "
        "that did not finish in 3 election timeouts + 2 s. Recommended timeouts per max round trip "
        "(the healthy configuration with the lowest median failover):\n\n"
        + table.recommendation_markdown(rows) + "\n\nEvery configuration:\n\n"
        + table.markdown(rows))
    if ctx.failed_steps:
        out.notes.append(f"failed steps: {', '.join(ctx.failed_steps)}")
    return out
