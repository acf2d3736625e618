"""Whether the simulator and the real run reached the same outcome (experiments/real_faults
--check): the claims of issue 17's first Done-when, each judged in both worlds."""


def claims(args, sim, real):
    """[(claim, holds in the simulator, holds in the real run)]."""
    bound = 2 * args.election_timeout_ms / 1000 + 1.0
    out = []
    if sim["isolated"] or real["isolated"]:
        out.append((f"each isolate-leader: another node leads within {bound:.1f} s",
                    failover_within(sim["isolated"], sim["leader_spans"], bound),
                    failover_within(real["isolated"], real["leader_spans"], bound)))
        out.append(("no write sent to the isolated node acknowledged while it was cut off",
                    no_ack_while_cut(sim["isolated"], sim["writes"]),
                    no_ack_while_cut(real["isolated"], [w[:4] for w in real["writes"]])))
        out.append(("the isolated node answered every query sent to it while cut off",
                    all(not crashed_during(sim["down"].get(node, []), t, t + dur)
                        for t, node, dur in sim["isolated"]),
                    answered_all(real["isolated"], real["queries"])))
    out.append(("no acknowledged write lost", sim["ok"], not real["lost"]))
    out.append(("nodes agree on every unacknowledged write", sim["ok"], not real["disagree"]))
    out.append(("every node converged after the heal", sim["ok"],
                real["converged_after"] is not None))
    out.append(("the clients' history passes history-check", sim["history"]["passed"],
                real["history"]["passed"]))
    return out


def failover_within(isolated, spans, bound):
    for t, node, _ in isolated:
        if not any(t <= u <= t + bound and x not in (None, node) for u, x, _ in spans):
            return False
    return bool(isolated)


def no_ack_while_cut(isolated, writes):
    return all(not (n == node and t <= submitted < t + dur and result in ("OK", "NOOP") and
                    answered is not None and answered < t + dur)
               for t, node, dur in isolated for submitted, answered, n, result in writes)


def crashed_during(down, start, end):
    return any(a < end and (b is None or b > start) for a, b in down)


def answered_all(isolated, per_second):
    """Every query sent to the isolated node in the whole seconds of its isolation answered."""
    for t, node, dur in isolated:
        for second, counts in per_second.items():
            if t <= second and second + 1 <= t + dur:
                sent, answered = counts[node - 1]
                if sent == 0 or answered < sent:
                    return False
    return bool(isolated)
