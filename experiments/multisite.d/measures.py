"""What experiments/multisite measures, the same way for both worlds: commit latency (write
submitted -> OK), propagation (submitted -> applied or answered on each node), failover (leader
cut off -> another node leads) and spurious elections (a new leader while no fault is on)."""

from dataclasses import dataclass, field


@dataclass
class RunMeasures:
    world: str
    cmd: str = ""
    ok: bool = True
    nodes: int = 0
    end: float = 0.0
    leaders: list = field(default_factory=list)  # (t, leader 1..N, term), each change
    cuts: list = field(default_factory=list)  # (t, isolated leader 1..N or None)
    cut_duration: dict = field(default_factory=dict)  # round(t, 3) -> seconds
    writes: list = field(default_factory=list)  # (submitted, ok_at, node, index) OK writes only
    applied: dict = field(default_factory=dict)  # sim: node -> [(t, applied index)]
    propagation: list = field(default_factory=list)  # real: per write, [seconds] per node seen


def fault_windows(m, election_s, before_s=0.0):
    """From `before_s` before each cut until its end + 2 election timeouts + 1 s (the old
    leader rejoined)."""
    return [(at - before_s, at + m.cut_duration.get(round(at, 3), 0) + 2 * election_s + 1.0)
            for at, _ in m.cuts]


def steady_writes(m, election_s, before_s=0.0):
    """The OK writes that neither overlapped a fault window nor were submitted before the first
    leader had settled for 0.5 s (the simulator's workload starts with the run; the real run
    writes once a leader is known): commit latency and propagation are the placement's, not the
    failover's. `before_s` widens each window back (a write may reach the node cut off next only
    when the cut heals)."""
    windows = fault_windows(m, election_s, before_s)
    first = m.leaders[0][0] + 0.5 if m.leaders and m.world == "sim" else 0.0
    return [w for w in m.writes if w[0] >= first and
            not any(w[0] <= hi and w[1] >= lo for lo, hi in windows)]


def commit_ms(m, election_s):
    return [(ok - sub) * 1000 for sub, ok, _, _ in steady_writes(m, election_s)]


def _per_write(m, election_s):
    """Per steady OK write: [ms until each node had it] (nodes that never did are left out)."""
    if m.world == "real":
        return [[x * 1000 for x in seen] for seen in m.propagation]
    out = []
    for sub, _, _, index in steady_writes(m, election_s, before_s=1.0):
        seen = []
        for node, events in m.applied.items():
            t = next((t for t, i in events if i >= index and t >= sub), None)
            if t is not None:
                seen.append((t - sub) * 1000)
        out.append(seen)
    return out


def propagation_ms(m, election_s):
    """Per steady OK write and node: submitted -> that node has it (sim: applied its index;
    real: the node answers the name)."""
    return [x for seen in _per_write(m, election_s) for x in seen]


def propagation_all_ms(m, election_s):
    """Per steady OK write that every node had: submitted -> the last node has it."""
    return [max(seen) for seen in _per_write(m, election_s) if len(seen) == m.nodes]


def failovers(m, bound_s):
    """[(cut at, ms until another node led, or None within bound_s)] per isolation."""
    out = []
    for at, isolated in m.cuts:
        new = next((t for t, leader, _ in m.leaders
                    if t >= at and leader != isolated and t <= at + bound_s), None)
        out.append((at, None if new is None else (new - at) * 1000))
    return out


def spurious(m, election_s):
    """New leaders while no isolation was on or settling (from each cut to its end + 2
    election timeouts + 1 s), after the first leader."""
    windows = fault_windows(m, election_s)
    count = 0
    for t, _, _ in m.leaders[1:]:
        if not any(lo <= t <= hi for lo, hi in windows):
            count += 1
    return count
