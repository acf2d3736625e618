"""large_zone: load time and resident memory of ours, NSD and Knot on a generated zone
(experiments/large_zone)."""

from plotting import figure, save
from summary import Outcome, fmt, median, number, read_csv, write_csv

SERVERS = ("ours", "nsd", "knot")
HEADER = ["mode", "server", "records", "round", "load_s", "rss_mib", "pss_mib", "processes"]


def summarize(ctx) -> Outcome:
    path = ctx.raw_file("real", "large_zone.csv")
    rows = read_csv(path) if path else []
    for r in rows:
        r["mode"] = "real"
    out = Outcome(csv=write_csv(ctx.out / "large_zone.csv", HEADER, rows))
    if not rows:
        out.notes.append("no large-zone results (see the step's log)")
        return out
    sizes = sorted({r["records"] for r in rows}, key=number)
    servers = [s for s in SERVERS if any(r["server"] == s for r in rows)]

    def cell(server, size, column):
        return median(r[column] for r in rows if r["server"] == server and r["records"] == size)

    fig, axes = figure(1, 2, width=10, height=3.8)
    for s in servers:
        xs = [number(z) / 1e6 for z in sizes]
        axes[0][0].plot(xs, [cell(s, z, "load_s") for z in sizes], marker="o", label=s)
        axes[0][1].plot(xs, [cell(s, z, "rss_mib") for z in sizes], marker="o", label=s)
    axes[0][0].set_title("start until the last name answers (s)")
    axes[0][1].set_title("resident memory of the process tree (MiB)")
    for ax in axes[0]:
        ax.set_xlabel("million records")
        ax.set_ylim(bottom=0)
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "large_zone.png"))
    for z in sizes:
        if "ours" not in servers:
            continue
        for column, what in (("load_s", "load"), ("rss_mib", "RSS")):
            others = [cell(s, z, column) for s in ("nsd", "knot") if s in servers]
            if not others:
                continue
            ratio = cell("ours", z, column) / min(others)
            verdict = "met" if ratio <= 1.0 else "NOT met"
            out.headline.append((f"{int(number(z)):,} records: {what} ours / better of NSD, Knot",
                                 f"{fmt(ratio, 2)} ({verdict})"))
    return out
