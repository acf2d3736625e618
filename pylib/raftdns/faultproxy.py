"""A dns-node cluster whose raft links all pass through build/fault-proxy (testbed/), so that a
test or an experiment can partition, isolate, clog, delay and cut them at run time with the
simulator's fault syntax (docs/testbed.md).

    with ProxiedCluster(dns_node, workdir, proxy_binary=fault_proxy) as c:
        c.start_all()
        leader = c.wait_leader()
        c.proxy.command(f"fault isolate@0/{leader + 1}/0/0")   # nodes are 1..N in the proxy
        ...
        c.proxy.command("heal")

Node i (id i, 0-based as everywhere in pylib) is node i+1 to the proxy and in fault schedules,
as the simulator numbers its nodes 1..N. Each node gets its own config file, identical to the
cluster's except that every other node's raft_loc is the proxy's port for that directed link;
the proxy connects from 127.0.0.1, the IP the peers' raft_loc names, so the peer address check
passes, and it relays bytes, so the cluster key's HMACs pass unchanged."""

import json
import os
import re
import signal
import subprocess
import threading

from raftdns import control
from raftdns.cluster import Cluster
from raftdns.processes import forget, free_port, spawn, tail

_LINK = re.compile(r"^link (\d+)->(\d+) ([0-9.]+):(\d+)$")


class FaultProxy:
    """One fault-proxy process in front of the given raft addresses [(host, port), ...]."""

    def __init__(self, binary, raft_addrs, workdir, seed=1, timeout=10.0, sites=None):
        if not os.path.isfile(binary):
            raise FileNotFoundError(f"fault-proxy binary not found: {binary} (build it: "
                                    f"cmake --build BUILD --target fault-proxy)")
        self.control_path = os.path.join(workdir, "proxy.sock")
        self.log_path = os.path.join(workdir, "proxy.log")
        n = len(raft_addrs)
        # Ports from free_port, not the kernel's pick, so they never meet a node's port that
        # free_port handed out but the node has not bound yet.
        ports = [free_port() for _ in range(n * (n - 1))]
        args = [binary, "--control", self.control_path, "--seed", str(seed),
                "--ports", ",".join(map(str, ports))]
        if sites:  # multi-site delays, sim-runner's --sites syntax; kept through "heal"
            args += ["--sites", sites]
        for host, port in raft_addrs:
            args += ["--node", f"{host}:{port}"]
        self.log = open(self.log_path, "w")
        self.proc = spawn(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.links = {}  # (a, b) 1-based -> (host, port)
        for line in self.proc.stdout:
            line = line.strip()
            self.log.write(line + "\n")
            m = _LINK.match(line)
            if m:
                self.links[(int(m.group(1)), int(m.group(2)))] = (m.group(3), int(m.group(4)))
            elif line == "ready":
                break
        else:
            self.log.flush()
            raise RuntimeError(f"fault-proxy exited before 'ready':\n{tail(self.log_path)}")
        self.log.flush()
        pairs = [(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b]
        if sorted(self.links) != sorted(pairs) or any(
                self.links[pair][1] != port for pair, port in zip(pairs, ports)):
            raise RuntimeError(f"fault-proxy listens on {self.links}, not on the ports given "
                               f"({dict(zip(pairs, ports))})")
        # The proxy logs every control command it applies: keep its pipe drained.
        self._drain = threading.Thread(target=self._copy_output, daemon=True)
        self._drain.start()

    def _copy_output(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()

    def command(self, line, timeout=5.0):
        """Sends one control line; returns the reply. Raises RuntimeError on an ERROR reply."""
        reply = control.request(self.control_path, line, timeout)
        if not reply.startswith("OK"):
            raise RuntimeError(f"fault-proxy: {line!r} -> {reply}")
        return reply

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        forget(self.proc)
        self._drain.join(timeout=5)
        self.log.close()


class ProxiedCluster(Cluster):
    """A Cluster (same arguments) whose raft links go through a FaultProxy (self.proxy)."""

    def __init__(self, binary, workdir, proxy_binary=None, proxy_seed=1, proxy_sites=None,
                 **kwargs):
        super().__init__(binary, workdir, **kwargs)
        proxy_binary = str(proxy_binary or os.path.join(os.path.dirname(self.binary),
                                                        "fault-proxy"))
        self.proxy = FaultProxy(proxy_binary, [self.raft_addr(i) for i in range(self.size)],
                                self.workdir, seed=proxy_seed, sites=proxy_sites)
        for i in range(self.size):
            config = json.loads(json.dumps(self.config))
            for j in range(self.size):
                if j != i:
                    host, port = self.proxy.links[(i + 1, j + 1)]
                    config["nodes"][str(j)]["raft_loc"] = f"{host}:{port}"
            with open(self.node_config_path(i), "w") as f:
                json.dump(config, f, indent=2)

    def node_config_path(self, i):
        return os.path.join(self.workdir, f"dns-config-node-{i}.json")

    def close(self):
        super().close()
        self.proxy.close()

    def logs(self):
        return super().logs() + f"\n--- fault-proxy log (tail):\n{tail(self.proxy.log_path)}"
