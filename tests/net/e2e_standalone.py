"""End-to-end tests of `dns-node --standalone` with dnspython, dig and kdig.

Usage: /usr/bin/python3 e2e_standalone.py BUILD/dns-node ZONE_FILES_DIR
ZONE_FILES_DIR holds the 2017 prototype's zf0.txt..zf2.txt (tests/data/prototype in the repository).
Starts real dns-node processes on free loopback ports; every query and every process wait has a
timeout, and every process is stopped even when a test fails.
"""

import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pylib"))
from raftdns.node import StandaloneNode, run_to_exit  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_ZONE = os.path.join(HERE, "zones", "e2e.zone")
BINARY = None  # set from argv in main
ZONE_FILES = None
TIMEOUT = 3.0

# One server for the read-only tests (starting one per test would only cost time).
node = None


def setUpModule():
    global node
    node = StandaloneNode(BINARY, ["--standalone", "-z", TEST_ZONE, "--threads", "2"])
    try:
        node.wait_ready()
    except Exception:
        node.stop()
        raise


def tearDownModule():
    if node is not None:
        node.stop()


def query(name, rdtype, tcp=False, port=None, edns_version=None, **kwargs):
    q = dns.message.make_query(name, rdtype, **kwargs)
    if edns_version is not None:
        q.use_edns(edns=edns_version)  # make_query reads use_edns=1 as True, i.e. version 0
    port = port or node.port
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=TIMEOUT)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=TIMEOUT, ignore_trailing=False)


def rdata_texts(response, section="answer", rdtype=None):
    out = set()
    for rrset in getattr(response, section):
        if rdtype is None or rrset.rdtype == rdtype:
            out.update(rd.to_text() for rd in rrset)
    return out


def run_tool(args, timeout=15):
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return done.stdout


class AnswerTypes(unittest.TestCase):
    """Every supported type, over UDP and over TCP."""

    CASES = [
        ("www.example.test.", "A", {"192.0.2.80"}),
        ("www.example.test.", "AAAA", {"2001:db8::80"}),
        ("example.test.", "NS", {"ns1.example.test.", "ns2.example.test."}),
        ("alias.example.test.", "CNAME", {"www.example.test."}),
        ("example.test.", "SOA",
         {"ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 60"}),
        ("example.test.", "MX", {"10 mail.example.test.", "20 mail2.example.net."}),
        ("text.example.test.", "TXT", {'"first string" "second string"'}),
        ("ptr.example.test.", "PTR", {"www.example.test."}),
        ("_sip._udp.example.test.", "SRV", {"10 60 5060 sip.example.test."}),
        ("example.test.", "CAA", {'0 issue "ca.example.net"'}),
        ("unknown.example.test.", "TYPE65280", {"\\# 4 0a000001"}),
    ]

    def test_every_type_over_udp_and_tcp(self):
        for tcp in (False, True):
            for name, rdtype, expected in self.CASES:
                with self.subTest(name=name, rdtype=rdtype, tcp=tcp):
                    r = query(name, rdtype, tcp=tcp)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertFalse(r.flags & dns.flags.RA)
                    self.assertEqual(rdata_texts(r), expected)
                    self.assertEqual(r.answer[0].ttl, 300)

    def test_mx_answer_carries_address_of_exchange_in_additional(self):
        r = query("example.test.", "MX")
        self.assertIn("192.0.2.25", rdata_texts(r, "additional", dns.rdatatype.A))

    def test_cname_is_followed_to_the_address(self):
        r = query("alias.example.test.", "A")
        self.assertEqual(rdata_texts(r, rdtype=dns.rdatatype.CNAME), {"www.example.test."})
        self.assertEqual(rdata_texts(r, rdtype=dns.rdatatype.A), {"192.0.2.80"})


class NegativeAnswers(unittest.TestCase):
    def assert_soa_in_authority(self, r):
        self.assertEqual(len(r.authority), 1)
        self.assertEqual(r.authority[0].rdtype, dns.rdatatype.SOA)
        self.assertEqual(r.authority[0].name.to_text(), "example.test.")
        self.assertEqual(r.authority[0].ttl, 60)  # min(SOA TTL, SOA minimum)

    def test_nxdomain_carries_soa_and_aa(self):
        for tcp in (False, True):
            r = query("nope.example.test.", "A", tcp=tcp)
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            self.assertTrue(r.flags & dns.flags.AA)
            self.assertEqual(r.answer, [])
            self.assert_soa_in_authority(r)

    def test_nodata_carries_soa(self):
        r = query("www.example.test.", "MX")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual(r.answer, [])
        self.assert_soa_in_authority(r)

    def test_empty_non_terminal_is_nodata(self):
        r = query("empty.example.test.", "A")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assert_soa_in_authority(r)

    def test_name_outside_our_zones_is_refused(self):
        r = query("www.example.invalid.", "A")
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        self.assertFalse(r.flags & dns.flags.AA)


class NameHandling(unittest.TestCase):
    def test_query_case_is_preserved(self):
        r = query("WwW.ExAmPlE.TeSt.", "A")
        self.assertEqual(r.question[0].name.to_text(), "WwW.ExAmPlE.TeSt.")
        self.assertEqual(r.answer[0].name.to_text(), "WwW.ExAmPlE.TeSt.")
        self.assertEqual(rdata_texts(r), {"192.0.2.80"})

    def test_wildcard_synthesizes_the_query_name(self):
        r = query("anything.wild.example.test.", "A")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual(r.answer[0].name.to_text(), "anything.wild.example.test.")
        self.assertEqual(rdata_texts(r), {"192.0.2.99"})

    def test_delegation_is_a_referral_with_glue(self):
        r = query("host.sub.example.test.", "A")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertFalse(r.flags & dns.flags.AA)
        self.assertEqual(r.answer, [])
        self.assertEqual(r.authority[0].name.to_text(), "sub.example.test.")
        self.assertEqual(rdata_texts(r, "authority", dns.rdatatype.NS), {"ns.sub.example.test."})
        self.assertEqual(rdata_texts(r, "additional", dns.rdatatype.A), {"192.0.2.53"})


class Edns(unittest.TestCase):
    def test_opt_is_echoed_with_our_payload_size(self):
        r = query("www.example.test.", "A", use_edns=0, payload=4096)
        self.assertEqual(r.edns, 0)
        self.assertEqual(r.payload, 1232)

    def test_unknown_edns_version_gets_badvers(self):
        r = query("www.example.test.", "A", edns_version=1)
        self.assertEqual(r.rcode(), dns.rcode.BADVERS)
        self.assertEqual(r.edns, 0)


class Truncation(unittest.TestCase):
    def test_udp_answer_too_big_sets_tc(self):
        for kwargs in ({}, {"use_edns": 0, "payload": 1232}):
            r = query("big.example.test.", "TXT", **kwargs)
            self.assertTrue(r.flags & dns.flags.TC, kwargs)
            self.assertEqual(r.answer, [])

    def test_tcp_carries_the_whole_answer(self):
        r = query("big.example.test.", "TXT", tcp=True)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(rdata_texts(r)), 40)

    def test_dig_sees_tc_and_retries_over_tcp(self):
        base = ["dig", "@127.0.0.1", "-p", str(node.port), "+norec", "+time=3", "+tries=1",
                "big.example.test.", "TXT"]
        ignored = run_tool(base + ["+ignore"])
        self.assertRegex(ignored, r"flags:[^;]*\btc\b")
        retried = run_tool(base)
        self.assertIn("Truncated, retrying in TCP mode", retried)
        self.assertRegex(retried, r"ANSWER: 40,")
        self.assertIn("(TCP)", retried)


class OtherClients(unittest.TestCase):
    def test_kdig_over_udp_and_tcp(self):
        for transport in ("+notcp", "+tcp"):
            out = run_tool(["kdig", "@127.0.0.1", "-p", str(node.port), transport, "+time=3",
                            "+retry=0", "www.example.test.", "A"])
            self.assertIn("status: NOERROR", out, transport)
            self.assertRegex(out, r"www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80")
            self.assertRegex(out, r"(?i)flags: qr aa")


def tcp_connect():
    s = socket.create_connection(("127.0.0.1", node.port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def recv_exact(s, size):
    data = b""
    while len(data) < size:
        chunk = s.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed by server")
        data += chunk
    return data


def recv_message(s):
    (length,) = struct.unpack("!H", recv_exact(s, 2))
    return dns.message.from_wire(recv_exact(s, length))


def framed(wire):
    return struct.pack("!H", len(wire)) + wire


class Pipelining(unittest.TestCase):
    def test_queries_sent_at_once_are_answered_in_order(self):
        names = [f"{n}.example.test." for n in ("www", "ns1", "ns2", "mail", "sip", "nope")] * 3
        queries = [dns.message.make_query(name, "A", id=1000 + i) for i, name in enumerate(names)]
        with tcp_connect() as s:
            s.sendall(b"".join(framed(q.to_wire()) for q in queries))
            for q in queries:
                r = recv_message(s)
                self.assertEqual(r.id, q.id)
                self.assertEqual(r.question[0].name, q.question[0].name)


class MalformedInput(unittest.TestCase):
    def assert_still_answers(self):
        r = query("www.example.test.", "A")
        self.assertEqual(rdata_texts(r), {"192.0.2.80"})

    def test_garbage_udp_then_normal_query(self):
        rng = random.Random(2)
        header = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 0, 0)
        packets = [b"", b"\x00", b"\xff" * 11, header,  # header promising a missing question
                   header + b"\xc0\x0c\x00\x01\x00\x01",  # compression pointer loop
                   header + b"\x3fabc",  # label longer than the packet
                   struct.pack("!HHHHHH", 7, 0x8000, 1, 0, 0, 0)]  # a response (QR=1)
        packets += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
                    for _ in range(200)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for p in packets:
                s.sendto(p, ("127.0.0.1", node.port))
        self.assert_still_answers()

    def test_malformed_query_gets_formerr_with_its_id(self):
        header = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 0, 0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(TIMEOUT)
            s.sendto(header + b"\x03www\x00\x00", ("127.0.0.1", node.port))  # truncated question
            data = s.recv(65535)
        id_, flags = struct.unpack("!HH", data[:4])
        self.assertEqual(id_, 0x4242)
        self.assertTrue(flags & 0x8000)
        self.assertEqual(flags & 0xF, dns.rcode.FORMERR)

    def test_garbage_tcp_frame_keeps_the_connection(self):
        garbage = struct.pack("!HHHHHH", 0x5151, 0, 1, 0, 0, 0) + b"\x05ab"
        good = dns.message.make_query("www.example.test.", "A", id=0x5252)
        with tcp_connect() as s:
            s.sendall(framed(garbage) + framed(good.to_wire()))
            (length,) = struct.unpack("!H", recv_exact(s, 2))
            formerr = recv_exact(s, length)
            self.assertEqual(struct.unpack("!H", formerr[:2])[0], 0x5151)
            self.assertEqual(struct.unpack("!H", formerr[2:4])[0] & 0xF, dns.rcode.FORMERR)
            self.assertEqual(recv_message(s).id, 0x5252)

    def test_bad_framing_closes_only_that_connection(self):
        with tcp_connect() as s:
            s.sendall(b"\x00\x00")  # zero-length frame
            self.assertEqual(s.recv(10), b"")
        r = query("www.example.test.", "A", tcp=True)
        self.assertEqual(rdata_texts(r), {"192.0.2.80"})
        self.assert_still_answers()


class TcpLimits(unittest.TestCase):
    """--tcp-idle-timeout and --max-tcp-connections reach the server."""

    def test_idle_timeout_and_connection_limit(self):
        server = StandaloneNode(BINARY, ["--standalone", "-z", TEST_ZONE, "--threads", "1",
                                         "--tcp-idle-timeout", "0.3", "--max-tcp-connections", "2"])
        self.addCleanup(server.stop)
        server.wait_ready()
        good = dns.message.make_query("www.example.test.", "A")
        conns = []
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
            self.addCleanup(s.close)
            s.settimeout(TIMEOUT)
            s.sendall(framed(good.to_wire()))
            self.assertEqual(recv_message(s).id, good.id)
            conns.append(s)
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as third:
            third.settimeout(TIMEOUT)
            try:
                self.assertEqual(third.recv(10), b"")  # closed at once: over the limit
            except ConnectionResetError:
                pass
        # Both idle connections are closed after 0.3 s (well before the 3 s recv timeout).
        for s in conns:
            self.assertEqual(s.recv(10), b"")


class PrototypeZoneFiles(unittest.TestCase):
    """The 2017 prototype's three zone files, served unchanged."""

    def prototype_records(self, path):
        records = {}
        with open(path) as f:
            for line in f:
                if not line.strip() or line.startswith("#") or line[0] in " \t":
                    continue
                name, rdtype, value = line.split(None, 2)
                records.setdefault((name.rstrip(".") + ".", rdtype), []).append(value.strip())
        return records

    def test_every_record_of_zf0_to_zf2_is_served(self):
        files = [os.path.join(ZONE_FILES, f"zf{i}.txt") for i in range(3)]
        server = StandaloneNode(BINARY, ["--standalone", "--threads", "1"] +
                                [arg for f in files for arg in ("-z", f)])
        try:
            ready = server.wait_ready()
            self.assertRegex(ready, r"serving 3 zones \(27 records\)")
            for path in files:
                for (name, rdtype), values in self.prototype_records(path).items():
                    with self.subTest(name=name, rdtype=rdtype):
                        r = query(name, rdtype, port=server.port)
                        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                        self.assertTrue(r.flags & dns.flags.AA)
                        got = [rrset for rrset in r.answer
                               if rrset.rdtype == dns.rdatatype.from_text(rdtype)]
                        self.assertEqual(len(got), 1)
                        self.assertEqual(len(got[0]), len(values))
                        if rdtype in ("A", "NS", "CNAME"):
                            self.assertEqual({rd.to_text().rstrip(".") for rd in got[0]},
                                             {v.rstrip(".") for v in values})
                        if rdtype == "TXT":
                            self.assertEqual({rd.strings[0].decode() for rd in got[0]},
                                             set(values))
            r = query("www.example.com.", "A", port=server.port)
            self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            self.assertEqual(r.authority[0].rdtype, dns.rdatatype.SOA)
        finally:
            self.assertEqual(server.stop(), 0)


RELOAD_ZONE = """$ORIGIN reload.test.
@    300 IN SOA ns1 hostmaster 1 3600 600 86400 60
     IN NS ns1
ns1  IN A 192.0.2.1
v1   IN A 192.0.2.10
"""


class Reload(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dns-node-reload-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.zone = os.path.join(self.dir, "reload.zone")
        self.write(RELOAD_ZONE)
        self.server = StandaloneNode(BINARY, ["--standalone", "-z", self.zone, "--threads", "2"])
        self.addCleanup(self.server.stop)
        self.server.wait_ready()

    def write(self, text):
        with open(self.zone + ".tmp", "w") as f:
            f.write(text)
        os.replace(self.zone + ".tmp", self.zone)

    def lookup(self, name):
        return query(name, "A", port=self.server.port)

    def wait_for_answer(self, name, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.lookup(name).rcode() == dns.rcode.NOERROR:
                return True
            time.sleep(0.05)
        return False

    def test_sighup_publishes_new_data_and_keeps_old_data_when_broken(self):
        self.assertEqual(self.lookup("v2.reload.test.").rcode(), dns.rcode.NXDOMAIN)
        self.write(RELOAD_ZONE + "v2 IN A 192.0.2.20\n")
        self.server.send_signal(signal.SIGHUP)
        self.assertTrue(self.wait_for_answer("v2.reload.test."))
        self.assertEqual(rdata_texts(self.lookup("v2.reload.test.")), {"192.0.2.20"})

        self.write(RELOAD_ZONE + "v2 IN A 192.0.2.20\nv3 IN A 300.1.2.3\n")
        self.server.send_signal(signal.SIGHUP)
        self.assertTrue(self.server.wait_for_log(r"reload failed.*reload\.zone:7: "),
                        self.server.log_text())
        self.assertEqual(rdata_texts(self.lookup("v2.reload.test.")), {"192.0.2.20"})
        self.assertEqual(self.lookup("v3.reload.test.").rcode(), dns.rcode.NXDOMAIN)
        self.assertIsNone(self.server.proc.poll())

    def test_queries_are_answered_throughout_reloads(self):
        failures = []
        answered = [0]
        stop = threading.Event()

        def ask():
            while not stop.is_set():
                try:
                    r = self.lookup("v1.reload.test.")
                    if rdata_texts(r) != {"192.0.2.10"}:
                        failures.append(r.to_text())
                    answered[0] += 1
                except Exception as e:  # a timeout is a dropped query
                    failures.append(repr(e))

        t = threading.Thread(target=ask)
        t.start()
        try:
            for i in range(10):
                self.write(RELOAD_ZONE + f"extra{i} IN A 192.0.2.{30 + i}\n")
                self.server.send_signal(signal.SIGHUP)
                time.sleep(0.1)
        finally:
            stop.set()
            t.join(timeout=10)
        self.assertEqual(failures, [])
        self.assertGreater(answered[0], 10)
        self.assertTrue(self.wait_for_answer("extra9.reload.test."))


class StartupAndShutdown(unittest.TestCase):
    def assert_one_line_error(self, args, pattern):
        code, out, err = run_to_exit(BINARY, args)
        self.assertEqual(code, 1, err)
        self.assertEqual(out, "")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], pattern)

    def test_bad_zone_file_names_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.zone")
            with open(path, "w") as f:
                f.write("$ORIGIN bad.test.\n@ 300 IN SOA ns1 host 1 2 3 4 5\nwww IN A 999.1.1.1\n")
            self.assert_one_line_error(["--standalone", "-z", path],
                                       r"^dns-node: .*bad\.zone:3: \S")

    def test_unreadable_zone_file(self):
        self.assert_one_line_error(["--standalone", "-z", "/nonexistent/x.zone"],
                                   r"^dns-node: cannot read /nonexistent/x\.zone: no such file")

    def test_busy_port(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
            holder.bind(("127.0.0.1", 0))
            port = holder.getsockname()[1]
            self.assert_one_line_error(
                ["--standalone", "-z", TEST_ZONE, "--listen", f"127.0.0.1:{port}"],
                rf"^dns-node: 127\.0\.0\.1:{port}: address already in use$")

    def test_second_node_on_same_port_is_refused(self):
        self.assert_one_line_error(
            ["--standalone", "-z", TEST_ZONE, "--listen", f"127.0.0.1:{node.port}"],
            rf"^dns-node: 127\.0\.0\.1:{node.port}: address already in use$")

    def test_bad_flags(self):
        for args, pattern in [
            (["--standalone", "-z", TEST_ZONE, "--threads", "abc"], r"^dns-node: .*threads"),
            (["--standalone", "-z", TEST_ZONE, "--bogus"], r"^dns-node: .*--bogus"),
            (["--standalone", "-z", TEST_ZONE, "--listen", "localhost"],
             r"^dns-node: bad listen address 'localhost'"),
            (["--standalone"], r"^dns-node: .*zone file"),
            (["--standalone", "-z", TEST_ZONE, "--log-level", "loud"], r"^dns-node: .*log-level"),
            (["--standalone", "-z", TEST_ZONE, "--batch-wait", "-5"], r"^dns-node: .*batch-wait"),
            (["--standalone", "-z", TEST_ZONE, "--batch-wait", "soon"], r"^dns-node: .*batch-wait"),
            (["--standalone", "-z", TEST_ZONE, "--batch-wait", "200000"],
             r"^dns-node: .*batch-wait"),
        ]:
            with self.subTest(args=args):
                self.assert_one_line_error(args, pattern)

    def test_help_reads_like_a_manual(self):
        code, out, _ = run_to_exit(BINARY, ["--help"])
        self.assertEqual(code, 0)
        for section in ("NAME", "SYNOPSIS", "OPTIONS", "SIGNALS", "EXAMPLES"):
            self.assertRegex(out, rf"(?m)^{section}$")
        self.assertIn("--standalone", out)

    def test_sigint_and_sigterm_exit_cleanly(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(signal=sig):
                server = StandaloneNode(BINARY, ["--standalone", "-z", TEST_ZONE, "--threads", "2"])
                try:
                    server.wait_ready()
                    self.assertRegex(server.ready_line,
                                     r"^dns-node: serving 1 zone \(\d+ records\) on "
                                     rf"127\.0\.0\.1:{server.port} udp\+tcp with 2 threads$")
                    query("www.example.test.", "A", port=server.port, tcp=True)
                finally:
                    code = server.stop(sig)
                self.assertEqual(code, 0)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: e2e_standalone.py DNS_NODE ZONE_FILES_DIR [unittest args]")
    BINARY = os.path.abspath(sys.argv[1])
    ZONE_FILES = os.path.abspath(sys.argv[2])
    if not os.path.exists(os.path.join(ZONE_FILES, "zf0.txt")):
        sys.exit(f"e2e_standalone.py: no zf0.txt in {ZONE_FILES} (expected tests/data/prototype)")
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
