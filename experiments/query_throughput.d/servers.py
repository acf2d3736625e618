"""Start and stop the servers under test (our dns-node, NSD, Knot), each on a free loopback port
with its own temporary directory and configuration, and read their CPU time from /proc."""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.query

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (bounded number of attempts)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port found for UDP and TCP")


def process_tree_cpu_seconds(root_pid: int) -> float:
    """utime+stime of root_pid and all its live descendants (NSD forks its workers)."""
    parent_of: dict[int, int] = {}
    ticks_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited while we were looking
        # The command name may contain spaces and parentheses; fields resume after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry)
        parent_of[pid] = int(fields[1])
        ticks_of[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    total = 0
    for pid, ticks in ticks_of.items():
        p = pid
        while p > 1:
            if p == root_pid:
                total += ticks
                break
            p = parent_of.get(p, 0)
    return total / CLK_TCK


def udp_socket_drops(port: int) -> int:
    """Datagrams the kernel dropped at the UDP sockets bound to this local port (all of them:
    one per SO_REUSEPORT worker), from the last column of /proc/net/udp and udp6."""
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 12 and int(fields[1].rsplit(":", 1)[1], 16) == port:
                total += int(fields[-1])
    return total


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry))
    return members


@dataclass
class ServerSpec:
    """How to launch one server kind: a name, its command line and files written beforehand."""

    name: str
    command: list[str]
    files: dict[Path, str]


def ours_spec(dns_node: Path, zone: Path, port: int, threads: int, workdir: Path,
              no_wait: bool = False) -> ServerSpec:
    """Our node with its defaults, or as "ours-nowait" with --batch-wait 0."""
    command = [str(dns_node), "--standalone", "-z", str(zone), "--listen", f"127.0.0.1:{port}",
               "--threads", str(threads)]
    if no_wait:
        return ServerSpec("ours-nowait", command + ["--batch-wait", "0"], {})
    return ServerSpec("ours", command, {})


def nsd_spec(zone: Path, origin: str, port: int, threads: int, workdir: Path) -> ServerSpec:
    # Every path NSD would otherwise take from /var or /run points into workdir; RRL off; one
    # SO_REUSEPORT socket per server process, as our node and Knot do; 1 MiB socket buffers like
    # ours (Knot 3.2 has no such option).
    conf = f"""server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip6: no
    server-count: {threads}
    reuseport: yes
    receive-buffer-size: 1048576
    send-buffer-size: 1048576
    username: ""
    chroot: ""
    zonesdir: "{workdir}"
    database: ""
    zonelistfile: "{workdir}/zone.list"
    xfrdfile: "{workdir}/xfrd.state"
    xfrdir: "{workdir}"
    pidfile: "{workdir}/nsd.pid"
    logfile: "{workdir}/nsd.log"
    cookie-secret-file: "{workdir}/cookie.secret"
    verbosity: 0
    hide-version: yes
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "{origin}"
    zonefile: "{zone}"
"""
    conf_path = workdir / "nsd.conf"
    return ServerSpec("nsd", ["nsd", "-d", "-c", str(conf_path)], {conf_path: conf})


def knot_spec(zone: Path, origin: str, port: int, threads: int, workdir: Path) -> ServerSpec:
    # Knot 3.2.6 has no socket buffer option (udp-rmem and friends do not exist in this version),
    # so it runs with the kernel default (net.core.rmem_default); the report says so.
    conf = f"""server:
    rundir: "{workdir}"
    pidfile: "{workdir}/knot.pid"
    listen: 127.0.0.1@{port}
    udp-workers: {threads}
    tcp-workers: {threads}
    background-workers: 1
    tcp-reuseport: on
control:
    listen: "{workdir}/knot.sock"
database:
    storage: "{workdir}"
log:
  - target: stderr
    any: warning
zone:
  - domain: {origin}
    storage: "{workdir}"
    file: "{zone}"
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
"""
    conf_path = workdir / "knot.conf"
    return ServerSpec("knot", ["knotd", "-c", str(conf_path)], {conf_path: conf})


class RunningServer:
    """One started server process (in its own process group, so its forked workers stop with it)."""

    def __init__(self, spec: ServerSpec, port: int, workdir: Path, probe_name: str,
                 started: list):
        self.name = spec.name
        self.port = port
        self.log_path = workdir / f"{spec.name}.log"
        for path, text in spec.files.items():
            path.write_text(text)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(spec.command, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.process.pid
        started.append(self)  # before waiting, so a server that never answers is still stopped
        self._wait_until_answering(probe_name)

    def log_tail(self, lines: int = 15) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def _wait_until_answering(self, probe_name: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        query = dns.message.make_query(probe_name, "SOA")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode} "
                                   f"before serving; log {self.log_path}:\n{self.log_tail()}")
            try:
                reply = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.3)
                if reply.answer:
                    return
            except (dns.exception.Timeout, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer SOA {probe_name} on 127.0.0.1:{self.port} "
                           f"within {READY_TIMEOUT_S:.0f} s; log {self.log_path}:\n"
                           f"{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return process_tree_cpu_seconds(self.pid)

    def udp_drops(self) -> int:
        return udp_socket_drops(self.port)

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it if it has not exited in time."""
        if self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except ProcessLookupError:
                pass
        # Forked children (NSD's workers) may outlive the leader briefly: end each by its pid.
        for _ in range(20):
            members = _group_members(self.pid)
            if not members:
                break
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        self._log.close()
