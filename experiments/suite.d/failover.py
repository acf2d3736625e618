"""failover: election time after a leader crash (sim seeds, real kills) and spurious elections
under a flapping link (sim), with and without pre-vote."""

import math

import cluster_bench_csv
from plotting import cdf, figure, save
from summary import Outcome, fmt, median, number, percentile, read_csv, write_csv

HEADER = ["mode", "kind", "system", "variant", "pre_vote", "election_timeout_ms", "seed", "rep",
          "elect_ms", "commit_ms", "terms", "sim_seconds", "flaps", "leader_changes",
          "spurious_elections", "leaderless_ms", "commits", "max_commit_gap_ms"]


def _real_timeout_ms(ctx) -> float:
    for step in ctx.experiment.steps:
        if step.name == "real":
            return number(step.parameters(ctx.quick).get("election-timeout-ms", 1000))
    return 1000.0


def summarize(ctx) -> Outcome:
    rows = []
    for r in read_csv(ctx.raw_file("sim-crash", "raft_failover_samples.csv")):
        rows.append({"mode": "sim", "kind": "crash", "system": "raft", "variant": r["network"],
                     "pre_vote": r["pre_vote"],
                     "election_timeout_ms": f"{number(r['election_ticks']) * number(r['tick_ms']):g}",
                     "seed": r["seed"], "elect_ms": r["elect_ms"], "commit_ms": r["commit_ms"],
                     "terms": r["terms"]})
    for r in read_csv(ctx.raw_file("sim-flapping", "raft_flapping.csv")):
        rows.append({**r, "mode": "sim", "kind": "flapping", "system": "raft",
                     "election_timeout_ms":
                         f"{number(r['election_ticks']) * number(r['tick_ms']):g}"})
    timeout = _real_timeout_ms(ctx)
    for c in cluster_bench_csv.cases(ctx.raw_file("real", "cluster_bench.csv"), "failover"):
        rows.append({"mode": "real", "kind": "crash", "system": c["system"], "variant": "loopback",
                     "pre_vote": "1" if c["system"] == "ours" else "0",
                     "election_timeout_ms": f"{timeout:g}", "rep": c.get("rep"),
                     "elect_ms": f"{c.get('new_leader_ms', math.nan):.1f}",
                     "commit_ms": f"{c.get('first_write_ms', math.nan):.1f}"})
    out = Outcome(csv=write_csv(ctx.out / "failover.csv", HEADER, rows))

    crash = [r for r in rows if r["kind"] == "crash"]
    flapping = [r for r in rows if r["kind"] == "flapping"]
    fig, axes = figure(1, 2, width=12, height=4.3)
    ax = axes[0][0]
    groups = sorted({(r["mode"], r["system"], r["pre_vote"], number(r["election_timeout_ms"]))
                     for r in crash}, key=lambda g: (g[0] != "sim", g[1], g[3], g[2]))
    for mode, system, pre_vote, et in groups:
        values = [number(r["elect_ms"]) / et for r in crash
                  if (r["mode"], r["system"], r["pre_vote"], number(r["election_timeout_ms"]))
                  == (mode, system, pre_vote, et) and math.isfinite(number(r["elect_ms"]))]
        if mode == "sim":
            label = f"sim, timeout {et:g} ms, pre-vote {'on' if pre_vote == '1' else 'off'}"
            style = {"linestyle": "-" if pre_vote == "1" else ":"}
        else:
            label = f"real {system} kill -9, timeout {et:g} ms"
            style = {"linewidth": 2.5, "marker": "o"}
        cdf(ax, values, label, **style)
    ax.axvline(1.5, color="red", linestyle="--", label="1.5 x election timeout")
    ax.set_xlabel("leader crash -> new leader, in election timeouts")
    ax.set_ylabel("fraction of crashes")
    ax.set_title("Election time after a leader crash (CDF)")
    ax.legend(fontsize=7)

    ax = axes[0][1]
    variants = sorted({r["variant"] for r in flapping})
    per_minute = {}
    for k, variant in enumerate(variants):
        for j, pre_vote in enumerate(("0", "1")):
            sel = [r for r in flapping if r["variant"] == variant and r["pre_vote"] == pre_vote]
            if not sel:
                continue
            minutes = sum(number(r["sim_seconds"]) for r in sel) / 60
            rate = sum(number(r["spurious_elections"]) for r in sel) / minutes if minutes else 0
            per_minute[(variant, pre_vote)] = (rate, sel)
            ax.bar(k + 0.4 * j, rate, 0.4,
                   color="tab:blue" if pre_vote == "1" else "tab:orange",
                   label=f"pre-vote {'on' if pre_vote == '1' else 'off'}" if k == 0 else None)
    ax.set_xticks([k + 0.2 for k in range(len(variants))], variants)
    ax.set_ylabel("spurious elections per simulated minute")
    ax.set_title("Flapping link, no crash (sim)")
    if variants:
        ax.legend()
    out.pngs.append(save(fig, ctx.out / "failover.png"))

    for mode, system, pre_vote, et in groups:
        sel = [r for r in crash
               if (r["mode"], r["system"], r["pre_vote"], number(r["election_timeout_ms"]))
               == (mode, system, pre_vote, et)]
        elect = [r["elect_ms"] for r in sel]
        what = (f"sim, timeout {et:g} ms, pre-vote {'on' if pre_vote == '1' else 'off'}"
                if mode == "sim" else f"real {system}, timeout {et:g} ms")
        out.headline.append((f"{what}: new leader p50 / p99 / max ms (n)",
                             f"{fmt(percentile(elect, 50), 0)} / {fmt(percentile(elect, 99), 0)} "
                             f"/ {fmt(percentile(elect, 100), 0)} ({len(sel)})"))
    for (variant, pre_vote), (rate, sel) in sorted(per_minute.items()):
        out.headline.append((f"flapping {variant}, pre-vote {'on' if pre_vote == '1' else 'off'}:"
                             f" spurious elections per minute; longest commit gap p50 ms",
                             f"{fmt(rate, 2)}; {fmt(median(r['max_commit_gap_ms'] for r in sel), 0)}"))

    ours = [number(r["elect_ms"]) for r in crash if r["mode"] == "real" and r["system"] == "ours"]
    over = sum(1 for v in ours if v > 1.5 * timeout)
    sim_on = [number(r["elect_ms"]) / number(r["election_timeout_ms"]) for r in crash
              if r["mode"] == "sim" and r["pre_vote"] == "1"]
    flap_text = "; ".join(
        f"{variant}: {fmt(per_minute.get((variant, '0'), (math.nan,))[0], 2)} spurious elections "
        f"per minute without pre-vote, {fmt(per_minute.get((variant, '1'), (math.nan,))[0], 2)} "
        f"with" for variant in variants)
    out.reading = (
        f"After a leader crash the simulated cluster elected a new leader in a median of "
        f"{fmt(percentile(sim_on, 50), 2)} election timeouts (p99 {fmt(percentile(sim_on, 99), 2)}) "
        f"with pre-vote: followers wait one randomized timeout, drawn from [T, 2T), then win in "
        f"one round in most seeds. The real cluster's kill -9s took a median of "
        f"{fmt(median(ours), 0)} ms for a {timeout:g} ms timeout ({over} of {len(ours)} over 1.5x, "
        f"which the [T, 2T) spread allows). Under a flapping link with no crash ({flap_text}); "
        f"every such election interrupts writes for about one election timeout.")
    if not flapping:
        out.notes.append("no flapping-link results (see the sim-flapping step's log)")
    return out
