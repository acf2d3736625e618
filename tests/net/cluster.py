"""Runs a real N-node dns-node cluster on loopback for end-to-end tests and benchmarks.

Every wait is bounded, and every process started is killed when the Cluster is closed, when
the Python process exits normally (atexit) and when it is killed (PR_SET_PDEATHSIG). Start nodes
from the main thread: PR_SET_PDEATHSIG fires when the *thread* that started a node exits.

    with Cluster(binary, workdir) as c:          # writes workdir/dns-config.json, free ports
        c.start_all()                            # waits for every ready line
        c.wait_leader()
        assert c.send(0, "ADD: x.example.com A 192.0.2.1").startswith("OK")
        c.wait_until(lambda: c.query(2, "x.example.com", "A").answers, 5)
        c.kill9(c.leader())
"""

import atexit
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.query
import dns.rcode

from dns_node_process import _die_with_parent, free_port

READY = re.compile(r"^dns-node: node (\d+) serving (\d+) zones \((\d+) records\) on (\S+) udp\+tcp")
INITIALIZING = "Initializing raft..."
INITIALIZED = re.compile(r"^Raft initialized: leader is node (\d+) \(term (\d+)\)")
# Lines the node prints by itself, not in reply to a command.
UNSOLICITED = (READY, INITIALIZED, re.compile(r"^Initializing raft\.\.\.$"))

_live_processes = set()  # every Popen of every Cluster, for atexit


@atexit.register
def _kill_leftovers():
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def wait_until(predicate, timeout, interval=0.02, what=None):
    """Calls predicate until it returns something truthy (mind: 0 is not) and returns it;
    raises TimeoutError (naming `what` and the last value or exception) after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a node down or not answering yet: keep trying until the deadline
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not true after {timeout}s: {what or predicate}; last: {last!r}")
        time.sleep(interval)


def free_port_on(hosts):
    """A port free for UDP and TCP on every host in `hosts` (loopback addresses) right now."""
    for _ in range(100):
        port = free_port()
        ok = True
        for host in hosts:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    try:
                        s.bind((host, port))
                    except OSError:
                        ok = False
        if ok:
            return port
    raise RuntimeError(f"no port free on all of {hosts}")


def parse_status(line):
    """The dict of a STATUS reply: every key=value as int when numeric, acked as {node: int},
    pending_changes from "(N changes)"."""
    if not line.startswith("STATUS "):
        raise ValueError(f"not a STATUS reply: {line!r}")
    status = {}
    m = re.search(r"\((\d+) changes?\)", line)
    if m:
        status["pending_changes"] = int(m.group(1))
    for key, value in re.findall(r"(\S+?)=(\S+)", line):
        if key == "acked":
            acked = {}
            for pair in value.split(","):
                if ":" in pair:
                    node, index = pair.split(":", 1)
                    acked[int(node)] = int(index) if index.isdigit() else index
            status[key] = acked
        else:
            status[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return status


@dataclass
class QueryResult:
    """A DNS answer: rcode name ("NOERROR"), answer rrsets as text, and the message itself."""

    rcode: str
    answers: list = field(default_factory=list)  # sorted "name ttl IN TYPE rdata" lines
    message: object = None

    def rdatas(self):
        """The rdata texts of the answer section, sorted (no names or TTLs)."""
        return sorted(line.split(None, 4)[4] for line in self.answers)


class ClusterNodeProcess:
    """One dns-node process of a Cluster: binary stdin, stdout read by a thread into a queue of
    reply lines, stderr appended to a log file that survives restarts."""

    def __init__(self, index, args, log_path, env=None):
        self.index = index
        self.args = args
        self.log_path = log_path
        self.ready = threading.Event()
        self.initialized = threading.Event()
        self.ready_line = None
        self.initialized_line = None
        self.replies = queue.Queue()
        self.announcements = []  # the lines printed unasked (ready, Initializing, initialized)
        self.exited = threading.Event()
        self._send_lock = threading.Lock()
        with open(log_path, "ab") as log:
            log.write(f"==== start {' '.join(args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, preexec_fn=_die_with_parent, env=env)
        _live_processes.add(self.proc)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name=f"dns-node-{index}-stdout")
        self._reader.start()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if READY.match(line):
                self.announcements.append(line)
                self.ready_line = line
                self.ready.set()
            elif INITIALIZED.match(line):
                self.announcements.append(line)
                self.initialized_line = line
                self.initialized.set()
            elif line == INITIALIZING:
                self.announcements.append(line)
            else:
                self.replies.put(line)
        self.exited.set()

    def alive(self):
        return self.proc.poll() is None

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.05):
            if self.exited.is_set() or time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                raise RuntimeError(
                    f"node {self.index} {'exited' if self.exited.is_set() else 'not ready'} "
                    f"(after {timeout}s): {self.args}\n{tail(self.log_path)}")
        return self.ready_line

    def write(self, data):
        """Writes raw bytes to stdin (no reply expected)."""
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def next_reply(self, timeout):
        try:
            return self.replies.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"node {self.index}: no reply within {timeout}s "
                               f"(alive={self.alive()})") from None

    def send(self, line, timeout):
        """Sends one command line and returns the next reply line. One command at a time per
        node: replies of asynchronous writes carry no id, so commands are not interleaved.
        `line` may be bytes (sent as they are, for garbage tests)."""
        data = line if isinstance(line, bytes) else line.encode()
        with self._send_lock:
            self._discard_stale_replies()
            self.write(data + b"\n")
            return self.next_reply(timeout)

    def send_many(self, lines, timeout):
        """Sends all lines at once, then collects one reply per line (in arrival order, which
        may differ from the order sent: STATUS and parse errors answer before pending writes)."""
        with self._send_lock:
            self._discard_stale_replies()
            self.write(b"".join(l.encode() + b"\n" for l in lines))
            deadline = time.monotonic() + timeout
            return [self.next_reply(max(0.0, deadline - time.monotonic())) for _ in lines]

    def drain(self, quiet=0.3, limit=10.0):
        """Every reply line printed until none comes for `quiet` seconds (at most `limit`)."""
        lines = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                lines.append(self.replies.get(timeout=quiet))
            except queue.Empty:
                break
        return lines

    def _discard_stale_replies(self):
        # Lines left by an earlier command that timed out would be taken as this one's reply.
        while True:
            try:
                self.replies.get_nowait()
            except queue.Empty:
                return

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the process and waits for it (SIGKILL if it does not exit in time); returns
        the exit code. Safe to call twice."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except (OSError, ValueError):
                pass  # stdin of a dead process: EPIPE on flush
        _live_processes.discard(self.proc)
        return self.proc.returncode


def tail(path, lines=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class Cluster:
    """A dns-node cluster on loopback in `workdir`: dns-config.json with free ports (or the
    prototype's file with its ports remapped), per-node logs node-X.log, data in the default
    data/node-X beside the config. Nodes are numbered 0..n-1 (their ids in the config)."""

    node_class = ClusterNodeProcess  # a subclass may read stdout differently

    def __init__(self, binary, workdir, n=3, zone_files=None, hosts=None, same_port=False,
                 base_config=None, config_extra=None, log_level="info", extra_args=None,
                 ready_timeout=20.0):
        """
        zone_files   list of lists: zone files of node i (copied into workdir); default none.
        hosts        list of IPs, node i listens on hosts[i] (default all 127.0.0.1).
        same_port    with distinct hosts: every node uses the same raft port and query port.
        base_config  a config file (e.g. the prototype's dns-config.json) whose nodes and fields
                     are kept, with every port replaced by a free one.
        config_extra top-level fields added to the config (e.g. {"write_timeout_ms": 1000}).
        extra_args   list of lists: more dns-node arguments for node i.
        """
        self.binary = binary
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.ready_timeout = ready_timeout
        self.log_level = log_level
        if base_config is not None:
            with open(base_config) as f:
                self.config = json.load(f)
            n = len(self.config["nodes"])
        else:
            self.config = {"nodes": {str(i): {} for i in range(n)}}
        self.n = n
        self.hosts = hosts or ["127.0.0.1"] * n
        self.config.update(config_extra or {})
        self._assign_ports(same_port)
        self.config_path = os.path.join(self.workdir, "dns-config.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        self.zone_files = []
        for i in range(n):
            copies = []
            for path in (zone_files[i] if zone_files else []):
                copy = os.path.join(self.workdir, os.path.basename(path))
                shutil.copyfile(path, copy)
                copies.append(copy)
            self.zone_files.append(copies)
        self.extra_args = extra_args or [[] for _ in range(n)]
        self.nodes = [None] * n

    def _assign_ports(self, same_port):
        if same_port:
            raft_port, query_port = free_port_on(self.hosts), free_port_on(self.hosts)
        for i in range(self.n):
            node = self.config["nodes"].setdefault(str(i), {})
            if not same_port:
                raft_port, query_port = free_port_on([self.hosts[i]]), free_port_on([self.hosts[i]])
            node["raft_loc"] = f"{self.hosts[i]}:{raft_port}"
            node["query_loc"] = f"{self.hosts[i]}:{query_port}"

    # --- addresses and files

    def query_addr(self, i):
        host, port = self.config["nodes"][str(i)]["query_loc"].rsplit(":", 1)
        return host, int(port)

    def raft_addr(self, i):
        host, port = self.config["nodes"][str(i)]["raft_loc"].rsplit(":", 1)
        return host, int(port)

    def data_dir(self, i):
        return os.path.join(self.workdir, "data", f"node-{i}")

    def log_path(self, i):
        return os.path.join(self.workdir, f"node-{i}.log")

    def log_text(self, i):
        with open(self.log_path(i), encoding="utf-8", errors="replace") as f:
            return f.read()

    def logs(self):
        """Every node's log, for a failure message."""
        return "\n".join(f"--- node {i} log (tail):\n{tail(self.log_path(i))}"
                         for i in range(self.n))

    # --- processes

    def start(self, i, wait_ready=True):
        """Starts node i (again); returns its ready line (or None without wait_ready)."""
        if self.nodes[i] is not None and self.nodes[i].alive():
            raise RuntimeError(f"node {i} is already running")
        args = [self.binary, "-n", str(i), "-c", self.config_path, "--log-level", self.log_level]
        for zf in self.zone_files[i]:
            args += ["-z", zf]
        args += self.extra_args[i]
        self.nodes[i] = self.node_class(i, args, self.log_path(i))
        return self.nodes[i].wait_ready(self.ready_timeout) if wait_ready else None

    def start_all(self):
        """Starts every node, then waits for every ready line."""
        for i in range(self.n):
            self.start(i, wait_ready=False)
        return [self.nodes[i].wait_ready(self.ready_timeout) for i in range(self.n)]

    restart = start

    def kill9(self, i):
        """SIGKILL: the crash case. Returns the exit code (-9)."""
        return self.nodes[i].stop(signal.SIGKILL)

    def stop(self, i, timeout=10.0):
        """SIGTERM and wait; returns the exit code (0 for a clean shutdown)."""
        return self.nodes[i].stop(signal.SIGTERM, timeout)

    def stop_all(self):
        """Stops every running node (SIGTERM, in parallel); returns their exit codes."""
        running = [node for node in self.nodes if node is not None and node.alive()]
        for node in running:
            node.proc.send_signal(signal.SIGTERM)
        codes = {}
        for node in self.nodes:
            if node is not None:
                codes[node.index] = node.stop(signal.SIGTERM)
        return codes

    def close(self):
        """Kills every process (no graceful stop) — the end of a test, passed or failed."""
        for node in self.nodes:
            if node is not None:
                node.stop(signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def alive(self, i):
        return self.nodes[i] is not None and self.nodes[i].alive()

    def running(self):
        return [i for i in range(self.n) if self.alive(i)]

    # --- console

    def send(self, i, line, timeout=10.0):
        """Sends one console line (str, or bytes for garbage) to node i; returns its reply."""
        return self.nodes[i].send(line, timeout)

    def send_many(self, i, lines, timeout=30.0):
        """Sends lines to node i at once; returns one reply per line, in arrival order."""
        return self.nodes[i].send_many(lines, timeout)

    def write_stdin(self, i, data):
        """Raw bytes to node i's standard input; read replies with drain(i)."""
        self.nodes[i].write(data)

    def drain(self, i, quiet=0.3, limit=10.0):
        return self.nodes[i].drain(quiet, limit)

    def status(self, i, timeout=5.0):
        """STATUS of node i as a dict (see parse_status)."""
        return parse_status(self.send(i, "STATUS", timeout))

    def leader(self, among=None):
        """The leader id that a running node reporting role=Leader names, else None."""
        for i in among if among is not None else self.running():
            try:
                s = self.status(i, timeout=2.0)
            except (TimeoutError, OSError):
                continue
            if str(s.get("role", "")).lower() == "leader":
                return i
        return None

    def wait_leader(self, timeout=15.0, among=None):
        """Waits until a running node is leader and returns its id."""

        def found():
            leader = self.leader(among)
            return None if leader is None else [leader]  # node 0 is a leader too

        return wait_until(found, timeout, interval=0.05, what="a leader")[0]

    def wait_initialized(self, i, timeout=15.0):
        """Waits for node i's "Raft initialized: leader is node N" line; returns N."""
        if not self.nodes[i].initialized.wait(timeout):
            raise TimeoutError(f"node {i}: no 'Raft initialized' within {timeout}s\n{self.logs()}")
        return int(INITIALIZED.match(self.nodes[i].initialized_line).group(1))

    def wait_settled(self, nodes=None, timeout=20.0, drained=True):
        """Waits until the given running nodes (default: all running) agree on commit and
        applied and, if `drained`, have pending=0 (which needs every member up: a change leaves
        raft only once every node acknowledged it). Returns their statuses."""

        def settled():
            statuses = [self.status(i, timeout=2.0) for i in (nodes or self.running())]
            indexes = {(s["commit"], s["applied"], s["served"]) for s in statuses}
            done = len(indexes) == 1 and (not drained or all(s["pending"] == 0 for s in statuses))
            return done and statuses

        return wait_until(settled, timeout, interval=0.1,
                          what=f"nodes {nodes or 'running'} settled (drained={drained})")

    # --- DNS

    def query(self, i, name, rdtype="A", tcp=False, timeout=2.0):
        """Asks node i; returns QueryResult. Raises dns.exception.Timeout if unanswered."""
        host, port = self.query_addr(i)
        q = dns.message.make_query(name, rdtype)
        if tcp:
            r = dns.query.tcp(q, host, port=port, timeout=timeout)
        else:
            r = dns.query.udp(q, host, port=port, timeout=timeout)
        answers = sorted(line for rrset in r.answer for line in rrset.to_text().splitlines())
        return QueryResult(dns.rcode.to_text(r.rcode()), answers, r)

    def has_record(self, i, name, rdtype, rdata_text, timeout=1.0):
        """Whether node i answers `name rdtype` with an rdata whose text is rdata_text."""
        try:
            return rdata_text in self.query(i, name, rdtype, timeout=timeout).rdatas()
        except dns.exception.Timeout:
            return False
