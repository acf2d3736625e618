"""End-to-end: zone transfers out of a real 3-node cluster. AXFR (RFC 5936) with kdig and
dnspython from every node, IXFR (RFC 1995) with dig and dnspython after UPDATEs, TSIG-signed
transfers (RFC 8945 §5.3.1, every message checked by dnspython), and the allow_transfer rules.

Usage: /usr/bin/python3 e2e_xfr.py BUILD/dns-node [TestClass[.test] ...]
One cluster serves every test (started once: the whole script stays within a few seconds).
Every wait is bounded; every process is stopped at the end.
"""

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import dns.flags
import dns.message
import dns.rrset
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

BINARY = None  # set from argv in main
SECRET = base64.b64encode(bytes(range(32))).decode()
WRONG_SECRET = base64.b64encode(bytes(range(1, 33))).decode()
BULK = 2500  # TXT records: the AXFR of example.com needs several 64 KiB messages


def zone_text(origin, serial, extra=""):
    return (f"$ORIGIN {origin}.\n$TTL 300\n"
            f"@ IN SOA ns1 hostmaster {serial} 3600 600 86400 300\n"
            "@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.10\n"
            "sub IN NS ns.sub\nns.sub IN A 192.0.2.53\n" + extra)


EXAMPLE = zone_text("example.com", 100, "".join(
    f"bulk{i} IN TXT \"record number {i} of the bulk set, padded to be a little long\"\n"
    for i in range(BULK)))
OTHER = zone_text("other.org", 7)      # not in "zones": every transfer REFUSED
KEYONLY = zone_text("keyonly.net", 1)  # allow_transfer: the key only, no address prefix
CHANGES = zone_text("changes.net", 50)  # the IXFR tests change this one


def keyring(secret=SECRET, name="xfr-key."):
    return dns.tsigkeyring.from_text({name: ("hmac-sha256", secret)})


def rr_lines(messages):
    """The answer records of a transfer's messages, one text line each, in order."""
    lines = []
    for m in messages:
        for rrset in m.answer:
            lines.extend(rrset.to_text().splitlines())
    return lines


class Transfers(unittest.TestCase):
    cluster = None

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="e2e-xfr-")
        source = os.path.join(cls.workdir, "zones")
        os.makedirs(source)
        files = []
        for name, text in (("example.com.zone", EXAMPLE), ("other.org.zone", OTHER),
                           ("keyonly.net.zone", KEYONLY), ("changes.net.zone", CHANGES)):
            path = os.path.join(source, name)
            with open(path, "w") as f:
                f.write(text)
            files.append(path)
        extra = {
            "keys": {"xfr-key": {"algorithm": "hmac-sha256", "secret": SECRET},
                     "other-key": {"algorithm": "hmac-sha256", "secret": WRONG_SECRET}},
            "zones": {"example.com": {"allow_update": ["xfr-key"],
                                      "allow_transfer": ["xfr-key", "127.0.0.0/8"]},
                      "keyonly.net": {"allow_transfer": ["xfr-key"]},
                      "changes.net": {"allow_update": ["xfr-key"],
                                      "allow_transfer": ["127.0.0.0/8"]}},
        }
        cls.cluster = Cluster(BINARY, cls.workdir, size=3, zone_files=[files, [], []],
                              config_extra=extra)
        try:
            cls.cluster.start_all()
            cls.cluster.wait_serving(["example.com", "other.org", "keyonly.net", "changes.net"])
            cls.cluster.wait_leader()
            wait_until(lambda: all(cls.cluster.status(i).get("imported") in ("yes", True)
                                   for i in range(3)), 15, interval=0.05,
                       what="every node's first-boot import committed")
            cls.cluster.wait_settled(drained=False)
        except BaseException:
            print(cls.cluster.logs(), file=sys.stderr)
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.cluster is not None:
            cls.cluster.close()
        if os.environ.get("E2E_KEEP"):
            print(f"files kept in {cls.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    # --- helpers

    def addr(self, i):
        return self.cluster.query_addr(i)

    def serial(self, i, zone="example.com"):
        return self.cluster.query(i, zone, "SOA").message.answer[0][0].serial

    def xfr(self, i, zone="example.com", rdtype="AXFR", serial=0, **kw):
        """The messages of a transfer from node i (dnspython checks each message's TSIG)."""
        host, port = self.addr(i)
        messages = []
        for m in dns.query.xfr(host, zone, rdtype=rdtype, port=port, timeout=5, lifetime=10,
                               serial=serial, keyring=kw.get("keyring"), relativize=False,
                               keyname=kw.get("keyname", "xfr-key.") if "keyring" in kw
                               else None):
            messages.append(m)
        return messages

    def update(self, i, build, zone="example.com"):
        u = dns.update.UpdateMessage(zone)
        u.use_tsig(keyring(), keyname="xfr-key.", algorithm="hmac-sha256")
        build(u)
        host, port = self.addr(i)
        r = dns.query.tcp(u, host, port=port, timeout=6)
        self.assertEqual(dns.rcode.to_text(r.rcode()), "NOERROR")

    def wait_serial_everywhere(self, serial, zone="example.com"):
        for i in range(3):
            wait_until(lambda i=i: self.serial(i, zone) == serial, 5, interval=0.05,
                       what=f"node {i} at {zone} serial {serial}")

    def raw_tcp(self, i, q):
        host, port = self.addr(i)
        return dns.query.tcp(q, host, port=port, timeout=5)

    # --- AXFR

    def test_axfr_identical_from_every_node_with_kdig(self):
        serial = self.serial(0)
        self.wait_serial_everywhere(serial)
        sets = []
        for i in range(3):
            host, port = self.addr(i)
            p = subprocess.run(["kdig", "-p", str(port), f"@{host}", "AXFR", "example.com.",
                                "+nocomments", "+nostats"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = [ln.split() for ln in p.stdout.splitlines()
                     if ln.strip() and not ln.startswith(";")]
            self.assertEqual(lines[0][3], "SOA", lines[0])
            self.assertEqual(lines[-1][3], "SOA", lines[-1])
            self.assertEqual(lines[0], lines[-1])
            # SOA first and last, every other record exactly once.
            self.assertEqual(len(lines), BULK + 6 + 1, (i, len(lines)))
            sets.append(sorted(" ".join(ln) for ln in lines[:-1]))
        self.assertEqual(sets[0], sets[1])
        self.assertEqual(sets[0], sets[2])
        self.assertTrue(any("ns.sub.example.com." in ln for ln in sets[0]))  # glue included

    def test_axfr_is_several_messages_each_within_64k(self):
        messages = self.xfr(1)
        self.assertGreaterEqual(len(messages), 2)
        for m in messages:
            self.assertLessEqual(len(m.to_wire()), 65535)
        lines = rr_lines(messages)
        self.assertIn(" SOA ", lines[0])
        self.assertIn(" SOA ", lines[-1])
        self.assertEqual(len(lines), BULK + 7)

    def test_axfr_over_udp_is_refused(self):
        host, port = self.addr(0)
        r = dns.query.udp(dns.message.make_query("example.com", "AXFR"), host, port=port,
                          timeout=2)
        self.assertEqual(dns.rcode.to_text(r.rcode()), "REFUSED")

    # --- access control and TSIG

    def test_tsig_signed_axfr_every_message_verified(self):
        messages = self.xfr(2, keyring=keyring())
        self.assertGreaterEqual(len(messages), 2)
        self.assertTrue(all(m.had_tsig for m in messages))
        self.assertEqual(len(rr_lines(messages)), BULK + 7)

    def test_wrong_key_is_notauth(self):
        q = dns.message.make_query("example.com", "AXFR")
        q.use_tsig(keyring(WRONG_SECRET), keyname="xfr-key.", algorithm="hmac-sha256")
        host, port = self.addr(0)
        with self.assertRaises(dns.tsig.PeerBadSignature):
            dns.query.tcp(q, host, port=port, timeout=5)
        q = dns.message.make_query("keyonly.net", "AXFR")
        q.use_tsig(keyring(WRONG_SECRET, "other-key."), keyname="other-key.",
                   algorithm="hmac-sha256")
        r = self.raw_tcp(0, q)  # a known key, but not in the zone's allow_transfer
        self.assertEqual(dns.rcode.to_text(r.rcode()), "REFUSED")

    def test_zone_without_allow_transfer_is_refused(self):
        for zone in ("other.org", "keyonly.net"):  # keyonly.net: 127.0.0.1 alone is not enough
            r = self.raw_tcp(1, dns.message.make_query(zone, "AXFR"))
            self.assertEqual(dns.rcode.to_text(r.rcode()), "REFUSED", zone)
        messages = self.xfr(1, zone="keyonly.net", keyring=keyring())
        self.assertEqual(len(rr_lines(messages)), 7)

    # --- IXFR

    def test_a_signed_query_gets_a_signed_answer(self):
        # A secondary's SOA check before a refresh is signed when its primary has a key (Knot
        # signs it); the answer must be signed with the same key, over UDP and TCP, with and
        # without EDNS (dnspython verifies the answer's TSIG and refuses one without it).
        host, port = self.addr(1)
        for use_edns in (False, True):
            for send in (dns.query.udp, dns.query.tcp):
                q = dns.message.make_query("example.com.", "SOA", use_edns=use_edns)
                q.use_tsig(keyring(), keyname="xfr-key.")
                r = send(q, host, port=port, timeout=5)
                self.assertTrue(r.had_tsig, (send.__name__, use_edns))
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(r.answer[0].rdtype, dns.rdatatype.SOA)
        # An unknown key: NOTAUTH with BADKEY in an unsigned TSIG; a wrong secret: BADSIG.
        q = dns.message.make_query("example.com.", "SOA")
        q.use_tsig(keyring(name="nobody."), keyname="nobody.")
        with self.assertRaises(dns.tsig.PeerBadKey):
            dns.query.udp(q, host, port=port, timeout=5)
        q = dns.message.make_query("example.com.", "SOA")
        q.use_tsig(keyring(WRONG_SECRET), keyname="xfr-key.")
        with self.assertRaises(dns.tsig.PeerBadSignature):
            dns.query.tcp(q, host, port=port, timeout=5)
        # Unsigned queries are answered as before.
        r = dns.query.udp(dns.message.make_query("example.com.", "SOA"), host, port=port,
                          timeout=5)
        self.assertFalse(r.had_tsig)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)

    def test_a_malformed_tsig_gets_formerr_and_the_node_keeps_answering(self):
        # RFC 8945 §5.2: a TSIG that cannot be parsed, or is not the last record, is FORMERR.
        host, port = self.addr(1)
        plain = dns.message.make_query("example.com.", "SOA", use_edns=False)
        plain.id = 4242
        signed = dns.message.make_query("example.com.", "SOA", use_edns=False)
        signed.id = 4242
        signed.use_tsig(keyring(), keyname="xfr-key.")
        wire = signed.to_wire()
        prefix = plain.to_wire()
        tsig_rr = wire[len(prefix):]
        owner = len(dns.name.from_text("xfr-key.").to_wire())
        rdlen = int.from_bytes(tsig_rr[owner + 8:owner + 10], "big")
        rdata = tsig_rr[owner + 10:]
        self.assertEqual(len(rdata), rdlen)
        header = bytearray(wire[:12])
        truncated = tsig_rr[:owner + 8] + (rdlen - 6).to_bytes(2, "big") + rdata[:-6]
        opt = b"\x00" + (41).to_bytes(2, "big") + (1232).to_bytes(2, "big") + bytes(6)
        header_two = bytearray(header)
        header_two[11] = 2  # ARCOUNT: the TSIG, then an OPT after it
        cases = {
            "truncated TSIG rdata": bytes(header) + wire[12:len(prefix)] + truncated,
            "TSIG not last": bytes(header_two) + wire[12:] + opt,
        }
        for what, message in cases.items():
            with self.subTest(what):
                reply = dns.message.from_wire(self.udp_raw(host, port, message))
                self.assertEqual(reply.id, 4242)
                self.assertEqual(reply.rcode(), dns.rcode.FORMERR)
        r = dns.query.udp(dns.message.make_query("example.com.", "SOA"), host, port=port,
                          timeout=5)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)

    @staticmethod
    def udp_raw(host, port, message):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(message, (host, port))
            return s.recvfrom(65535)[0]

    def test_ixfr_gives_exactly_the_committed_diffs(self):
        zone = "changes.net"
        s0 = self.serial(0, zone)
        self.wait_serial_everywhere(s0, zone)
        # Three committed changes: two UPDATEs (through different nodes) and a console ADD.
        self.update(1, lambda u: (u.add("a", 300, "A", "192.0.2.101"),
                                  u.add("a", 300, "TXT", "hello")), zone)
        self.update(2, lambda u: (u.delete("www", "A", "192.0.2.10"),
                                  u.add("www", 300, "A", "192.0.2.11")), zone)
        self.assertTrue(self.cluster.send(0, "ADD: c.changes.net A 192.0.2.103").startswith("OK"))
        self.wait_serial_everywhere(s0 + 3, zone)
        expected = [
            (s0, s0 + 1, [], ["a.changes.net. 300 IN A 192.0.2.101",
                              'a.changes.net. 300 IN TXT "hello"']),
            (s0 + 1, s0 + 2, ["www.changes.net. 300 IN A 192.0.2.10"],
             ["www.changes.net. 300 IN A 192.0.2.11"]),
            (s0 + 2, s0 + 3, [], ["c.changes.net. 3600 IN A 192.0.2.103"]),  # console default TTL
        ]
        for i in range(3):  # every node keeps the same journal
            lines = rr_lines(self.xfr(i, zone, "IXFR", serial=s0))
            self.assertEqual(parse_ixfr(lines), expected, (i, lines))
        # From a later serial: only the diffs since, here with dig.
        host, port = self.addr(2)
        p = subprocess.run(["dig", "-p", str(port), f"@{host}", f"IXFR={s0 + 1}", zone,
                            "+nocomments", "+nostats", "+nocmd"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [" ".join(ln.split()) for ln in p.stdout.splitlines()
                 if ln.strip() and not ln.startswith(";")]
        self.assertEqual(parse_ixfr(lines), expected[1:], lines)

    def test_ixfr_current_client_gets_the_soa_alone_and_udp_gets_tc(self):
        zone = "keyonly.net."  # never changed: the serial stays
        host, port = self.addr(0)
        serial = self.serial(0, zone)
        for tcp in (False, True):
            q = dns.message.make_query(zone, "IXFR")
            q.authority.append(dns.rrset.from_text(zone, 0, "IN", "SOA", f". . {serial} 0 0 0 0"))
            q.use_tsig(keyring(), keyname="xfr-key.", algorithm="hmac-sha256")
            r = (dns.query.tcp if tcp else dns.query.udp)(q, host, port=port, timeout=3)
            self.assertEqual([rr.rdtype for rr in r.answer], [dns.rdatatype.SOA], tcp)
            self.assertEqual(r.answer[0][0].serial, serial)
        q = dns.message.make_query(zone, "IXFR")
        q.authority.append(dns.rrset.from_text(zone, 0, "IN", "SOA",
                                               f". . {serial - 1} 0 0 0 0"))
        q.use_tsig(keyring(), keyname="xfr-key.", algorithm="hmac-sha256")
        r = dns.query.udp(q, host, port=port, timeout=3)
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(r.answer, [])

    def test_ixfr_beyond_the_journal_is_the_whole_zone(self):
        serial = self.serial(1)
        lines = rr_lines(self.xfr(1, "example.com", "IXFR", serial=serial - 40))
        self.assertEqual(len(lines), BULK + 7)  # AXFR form: SOA, every record, SOA
        self.assertIn(" SOA ", lines[0])
        self.assertIn(" SOA ", lines[-1])


def parse_ixfr(lines):
    """[(from, to, removed, added)] of an incremental IXFR answer (RFC 1995 §4): current SOA,
    then per diff old SOA, removed records, new SOA, added records; current SOA last."""
    def is_soa(ln):
        return ln.split()[3] == "SOA"

    def serial(ln):
        return int(ln.split()[6])

    assert is_soa(lines[0]) and is_soa(lines[-1]) and lines[0] == lines[-1], lines
    diffs, i, body = [], 1, lines[1:-1]
    i = 0
    while i < len(body):
        assert is_soa(body[i]), body[i]
        old = serial(body[i])
        i += 1
        removed = []
        while not is_soa(body[i]):
            removed.append(body[i])
            i += 1
        new = serial(body[i])
        i += 1
        added = []
        while i < len(body) and not is_soa(body[i]):
            added.append(body[i])
            i += 1
        diffs.append((old, new, sorted(removed), sorted(added)))
    return diffs


def main():
    global BINARY
    if len(sys.argv) < 2:
        sys.exit("usage: e2e_xfr.py BUILD/dns-node [tests...]")
    BINARY = sys.argv[1]
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)


if __name__ == "__main__":
    main()
