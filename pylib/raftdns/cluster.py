"""A real N-node dns-node cluster on loopback, for end-to-end tests and experiments.

Every wait is bounded, and every process started is killed when the Cluster is closed, when
the Python process exits normally (atexit) and when it is killed (PR_SET_PDEATHSIG). Start nodes
from the main thread: PR_SET_PDEATHSIG fires when the *thread* that started a node exits.

    with Cluster(binary, workdir) as c:          # writes workdir/dns-config.json, free ports
        c.start_all()                            # waits for every ready line
        c.wait_leader()
        assert c.send(0, "ADD: x.example.com A 192.0.2.1").startswith("OK")
        wait_until(lambda: c.query(2, "x.example.com", "A").answers, 5)
        c.kill9(c.leader())

Any number of threads may send commands to a node at once (see raftdns.console)."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.query
import dns.rcode

from raftdns.console import parse_status
from raftdns.node import INITIALIZED, NodeProcess
from raftdns.processes import free_port, tail, wait_until


@dataclass
class QueryResult:
    """A DNS answer: rcode name ("NOERROR"), answer rrsets as text, and the message itself."""

    rcode: str
    answers: list = field(default_factory=list)  # sorted "name ttl IN TYPE rdata" lines
    message: object = None

    def rdatas(self):
        """The rdata texts of the answer section, sorted (no names or TTLs)."""
        return sorted(line.split(None, 4)[4] for line in self.answers)


class Cluster:
    """A dns-node cluster on loopback in `workdir`: dns-config.json with free ports (or another
    config's nodes and fields with their ports remapped), per-node logs node-X.log, data in the
    default data/node-X beside the config. Nodes are numbered 0..size-1 (their ids)."""

    def __init__(self, binary, workdir, size=3, zone_files=None, hosts=None, same_port=False,
                 base_config=None, config_extra=None, log_level="info", extra_args=None,
                 ready_timeout=20.0, daemon=False, node_env=None, dnsctl=None, http=False):
        """
        zone_files   list of lists: zone files of node i (copied into workdir); default none.
        hosts        list of 127.0.0.0/8 IPs, node i listens on hosts[i] (default 127.0.0.1).
        same_port    with distinct hosts: every node uses the same raft port and query port.
        base_config  a config file (e.g. the prototype's dns-config.json) whose nodes and fields
                     are kept, with every port replaced by a free one (size is its node count).
        config_extra top-level fields added to the config (e.g. {"write_timeout_ms": 1000}).
        extra_args   list of lists: more dns-node arguments for node i.
        http         give every node an http_loc (free port): /metrics, /health, /ready, /status.
        daemon       run the nodes as a daemon would: standard input /dev/null, every command
                     (send, status, ...) over the node's control socket.
        node_env     list of dicts: environment variables added for node i (or None).
        dnsctl       the dnsctl binary (default: beside `binary`), for dnsctl().
        """
        self.binary = str(binary)
        if not os.path.isfile(self.binary):
            raise FileNotFoundError(f"dns-node binary not found: {self.binary} (build it: "
                                    f"cmake --build BUILD --target dns-node)")
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.ready_timeout = ready_timeout
        self.log_level = log_level
        if base_config is not None:
            with open(base_config) as f:
                self.config = json.load(f)
            size = len(self.config["nodes"])
        else:
            self.config = {"nodes": {str(i): {} for i in range(size)}}
        self.size = size
        self.hosts = hosts or ["127.0.0.1"] * size
        self.config.update(config_extra or {})
        self.http = http
        self._assign_ports(same_port)
        self.config_path = os.path.join(self.workdir, "dns-config.json")
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        self.zone_files = []
        for i in range(size):
            copies = []
            for path in (zone_files[i] if zone_files else []):
                copy = os.path.join(self.workdir, os.path.basename(path))
                shutil.copyfile(path, copy)
                copies.append(copy)
            self.zone_files.append(copies)
        self.extra_args = extra_args or [[] for _ in range(size)]
        self.daemon = daemon
        self.node_env = node_env or [None] * size
        self.dnsctl_binary = str(dnsctl or os.path.join(os.path.dirname(self.binary), "dnsctl"))
        self.nodes = [None] * size
        self.config_paths = {}  # node -> its own config file (add_joiner), else config_path

    def add_joiner(self, host="127.0.0.1"):
        """A node outside the cluster's config, numbered self.size (then self.size grows), to be
        added with ADD-NODE and started with --join: its own config file node-N-join.json lists
        only itself (the cluster's other fields are kept). Returns (id, raft addr, dns addr)."""
        i = self.size
        node = {"raft_loc": f"{host}:{free_port([host])}",
                "query_loc": f"{host}:{free_port([host])}"}
        config = {k: v for k, v in self.config.items() if k != "nodes"}
        config["nodes"] = {str(i): node}
        path = os.path.join(self.workdir, f"node-{i}-join.json")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        self.config["nodes"][str(i)] = node  # in memory only: addresses for query_addr()
        self.config_paths[i] = path
        self.size += 1
        self.hosts.append(host)
        self.zone_files.append([])
        self.extra_args.append(["--join"])
        self.node_env.append(None)
        self.nodes.append(None)
        return i, node["raft_loc"], node["query_loc"]

    def _assign_ports(self, same_port):
        if same_port:
            raft_port, query_port = free_port(self.hosts), free_port(self.hosts)
        for i in range(self.size):
            node = self.config["nodes"].setdefault(str(i), {})
            if not same_port:
                raft_port, query_port = free_port([self.hosts[i]]), free_port([self.hosts[i]])
            node["raft_loc"] = f"{self.hosts[i]}:{raft_port}"
            node["query_loc"] = f"{self.hosts[i]}:{query_port}"
            if self.http:
                node["http_loc"] = f"{self.hosts[i]}:{free_port([self.hosts[i]])}"

    # --- addresses and files

    def node_config_path(self, i):
        """The config file node i starts with: the one shared file, or a joiner's own (a
        ProxiedCluster gives each node its own, whose peer addresses point at the fault proxy)."""
        return self.config_paths.get(i, self.config_path)

    def query_addr(self, i):
        host, port = self.config["nodes"][str(i)]["query_loc"].rsplit(":", 1)
        return host, int(port)

    def raft_addr(self, i):
        host, port = self.config["nodes"][str(i)]["raft_loc"].rsplit(":", 1)
        return host, int(port)

    def http_addr(self, i):
        host, port = self.config["nodes"][str(i)]["http_loc"].rsplit(":", 1)
        return host, int(port)

    def http_get(self, i, path, timeout=2.0):
        """GET path from node i's http_loc; returns (status, body text). Raises OSError when the
        node does not answer."""
        host, port = self.http_addr(i)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()

    @property
    def query_ports(self):
        return [self.query_addr(i)[1] for i in range(self.size)]

    def data_dir(self, i):
        return os.path.join(self.workdir, "data", f"node-{i}")

    def control_socket(self, i):
        """Node i's control socket: the default, control.sock in its data directory."""
        return os.path.join(self.data_dir(i), "control.sock")

    def log_path(self, i):
        return os.path.join(self.workdir, f"node-{i}.log")

    def log_text(self, i):
        with open(self.log_path(i), encoding="utf-8", errors="replace") as f:
            return f.read()

    def logs(self):
        """Every node's log, for a failure message."""
        return "\n".join(f"--- node {i} log (tail):\n{tail(self.log_path(i))}"
                         for i in range(self.size))

    # --- processes

    def start(self, i, wait_ready=True):
        """Starts node i (again); returns its ready line (or None without wait_ready)."""
        if self.alive(i):
            raise RuntimeError(f"node {i} is already running")
        args = [self.binary, "-n", str(i), "-c", self.node_config_path(i), "--log-level",
                self.log_level]
        for zf in self.zone_files[i]:
            args += ["-z", zf]
        args += self.extra_args[i]
        self.nodes[i] = NodeProcess(args, self.log_path(i), name=f"node {i}",
                                    control_socket=self.control_socket(i) if self.daemon else None,
                                    env=self.node_env[i])
        return self.nodes[i].wait_ready(self.ready_timeout) if wait_ready else None

    restart = start

    def start_all(self):
        """Starts every node, then waits for every ready line; returns them."""
        for i in range(self.size):
            self.start(i, wait_ready=False)
        return [self.nodes[i].wait_ready(self.ready_timeout) for i in range(self.size)]

    def kill9(self, i):
        """SIGKILL: the crash case. Returns the exit code (-9)."""
        return self.nodes[i].stop(signal.SIGKILL)

    def stop(self, i, timeout=10.0):
        """SIGTERM and wait; returns the exit code (0 for a clean shutdown)."""
        return self.nodes[i].stop(signal.SIGTERM, timeout)

    def stop_all(self):
        """Stops every running node (SIGTERM, in parallel); returns {node: exit code}. Whatever
        does not stop is killed."""
        try:
            for node in self.nodes:
                if node is not None and node.alive():
                    node.stopping = True
                    node.send_signal(signal.SIGTERM)
            return {i: node.stop(signal.SIGTERM) for i, node in enumerate(self.nodes)
                    if node is not None}
        finally:
            self.close()

    def close(self):
        """Kills every process (no graceful stop): the end of a test, passed or failed."""
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
        return [i for i in range(self.size) if self.alive(i)]

    def up_nodes(self):
        """Nodes ready and not being stopped or killed: where clients may send work."""
        return [i for i, node in enumerate(self.nodes) if node is not None and node.up()]

    def pid(self, i):
        return self.nodes[i].pid

    # --- console

    def console(self, i):
        """Node i's current process's Console (submit/request without raising)."""
        return self.nodes[i].console

    def send(self, i, line, timeout=10.0):
        """Sends one console line (str, or bytes for garbage) to node i; returns its reply.
        Raises TimeoutError if none comes in time or the node exits first."""
        return self.nodes[i].send(line, timeout)

    def status(self, i, timeout=5.0):
        """STATUS of node i as a dict (see raftdns.console.parse_status)."""
        return parse_status(self.send(i, "STATUS", timeout))

    def unanswered_lines(self, i, quiet=0.3, limit=10.0):
        """The reply lines of node i that answered no request, once it printed nothing for
        `quiet` s (at most `limit` s from now)."""
        console = self.console(i)
        wait_until(lambda: time.monotonic() - console.last_line_at >= quiet, limit,
                   interval=0.05, what=f"node {i} prints nothing for {quiet}s")
        return list(console.unanswered)

    def dnsctl(self, *args, timeout=30.0):
        """Runs `dnsctl ARGS` (e.g. "-s", c.control_socket(0), "STATUS"); returns the
        CompletedProcess (returncode, stdout, stderr as text)."""
        return subprocess.run([self.dnsctl_binary, *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    # --- cluster state

    def leader(self, among=None):
        """The id of a running node reporting role=Leader, else None."""
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
        """Waits until the given running nodes (default: all running) agree on commit, applied
        and served and, if `drained`, have pending=0 (which needs every member up: a change
        leaves raft only once every node acknowledged it). Returns their statuses."""

        def settled():
            statuses = [self.status(i, timeout=2.0) for i in (nodes or self.running())]
            indexes = {(s["commit"], s["applied"], s["served"]) for s in statuses}
            done = len(indexes) == 1 and (not drained or all(s["pending"] == 0 for s in statuses))
            return done and statuses

        return wait_until(settled, timeout, interval=0.1,
                          what=f"nodes {nodes or 'running'} settled (drained={drained})")

    def wait_writable(self, members=None, timeout=30.0, zone="example.com"):
        """Waits until each given node (default all) knows a leader and a write typed into it
        (ready-<i>.<zone> A) commits."""
        for i in range(self.size) if members is None else members:
            def writable(i=i):
                if not self.alive(i):
                    return "exited"
                if not isinstance(self.status(i, 2.0).get("leader"), int):
                    return False
                reply = self.send(i, f"ADD: ready-{i}.{zone} A 192.0.2.{i % 250 + 1}", 5.0)
                return reply.startswith(("OK", "NOOP"))

            if wait_until(writable, timeout, interval=0.05,
                          what=f"node {i} knows a leader and commits a write") == "exited":
                raise RuntimeError(f"node {i} exited\n{tail(self.log_path(i))}")

    def wait_caught_up(self, i, timeout=20.0):
        """Waits until node i has applied what the leader had committed (after a restart)."""

        def caught_up():
            leader = self.leader()
            return leader is not None and (self.status(i, 2.0)["applied"] >=
                                           self.status(leader, 2.0)["commit"])

        wait_until(caught_up, timeout, interval=0.05, what=f"node {i} caught up")

    def wait_serving(self, zones, timeout=30.0):
        """Waits until every node answers every zone's SOA (the first-boot import committed)."""
        for i in range(self.size):
            for zone in zones:
                wait_until(lambda: self.query(i, zone, "SOA", timeout=1.0).answers, timeout,
                           interval=0.05, what=f"node {i} answers {zone} SOA")

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
