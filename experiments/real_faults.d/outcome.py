"""Outcome measures shared by both worlds of experiments/real_faults: who led when, commits and
their latency."""


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def fmt_ms(seconds):
    return "-" if seconds is None else f"{seconds * 1000:.0f}"

def leader_metrics(leader_spans, end):
    """leader_spans: [(t, leader or None, term)] in time order (a change of who claims
    leadership, None: nobody). Returns the elections after the first as [(t, node, term)] (a new
    node or a new term) and the time without a leader between the first leader and `end`."""
    changes, without, first = [], 0.0, None
    prev_t, prev_leader, last_claim = None, None, None
    for t, leader, term in leader_spans + [(end, "end", 0)]:
        t = min(t, end)
        if prev_t is not None and prev_leader is None and first is not None:
            without += max(0.0, t - prev_t)
        if leader not in (None, "end"):
            if first is None:
                first = t
            elif (leader, term) != last_claim and t < end:
                changes.append((t, leader, term))
            last_claim = (leader, term)
        prev_t, prev_leader = t, leader
    return changes, without


def write_metrics(writes, end):
    """writes: [(submitted, answered or None, node, result)] with result 'OK', 'NOOP',
    'no-quorum', 'unanswered' or 'other'. Latency of committed writes and the longest time in
    [first commit, end] without a commit."""
    latencies = [a - s for s, a, _, r in writes if r in ("OK", "NOOP") and a is not None]
    commits = sorted(a for s, a, _, r in writes
                     if r in ("OK", "NOOP") and a is not None and a <= end)
    gap = max((b - a for a, b in zip(commits, commits[1:])), default=None)
    if commits:
        gap = max(gap or 0.0, end - commits[-1])
    counts = {}
    for *_, r in writes:
        counts[r] = counts.get(r, 0) + 1
    return {"p50": percentile(latencies, 0.5), "p90": percentile(latencies, 0.9),
            "max": max(latencies, default=None), "longest_gap": gap, "counts": counts}
