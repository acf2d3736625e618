"""Checks over UDP that A records are answerable on a node, many queries in flight at once
(tens of thousands of records are checked after a run, so one socket keeps a window of queries
outstanding instead of asking one at a time)."""

import select
import socket
import struct
import time

import dns.exception
import dns.flags
import dns.message
import dns.rdatatype


def query_wire(qid: int, name: str) -> bytes:
    """A recursion-not-desired query for name/A/IN."""
    query = dns.message.make_query(name, dns.rdatatype.A)
    query.id = qid
    query.flags &= ~dns.flags.RD
    return query.to_wire()


def answer_addresses(wire: bytes) -> set:
    """The A addresses (dotted text) in the answer section of a reply; empty if malformed."""
    try:
        reply = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return set()
    return {rdata.address for rrset in reply.answer if rrset.rdtype == dns.rdatatype.A
            for rdata in rrset}


def missing_on(port: int, records: list, timeout: float = 10.0, window: int = 256) -> list:
    """The (name, address) pairs of `records` that 127.0.0.1:port does not answer with that A
    address. Queries go out `window` at a time; an unanswered query is asked again after 0.5 s
    until `timeout` s have passed, after which it counts as missing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    todo = list(records)
    missing = []
    inflight = {}  # query id -> (record, sent at)
    next_id = 0
    deadline = time.perf_counter() + timeout
    try:
        while (todo or inflight) and time.perf_counter() < deadline:
            while todo and len(inflight) < window:
                record = todo.pop()
                next_id = (next_id + 1) & 0xFFFF
                inflight[next_id] = (record, time.perf_counter())
                try:
                    sock.send(query_wire(next_id, record[0]))
                except OSError:
                    pass  # refused: asked again after the retry delay
            ready, _, _ = select.select([sock], [], [], 0.05)
            for _ in range(4 * window if ready else 0):
                try:
                    reply = sock.recv(4096)
                except BlockingIOError:
                    break
                except OSError:
                    continue  # ECONNREFUSED of an earlier query
                if len(reply) < 12:
                    continue
                entry = inflight.pop(struct.unpack_from("!H", reply)[0], None)
                if entry is not None and entry[0][1] not in answer_addresses(reply):
                    missing.append(entry[0])
            retry_before = time.perf_counter() - 0.5
            for qid in [q for q, (_, sent) in inflight.items() if sent < retry_before]:
                todo.append(inflight.pop(qid)[0])
    finally:
        sock.close()
    return missing + todo + [record for record, _ in inflight.values()]


def missing_everywhere(ports: list, records: list, settle_s: float, progress=None) -> dict:
    """For each node index, the records it does not answer; records missing somewhere are
    asked again (a lagging node may still be applying) until `settle_s` s have passed."""
    deadline = time.perf_counter() + settle_s
    result = {}
    for node, port in enumerate(ports):
        missing = missing_on(port, records, timeout=max(5.0, settle_s))
        while missing and time.perf_counter() < deadline:
            time.sleep(0.5)
            missing = missing_on(port, missing, timeout=5.0)
        if progress is not None and missing:
            progress(f"  node {node}: {len(missing)} of {len(records)} records not answerable")
        result[node] = missing
    return result
