"""Query throughput of one cluster node with and without a concurrent write stream, measured
with dnsperf through query_throughput's runner (experiments/query_throughput.d/dnsperf_run.py)."""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import dnsperf_run
import servers


@dataclass
class NodeTarget:
    """What dnsperf_run needs of a server: a name, a port and its CPU time."""

    name: str
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        return servers.process_tree_cpu_seconds(self.pid)


def write_query_file(zone_files: list, path: Path) -> int:
    """One query per (name, type) of the prototype-format zone files, plus names that do not
    exist (about 10%), so the answers are the cluster's real data. Returns the query count."""
    queries = []
    for zone_file in zone_files:
        for line in Path(zone_file).read_text().splitlines():
            fields = line.split()
            if len(fields) >= 2 and not line[0].isspace() and not fields[0].startswith("#"):
                if (fields[0], fields[1]) not in queries:
                    queries.append((fields[0], fields[1]))
    if not queries:
        raise RuntimeError(f"no records found in {zone_files}")
    zones = sorted({name for name, rtype in queries if rtype == "SOA"})
    missing = [(f"nonexistent{k}.{zones[k % len(zones)]}", "A")
               for k in range(max(1, len(queries) // 9))]
    path.write_text("".join(f"{name} {rtype}\n" for name, rtype in queries + missing))
    return len(queries) + len(missing)


@dataclass
class QueryRun:
    """One dnsperf run against one node, with the writes that committed meanwhile."""

    case: str  # "no writes" or "writes"
    measurement: object  # dnsperf_run.Measurement
    writes_per_s: float
    other_nodes_cpu_s: float = 0.0  # CPU the other nodes used during the run
    clients_cpu_s: float = 0.0  # CPU of this process (the write clients) during the run
    rcvbuf_errors: int = 0  # UDP datagrams the kernel dropped for full receive buffers meanwhile


def udp_receive_buffer_errors() -> int:
    """The kernel's count of UDP datagrams dropped because a socket's receive buffer was full
    (/proc/net/snmp Udp RcvbufErrors; machine-wide, on loopback in practice ours or dnsperf's)."""
    lines = [l.split() for l in Path("/proc/net/snmp").read_text().splitlines()
             if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


def _cpu(pids: list) -> float:
    return sum(servers.process_tree_cpu_seconds(pid) for pid in pids)


def run_case(target: NodeTarget, query_file: Path, rate: int, seconds: float, log_dir: Path,
             write_stream=None, other_pids=(), round_number: int = 1) -> QueryRun:
    """dnsperf over UDP at `rate` (0 = max); write_stream(stop_event) -> committed writes runs
    in a thread meanwhile when given. Also measures the CPU the other nodes (other_pids) and
    this process spent meanwhile: on a small machine they compete with the queried node."""
    others_before, self_before = _cpu(other_pids), os.times()
    drops_before = udp_receive_buffer_errors()
    stop = threading.Event()
    committed = {}
    thread = None
    if write_stream is not None:
        thread = threading.Thread(target=lambda: committed.setdefault("n", write_stream(stop)),
                                  daemon=True)
        thread.start()
    try:
        measurement = dnsperf_run.run_dnsperf(target, query_file, "udp", rate, seconds, log_dir,
                                              round_number)
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=30)
    self_after = os.times()
    writes = committed.get("n", 0)
    return QueryRun("writes" if write_stream else "no writes", measurement,
                    writes / measurement.duration_s if measurement.duration_s else 0.0,
                    _cpu(other_pids) - others_before,
                    (self_after.user + self_after.system) - (self_before.user + self_before.system),
                    udp_receive_buffer_errors() - drops_before)
