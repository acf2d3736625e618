"""lifecycle_pending: the leader's pending bytes and raft log bytes over time with a follower
down for 60 s under a steady write load, with the pending bound reached and without it
(experiments/lifecycle --part pending, build/lifecycle-in-sim --experiment pending)."""

import math

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "max_pending_bytes", "t_s", "victim_down", "leader", "pending_batches",
          "pending_bytes", "raft_log_bytes", "needs_transfer"]


def bound_label(bound: float) -> str:
    return "no bound (2^40)" if bound >= 2**40 else f"bound {bound / 1024:g} KiB"


def back_to_steady(rows: list) -> float:
    """Seconds from the restart until pending is back to its level before the kill (at most
    twice the largest sample before it) with no member dropped; nan if never sampled."""
    down = [number(r["t_s"]) for r in rows if r["victim_down"] == "1"]
    if not down:
        return math.nan
    first, last = min(down), max(down)
    after = [number(r["t_s"]) for r in rows if number(r["t_s"]) > last]
    if not after:
        return math.nan
    restart = min(after)  # the first sample after the restart (the node restarts right before it)
    before = [number(r["pending_bytes"]) for r in rows if number(r["t_s"]) < first]
    steady = 2 * max(before + [1.0])
    for r in rows:
        t = number(r["t_s"])
        if (t >= restart and number(r["pending_bytes"]) <= steady
                and number(r["needs_transfer"]) == 0):
            return t - restart
    return math.nan


def summarize(ctx) -> Outcome:
    rows = []
    for mode in ("sim", "real"):
        for r in read_csv(ctx.raw_file(mode, "lifecycle_pending.csv")):
            r["mode"] = mode
            rows.append(r)
    rows.sort(key=lambda r: (r["mode"], number(r["max_pending_bytes"]), number(r["t_s"])))
    out = Outcome(csv=write_csv(ctx.out / "lifecycle_pending.csv", HEADER, rows))
    if not rows:
        out.notes.append("no pending results (see the steps' logs)")
        return out
    fig, axes = figure(1, 2, width=11, height=4)
    runs = sorted({(r["mode"], number(r["max_pending_bytes"])) for r in rows})
    for mode, bound in runs:
        mine = [r for r in rows if r["mode"] == mode and number(r["max_pending_bytes"]) == bound]
        t = [number(r["t_s"]) for r in mine]
        style = {"linestyle": "--" if mode == "sim" else "-"}
        label = f"{mode}, {bound_label(bound)}"
        axes[0][0].plot(t, [number(r["pending_bytes"]) / 1024 for r in mine], label=label,
                        **style)
        axes[0][1].plot(t, [number(r["raft_log_bytes"]) / 1024 for r in mine], label=label,
                        **style)
    down = [number(r["t_s"]) for r in rows if r["victim_down"] == "1"]
    for ax in axes[0]:
        if down:
            ax.axvspan(min(down), max(down), color="grey", alpha=0.15, label="follower down")
        ax.set_xlabel("seconds since the load began (sim: simulated)")
        ax.set_yscale("symlog", linthresh=1)
        ax.legend()
    axes[0][0].set_title("leader: pending_bytes (KiB)")
    axes[0][1].set_title("leader: raft_log_bytes (KiB)")
    out.pngs.append(save(fig, ctx.out / "lifecycle_pending.png"))
    parts = []
    for mode, bound in runs:
        mine = [r for r in rows if r["mode"] == mode and number(r["max_pending_bytes"]) == bound]
        peak = max(number(r["pending_bytes"]) for r in mine)
        log_peak = max(number(r["raft_log_bytes"]) for r in mine)
        dropped = any(number(r["needs_transfer"]) > 0 for r in mine)
        steady = back_to_steady(mine)
        out.headline.append((f"{mode}, {bound_label(bound)}: max pending / max raft log (KiB); "
                             "laggard dropped; back to steady pending after the restart (s)",
                             f"{fmt(peak / 1024, 1)} / {fmt(log_peak / 1024, 1)}; "
                             f"{'yes' if dropped else 'no'}; {fmt(steady, 1)}"))
        parts.append(f"{mode} with {bound_label(bound)}: pending peaked at "
                     f"{fmt(peak / 1024, 1)} KiB and the raft log at {fmt(log_peak / 1024, 1)} KiB"
                     + (" (the dead member was dropped: it copied a datastore on return)"
                        if dropped else "")
                     + f", back to its steady level {fmt(steady, 1)} s after the restart")
    out.reading = ("While a member is down nothing leaves pending (every member must have "
                   "copied a change), so pending grows with the writes until the bound makes the "
                   "dead member a laggard and pending falls to what the others still need. The "
                   "raft log holds the entries since the last compaction plus R's snapshot, "
                   "pending included. " + "; ".join(parts) + ".")
    peaks = {(mode, bound): max(number(r["pending_bytes"]) for r in rows
                                if r["mode"] == mode and number(r["max_pending_bytes"]) == bound)
             for mode, bound in runs}
    real_bounds = sorted(b for m, b in runs if m == "real")
    if len(real_bounds) >= 2:
        out.summary = (f"real: max pending KiB, {bound_label(real_bounds[0])} / "
                       f"{bound_label(real_bounds[-1])}",
                       f"{fmt(peaks[('real', real_bounds[0])] / 1024, 1)} / "
                       f"{fmt(peaks[('real', real_bounds[-1])] / 1024, 1)}")
    if down:
        out.reading += (f" The follower was down from {fmt(min(down), 1)} s to "
                        f"{fmt(max(down), 1)} s.")
    return out
