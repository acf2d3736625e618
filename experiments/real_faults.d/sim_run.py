"""The simulator's half of experiments/real_faults: sim-runner --trace with the schedule, and its
trace read into leader spans, writes and down times (node numbers 1..N); its history (--history,
which leaves the run unchanged) judged by build/history-check."""

import re
import subprocess

from raftdns.history import check_history, verdict

SIM_LINE = re.compile(r"^\s*(\d+\.\d+)s (n\d+|fault|HEAL:) (.*)$")


def run_sim(args, out):
    cmd = [str(args.build / "sim-runner"), "--seed", str(args.seed), "--scenario", args.scenario,
           "--nodes", str(args.nodes), "--time", str(args.time), "--faults", args.faults,
           "--loss", "0", "--dup", "0", "--checkpoint-ms", str(args.checkpoint_ms), "--trace"]
    history = out / "sim_history.jsonl"
    cmd += ["--history", str(history)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    passed, report = check_history(args.build / "history-check", history)
    (out / "sim_history_check.txt").write_text(report)
    (out / "sim_trace.txt").write_text(run.stderr)
    summary = run.stdout
    roles = {}
    leader_spans, writes, queue = [], [], {n: [] for n in range(1, args.nodes + 1)}
    down = {n: [] for n in range(1, args.nodes + 1)}  # [(from, to)]
    isolated = []  # (t, node) for isolate-leader / isolate-follower as the sim resolved them
    current, current_term = None, 0
    for line in run.stderr.splitlines():
        m = SIM_LINE.match(line)
        if not m:
            continue
        t, who, what = float(m[1]), m[2], m[3]
        if t > args.time:
            break
        if who == "fault":
            if what.startswith("isolate-leader"):
                isolated.append((t, current, float(what.split()[-1].rstrip("s"))))
            continue
        if not who.startswith("n"):
            continue
        n = int(who[1:])
        if what.startswith("becomes "):
            words = what.split()  # becomes Leader in term 2
            roles[n] = (words[1], int(words[-1]))
        elif what.startswith("CRASH"):
            roles[n] = ("down", 0)
            down[n].append([t, None])
            for submitted in queue[n]:
                writes.append((submitted, None, n, "unanswered"))
            queue[n] = []
        elif what.startswith("restart"):
            roles[n] = ("Follower", 0)
            if down[n]:
                down[n][-1][1] = t
        elif what.startswith("client write"):
            queue[n].append(t)
        elif what.startswith("answers a write: "):
            reply = what[len("answers a write: "):]
            result = ("OK" if reply.startswith("OK") else "NOOP" if reply.startswith("NOOP")
                      else "no-quorum" if "quorum" in reply.lower() else "other")
            if queue[n]:
                writes.append((queue[n].pop(0), t, n, result))
        # An old leader cut off still claims leadership until it hears of the new term: the
        # claim of the newest term counts (as in the real run).
        claims = [(term, x) for x, (role, term) in roles.items() if role == "Leader"]
        term, now_leader = max(claims) if claims else (0, None)
        if (now_leader, term) != (current, current_term):
            leader_spans.append((t, now_leader, term))
            current, current_term = now_leader, term
    for n, q in queue.items():
        writes += [(s, None, n, "unanswered") for s in q]
    result = re.search(r"result=(\S+)", summary)
    converged = re.search(r"converged-after=(\S+)s", summary)
    return {"cmd": " ".join(cmd), "summary": summary.strip(), "ok": run.returncode == 0,
            "result": result[1] if result else "?", "leader_spans": leader_spans,
            "writes": writes, "down": down, "isolated": isolated,
            "converged_after": float(converged[1]) if converged else None,
            "history": {"passed": passed, "verdict": verdict(report) or "no verdict",
                        "file": str(history)}}
