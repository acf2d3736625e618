"""End-to-end: DNS UPDATE (RFC 2136) with TSIG (RFC 8945) against a real 3-node cluster, with
nsupdate (bind9-dnsutils), knsupdate (knot-dnsutils) when installed, and dnspython for the
error cases.

Usage: /usr/bin/python3 e2e_update.py BUILD/dns-node [TestClass[.test] ...]
Every wait is bounded; every process is stopped at the end of each test.
"""

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.cluster import Cluster  # noqa: E402
from raftdns.processes import wait_until  # noqa: E402
from raftdns.testcase import ClusterDirTestCase  # noqa: E402

BINARY = None  # set from argv in main
SECRET = base64.b64encode(bytes(range(32))).decode()  # a fixed 256-bit key
WRONG_SECRET = base64.b64encode(bytes(range(1, 33))).decode()
ZONE = "example.com."

ZONE_FILE = """$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster 100 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   192.0.2.10
"""
OTHER_ZONE_FILE = """$ORIGIN other.org.
$TTL 300
@    IN SOA ns1 hostmaster 7 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   192.0.2.2
"""


def keyring(secret=SECRET, name="ddns-key."):
    return dns.tsigkeyring.from_text({name: ("hmac-sha256", secret)})


class UpdateCluster(ClusterDirTestCase):
    """A 3-node cluster serving example.com (UPDATE allowed with ddns-key) and other.org (not
    listed in zones: UPDATE refused)."""

    prefix = "e2e-update"

    def setUp(self):
        super().setUp()
        zone_files = []
        source = os.path.join(self.workdir, "zones")  # the cluster copies them into workdir
        os.makedirs(source)
        for name, text in (("example.com.zone", ZONE_FILE), ("other.org.zone", OTHER_ZONE_FILE)):
            path = os.path.join(source, name)
            with open(path, "w") as f:
                f.write(text)
            zone_files.append(path)
        extra = {
            "write_timeout_ms": 1500,
            "keys": {"ddns-key": {"algorithm": "hmac-sha256", "secret": SECRET},
                     "other-key": {"algorithm": "hmac-sha512", "secret": WRONG_SECRET}},
            "zones": {"example.com": {"allow_update": ["ddns-key"],
                                      "allow_transfer": ["ddns-key", "127.0.0.0/8"],
                                      "notify": ["127.0.0.1:5399"]}},
        }
        self.cluster = Cluster(BINARY, self.workdir, size=3, zone_files=[zone_files] * 3,
                               config_extra=extra, http=True)
        self.cluster.start_all()
        self.cluster.wait_serving(["example.com", "other.org"])
        self.cluster.wait_leader()
        # Every node imports its zone files at first boot, each import re-setting the SOA as the
        # file has it: serials are only comparable once all three imports committed everywhere.
        wait_until(lambda: all(self.cluster.status(i).get("imported") in ("yes", True)
                               for i in range(3)), 15, interval=0.05,
                   what="every node's first-boot import committed")
        self.cluster.wait_settled(drained=False)

    # --- helpers

    def addr(self, i):
        return self.cluster.query_addr(i)

    def serial(self, i, zone="example.com"):
        r = self.cluster.query(i, zone, "SOA")
        return r.message.answer[0][0].serial

    def serials(self):
        return [self.serial(i) for i in range(3)]

    def send(self, i, update, tcp=False, timeout=6.0):
        host, port = self.addr(i)
        if tcp:
            return dns.query.tcp(update, host, port=port, timeout=timeout)
        return dns.query.udp(update, host, port=port, timeout=timeout)

    def update(self, zone=ZONE, secret=SECRET, key="ddns-key."):
        u = dns.update.UpdateMessage(zone)
        if secret is not None:
            u.use_tsig(keyring(secret, key), keyname=key, algorithm="hmac-sha256")
        return u

    def answers(self, i, name, rdtype="A"):
        return self.cluster.query(i, name, rdtype).rdatas()

    def wait_everywhere(self, name, rdtype, rdata, present=True, timeout=5.0):
        for i in self.cluster.running():
            wait_until(lambda i=i: (rdata in self.answers(i, name, rdtype)) == present, timeout,
                       interval=0.05, what=f"node {i}: {name} {rdtype} {rdata} present={present}")

    def wait_serials(self, expected, timeout=5.0):
        seen = []

        def done():
            seen.append(self.serials())
            return seen[-1] == [expected] * 3

        try:
            wait_until(done, timeout, interval=0.05, what=f"serial {expected} on every node")
        except TimeoutError as e:
            raise AssertionError(f"{e}; serials seen: {seen[0]} ... {seen[-1]}") from None

    # --- the Done-when cases

    def updates_answered(self, i, rcode):
        """raftdns_dns_updates_total{rcode=...} of node i's /metrics."""
        status, text = self.cluster.http_get(i, "/metrics")
        self.assertEqual(status, 200)
        match = re.search(r'^raftdns_dns_updates_total\{rcode="%s"\} (\S+)$' % rcode, text, re.M)
        self.assertIsNotNone(match, f"no UPDATE counter for {rcode} on node {i}")
        return float(match.group(1))

    def test_nsupdate_adds_through_node0_and_node2_answers(self):
        if shutil.which("nsupdate") is None:
            self.skipTest("nsupdate (bind9-dnsutils) not installed")
        self.cluster.wait_settled(drained=False)
        before = self.serials()
        self.assertEqual(len(set(before)), 1, before)
        host, port = self.addr(0)
        script = (f"server {host} {port}\nzone example.com\n"
                  "update add nsup.example.com. 300 A 192.0.2.77\nsend\nanswer\n")
        p = subprocess.run(["nsupdate", "-d", "-y", f"hmac-sha256:ddns-key:{SECRET}"],
                           input=script, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("status: NOERROR", p.stdout + p.stderr)
        # Answered after commit: node 2 has it at once or within one apply round.
        self.wait_everywhere("nsup.example.com", "A", "192.0.2.77", timeout=3.0)
        self.wait_serials(before[0] + 1)
        self.assertEqual(self.serials(), [before[0] + 1] * 3)

    def test_knsupdate_over_tcp_through_a_follower(self):
        if shutil.which("knsupdate") is None:
            self.skipTest("knsupdate (knot-dnsutils) not installed")
        leader = self.cluster.wait_leader()
        follower = next(i for i in range(3) if i != leader)
        before = self.serial(follower)
        host, port = self.addr(follower)
        script = (f"server {host} {port}\nzone example.com.\norigin example.com.\n"
                  "add knot.example.com. 300 TXT \"from knsupdate\"\nsend\nanswer\n")
        p = subprocess.run(["knsupdate", "-v", "-y", f"hmac-sha256:ddns-key:{SECRET}"],
                           input=script, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("NOERROR", p.stdout + p.stderr)
        self.wait_everywhere("knot.example.com", "TXT", '"from knsupdate"')
        self.wait_serials(before + 1)

    def test_dnspython_udp_and_tcp_add_delete(self):
        base = self.serial(1)
        noerror_before = self.updates_answered(1, "NOERROR")
        u = self.update()
        u.add("py", 300, "A", "192.0.2.5")
        u.add("py", 300, "A", "192.0.2.6")
        r = self.send(1, u)
        self.assertEqual(dns.rcode.to_text(r.rcode()), "NOERROR")
        self.assertTrue(r.had_tsig)  # dnspython verified our signature on the answer
        self.assertEqual(self.updates_answered(1, "NOERROR") - noerror_before, 1)
        self.wait_everywhere("py.example.com", "A", "192.0.2.6")
        # Delete one RR over TCP, then the whole name.
        u = self.update()
        u.delete("py", "A", "192.0.2.5")
        r = self.send(2, u, tcp=True)
        self.assertEqual(dns.rcode.to_text(r.rcode()), "NOERROR")
        self.wait_everywhere("py.example.com", "A", "192.0.2.5", present=False)
        self.assertIn("192.0.2.6", self.answers(0, "py.example.com"))
        u = self.update()
        u.delete("py")
        self.assertEqual(self.send(0, u).rcode(), dns.rcode.NOERROR)
        self.wait_everywhere("py.example.com", "A", "192.0.2.6", present=False)
        self.wait_serials(base + 3)

    def test_wrong_key_is_notauth_with_badsig_badkey_or_badtime(self):
        before = self.serials()
        notauth_before = self.updates_answered(0, "NOTAUTH")
        # Right name, wrong secret: BADSIG.
        u = self.update(secret=WRONG_SECRET)
        u.add("bad", 300, "A", "192.0.2.66")
        with self.assertRaises(dns.tsig.PeerBadSignature):
            self.send(0, u)
        # The raw answer: NOTAUTH and the TSIG error field.
        self.assertEqual(self.raw_answer(0, u), (dns.rcode.NOTAUTH, dns.rcode.BADSIG))
        self.assertEqual(self.updates_answered(0, "NOTAUTH") - notauth_before, 2)  # both sends
        # Unknown key name: BADKEY.
        u = self.update(key="nobody.")
        u.add("bad", 300, "A", "192.0.2.66")
        with self.assertRaises(dns.tsig.PeerBadKey):
            self.send(1, u)
        self.assertEqual(self.raw_answer(1, u), (dns.rcode.NOTAUTH, dns.rcode.BADKEY))
        # Right key, clock 1000 s behind (beyond the 300 s fudge): BADTIME, in a signed answer.
        u = self.update()
        u.add("bad", 300, "A", "192.0.2.66")
        real_time = time.time
        time.time = lambda: real_time() - 1000  # dnspython signs with time.time()
        try:
            wire = u.to_wire()
        finally:
            time.time = real_time
        host, port = self.addr(2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(wire, (host, port))
            data, _ = s.recvfrom(65535)
        with self.assertRaises(dns.tsig.PeerBadTime):
            dns.message.from_wire(data, keyring=u.keyring, request_mac=u.mac)
        self.assertEqual(data[3] & 0x0F, dns.rcode.NOTAUTH)
        # Known key, not in allow_update: REFUSED.
        u = self.update(secret=WRONG_SECRET, key="other-key.")
        u.keyring = None
        u.use_tsig(dns.tsigkeyring.from_text({"other-key.": ("hmac-sha512", WRONG_SECRET)}),
                   keyname="other-key.", algorithm="hmac-sha512")
        u.add("bad", 300, "A", "192.0.2.66")
        self.assertEqual(self.send(1, u).rcode(), dns.rcode.REFUSED)
        # Unsigned: REFUSED.
        u = self.update(secret=None)
        u.add("bad", 300, "A", "192.0.2.66")
        self.assertEqual(self.send(2, u).rcode(), dns.rcode.REFUSED)
        time.sleep(0.3)
        for i in range(3):
            self.assertEqual(self.answers(i, "bad.example.com"), [])
        self.assertEqual(self.serials(), before)

    def raw_answer(self, i, update):
        """Sends a signed update; returns (rcode, TSIG error) of the answer, read from its wire
        form (dnspython refuses to parse an answer carrying a TSIG error)."""
        host, port = self.addr(i)
        wire = update.to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(wire, (host, port))
            data, _ = s.recvfrom(65535)
        # The TSIG record is last; its rdata ends in original id, error, other length (0 here).
        self.assertEqual(data[-2:], b"\0\0")
        return data[3] & 0x0F, int.from_bytes(data[-4:-2], "big")

    def test_unmet_prerequisites_give_their_rcode_and_change_nothing(self):
        before = self.serials()
        cases = []
        u = self.update()
        u.present("www", "A")  # exists: YXRRSET prerequisite met...
        u.absent("www", "A")   # ...and "RRset does not exist" unmet: YXRRSET
        cases.append((u, "YXRRSET"))
        u = self.update()
        u.present("nothere", "A")
        cases.append((u, "NXRRSET"))
        u = self.update()
        u.present("nothere")
        cases.append((u, "NXDOMAIN"))
        u = self.update()
        u.absent("www")
        cases.append((u, "YXDOMAIN"))
        u = self.update()
        u.present("www", "A", "192.0.2.99")  # value-dependent, wrong value
        cases.append((u, "NXRRSET"))
        for n, (u, expected) in enumerate(cases):
            u.add(f"prereq{n}", 300, "A", "192.0.2.50")
            r = self.send(n % 3, u)
            self.assertEqual(dns.rcode.to_text(r.rcode()), expected, u.to_text())
        time.sleep(0.3)
        for i in range(3):
            for n in range(len(cases)):
                self.assertEqual(self.answers(i, f"prereq{n}.example.com"), [])
        self.assertEqual(self.serials(), before)
        # A met value-dependent prerequisite applies.
        u = self.update()
        u.present("www", "A", "192.0.2.10")
        u.absent("fresh")
        u.add("fresh", 300, "A", "192.0.2.51")
        self.assertEqual(self.send(0, u).rcode(), dns.rcode.NOERROR)
        self.wait_everywhere("fresh.example.com", "A", "192.0.2.51")
        self.wait_serials(before[0] + 1)

    def test_apex_soa_and_ns_are_kept(self):
        before = self.serials()
        u = self.update()
        u.delete(ZONE)  # every RRset at the apex: SOA and NS stay
        self.assertEqual(self.send(0, u).rcode(), dns.rcode.NOERROR)
        time.sleep(0.3)
        for i in range(3):
            self.assertEqual(self.cluster.query(i, "example.com", "NS").rdatas(),
                             ["ns1.example.com."])
        self.assertEqual(self.serials(), before)  # nothing changed: no serial bump

    def test_zone_without_allow_update_is_refused(self):
        before = self.serial(0, "other.org")
        u = self.update(zone="other.org.")
        u.add("x", 300, "A", "192.0.2.9")
        self.assertEqual(self.send(0, u).rcode(), dns.rcode.REFUSED)
        # A zone the cluster does not serve at all is refused as well (not listed in zones).
        u = self.update(zone="nowhere.test.")
        u.add("x", 300, "A", "192.0.2.9")
        self.assertEqual(self.send(1, u).rcode(), dns.rcode.REFUSED)
        self.assertEqual(self.serial(0, "other.org"), before)
        self.assertEqual(self.answers(0, "x.other.org"), [])

    def test_two_of_three_down_is_servfail_and_nothing_applied(self):
        self.cluster.wait_settled(drained=False)
        before = self.serial(0)
        leader = self.cluster.wait_leader()
        survivor = (leader + 1) % 3  # whichever survives, it cannot reach a quorum
        for i in range(3):
            if i != survivor:
                self.cluster.kill9(i)
        for tcp in (False, True):
            u = self.update()
            u.add(f"lonely{int(tcp)}", 300, "A", "192.0.2.88")
            start = time.monotonic()
            r = self.send(survivor, u, tcp=tcp, timeout=10.0)
            took = time.monotonic() - start
            self.assertEqual(dns.rcode.to_text(r.rcode()), "SERVFAIL")
            self.assertGreaterEqual(took, 1.0)  # after the write timeout (1.5 s), not at once
            self.assertEqual(self.answers(survivor, f"lonely{int(tcp)}.example.com"), [])
        self.assertEqual(self.serial(survivor), before)


def main():
    global BINARY
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    BINARY = sys.argv[1]
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)


if __name__ == "__main__":
    main()
