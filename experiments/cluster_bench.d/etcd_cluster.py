"""A 3-member etcd cluster on loopback (Debian's etcd-server 3.4), the reference system of
cluster_bench: started with fresh data directories and the same raft timing as our cluster,
driven through etcd's v3 gRPC-gateway HTTP/JSON API with keep-alive connections."""

import base64
import http.client
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

from raftdns.processes import forget, free_port, spawn

READY_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 5.0


def etcd_version() -> str:
    try:
        out = subprocess.run(["etcd", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"etcd not runnable ({e}); run scripts/install-deps") from e
    return out.stdout.splitlines()[0].strip() if out.stdout else "?"


class EtcdClient:
    """One keep-alive HTTP connection to one member (one benchmark client = one of these)."""

    def __init__(self, port: int, timeout: float = REQUEST_TIMEOUT_S):
        self.port = port
        self.timeout = timeout
        self._conn = None

    def connect(self):
        """Opens the keep-alive connection now (so a benchmark window does not pay for it)."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._conn.connect()

    def _post(self, path: str, body: dict) -> dict:
        try:
            self.connect()
        except OSError:
            self.close()
            raise
        try:
            self._conn.request("POST", path, json.dumps(body),
                               {"Content-Type": "application/json"})
            response = self._conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()  # a broken connection is reopened on the next request
            raise
        if response.status != 200:
            raise RuntimeError(f"etcd {path} on port {self.port}: HTTP {response.status} "
                               f"{data[:200]!r}")
        return json.loads(data)

    def put(self, key: str, value: str) -> int:
        """Stores key=value; returns the revision it committed at. Raises on any failure."""
        reply = self._post("/v3/kv/put", {"key": base64.b64encode(key.encode()).decode(),
                                           "value": base64.b64encode(value.encode()).decode()})
        return int(reply["header"]["revision"])

    def status(self) -> dict:
        """{"member_id": int, "leader": int, "raft_term": int} of the member this talks to."""
        reply = self._post("/v3/maintenance/status", {})
        return {"member_id": int(reply["header"]["member_id"]),
                "leader": int(reply.get("leader", 0)),
                "raft_term": int(reply.get("raftTerm", 0))}

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class EtcdCluster:
    """Three etcd members, each a process with its own data dir, client and peer port."""

    def __init__(self, work_dir: Path, size: int = 3, election_timeout_ms: int = 1000,
                 heartbeat_ms: int = 100):
        self.work_dir = work_dir
        self.size = size
        self.election_timeout_ms = election_timeout_ms
        self.heartbeat_ms = heartbeat_ms
        self.client_ports = [free_port() for _ in range(size)]
        self.peer_ports = [free_port() for _ in range(size)]
        self.token = f"cluster-bench-{int(time.time() * 1000)}"
        self.procs: list = [None] * size
        self._logs: list = [None] * size
        self.member_ids: list = [0] * size  # filled by wait_ready
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(parents=True)

    def _command(self, i: int) -> list:
        cluster = ",".join(f"m{j}=http://127.0.0.1:{self.peer_ports[j]}" for j in range(self.size))
        client_url = f"http://127.0.0.1:{self.client_ports[i]}"
        peer_url = f"http://127.0.0.1:{self.peer_ports[i]}"
        # Defaults otherwise (fsync on every WAL batch, as etcd ships); no --unsafe-no-fsync.
        return ["etcd", "--name", f"m{i}", "--data-dir", str(self.work_dir / f"m{i}"),
                "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
                "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", cluster, "--initial-cluster-token", self.token,
                "--initial-cluster-state", "new",
                "--heartbeat-interval", str(self.heartbeat_ms),
                "--election-timeout", str(self.election_timeout_ms),
                "--logger", "zap", "--log-level", "warn"]

    def start(self, i: int):
        if self._logs[i] is None:
            self._logs[i] = open(self.work_dir / f"m{i}.log", "ab")
        # spawn: the member dies with the benchmark, even when the benchmark is killed.
        self.procs[i] = spawn(self._command(i), stdin=subprocess.DEVNULL, stdout=self._logs[i],
                              stderr=subprocess.STDOUT)

    def start_all(self):
        for i in range(self.size):
            self.start(i)
        self.wait_ready()

    def client(self, i: int) -> EtcdClient:
        return EtcdClient(self.client_ports[i])

    def wait_ready(self, members=None, timeout: float = READY_TIMEOUT_S):
        """Waits until every given member answers status and knows a leader, and a put works."""
        members = range(self.size) if members is None else members
        deadline = time.monotonic() + timeout
        for i in members:
            client = self.client(i)
            while True:
                if self.procs[i].poll() is not None:
                    raise RuntimeError(f"etcd member m{i} exited with {self.procs[i].returncode}; "
                                       f"see {self.work_dir / f'm{i}.log'}")
                try:
                    status = client.status()
                    if status["leader"]:
                        self.member_ids[i] = status["member_id"]
                        client.put("cluster-bench/ready", str(i))
                        break
                except (OSError, RuntimeError, http.client.HTTPException, KeyError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"etcd member m{i} not ready after {timeout}s; "
                                       f"see {self.work_dir / f'm{i}.log'}")
                time.sleep(0.05)
            client.close()

    def leader(self) -> int:
        """Index of the current leader (asks every live member; raises if none knows one)."""
        for i in range(self.size):
            if self.procs[i] is None or self.procs[i].poll() is not None:
                continue
            client = self.client(i)
            try:
                leader_id = client.status()["leader"]
            except (OSError, RuntimeError, http.client.HTTPException):
                continue
            finally:
                client.close()
            if leader_id in self.member_ids:
                return self.member_ids.index(leader_id)
        raise RuntimeError("no etcd member knows a leader")

    def kill9(self, i: int):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait(timeout=10)
        forget(self.procs[i])

    def stop_all(self):
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in self.procs:
            if p is None:
                continue
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            forget(p)
        for log in self._logs:
            if log is not None:
                log.close()
        self._logs = [None] * self.size
