"""What the clients of a real dns-node cluster saw, written as a history in the format that
build/history-check judges (harness/history.h, docs/simulator.md): one JSON object per line, a
write with its changes, invocation and completion (time.monotonic_ns) and what its reply says,
a read with its answer, the zone's SOA serial and the commit index the node served, and a
"removed" line when a member's removal committed.

    recorder = HistoryRecorder(cluster, os.path.join(workdir, "history.jsonl"))
    recorder.write(0, "ADD: x.example.com A 192.0.2.1", timeout=5)   # the reply, or None
    recorder.read(1, ["x.example.com"])
    ...heal, wait_settled...
    recorder.final_reads()
    recorder.close()
    ok, report = check_history(history_check_binary, recorder.path)

A real read is not instantaneous, as the simulator's is, and DNS says nothing about the commit
index. So a read is bracketed: STATUS (its `served`), the A query and the zone's SOA query, then
STATUS again, on one node at a time (a lock per node). The node publishes a new database version
and sets `served` in one step of its raft thread, which also answers STATUS, so when both STATUS
replies name the same index and the same process, every answer in between came from exactly that
index. A read whose bracket moved is tried again (up to `attempts` times) and otherwise not
recorded (`unbracketed` counts them). Its time is the end of the bracket: the node served that
index no later than that, which keeps "served-after-invoke" sound. Reads of one node never
overlap, so their order is the node's order.

Writes go over the node's control socket, one connection each, so a reply cannot be matched to
the wrong write. "OK index=N" is ok, "NOOP ... index=N" noop, an ERROR refused before it was
proposed (a bad line, an invalid or too large write, a node that does not take writes) is fail,
a socket that never connected is fail (nothing was sent), and everything else is unknown: "no
quorum" and disk-fault answers are timeouts after which the write may still commit, and a node
killed before it replied gives no answer (complete_ns null). Clients are named by kind and
thread ("w3", "r1"), so concurrent clients each have their own id. The process of a line is the
node process's pid (a restart is a new process, which may serve less than before its crash, so
history-check judges monotonicity per process)."""

import json
import random
import re
import subprocess
import threading
import time

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from raftdns import control
from raftdns.console import parse_status

_INDEX = re.compile(r"\bindex=(\d+)")
# "ADD: name TYPE rdata" or zone-file syntax "ADD: name [TTL] [IN] TYPE rdata".
_CHANGE = re.compile(r"^(ADD|REMOVE):\s*(\S+)\s+(?:\d+\s+)?(?:IN\s+)?([A-Za-z][A-Za-z0-9]*)\s+"
                     r"(.+?)\s*$", re.IGNORECASE)
# Answers that say the write was refused before it was proposed: it never commits.
_REFUSED = re.compile(r"^ERROR (line \d+:|invalid|write too large|update too large|"
                      r"too many control connections|.*write not accepted)")


def parse_change(line):
    """The history change of one ADD/REMOVE console line: {"kind", "name", "type", "data"} with
    the owner lowercase and absolute and the rdata as a DNS client prints it. ValueError naming
    the line if it is not one (the prototype's bracket syntax is not supported here)."""
    m = _CHANGE.match(line)
    if not m:
        raise ValueError(f"history: not an ADD/REMOVE line: {line!r}")
    kind, name, rdtype, data = m.groups()
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype.upper(), data,
                                    origin=dns.name.root, relativize=False)
    except Exception as e:  # dnspython raises many kinds for bad rdata
        raise ValueError(f"history: cannot read the rdata of {line!r}: {e}") from e
    return {"kind": kind.lower(), "name": dns.name.from_text(name).to_text().lower(),
            "type": rdtype.upper(), "data": rdata.to_text()}


def write_outcome(reply):
    """(result, index) of a write's reply line (None: no reply came)."""
    if reply is None:
        return "unknown", 0
    index = _INDEX.search(reply)
    if reply.startswith("OK") and index:
        return "ok", int(index.group(1))
    if reply.startswith("NOOP") and index:
        return "noop", int(index.group(1))
    if _REFUSED.match(reply):
        return "fail", 0
    return "unknown", 0


class HistoryRecorder:
    """Writes the history of a Cluster's clients to `path` (one line per operation, flushed at
    once, so a crashed test still leaves what it saw). Thread-safe."""

    def __init__(self, cluster, path, dns_timeout=1.0, status_timeout=2.0):
        self.cluster = cluster
        self.path = str(path)
        self.dns_timeout = dns_timeout
        self.status_timeout = status_timeout
        self.unbracketed = 0  # reads not recorded: the served index moved on every attempt
        self.lines = 0
        self._out = open(self.path, "w")
        self._lock = threading.Lock()
        self._node_locks = {}
        self._clients = {}  # (kind, thread id) -> client id
        self._in_flight = {}  # token -> a write record without its answer yet
        self._tokens = 0
        self._zones = {}  # name -> zone (the zones do not change under the recorder)
        self._questions = set()  # (name, type) every write or read touched: the final reads'

    # --- identities

    def client(self, kind):
        """This thread's client id of `kind` ("w" writes, "r" reads): w1, w2, ..."""
        key = (kind, threading.get_ident())
        with self._lock:
            if key not in self._clients:
                self._clients[key] = f"{kind}{sum(k == kind for k, _ in self._clients) + 1}"
            return self._clients[key]

    def _process(self, node):
        """(NodeProcess, its pid) of node's current process: the history's "process"."""
        proc = self.cluster.nodes[node]
        return proc, proc.pid

    def _node_lock(self, node):
        with self._lock:
            return self._node_locks.setdefault(node, threading.Lock())

    def _emit(self, record):
        with self._lock:
            if self._out.closed:
                return  # an operation that outlived close(): its line is written already
            self._out.write(json.dumps(record, sort_keys=True) + "\n")
            self._out.flush()
            self.lines += 1

    # --- writes

    def write(self, node, line, timeout, client=None):
        """Sends one ADD/REMOVE line to node's control socket and records it; returns the reply
        (None if none came: timeout, or the node closed the connection)."""
        change = parse_change(line)
        _, process = self._process(node)
        record = {"type": "write", "client": client or self.client("w"), "node": node + 1,
                  "process": process, "changes": [change], "message": ""}
        with self._lock:
            self._questions.add((change["name"], change["type"]))
            self._tokens += 1
            token = self._tokens
        record["invoke_ns"] = time.monotonic_ns()
        self._in_flight[token] = record
        reply, sent = None, True
        try:
            reply = control.request(self.cluster.control_socket(node), line, timeout)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            sent, reply_text = False, f"not sent: {e}"
        except (OSError, TimeoutError):
            pass  # sent, no answer: unknown
        complete = time.monotonic_ns()
        if self._in_flight.pop(token, None) is None:
            return reply  # close() wrote it as unanswered
        if not sent:
            record.update(result="fail", index=0, complete_ns=complete, message=reply_text)
        else:
            result, index = write_outcome(reply)
            record.update(result=result, index=index,
                          complete_ns=None if reply is None else complete,
                          message=reply or "no reply")
        self._emit(record)
        return reply

    def removed(self, node):
        """The removal of member `node` committed (REMOVE-NODE answered OK)."""
        self._emit({"type": "removed", "node": node + 1, "time_ns": time.monotonic_ns()})

    # --- reads

    def _served(self, node):
        reply = control.request(self.cluster.control_socket(node), "STATUS", self.status_timeout)
        return parse_status(reply)["served"]

    def _ask(self, node, name, rdtype):
        host, port = self.cluster.query_addr(node)
        query = dns.message.make_query(name, rdtype)
        return dns.query.udp(query, host, port=port, timeout=self.dns_timeout)

    def _zone(self, node, name):
        """The zone `name` is in as node answers it ("" if it serves none for it)."""
        if name in self._zones:
            return self._zones[name]
        r = self._ask(node, name, "SOA")
        for rrset in list(r.answer) + list(r.authority):
            if rrset.rdtype == dns.rdatatype.SOA:
                self._zones[name] = rrset.name.to_text().lower()
                return self._zones[name]
        return ""

    def _serial(self, node, zone):
        if not zone:
            return None
        r = self._ask(node, zone, "SOA")
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.SOA and rrset.name.to_text().lower() == zone:
                return rrset[0].serial
        return None

    def read(self, node, names, rdtype="A", client=None, final=False, attempts=3):
        """Asks node for each of `names` (one or a list) under one STATUS bracket and records a
        read line for each; returns how many were recorded (0: the node did not answer, or its
        served index moved on every attempt)."""
        if isinstance(names, str):
            names = [names]
        names = [dns.name.from_text(n).to_text().lower() for n in names]
        client = client or self.client("r")
        with self._node_lock(node):
            for _ in range(attempts):
                proc, process = self._process(node)
                try:
                    before = self._served(node)
                    answers = [(n, self._ask(node, n, rdtype), self._zone(node, n))
                               for n in names]
                    serials = {z: self._serial(node, z) for z in {z for _, _, z in answers}}
                    after = self._served(node)
                except (OSError, TimeoutError, dns.exception.DNSException, KeyError,
                        ValueError):  # down, unanswered, or an ERROR instead of STATUS
                    return 0
                end = time.monotonic_ns()
                if before != after or self.cluster.nodes[node] is not proc:
                    continue
                for name, r, zone in answers:
                    rdatas = sorted(rd.to_text() for rrset in r.answer
                                    if rrset.rdtype == dns.rdatatype.from_text(rdtype)
                                    and rrset.name.to_text().lower() == name for rd in rrset)
                    with self._lock:
                        self._questions.add((name, rdtype))
                    self._emit({"type": "read", "client": client, "node": node + 1,
                                "process": process, "time_ns": end, "name": name,
                                "qtype": rdtype, "rcode": dns.rcode.to_text(r.rcode()),
                                "answer": rdatas, "zone": zone, "serial": serials[zone],
                                "index": before, "final": final})
                return len(answers)
            with self._lock:
                self.unbracketed += 1
            return 0

    def final_reads(self, nodes=None, attempts=20):
        """After the heal, once the cluster settled: every node (default: every node the cluster
        has) answers every question the history touched, marked final. Raises RuntimeError if a
        node cannot be read (history-check requires a final read of every node)."""
        with self._lock:
            questions = sorted(self._questions)
        by_type = {}
        for name, rdtype in questions:
            by_type.setdefault(rdtype, []).append(name)
        for node in range(self.cluster.size) if nodes is None else nodes:
            for rdtype, names in by_type.items():
                if self.read(node, names, rdtype, client="final", final=True,
                             attempts=attempts) != len(names):
                    raise RuntimeError(f"history: no final read of node {node} ({rdtype})")

    def close(self):
        """Writes every write still waiting for its answer (unknown, no completion) and closes
        the file."""
        for token in list(self._in_flight):
            record = self._in_flight.pop(token, None)
            if record is not None:
                record.update(result="unknown", index=0, complete_ns=None, message="no reply")
                self._emit(record)
        with self._lock:
            self._out.close()


class ReadLoad:
    """A background reader: `rate` bracketed reads per second, each of a random name from
    names() (a callable, so it can follow what was written) on a random node of up_nodes(),
    bounded by stop()."""

    def __init__(self, recorder, names, rate=20.0, seed=1, up_nodes=None):
        self.recorder, self.names, self.rate = recorder, names, rate
        self.up_nodes = up_nodes or recorder.cluster.up_nodes
        self.rng = random.Random(seed)
        self.recorded = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="history-reads")

    def _run(self):
        while not self._stop.wait(1.0 / self.rate):
            names, nodes = list(self.names()), self.up_nodes()
            if names and nodes:
                self.recorded += self.recorder.read(self.rng.choice(nodes),
                                                    self.rng.choice(names), attempts=1)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)


def check_history(history_check, path, timeout=60):
    """Runs `history-check PATH`: (passed, its report). passed is False when it fails a check
    or cannot read the file."""
    run = subprocess.run([str(history_check), str(path)], capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    return run.returncode == 0, run.stdout + run.stderr


def verdict(report):
    """The "N passed, M failed" line of a history-check report ("" if there is none)."""
    lines = [line for line in report.splitlines() if re.fullmatch(r"\d+ passed, \d+ failed", line)]
    return lines[-1] if lines else ""
