"""Check with dig, once per server and before any timing, that it gives the right answers for
a sample of the benchmark queries (a fast server that answers wrongly must not rank)."""

import ipaddress
import subprocess

from bench_zone import ORIGIN, BenchZone


def _normalize(rtype: str, rdata: str) -> str:
    rdata = " ".join(rdata.split())
    if rtype == "AAAA":
        return str(ipaddress.IPv6Address(rdata))
    if rtype in ("CNAME", "MX", "NS", "SOA"):
        return rdata.lower()
    return rdata


def _dig(port: int, name: str, qtype: str,
         transport: str = "udp") -> tuple[str, set[str], set[tuple[str, str, str]]]:
    """(status, header flags, answer records as (owner, type, rdata))."""
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), name, qtype, "+norec", "+tries=2", "+time=2",
         "+nocookie", "+noall", "+comments", "+answer",
         "+tcp" if transport == "tcp" else "+notcp"],
        capture_output=True, text=True, timeout=15).stdout
    status, flags, answer = "", set(), set()
    section = None
    for line in out.splitlines():
        if line.startswith(";; ->>HEADER<<-"):
            status = line.split("status:")[1].split(",")[0].strip()
        elif line.startswith(";; flags:"):
            flags = set(line.split(":")[1].split(";")[0].split())
        elif line.startswith(";; ANSWER SECTION"):
            section = "answer"
        elif line.startswith(";"):
            section = None if line.startswith(";; ") else section
        elif line.strip() and section == "answer":
            owner, _ttl, _cls, rtype, rdata = line.split(None, 4)
            answer.add((owner.lower(), rtype, _normalize(rtype, rdata)))
    return status, flags, answer


def _expected(zone: BenchZone, owner: str, qtype: str) -> set[tuple[str, str, str]]:
    by_type = zone.records.get(owner, {})
    if qtype in by_type:
        return {(owner, qtype, _normalize(qtype, r)) for r in by_type[qtype]}
    if "CNAME" in by_type:
        target = by_type["CNAME"][0]
        return {(owner, "CNAME", _normalize("CNAME", target))} | _expected(zone, target, qtype)
    return set()


def sample_questions(zone: BenchZone) -> list[tuple[str, str]]:
    """One question of each kind the benchmark asks, plus NODATA and NXDOMAIN."""
    wanted = ["A", "AAAA", "MX", "TXT", "CNAME"]
    picks: list[tuple[str, str]] = []
    for owner, by_type in zone.records.items():
        for rtype in list(by_type):
            if rtype in wanted and owner.startswith("n0"):
                picks.append((owner, "A" if rtype == "CNAME" else rtype))
                wanted.remove(rtype)
    picks.append((f"ns1.{ORIGIN}", "TXT"))  # NODATA
    picks.append((zone.nxdomain_names[0], "A"))
    return picks


def check_answers(zone: BenchZone, server_name: str, port: int) -> list[str]:
    """Problems found (empty when every sampled answer is right)."""
    problems = []
    questions = [(t, q) for t in ("udp", "tcp") for q in sample_questions(zone)]
    for index, (transport, (owner, qtype)) in enumerate(questions):
        # Every other question in upper case: matching must be case-insensitive.
        asked = owner.upper() if index % 2 else owner
        status, flags, answer = _dig(port, asked, qtype, transport)
        expected = _expected(zone, owner, qtype)
        want_status = "NXDOMAIN" if owner in zone.nxdomain_names else "NOERROR"
        where = f"{server_name} over {transport.upper()}: {asked} {qtype}"
        if status != want_status:
            problems.append(f"{where}: status {status or 'none'}, want {want_status}")
        elif "aa" not in flags:
            problems.append(f"{where}: AA flag missing")
        elif answer != expected:
            problems.append(f"{where}: answer {sorted(answer)}, want {sorted(expected)}")
    return problems
