"""sim_speed: simulated seconds per wall second against cluster size (bench_sim)."""

import json

from plotting import figure, save
from summary import Outcome, fmt, number, write_csv

HEADER = ["mode", "nodes", "iterations", "sim_s_per_iteration", "wall_ms_per_iteration",
          "cpu_ms_per_iteration", "sim_s_per_wall_s", "sim_s_per_cpu_s", "events_per_wall_s"]
SCALE_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def summarize(ctx) -> Outcome:
    path = ctx.raw_file("bench", "bench_sim.json")
    benchmarks = json.loads(path.read_text())["benchmarks"] if path else []
    rows = []
    for b in benchmarks:
        if b.get("run_type") == "aggregate" or "sim_s_per_iter" not in b:
            continue
        scale = SCALE_MS[b.get("time_unit", "ns")]
        wall_ms, cpu_ms = b["real_time"] * scale, b["cpu_time"] * scale
        sim_s = b["sim_s_per_iter"]
        rows.append({"mode": "sim-wallclock", "nodes": b["name"].split("/")[1],
                     "iterations": b["iterations"], "sim_s_per_iteration": f"{sim_s:.3f}",
                     "wall_ms_per_iteration": f"{wall_ms:.3f}",
                     "cpu_ms_per_iteration": f"{cpu_ms:.3f}",
                     "sim_s_per_wall_s": f"{sim_s / (wall_ms / 1e3):.1f}",
                     "sim_s_per_cpu_s": f"{sim_s / (cpu_ms / 1e3):.1f}",
                     "events_per_wall_s": f"{b['events_per_iter'] / (wall_ms / 1e3):.0f}"})
    out = Outcome(csv=write_csv(ctx.out / "sim_speed.csv", HEADER, rows))
    if not rows:
        out.notes.append("no benchmark results (see the step's log)")
        return out
    nodes = [int(r["nodes"]) for r in rows]
    fig, axes = figure(1, 2, width=10, height=3.8)
    axes[0][0].plot(nodes, [number(r["sim_s_per_wall_s"]) for r in rows], marker="o",
                    label="per wall second")
    axes[0][0].plot(nodes, [number(r["sim_s_per_cpu_s"]) for r in rows], marker=".",
                    linestyle=":", label="per CPU second")
    axes[0][0].set_title("simulated seconds per second")
    axes[0][1].plot(nodes, [number(r["events_per_wall_s"]) / 1e6 for r in rows], marker="o",
                    label="per wall second")
    axes[0][1].plot(nodes, [number(r["events_per_wall_s"]) / 1e6 * number(r["sim_s_per_cpu_s"])
                            / number(r["sim_s_per_wall_s"]) for r in rows], marker=".",
                    linestyle=":", label="per CPU second")
    axes[0][1].set_title("simulator events per second (millions)")
    axes[0][1].legend()
    for ax in axes[0]:
        ax.set_xlabel("nodes")
        ax.set_xticks(nodes)
        ax.set_ylim(bottom=0)
    axes[0][0].legend()
    out.pngs.append(save(fig, ctx.out / "sim_speed.png"))
    for r in rows:
        out.headline.append((f"{r['nodes']} nodes: simulated s per wall s (per CPU s)",
                             f"{fmt(number(r['sim_s_per_wall_s']), 0)} "
                             f"({fmt(number(r['sim_s_per_cpu_s']), 0)})"))
    first, last = rows[0], rows[-1]

    def events_per_sim_s(r):
        return number(r["events_per_wall_s"]) / number(r["sim_s_per_wall_s"])

    growth = events_per_sim_s(last) / events_per_sim_s(first)
    seeds_per_min = 60 * number(first["sim_s_per_wall_s"]) / number(first["sim_s_per_iteration"])
    out.reading = (
        f"One thread simulates a {first['nodes']}-node cluster under every kind of fault "
        f"{fmt(number(first['sim_s_per_wall_s']), 0)}x faster than real time and a "
        f"{last['nodes']}-node cluster {fmt(number(last['sim_s_per_wall_s']), 0)}x. Going from "
        f"{first['nodes']} to {last['nodes']} nodes multiplied the simulator events per simulated "
        f"second by {fmt(growth, 1)} (heartbeats and appends go from the leader to n-1 peers and "
        f"elections involve every pair), while the events handled per wall second went from "
        f"{fmt(number(first['events_per_wall_s']) / 1e6, 2)} to "
        f"{fmt(number(last['events_per_wall_s']) / 1e6, 2)} million. At the {first['nodes']}-node "
        f"speed one core runs about {fmt(seeds_per_min, 0)} seeded {fmt(number(first['sim_s_per_iteration']), 0)}-second "
        f"runs per minute.")
    return out
