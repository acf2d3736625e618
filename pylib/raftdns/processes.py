"""Child processes that never outlive the script, free loopback ports, and the bounded wait
every launcher uses.

A process started by spawn() is killed when the Python process exits normally (atexit) and when
it is killed (PR_SET_PDEATHSIG). Spawn from the main thread: PR_SET_PDEATHSIG fires when the
*thread* that started the child exits, not the process."""

import atexit
import ctypes
import ipaddress
import random
import signal
import socket
import subprocess
import time

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

_live = set()  # every Popen started by spawn() and not yet forgotten, for atexit
_handed_out = set()  # ports free_port returned in this run
_random = random.SystemRandom()  # not the seeded module state: parallel tests must differ


def die_with_parent():
    """preexec_fn: SIGKILL this child when the thread that started it dies (e.g. a ctest
    timeout killing the test runner)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args, **popen_kwargs):
    """subprocess.Popen(args, ...) that dies with this process; forget() it once reaped."""
    proc = subprocess.Popen(args, preexec_fn=die_with_parent, **popen_kwargs)
    _live.add(proc)
    return proc


def forget(proc):
    _live.discard(proc)


@atexit.register
def _kill_leftovers():
    for proc in list(_live):
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def check_loopback(host):
    """Raises ValueError unless host is an IPv4 address in 127.0.0.0/8."""
    try:
        ok = ipaddress.ip_address(host) in LOOPBACK
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{host!r} is not a loopback address (127.0.0.0/8)")


def _bindable(host, port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _ephemeral_range():
    """The kernel's range for ports it picks itself (bind to 0, outgoing connections)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            low, high = (int(x) for x in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _candidate_ports():
    """Up to 1000 ports outside the kernel's ephemeral range, in random order. A port the kernel picked is
    also what every outgoing connection of every process on the machine may take next: a
    node's peer link or a client of a test running alongside took one between our check and
    the node's bind ("address already in use"). Ports outside the range are only taken by
    someone binding them by number."""
    low, high = _ephemeral_range()
    ports = [p for p in range(10000, 65536) if p < low or p > high]
    return _random.sample(ports, min(1000, len(ports)))


def free_port(hosts=("127.0.0.1",)):
    """A port free for TCP and UDP on every host in `hosts` (loopback addresses) right now,
    outside the kernel's ephemeral range, and not handed out before in this run."""
    for host in hosts:
        check_loopback(host)
    for port in _candidate_ports():
        if port not in _handed_out and all(_bindable(host, port) for host in hosts):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no port free on all of {list(hosts)}")


def wait_until(predicate, timeout, interval=0.02, what=None):
    """Calls predicate until it returns something truthy (mind: 0 is not) and returns it;
    raises TimeoutError (naming `what` and the last value or exception) after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # a node down or not answering yet: keep trying until the deadline
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not true after {timeout}s: {what or predicate}; last: {last!r}")
        time.sleep(interval)


def tail(path, lines=40):
    """The last lines of a text file ("" if unreadable), for error messages."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
