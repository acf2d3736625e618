"""Run dnsperf once against a server and measure the server's CPU time over that run."""

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# dnsperf waits this long for the last answers after the time limit; bounds every run.
QUERY_TIMEOUT_S = 2
CLIENTS = 4
MAX_OUTSTANDING = 1000
# "Maximum" is a rate dnsperf cannot reach on this kind of machine, so the -q window limits it.
MAX_RATE = 1_000_000
# dnsperf's socket buffers (KiB). With the kernel default (~208 KiB) a client starved of CPU for
# a few milliseconds overflows its own receive buffer and counts the answers it dropped as lost;
# the servers get 1 MiB (NSD) and 4 MiB (ours) themselves, so the client gets as much.
CLIENT_BUFFER_KIB = 4096


@dataclass
class Measurement:
    """One dnsperf run's figures together with the server CPU time it cost."""

    server: str
    transport: str
    target_qps: int  # 0 = as fast as possible
    duration_s: float
    queries_sent: int
    queries_completed: int
    queries_lost: int
    server_drops: int  # datagrams the kernel dropped at the server's UDP sockets in this run
    achieved_qps: float
    avg_latency_ms: float
    server_cpu_s: float
    client_cpu_s: float
    rcodes: dict[str, int]
    round: int = 1
    loadavg: float = 0.0  # 1-minute load average when the run started (other jobs' share)

    @property
    def loss_pct(self) -> float:
        return 100.0 * self.queries_lost / self.queries_sent if self.queries_sent else 0.0

    @property
    def cpu_s_per_mq(self) -> float:
        """Server CPU-seconds per million completed queries."""
        if not self.queries_completed:
            return float("nan")
        return self.server_cpu_s / self.queries_completed * 1e6

    @property
    def unexpected_rcodes(self) -> dict[str, int]:
        return {k: v for k, v in self.rcodes.items() if k not in ("NOERROR", "NXDOMAIN")}


def _field(output: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}:\s*(\S+)", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"dnsperf output has no '{label}:' line:\n{output[-2000:]}")
    return match.group(1)


def _rcodes(output: str) -> dict[str, int]:
    match = re.search(r"^\s*Response codes:\s*(.*)$", output, re.MULTILINE)
    if not match:
        return {}
    return {code: int(count) for code, count in re.findall(r"([A-Z]+) (\d+)", match.group(1))}


def run_dnsperf(server, query_file: Path, transport: str, target_qps: int, duration_s: float,
                log_dir: Path, round_number: int) -> Measurement:
    rate = target_qps or MAX_RATE
    command = ["dnsperf", "-s", "127.0.0.1", "-p", str(server.port), "-d", str(query_file),
               "-m", transport, "-c", str(CLIENTS), "-l", f"{duration_s:g}", "-Q", str(rate),
               "-q", str(MAX_OUTSTANDING), "-t", str(QUERY_TIMEOUT_S),
               "-b", str(CLIENT_BUFFER_KIB)]
    loadavg = float(Path("/proc/loadavg").read_text().split()[0])
    cpu_before = server.cpu_seconds()
    drops_before = server.udp_drops()
    client_before = os.times()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=duration_s + QUERY_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"dnsperf against {server.name} did not finish: {' '.join(command)}")
    except BaseException:  # interrupted (SIGINT/SIGTERM): do not leave dnsperf running
        process.kill()
        process.wait()
        raise
    # The server is idle again once dnsperf has its last answer, so this delta is the run's cost.
    cpu_after = server.cpu_seconds()
    drops_after = server.udp_drops()
    client_after = os.times()
    label = f"{server.name}-{transport}-{target_qps or 'max'}-round{round_number}"
    (log_dir / f"dnsperf-{label}.txt").write_text(" ".join(command) + "\n" + output)
    if process.returncode != 0:
        raise RuntimeError(f"dnsperf failed ({process.returncode}) against {server.name}:\n"
                           f"{output[-2000:]}")
    return Measurement(
        server=server.name,
        transport=transport,
        target_qps=target_qps,
        duration_s=float(_field(output, "Run time (s)")),
        queries_sent=int(_field(output, "Queries sent")),
        queries_completed=int(_field(output, "Queries completed")),
        queries_lost=int(_field(output, "Queries lost")),
        server_drops=drops_after - drops_before,
        achieved_qps=float(_field(output, "Queries per second")),
        avg_latency_ms=float(_field(output, "Average Latency (s)")) * 1000.0,
        server_cpu_s=cpu_after - cpu_before,
        client_cpu_s=(client_after.children_user + client_after.children_system) -
        (client_before.children_user + client_before.children_system),
        rcodes=_rcodes(output),
        round=round_number,
        loadavg=loadavg,
    )


def warm_up(server, query_file: Path, log_dir: Path) -> None:
    """A short unmeasured run so caches, page tables and socket buffers are in steady state."""
    run_dnsperf(server, query_file, "udp", 20000, 1, log_dir, 0)
    time.sleep(0.2)
