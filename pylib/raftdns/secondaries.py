"""Real secondary nameservers (NSD and Knot) following the cluster: each gets its own directory,
config file and free loopback port, runs in the foreground in its own process group, transfers
the zone from one cluster node (its primary) and accepts NOTIFY from 127.0.0.0/8. Also a
dnspython NOTIFY listener that records every NOTIFY it receives. Used by
tests/net/e2e_secondaries.py and experiments/propagation_xfr."""

import os
import signal
import socket
import subprocess
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype

from raftdns.processes import forget, free_port, spawn, tail

NSD = "/usr/sbin/nsd"
KNOTD = "/usr/sbin/knotd"


def _keys(*keys):
    """The distinct keys among `keys` (None skipped)."""
    out = []
    for k in keys:
        if k and k not in out:
            out.append(k)
    return out


def nsd_config(workdir, port, zone, primary, xfr_key=None, notify_key=None, reload_timeout=None):
    """NSD 4 as a secondary of `zone` ("example.com") transferring from `primary` ("ip:port"),
    signed with `xfr_key` = (name, algorithm, secret) or unsigned (NOKEY), and accepting NOTIFY
    from 127.0.0.0/8, signed with `notify_key` or unsigned. `reload_timeout`: NSD's
    xfrd-reload-timeout (default 1 s: at most one reload per second, so a transferred serial is
    served up to 1 s after the transfer; 0 serves it at once). Every path NSD would otherwise
    take from /var or /run points into workdir."""
    reload_line = ("" if reload_timeout is None else
                   f"    xfrd-reload-timeout: {reload_timeout}\n")
    host, pport = primary.rsplit(":", 1)
    key_blocks = "".join(f'key:\n    name: "{n}"\n    algorithm: {a}\n    secret: "{s}"\n'
                         for n, a, s in _keys(xfr_key, notify_key))
    return f"""server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{workdir}"
    database: ""
    zonelistfile: "{workdir}/zone.list"
    xfrdfile: "{workdir}/xfrd.state"
    xfrdir: "{workdir}"
    pidfile: "{workdir}/nsd.pid"
    logfile: "{workdir}/nsd.log"
    cookie-secret-file: "{workdir}/cookie.secret"
    verbosity: 2
{reload_line}remote-control:
    control-enable: no
{key_blocks}zone:
    name: "{zone}"
    zonefile: "{workdir}/{zone}.zone"
    request-xfr: {host}@{pport} {xfr_key[0] if xfr_key else "NOKEY"}
    allow-notify: 127.0.0.0/8 {notify_key[0] if notify_key else "NOKEY"}
"""


def knot_config(workdir, port, zone, primary, xfr_key=None, notify_key=None):
    """Knot 3 as a secondary of `zone` transferring from `primary` ("ip:port"), signed with
    `xfr_key` = (name, algorithm, secret) or unsigned, and accepting NOTIFY from 127.0.0.0/8,
    signed with `notify_key` or unsigned."""
    host, pport = primary.rsplit(":", 1)
    keys = _keys(xfr_key, notify_key)
    key_block = ("key:\n" + "".join(f"  - id: {n}\n    algorithm: {a}\n    secret: {s}\n"
                                     for n, a, s in keys)) if keys else ""
    remote_key = f"\n    key: {xfr_key[0]}" if xfr_key else ""
    acl_key = f"\n    key: {notify_key[0]}" if notify_key else ""
    return f"""server:
    rundir: "{workdir}"
    pidfile: "{workdir}/knot.pid"
    listen: 127.0.0.1@{port}
control:
    listen: "{workdir}/knot.sock"
database:
    storage: "{workdir}/db"
log:
  - target: stderr
    any: info
{key_block}remote:
  - id: cluster
    address: {host}@{pport}{remote_key}
acl:
  - id: notify_from_cluster
    address: 127.0.0.0/8{acl_key}
    action: notify
zone:
  - domain: {zone}
    storage: "{workdir}"
    file: "{zone}.zone"
    master: cluster
    acl: notify_from_cluster
    zonefile-sync: -1
"""


class Secondary:
    """One running NSD or Knot secondary on 127.0.0.1:port. stop() (or the atexit hook of
    raftdns.processes) ends it."""

    def __init__(self, kind, workdir, zone, primary, xfr_key=None, notify_key=None, port=None,
                 nsd_reload_timeout=None):
        self.kind = kind
        self.workdir = os.path.join(workdir, kind)
        os.makedirs(self.workdir, exist_ok=True)
        self.port = port or free_port()
        self.zone = zone
        conf = os.path.join(self.workdir, f"{kind}.conf")
        if kind == "nsd":
            text = nsd_config(self.workdir, self.port, zone, primary, xfr_key, notify_key,
                              nsd_reload_timeout)
            command = [NSD, "-d", "-c", conf]
        elif kind == "knot":
            os.makedirs(os.path.join(self.workdir, "db"), exist_ok=True)  # its journal lives here
            text = knot_config(self.workdir, self.port, zone, primary, xfr_key, notify_key)
            command = [KNOTD, "-c", conf]
        else:
            raise ValueError(f"unknown secondary kind {kind!r}")
        with open(conf, "w") as f:
            f.write(text)
        self.log_path = os.path.join(self.workdir, f"{kind}.out")
        self._log = open(self.log_path, "wb")
        self.proc = spawn(command, stdout=self._log, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, start_new_session=True)

    @staticmethod
    def available(kind):
        return os.access(NSD if kind == "nsd" else KNOTD, os.X_OK)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def log(self, lines=30):
        text = tail(self.log_path, lines)
        nsd_log = os.path.join(self.workdir, "nsd.log")
        if os.path.exists(nsd_log):
            text += tail(nsd_log, lines)
        return text

    def query(self, name, rdtype, timeout=0.5):
        """The secondary's answer (a dns.message.Message), or None when it does not answer."""
        try:
            return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1",
                                 port=self.port, timeout=timeout)
        except (dns.exception.Timeout, OSError):
            return None

    def serial(self):
        """The SOA serial it serves for the zone, or None (not loaded, not answering)."""
        r = self.query(self.zone, "SOA")
        if r is None or r.rcode() != dns.rcode.NOERROR or not r.answer:
            return None
        return r.answer[0][0].serial

    def has(self, name, rdtype, rdata_text):
        r = self.query(name, rdtype)
        if r is None or r.rcode() != dns.rcode.NOERROR:
            return False
        return any(rd.to_text() == rdata_text for rrset in r.answer for rd in rrset)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        forget(self.proc)
        self._log.close()


class NotifyListener:
    """A UDP socket on 127.0.0.1 that records every NOTIFY (time, source, id, zone, serial of
    the SOA hint) and answers NOERROR, except the first `drop` NOTIFYs of each serial from each
    source (a secondary that lost them: the sender must retransmit)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.notifies = []  # dicts: at, source, id, zone, serial, answered
        self.drop = 0
        self._dropped = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _run(self):
        while not self._stop.is_set():
            try:
                wire, source = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            at = time.monotonic()
            try:
                m = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            if m.opcode() != dns.opcode.NOTIFY or m.flags & dns.flags.QR:
                continue
            serial = None
            for rrset in m.answer:
                if rrset.rdtype == dns.rdatatype.SOA:
                    serial = rrset[0].serial
            zone = m.question[0].name.to_text() if m.question else None
            with self._lock:
                key = (source, serial)
                answered = self._dropped.get(key, 0) >= self.drop
                if not answered:
                    self._dropped[key] = self._dropped.get(key, 0) + 1
                self.notifies.append({"at": at, "source": source, "id": m.id, "zone": zone,
                                      "serial": serial, "aa": bool(m.flags & dns.flags.AA),
                                      "answered": answered})
            if answered:
                self.sock.sendto(dns.message.make_response(m).to_wire(), source)

    def seen(self, serial=None):
        with self._lock:
            return [n for n in self.notifies if serial is None or n["serial"] == serial]

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
