"""availability: per-node answered queries/s while 2 of 3 nodes are killed and restarted during
a write stream, and the acknowledged writes lost (must be 0) (experiments/availability)."""

import json
from collections import defaultdict

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "kind", "t_s", "node", "alive", "queries_sent", "queries_answered",
          "writes_ok", "writes_no_quorum", "writes_failed", "event"]


def summarize(ctx) -> Outcome:
    seconds = read_csv(ctx.raw_file("real", "availability_timeline.csv"))
    events = read_csv(ctx.raw_file("real", "availability_events.csv"))
    summary_path = ctx.raw_file("real", "availability_summary.json")
    summary = json.loads(summary_path.read_text()) if summary_path else {}
    rows = [{**r, "mode": "real", "kind": "second"} for r in seconds]
    rows += [{"mode": "real", "kind": "event", "t_s": e["t_s"], "node": e["node"],
              "event": e["event"]} for e in events]
    out = Outcome(csv=write_csv(ctx.out / "availability.csv", HEADER, rows))
    if not seconds:
        out.notes.append("no timeline (see the step's log)")
        return out

    # The last second is usually cut short by the end of the load: plot only seconds with load.
    loaded = [number(r["t_s"]) for r in seconds if number(r["queries_sent"], 0) > 0]
    last_t = max(loaded, default=0.0)
    seconds = [r for r in seconds if number(r["t_s"]) <= last_t]
    nodes = sorted({r["node"] for r in seconds}, key=number)
    fig, axes = figure(2, 1, width=11, height=6.5)
    top, bottom = axes[0][0], axes[1][0]
    for node in nodes:
        mine = sorted((number(r["t_s"]), number(r["queries_answered"])) for r in seconds
                      if r["node"] == node)
        top.plot([t for t, _ in mine], [a for _, a in mine], marker=".", label=f"node {node}")
    per_t = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in seconds:
        cell = per_t[number(r["t_s"])]
        cell[0] += number(r["writes_ok"], 0)
        cell[1] += number(r["writes_no_quorum"], 0)
        cell[2] += number(r["writes_failed"], 0)
    ts = sorted(per_t)
    ok = [per_t[t][0] for t in ts]
    nq = [per_t[t][1] for t in ts]
    bottom.bar(ts, ok, 0.9, label="writes OK", color="tab:green")
    bottom.bar(ts, nq, 0.9, bottom=ok, label="refused: no quorum", color="tab:orange")
    bottom.bar(ts, [per_t[t][2] for t in ts], 0.9, bottom=[a + b for a, b in zip(ok, nq)],
               label="other errors / timeouts", color="tab:red")
    refused = [(t, per_t[t][1]) for t in ts if per_t[t][1] > 0]
    if refused:  # a few refusals per second would not show as bars
        level = max(ok + [1]) * 0.05
        bottom.scatter([t for t, _ in refused], [level] * len(refused), marker="v",
                       color="tab:orange", zorder=3)
        for t, n in refused:
            bottom.annotate(f"{n:g}", (t, level), textcoords="offset points", xytext=(0, 6),
                            ha="center", fontsize=7, color="tab:orange")
    for e in events:
        kind = e["event"]
        if not (kind.startswith("kill") or kind.startswith("restart")):
            continue
        color = "red" if kind.startswith("kill") else "green"
        for ax in (top, bottom):
            ax.axvline(number(e["t_s"]), color=color, linestyle="--", alpha=0.7)
        top.annotate(f"{kind} {e['node']}", (number(e["t_s"]), top.get_ylim()[1]),
                     rotation=90, va="top", ha="right", fontsize=7, color=color)
    top.set_ylabel("answered queries/s")
    top.set_title("Answered queries per second per node (red: kill -9, green: restart)")
    top.legend(loc="lower left")
    bottom.set_ylabel("writes/s (all clients)")
    bottom.set_xlabel("seconds since start")
    bottom.legend(loc="upper right")
    out.pngs.append(save(fig, ctx.out / "availability.png"))

    def total(column, alive_only=False):
        return sum(number(r[column], 0) for r in seconds
                   if not alive_only or r.get("alive") == "1")

    sent, answered = total("queries_sent", True), total("queries_answered", True)
    lost = summary.get("lost_acked")
    out.headline = [
        ("acknowledged writes lost (must be 0)", lost if lost is not None else "n/a"),
        ("writes answered OK", summary.get("writes_ok", fmt(total("writes_ok"), 0))),
        ("writes refused with no quorum",
         summary.get("writes_no_quorum", fmt(total("writes_no_quorum"), 0))),
        ("writes with other errors or timeouts",
         summary.get("writes_failed", fmt(total("writes_failed"), 0))),
        ("queries answered by nodes that were up", f"{fmt(answered, 0)} of {fmt(sent, 0)} "
                                                   f"({fmt(100 * answered / sent if sent else float('nan'), 2)}%)"),
    ]
    # A node counts as up in a second if it was up at mid-second, so the second of a kill or a
    # restart can show queries sent to a node that was not answering yet (or any more).
    changes = {(int(number(e["t_s"])), e["node"]) for e in events
               if e["event"].startswith(("kill", "restart"))}
    unanswered = [(int(number(r["t_s"])), r["node"],
                   number(r["queries_sent"], 0) - number(r["queries_answered"], 0))
                  for r in seconds if r.get("alive") == "1"]
    unanswered = [u for u in unanswered if u[2] > 0]
    elsewhere = sum(n for t, node, n in unanswered if (t, node) not in changes)
    where = (f"the {fmt(sent - answered, 0)} unanswered ones all fell in the second in which "
             f"their node was killed or restarted" if sent > answered and not elsewhere else
             f"{fmt(elsewhere, 0)} went unanswered outside the seconds of a kill or restart")
    out.reading = (
        f"Every node that was up kept answering: {fmt(answered, 0)} of the {fmt(sent, 0)} queries "
        f"sent to live nodes were answered ({fmt(100 * answered / sent if sent else float('nan'), 2)}%; "
        f"{where}), including the seconds in which only one node was left and raft had no "
        f"majority. Writes "
        f"stopped committing while the majority was gone and were refused with `no quorum` "
        f"({out.headline[2][1]} refusals) instead of hanging; they resumed once a second node was "
        f"back. Of the {out.headline[1][1]} writes answered OK, {lost if lost is not None else 'n/a'}"
        f" were missing on some node after the restarts: an OK is given only after commit, and "
        f"nothing leaves the replicated pending set before every node has it on disk.")
    if lost not in (0, None):
        out.notes.append(f"{lost} acknowledged writes were LOST: see raw/availability/")
    return out
