"""checkpointing: pending and raft-log size over time for several checkpoint intervals and with
one node down, in simulation (engine-in-sim) and on the real cluster (checkpoint_real)."""

from collections import defaultdict

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "scenario", "checkpoint_ms", "seed", "t_s", "node", "alive", "pending_batches",
          "pending_changes", "raft_log_bytes", "wal_bytes", "commit"]


def _series(rows, mode):
    """{(scenario, checkpoint_ms): [(t, max pending, max raft log bytes, any node down)]} of
    the first seed of each run, maxima over the nodes that are up."""
    runs = defaultdict(lambda: defaultdict(list))
    first_seed = {}
    for r in rows:
        if r["mode"] != mode:
            continue
        key = (r["scenario"], int(number(r["checkpoint_ms"])))
        first_seed.setdefault(key, r["seed"])
        if r["seed"] == first_seed[key]:
            runs[key][number(r["t_s"])].append(r)
    series = {}
    for key, by_t in runs.items():
        points = []
        for t in sorted(by_t):
            up = [r for r in by_t[t] if r["alive"] == "1"]
            points.append((t, max((number(r["pending_batches"]) for r in up), default=0),
                           max((number(r["raft_log_bytes"]) for r in up), default=0),
                           len(up) < len(by_t[t])))
        series[key] = points
    return series


def _down_span(points):
    down = [t for t, _, _, is_down in points if is_down]
    return (min(down), max(down)) if down else None


def _drain_s(points):
    """Seconds from the node's return until pending was back to its pre-outage level."""
    span = _down_span(points)
    if span is None:
        return None
    before = [p for t, p, _, _ in points if t < span[0]]
    level = max(before[-20:], default=0)
    for t, p, _, _ in points:
        if t > span[1] and p <= level:
            return t - span[1]
    return float("nan")


def summarize(ctx) -> Outcome:
    rows = []
    for r in read_csv(ctx.raw_file("sim", "engine_checkpoint.csv")):
        rows.append({**r, "mode": "sim", "wal_bytes": r.get("store_wal_bytes")})
    for r in read_csv(ctx.raw_file("real", "checkpoint_real.csv")):
        rows.append({**r, "mode": "real", "seed": ""})
    out = Outcome(csv=write_csv(ctx.out / "checkpointing.csv", HEADER, rows))
    modes = [m for m in ("sim", "real") if any(r["mode"] == m for r in rows)]
    if not modes:
        out.notes.append("no samples (see the steps' logs)")
        return out
    fig, axes = figure(len(modes), 2, width=12, height=3.6 * len(modes))
    readings = []
    for row_axes, mode in zip(axes, modes):
        series = _series(rows, mode)
        for (scenario, ms), points in sorted(series.items()):
            label = f"{scenario}, checkpoint {ms / 1000:g} s"
            style = {"linestyle": "--"} if scenario != "steady" else {}
            t0 = points[0][0]
            row_axes[0].plot([t - t0 for t, *_ in points], [p for _, p, _, _ in points],
                             label=label, **style)
            row_axes[1].plot([t - t0 for t, *_ in points], [b / 1024 for _, _, b, _ in points],
                             label=label, **style)
            span = _down_span(points)
            if span:
                for ax in row_axes:
                    ax.axvspan(span[0] - t0, span[1] - t0, color="grey", alpha=0.15)
            pend = [p for _, p, _, _ in points]
            peak_kib = max(b for _, _, b, _ in points) / 1024
            out.headline.append((f"{mode}, {label}: pending batches mean / peak; raft log peak",
                                 f"{fmt(sum(pend) / len(pend), 1)} / {fmt(max(pend), 0)}; "
                                 f"{fmt(peak_kib, 0)} KiB"))
            drain = _drain_s(points)
            if drain is not None:
                out.headline.append((f"{mode}, {label}: pending back to its level after the "
                                     f"node returned", f"{fmt(drain, 2)} s"))
                readings.append(f"{mode}: with a node down {fmt(span[1] - span[0], 0)} s pending "
                                f"peaked at {fmt(max(pend), 0)} batches and was back to its "
                                f"level {fmt(drain, 1)} s after the node returned")
        row_axes[0].set_title(f"{mode}: pending batches (max over live nodes)")
        row_axes[1].set_title(f"{mode}: raft log on disk (KiB, max over live nodes)")
        for ax in row_axes:
            ax.set_xlabel("seconds (grey: a node is down)")
            ax.legend()
    out.pngs.append(save(fig, ctx.out / "checkpointing.png"))
    downs = [h for h in out.headline if "node-down" in h[0] and "returned" in h[0]]
    if downs:
        out.summary = downs[-1]
    steady = [(m, h) for m in modes for h in out.headline if h[0].startswith(f"{m}, steady")]
    out.reading = (
        "Pending holds what was committed but not yet acknowledged by every node, so under a "
        "steady load it climbs to about the write rate times the checkpoint interval and drops "
        "when the last node's acknowledgement commits (a saw-tooth): "
        + "; ".join(f"{h[0].split(':')[0]} mean/peak {h[1].split(';')[0]}" for _, h in steady)
        + ". The raft log on disk peaked at "
        + ", ".join(f"{h[1].split('; ')[1]} ({h[0].split(':')[0]})" for _, h in steady)
        + ": the engine compacts raft's log into a snapshot of the pending set every 128 applied "
          "entries when pending is empty at that moment and otherwise every 1024, so only short "
          "intervals keep the log small under a steady load. "
        + ("; ".join(readings) + "." if readings else "")
        + " Nothing is dropped from pending before every node's acknowledgement, which is why a "
          "node that is away makes it grow for as long as it is away (bounded by the write rate).")
    for step in ctx.failed_steps:
        out.notes.append(f"step {step} failed; its rows may be missing")
    return out
