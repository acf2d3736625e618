"""cluster_import: a large zone file on first boot of a 3-node cluster: time until every node
answers, leader changes, resident memory against the standalone node (experiments/cluster_import)."""

from plotting import figure, save
from summary import Outcome, fmt, number, read_csv, write_csv

HEADER = ["mode", "records", "round", "standalone_load_s", "standalone_rss_mib", "node",
          "answer_s", "peak_rss_mib", "settled_rss_mib", "leader_changes", "all_answer_s"]


def summarize(ctx) -> Outcome:
    path = ctx.raw_file("real", "cluster_import.csv")
    rows = read_csv(path) if path else []
    for r in rows:
        r["mode"] = "real"
    out = Outcome(csv=write_csv(ctx.out / "cluster_import.csv", HEADER, rows))
    if not rows:
        out.notes.append("no cluster-import results (see the step's log)")
        return out
    nodes = sorted({int(number(r["node"])) for r in rows})
    fig, axes = figure(1, 2, width=10, height=3.8)
    axes[0][0].bar([str(n) for n in nodes],
                   [max(number(r["answer_s"]) for r in rows if int(number(r["node"])) == n)
                    for n in nodes])
    axes[0][0].axhline(5.0, color="red", linestyle="--", label="target 5 s")
    axes[0][0].set_title("start until the node answers the last name (s)")
    standalone = max(number(r["standalone_rss_mib"]) for r in rows)
    axes[0][1].bar([str(n) for n in nodes],
                   [max(number(r["settled_rss_mib"]) for r in rows if int(number(r["node"])) == n)
                    for n in nodes], label="settled")
    axes[0][1].axhline(1.5 * standalone, color="red", linestyle="--", label="1.5x standalone")
    axes[0][1].set_title("resident memory per node (MiB)")
    for ax in axes[0]:
        ax.set_xlabel("node")
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "cluster_import.png"))
    records = int(number(rows[0]["records"]))
    worst = max(number(r["answer_s"]) for r in rows if int(number(r["node"])) == 2)
    changes = sum(int(number(r["leader_changes"])) for r in rows if int(number(r["node"])) == 2)
    ratio = max(number(r["settled_rss_mib"]) / number(r["standalone_rss_mib"]) for r in rows)
    out.headline += [
        (f"{records:,} records: node 2 answers the last name after (s, target <= 5)",
         f"{fmt(worst, 2)} ({'met' if worst <= 5.0 else 'NOT met'})"),
        ("leader changes during the import (target 0)",
         f"{changes} ({'met' if changes == 0 else 'NOT met'})"),
        ("settled RSS per node / standalone (target <= 1.5)",
         f"{fmt(ratio, 2)} ({'met' if ratio <= 1.5 else 'NOT met'})"),
    ]
    return out
