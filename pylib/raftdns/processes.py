"""Child processes that never outlive the script, free loopback ports, and the bounded wait
every launcher uses.

A process started by spawn() is killed when the Python process exits normally (atexit) and when
it is killed (PR_SET_PDEATHSIG). Spawn from the main thread: PR_SET_PDEATHSIG fires when the
*thread* that started the child exits, not the process."""

import atexit
import ctypes
import ipaddress
import signal
import socket
import subprocess
import time

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

_live = set()  # every Popen started by spawn() and not yet forgotten, for atexit
_handed_out = set()  # ports free_port returned in this run


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


def free_port(hosts=("127.0.0.1",)):
    """A port free for TCP and UDP on every host in `hosts` (loopback addresses) right now and
    not handed out before in this run (the kernel may offer a just-released port again before
    its new owner has bound it)."""
    for host in hosts:
        check_loopback(host)
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
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
