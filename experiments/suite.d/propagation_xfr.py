"""propagation_xfr: DNS UPDATE on one node until external NSD and Knot secondaries serve the
record, through NOTIFY and IXFR/AXFR (experiments/propagation_xfr)."""

import math

from plotting import cdf, figure, save
from summary import Outcome, fmt, number, percentile, read_csv, write_csv

HEADER = ["mode", "round", "node", "update_ms", "nsd_ms", "knot_ms"]
SERIES = (("update_ms", "UPDATE answered (committed)"), ("nsd_ms", "NSD serves it"),
          ("knot_ms", "Knot serves it"))


def summarize(ctx) -> Outcome:
    rows = read_csv(ctx.raw_file("real", "propagation_xfr.csv"))
    out = Outcome(csv=write_csv(ctx.out / "propagation_xfr.csv", HEADER, rows))
    target = number(ctx.experiment.reference.get("target_ms"))
    fig, axes = figure(1, 1, width=9, height=4.5)
    ax = axes[0][0]
    values = {}
    for column, label in SERIES:
        values[column] = [number(r[column]) for r in rows if r.get(column)]
        if values[column]:
            cdf(ax, values[column], label)
    if math.isfinite(target):
        ax.axvline(target, color="red", linestyle="--", label=f"target ({target:g} ms)")
    ax.set_xscale("log")
    ax.set_xlabel("ms after the UPDATE was sent (log scale)")
    ax.set_ylabel("fraction of updates")
    ax.set_title("UPDATE -> served by external secondaries (CDF)")
    ax.legend(loc="lower right")
    out.pngs.append(save(fig, ctx.out / "propagation_xfr.png"))
    for column, label in SERIES:
        v = values[column]
        missing = sum(1 for r in rows if not r.get(column))
        out.headline.append((f"{label}: p50 / p90 / max ms",
                             f"{fmt(percentile(v, 50), 1)} / {fmt(percentile(v, 90), 1)} / "
                             f"{fmt(max(v) if v else math.nan, 1)}"
                             + (f" ({missing} missing)" if missing else "")))
    if not rows:
        out.notes.append("no rounds ran (see the real step's log)")
        return out
    worst = max((max(values[c]) for c in ("nsd_ms", "knot_ms") if values[c]), default=math.nan)
    out.reading = (
        f"Over {len(rows)} updates, NSD served the new record {fmt(percentile(values['nsd_ms'], 50), 1)}"
        f" ms (median) and Knot {fmt(percentile(values['knot_ms'], 50), 1)} ms after the UPDATE "
        f"was sent, the UPDATE itself being answered after commit in "
        f"{fmt(percentile(values['update_ms'], 50), 1)} ms; the slowest of all took "
        f"{fmt(worst, 1)} ms against the 2 s target. The path is commit, serve, NOTIFY from every "
        f"node, the secondary's SOA check and IXFR from its primary.")
    if percentile(values["nsd_ms"], 50) > 500:
        out.reading += (" NSD's second is its own: it applies the transfer at once but reloads at "
                        "most once per xfrd-reload-timeout (1 s by default); with 0 it serves "
                        "the record as fast as Knot (experiments/propagation_xfr "
                        "--nsd-reload-timeout 0).")
    return out
