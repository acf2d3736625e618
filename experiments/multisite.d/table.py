"""Aggregates experiments/multisite's samples into one row per (world, placement, timeouts) and
picks the recommended timeouts per max round trip: among the configurations whose every isolation
led to a new leader within the bound, with no spurious election, and with a margin (election
timeout >= 2 heartbeats + the max RTT: a follower still hears the leader after one lost heartbeat
on the slowest link, which these loss-free runs do not test), the lowest median failover (ties:
the lower commit latency, then the longer heartbeat: less traffic)."""

import csv
import math
import statistics

KEYS = ("world", "nodes", "sites", "max_rtt_ms", "heartbeat_ms", "election_ms")


def pct(values, p):
    if not values:
        return math.nan
    data = sorted(values)
    k = (len(data) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def read(paths):
    samples, runs = [], []
    for samples_path, runs_path in paths:
        for path, into in ((samples_path, samples), (runs_path, runs)):
            if path and path.is_file():
                with open(path, newline="") as f:
                    into.extend(csv.DictReader(f))
    return samples, runs


def rows(samples, runs):
    """One dict per configuration, sorted."""
    groups = {}
    for s in samples:
        key = tuple(s[k] for k in KEYS)
        groups.setdefault(key, {}).setdefault(s["metric"], []).append(float(s["value"]))
    stats = {}
    for r in runs:
        key = tuple(r[k] for k in KEYS)
        g = stats.setdefault(key, {"runs": 0, "bad_runs": 0, "cuts": 0, "failed": 0,
                                   "spurious": 0})
        g["runs"] += 1
        g["bad_runs"] += str(r["ok"]) != "1"
        g["cuts"] += int(r["cuts"])
        g["failed"] += int(r["failovers_failed"])
        g["spurious"] += int(r["spurious"])
    out = []
    for key in sorted(set(groups) | set(stats),
                      key=lambda k: (k[0], int(k[1]), int(k[3]), int(k[4]), int(k[5]))):
        m = groups.get(key, {})
        g = stats.get(key, {"runs": 0, "bad_runs": 0, "cuts": 0, "failed": 0, "spurious": 0})
        row = dict(zip(KEYS, key))
        row.update({
            "runs": g["runs"], "bad_runs": g["bad_runs"], "cuts": g["cuts"],
            "failovers_failed": g["failed"], "spurious": g["spurious"],
            "commit_p50_ms": pct(m.get("commit_ms", []), 50),
            "commit_p99_ms": pct(m.get("commit_ms", []), 99),
            "propagation_p50_ms": pct(m.get("propagation_ms", []), 50),
            "propagation_p99_ms": pct(m.get("propagation_ms", []), 99),
            "everywhere_p50_ms": pct(m.get("propagation_all_ms", []), 50),
            "everywhere_p99_ms": pct(m.get("propagation_all_ms", []), 99),
            "failover_p50_ms": pct(m.get("failover_ms", []), 50),
            "failover_max_ms": max(m["failover_ms"]) if m.get("failover_ms") else math.nan,
            "failovers": len(m.get("failover_ms", [])),
        })
        out.append(row)
    return out


def recommend(table):
    """[(world, nodes, max_rtt, row)] the best configuration per world, size and max RTT."""
    best = {}
    for r in table:
        margin = int(r["election_ms"]) >= 2 * int(r["heartbeat_ms"]) + int(r["max_rtt_ms"])
        healthy = (r["failovers_failed"] == 0 and r["spurious"] == 0 and r["bad_runs"] == 0
                   and r["failovers"] > 0 and margin)
        if not healthy:
            continue
        key = (r["world"], int(r["nodes"]), int(r["max_rtt_ms"]))
        score = (r["failover_p50_ms"], r["commit_p50_ms"], -int(r["heartbeat_ms"]))
        if key not in best or score < best[key][0]:
            best[key] = (score, r)
    return [(w, n, rtt, r) for (w, n, rtt), (_, r) in sorted(best.items())]


def fmt(x, digits=0):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def markdown(table):
    lines = ["| world | nodes | max RTT ms | heartbeat ms | election ms | commit p50 / p99 ms | "
             "on a node p50 / p99 ms | on every node p50 / p99 ms | failover p50 / max ms (n) | "
             "failed failovers | spurious elections |", "|" + " --- |" * 11]
    for r in table:
        lines.append(
            f"| {r['world']} | {r['nodes']} | {r['max_rtt_ms']} | {r['heartbeat_ms']} | "
            f"{r['election_ms']} | {fmt(r['commit_p50_ms'])} / {fmt(r['commit_p99_ms'])} | "
            f"{fmt(r['propagation_p50_ms'])} / {fmt(r['propagation_p99_ms'])} | "
            f"{fmt(r['everywhere_p50_ms'])} / {fmt(r['everywhere_p99_ms'])} | "
            f"{fmt(r['failover_p50_ms'])} / {fmt(r['failover_max_ms'])} ({r['failovers']}) | "
            f"{r['failovers_failed']} of {r['cuts']} | {r['spurious']} |")
    return "\n".join(lines)


def recommendation_markdown(table):
    lines = ["| max RTT | nodes | world | heartbeat | election timeout | failover median (max) | "
             "commit p50 | spurious elections |", "|" + " --- |" * 8]
    for world, nodes, rtt, r in recommend(table):
        lines.append(f"| {rtt} ms | {nodes} | {world} | {r['heartbeat_ms']} ms | "
                     f"{r['election_ms']} ms | {fmt(r['failover_p50_ms'])} ms "
                     f"({fmt(r['failover_max_ms'])} ms) | {fmt(r['commit_p50_ms'])} ms | "
                     f"{r['spurious']} |")
    return "\n".join(lines)


def median(values):
    return statistics.median(values) if values else math.nan
