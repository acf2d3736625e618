"""propagation: ADD -> answerable on every node, real cluster and simulation."""

import math

import cluster_bench_csv
from plotting import cdf, figure, save
from summary import Outcome, fmt, number, percentile, read_csv, write_csv

HEADER = ["mode", "link_delay_ms", "fsync_ms", "seed", "write", "origin", "propagation_ms",
          "commit_ms"]


def summarize(ctx) -> Outcome:
    rows = []
    for r in read_csv(ctx.raw_file("sim", "engine_propagation.csv")):
        rows.append({"mode": "sim", "link_delay_ms": r["link_delay_ms"], "fsync_ms": r["fsync_ms"],
                     "seed": r["seed"], "write": r["write"], "origin": r["origin"],
                     "propagation_ms": r["propagation_ms"], "commit_ms": r["commit_ms"]})
    for c in cluster_bench_csv.cases(ctx.raw_file("real", "cluster_bench.csv"), "propagation"):
        rows.append({"mode": "real", "link_delay_ms": "loopback", "fsync_ms": "disk",
                     "write": c.get("write"), "origin": c.get("node"),
                     "propagation_ms": f"{c.get('all_nodes_ms', math.nan):.3f}",
                     "commit_ms": f"{c.get('ok_reply_ms', math.nan):.3f}"})
    out = Outcome(csv=write_csv(ctx.out / "propagation.csv", HEADER, rows))
    reference = number(ctx.experiment.reference.get("prototype_median_ms"))

    series = []  # (label, values, style)
    real = [number(r["propagation_ms"]) for r in rows if r["mode"] == "real"]
    if real:
        series.append(("real cluster, loopback", real, {"color": "black", "linewidth": 2}))
    sim_keys = sorted({(number(r["link_delay_ms"]), number(r["fsync_ms"]))
                       for r in rows if r["mode"] == "sim"})
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:cyan"]
    delays = sorted({d for d, _ in sim_keys})
    for delay, fsync in sim_keys:
        values = [number(r["propagation_ms"]) for r in rows if r["mode"] == "sim"
                  and number(r["link_delay_ms"]) == delay and number(r["fsync_ms"]) == fsync]
        series.append((f"sim, link {delay:g} ms, fsync {fsync:g} ms", values,
                       {"linestyle": "-" if fsync else ":",
                        "color": palette[delays.index(delay) % len(palette)]}))
    fig, axes = figure(1, 1, width=9, height=4.5)
    ax = axes[0][0]
    for label, values, style in series:
        cdf(ax, values, label, **style)
    if math.isfinite(reference):
        ax.axvline(reference, color="red", linestyle="--",
                   label=f"2017 prototype median ({reference:g} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("ADD -> answerable on every node (ms, log scale)")
    ax.set_ylabel("fraction of writes")
    ax.set_title("Propagation delay (CDF)")
    ax.legend(loc="lower right")
    out.pngs.append(save(fig, ctx.out / "propagation.png"))

    for label, values, _ in series:
        out.headline.append((f"{label}: p50 / p99 / max ms",
                             f"{fmt(percentile(values, 50), 2)} / {fmt(percentile(values, 99), 2)}"
                             f" / {fmt(max(values) if values else math.nan, 2)}"))
    if not real:
        out.notes.append("no real-cluster samples (see the real step's log)")
    sim_line = "; ".join(f"{label.removeprefix('sim, ')}: p50 {fmt(percentile(v, 50), 2)} ms"
                         for label, v, _ in series if label.startswith("sim") and
                         "fsync 1" in label)
    real_p50 = percentile(real, 50)
    out.reading = (
        f"On the real 3-node cluster on loopback a change was answerable on every node "
        f"{fmt(real_p50, 1)} ms after it was typed (median; p99 {fmt(percentile(real, 99), 1)} ms, "
        f"max {fmt(max(real) if real else math.nan, 1)} ms over {len(real)} writes), "
        f"{fmt(reference / real_p50 if real_p50 else math.nan, 0)}x faster than the prototype's "
        f"median of {reference:g} ms: a committed batch is served as soon as it is applied, and "
        f"no timer sits on the path (the checkpoint interval only governs the local datastore). "
        f"In simulation the delay is 3-4 one-way link delays plus the durable writes "
        f"({sim_line}), so it scales with the network, not with the checkpoint interval.")
    return out
