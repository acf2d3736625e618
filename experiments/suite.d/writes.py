"""writes: committed writes/s against concurrent clients, ours vs etcd (cluster_bench)."""

import cluster_bench_csv
from plotting import figure, save
from summary import Outcome, fmt, median, number, ratio, write_csv

HEADER = ["mode", "system", "clients", "round", "committed_per_s", "latency_p50_ms",
          "latency_p99_ms", "failed", "server_cpu_ms_per_write"]


def summarize(ctx) -> Outcome:
    rows = []
    for c in cluster_bench_csv.cases(ctx.raw_file("bench", "cluster_bench.csv"), "writes"):
        rows.append({"mode": "real", **{k: c.get(k) for k in HEADER[1:]}})
    out = Outcome(csv=write_csv(ctx.out / "writes.csv", HEADER, rows))
    if not rows:
        out.notes.append("no write-throughput results (see the step's log)")
        return out
    systems = [s for s in ("ours", "etcd") if any(r["system"] == s for r in rows)]
    clients = sorted({int(number(r["clients"])) for r in rows})

    def runs(system, n, column="committed_per_s"):
        return [number(r[column]) for r in rows
                if r["system"] == system and int(number(r["clients"])) == n]

    fig, axes = figure(1, 2, width=11, height=4)
    for system in systems:
        meds = [median(runs(system, n)) for n in clients]
        lows = [m - min(runs(system, n)) for m, n in zip(meds, clients)]
        highs = [max(runs(system, n)) - m for m, n in zip(meds, clients)]
        axes[0][0].errorbar(clients, meds, yerr=[lows, highs], marker="o", capsize=3,
                            label=system)
        axes[0][1].plot(clients, [median(runs(system, n, "latency_p99_ms")) for n in clients],
                        marker="o", label=f"{system} p99")
        axes[0][1].plot(clients, [median(runs(system, n, "latency_p50_ms")) for n in clients],
                        marker=".", linestyle=":", label=f"{system} p50")
    axes[0][0].set_title("committed writes/s (median, bars: min-max of rounds)")
    axes[0][1].set_title("write latency (ms)")
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients, [str(n) for n in clients])
        ax.set_xlabel("concurrent clients")
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "writes.png"))

    ratios = []
    for n in clients:
        ours, etcd = median(runs("ours", n)), median(runs("etcd", n))
        out.headline.append((f"{n} clients: ours / etcd writes/s (ratio)",
                             f"{fmt(ours, 0)} / {fmt(etcd, 0)} ({fmt(ratio(ours, etcd), 2)}x)"))
        ratios.append(f"{fmt(ratio(ours, etcd), 2)}x with {n}")
    out.summary = out.headline[-1]
    for system in systems:
        n = clients[-1]
        out.headline.append((f"{n} clients: {system} server CPU ms per write",
                             fmt(median(runs(system, n, "server_cpu_ms_per_write")), 2)))
    failed = sum(number(r["failed"], 0) for r in rows)
    rounds = len({r["round"] for r in rows})
    if "etcd" not in systems:
        out.notes.append("etcd did not run; no ratio")
    best = max((ratio(median(runs("ours", n)), median(runs("etcd", n))) for n in clients),
               default=float("nan"))
    target = ("The 3x-etcd target of the project is met." if best >= 3 else
              f"The project's 3x-etcd target is not reached (best {fmt(best, 2)}x): every ADD "
              f"line is its own raft entry and the clients share one stdin pipe per node.")
    out.reading = (
        f"Our cluster committed {', '.join(fmt(median(runs('ours', n)), 0) for n in clients)} "
        f"writes/s with {', '.join(str(n) for n in clients)} clients, against "
        f"{', '.join(fmt(median(runs('etcd', n)), 0) for n in clients)} for etcd on the same "
        f"disk ({', '.join(ratios)} clients; medians of {rounds} round(s), {failed:.0f} failed "
        f"writes in all). Both pay one fsync per raft append on the leader and on each follower, "
        f"so throughput grows with clients as more writes share each fsync; ours also sends the "
        f"append to the followers before the leader's own fsync. {target}")
    return out
