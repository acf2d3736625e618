"""The simulator's half of experiments/multisite: one sim-runner run per (placement, timeouts,
seed) with --sites, --election-ms, --heartbeat-ms and a schedule of leader isolations, its trace
read into the measures of measures.py (times in seconds of simulated time). random-dns's
workload (20 writes/s to random nodes, queries), no loss, duplication or drift, and 1-2 ms links
inside a site (loopback-like, as the real run's), so the sites' delays are the distance."""

import re
import subprocess

import measures

LINE = re.compile(r"^\s*(\d+\.\d+)s (n\d+|fault) (.*)$")
ANSWER = re.compile(r"answers a write: (\S+).*index=(\d+)")


def schedule(cfg, failovers):
    """[(cut_s, duration_s)] and the sim-runner --faults text: each isolation lasts long enough
    for an election (3 election timeouts + 1 s) and the next starts after the old leader had
    2 election timeouts + 2 s to rejoin."""
    e = cfg["election_ms"] / 1000
    dur = 3 * e + 1.0
    gap = dur + 2 * e + 2.0
    cuts = [(cfg["steady_s"] + k * gap, dur) for k in range(failovers)]
    text = ",".join(f"isolate-leader@{int(at * 1000)}/1/0/{int(d * 1000)}" for at, d in cuts)
    return cuts, text, cfg["steady_s"] + failovers * gap


def run(build, cfg, seed, failovers):
    """One run; returns measures.RunMeasures (world "sim")."""
    cuts, faults, end = schedule(cfg, failovers)
    cmd = [str(build / "sim-runner"), "--seed", str(seed), "--scenario", "random-dns",
           "--nodes", str(cfg["nodes"]), "--time", f"{end:.3f}", "--loss", "0", "--dup", "0",
           "--clock-drift", "0", "--delay-ms", "1..2", "--sites", cfg["sites"], "--election-ms",
           str(cfg["election_ms"]), "--heartbeat-ms", str(cfg["heartbeat_ms"]),
           "--faults", faults, "--trace"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    m = measures.RunMeasures(world="sim", cmd=" ".join(cmd), ok=proc.returncode == 0)
    roles = {}
    queue = {}  # node -> [submit time]
    applied = {}  # node -> [(t, index)]
    current = (None, 0)
    for line in proc.stderr.splitlines():
        x = LINE.match(line)
        if not x:
            continue
        t, who, what = float(x[1]), x[2], x[3]
        if t > end:
            break
        if who == "fault":
            if what.startswith("isolate-leader"):
                m.cuts.append((t, current[0]))
            continue
        n = int(who[1:])
        if what.startswith("becomes "):
            words = what.split()  # becomes Leader in term 2
            roles[n] = (words[1], int(words[-1]))
            claims = [(term, k) for k, (role, term) in roles.items() if role == "Leader"]
            term, leader = max(claims) if claims else (0, None)
            if (leader, term) != current and leader is not None:
                m.leaders.append((t, leader, term))
                current = (leader, term)
        elif what.startswith("client write"):
            queue.setdefault(n, []).append(t)
        elif what.startswith("answers a write: "):
            a = ANSWER.search(what)
            if queue.get(n):
                submitted = queue[n].pop(0)
                if a and a[1] == "OK":
                    m.writes.append((submitted, t, n, int(a[2])))
        elif what.startswith("applied index "):
            applied.setdefault(n, []).append((t, int(what.split()[-1])))
    m.cut_duration = {round(at, 3): d for at, d in cuts}
    m.applied = applied
    m.nodes = cfg["nodes"]
    m.end = end
    return m
