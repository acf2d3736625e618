"""updates: DNS UPDATE writes against ours and PUTs against etcd from one load client
(experiments/update_bench, build/write-load): writes/s, p50/p99, server CPU per write and client
CPU per request, with issue 16's target 4."""

from plotting import figure, save
from summary import Outcome, fmt, median, number, ratio, read_csv, write_csv

HEADER = ["mode", "system", "clients", "round", "committed", "committed_per_s", "latency_p50_ms",
          "latency_p99_ms", "failed", "server_cpu_ms_per_write", "verified",
          "client_cpu_us_per_request"]
TARGET_CLIENTS = (32, 128)


def summarize(ctx) -> Outcome:
    rows = [{"mode": "real", **r} for r in read_csv(ctx.raw_file("bench", "update_bench.csv"))]
    out = Outcome(csv=write_csv(ctx.out / "updates.csv", HEADER, rows))
    if not rows:
        out.notes.append("no UPDATE benchmark results (see the step's log)")
        return out
    systems = [s for s in ("ours", "etcd") if any(r["system"] == s for r in rows)]
    clients = sorted({int(number(r["clients"])) for r in rows})

    def med(system, n, column):
        return median(number(r[column]) for r in rows
                      if r["system"] == system and int(number(r["clients"])) == n)

    fig, axes = figure(1, 3, width=14, height=4)
    for system in systems:
        axes[0][0].plot(clients, [med(system, n, "committed_per_s") for n in clients],
                        marker="o", label=system)
        axes[0][1].plot(clients, [med(system, n, "latency_p99_ms") for n in clients],
                        marker="o", label=f"{system} p99")
        axes[0][1].plot(clients, [med(system, n, "latency_p50_ms") for n in clients],
                        marker=".", linestyle=":", label=f"{system} p50")
        axes[0][2].plot(clients, [med(system, n, "server_cpu_ms_per_write") for n in clients],
                        marker="o", label=system)
    axes[0][0].set_title("committed writes/s (median of rounds)")
    axes[0][1].set_title("write latency (ms)")
    axes[0][2].set_title("server CPU per committed write (ms)")
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients, [str(n) for n in clients])
        ax.set_xlabel("clients (requests in flight)")
        ax.set_ylim(bottom=0)
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "updates.png"))

    if "etcd" not in systems or "ours" not in systems:
        out.notes.append("only one system ran; no ratios")
        return out
    verdicts = []
    for n in clients:
        w = ratio(med("ours", n, "committed_per_s"), med("etcd", n, "committed_per_s"))
        p99 = ratio(med("ours", n, "latency_p99_ms"), med("etcd", n, "latency_p99_ms"))
        cpu = ratio(med("ours", n, "server_cpu_ms_per_write"),
                    med("etcd", n, "server_cpu_ms_per_write"))
        out.headline.append((f"{n} clients: writes/s ours / etcd",
                             f"{fmt(med('ours', n, 'committed_per_s'), 0)} / "
                             f"{fmt(med('etcd', n, 'committed_per_s'), 0)} ({fmt(w, 2)}x)"))
        out.headline.append((f"{n} clients: p99 ms ours / etcd",
                             f"{fmt(med('ours', n, 'latency_p99_ms'), 1)} / "
                             f"{fmt(med('etcd', n, 'latency_p99_ms'), 1)} ({fmt(p99, 2)})"))
        out.headline.append((f"{n} clients: server CPU ms per write ours / etcd",
                             f"{fmt(med('ours', n, 'server_cpu_ms_per_write'), 3)} / "
                             f"{fmt(med('etcd', n, 'server_cpu_ms_per_write'), 3)} "
                             f"({fmt(cpu, 2)})"))
        out.headline.append((f"{n} clients: load client CPU us per request ours / etcd",
                             f"{fmt(med('ours', n, 'client_cpu_us_per_request'), 1)} / "
                             f"{fmt(med('etcd', n, 'client_cpu_us_per_request'), 1)}"))
        if n in TARGET_CLIENTS:
            met = [w >= 3, p99 <= 1, cpu <= 1 / 3]
            verdicts.append(f"{n} clients: writes {fmt(w, 2)}x ({'met' if met[0] else 'NOT met'}),"
                            f" p99 ratio {fmt(p99, 2)} ({'met' if met[1] else 'NOT met'}), CPU "
                            f"ratio {fmt(cpu, 2)} ({'met' if met[2] else 'NOT met'})")
    top = clients[-1]
    out.summary = (f"{top} clients: UPDATE writes/s ours / etcd",
                   fmt(ratio(med("ours", top, "committed_per_s"),
                             med("etcd", top, "committed_per_s")), 2) + "x")
    failed = sum(number(r["failed"], 0) for r in rows)
    unverified = [f"{r['system']} {r['clients']} clients round {r['round']}" for r in rows
                  if "(!)" in r.get("verified", "")]
    if unverified:
        out.notes.append("acknowledged count differs from the serial/revision change in: " +
                         ", ".join(unverified))
    dropped = [f"{r['clients']} clients round {r['round']}" for r in rows
               if "laggard drops" in r.get("verified", "")]
    if dropped:
        out.notes.append("a node was dropped from pending as a laggard, with every node up (a bug), "
                         "in: " + ", ".join(dropped))
    out.reading = (
        "Issue 16 target 4 (at 32 and 128 clients: at least 3x etcd's writes/s, p99 no worse, "
        "server CPU per write at most 1/3 of etcd's): " +
        ("; ".join(verdicts) if verdicts else "not judged, this run had neither 32 nor 128 "
         "clients") + ". "
        f"{failed:.0f} writes failed or were lost in all. Every acknowledged UPDATE is one raft "
        "entry; the leader batches the entries of a burst into one append and one fsync and "
        "answers a batch's writers before it writes the next batch (docs/design.md, group "
        "commit). Both systems share 2 cores with their load clients, so these are CPU-bound "
        "numbers: writes/s follow CPU per write.")
    return out
