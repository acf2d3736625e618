"""The report of experiments/real_faults: the simulator's and the real run's outcomes side by
side (markdown and a JSON summary)."""

import json

import agreement
from outcome import fmt_ms, leader_metrics, write_metrics


def report(args, sim, real):
    end = args.time
    s_changes, s_without = leader_metrics(sim["leader_spans"], end)
    r_changes, r_without = leader_metrics(real["leader_spans"], end)
    s_w = write_metrics(sim["writes"], end)
    r_w = write_metrics([w[:4] for w in real["writes"]], end)
    first = lambda spans: next((f"n{l} at {t:.2f}s" for t, l, _ in spans if l), "none")  # noqa
    lines = [f"# One fault schedule in both worlds: `{args.faults}`", "",
             f"{args.nodes} nodes, fault phase {args.time:g} s, {args.write_rate:g} writes/s and "
             f"{args.query_rate:g} queries/s; election timeout {args.election_timeout_ms} ms, "
             f"heartbeat {args.heartbeat_ms} ms, write timeout {args.write_timeout_ms} ms "
             f"(real; the simulator's DNS nodes use 100-200 ms, 20 ms, 1000 ms). Nodes are "
             f"numbered 1..N as in the schedule (real node id + 1).", "",
             f"Simulator: `{sim['cmd']}` (trace in sim_trace.txt)", "",
             "| outcome | simulator | real (fault-proxy) |", "| --- | --- | --- |"]

    def row(name, a, b):
        lines.append(f"| {name} | {a} | {b} |")

    row("first leader", first(sim["leader_spans"]), first(real["leader_spans"]))
    row("leader changes in the fault phase", len(s_changes), len(r_changes))
    row("new leaders (time, node, term)", elections(s_changes), elections(r_changes))
    row("each isolate-leader: isolated -> next leader (after)",
        failovers(sim["isolated"], sim["leader_spans"]),
        failovers(real["isolated"], real["leader_spans"]))
    row("replies to writes sent to the isolated node while cut off",
        isolated_replies(sim["isolated"], sim["writes"]),
        isolated_replies(real["isolated"], [w[:4] for w in real["writes"]]))
    row("time without a leader (s)", f"{s_without:.3f}", f"{r_without:.3f} (STATUS every 50 ms)")
    row("longest time without a commit (ms)", fmt_ms(s_w["longest_gap"]),
        fmt_ms(r_w["longest_gap"]))
    row("commit latency p50 / p90 / max (ms)",
        " / ".join(fmt_ms(s_w[k]) for k in ("p50", "p90", "max")),
        " / ".join(fmt_ms(r_w[k]) for k in ("p50", "p90", "max")))
    row("write replies", json.dumps(s_w["counts"]), json.dumps(r_w["counts"]))
    row("acknowledged writes lost", "0" if sim["ok"] else f"run failed: {sim['result']}",
        len(real["lost"]))
    row("nodes disagree on an unacknowledged write", "0" if sim["ok"] else "?",
        len(real["disagree"]))
    row("converged after heal (s)", sim["converged_after"],
        "-" if real["converged_after"] is None else f"{real['converged_after']:.2f}")
    row("history-check (FILE: sim_history.jsonl, real_history.jsonl)",
        history_cell(sim["history"]), history_cell(real["history"]))
    row("verdict", sim["result"], "ok" if real_ok(real) else "FAILED")
    checks = agreement.claims(args, sim, real)
    yes = {True: "yes", False: "NO"}
    lines += ["", "## Same outcome in both worlds?", "", "| claim | simulator | real |",
              "| --- | --- | --- |"]
    lines += [f"| {claim} | {yes[a]} | {yes[b]} |" for claim, a, b in checks]
    lines += ["", "Real run's fault driver:", ""]
    lines += [f"- {t:.3f}s {what}" for t, what in real["events"]]
    if sim["isolated"]:
        lines += ["", "Simulator's isolate-leader hit: " +
                  ", ".join(f"n{x} at {t:.2f}s" for t, x, _ in sim["isolated"])]
    lines += ["", "Answered queries per node and second: real answered/sent; simulator "
              "'up' when the node was running (a running node answers every query from its "
              "local data, an invariant checked on every query), 'down' when crashed.", ""]
    head = "| second | " + " | ".join(f"sim n{i}" for i in range(1, args.nodes + 1)) + " | " + \
        " | ".join(f"real n{i}" for i in range(1, args.nodes + 1)) + " |"
    lines += [head, "|" + " --- |" * (1 + 2 * args.nodes)]
    for second, counts in real["queries"].items():
        sim_cells = []
        for node in range(1, args.nodes + 1):
            was_down = any(a < second + 1 and (b is None or b > second)
                           for a, b in sim["down"][node])
            sim_cells.append("down" if was_down else "up")
        real_cells = [f"{a}/{s}" for s, a in counts]
        lines.append(f"| {second} | " + " | ".join(sim_cells) + " | " + " | ".join(real_cells)
                     + " |")
    lines += ["", f"Proxy at the end: `{real['proxy_status']}`", ""]
    return "\n".join(lines), {"sim": {"leader_changes": s_changes, "without_leader_s": s_without,
                                      "writes": s_w, "result": sim["result"],
                                      "history": sim["history"],
                                      "converged_after_s": sim["converged_after"]},
                              "real": {"leader_changes": r_changes, "without_leader_s": r_without,
                                       "writes": r_w, "lost": real["lost"],
                                       "disagree": real["disagree"],
                                       "converged_after_s": real["converged_after"],
                                       "history": {k: v for k, v in real["history"].items()
                                                   if k != "report"},
                                       "events": real["events"]},
                              "claims": [{"claim": c, "sim": a, "real": b} for c, a, b in checks]}


def elections(changes):
    return ", ".join(f"{t:.2f}s n{x} (term {term})" for t, x, term in changes) or "-"


def failovers(isolated, spans):
    """For each (t, node) an isolate-leader hit: the first leader other than that node claiming
    leadership after t, and how long after."""
    out = []
    for t, node, _ in isolated:
        nxt = next(((u, x) for u, x, _ in spans if u >= t and x not in (None, node)), None)
        out.append(f"n{node} -> " + ("none" if nxt is None else
                                     f"n{nxt[1]} ({(nxt[0] - t) * 1000:.0f} ms)"))
    return "; ".join(out) or "-"


def isolated_replies(isolated, writes):
    """The replies to the writes sent to an isolated node during its isolation."""
    counts = {}
    for t, node, dur in isolated:
        for submitted, _, n, result in writes:
            if n == node and t <= submitted < t + dur:
                counts[result] = counts.get(result, 0) + 1
    return json.dumps(counts) if isolated else "-"


def history_cell(h):
    """history-check's verdict, and for a real history its lines and unbracketed reads."""
    text = ("passed" if h["passed"] else "FAILED") + f": {h['verdict']}"
    if "lines" in h:
        text += f" ({h['lines']} lines, {h['unbracketed']} reads unbracketed)"
    if h.get("problem"):
        text += f"; {h['problem']}"
    return text


def real_ok(real):
    return (not real["lost"] and not real["disagree"] and real["converged_after"] is not None
            and real["history"]["passed"])
