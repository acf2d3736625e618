"""Starts and stops a real dns-node for end-to-end tests, always bounded in time."""

import ctypes
import queue
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

READY = re.compile(r"^dns-node: serving .* on 127\.0\.0\.1:(\d+) udp\+tcp")


def _die_with_parent():
    # If the test runner is killed (e.g. a ctest timeout), take the server down with it.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    """A loopback port free for UDP and TCP right now (bind port 0, then release it)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port")


class DnsNode:
    """One dns-node process. stderr goes to a file (log_text()), stdout is read for the ready
    line. stop() is safe to call twice and always leaves no process behind."""

    def __init__(self, binary, args, port=None):
        self.port = port if port is not None else free_port()
        self.args = [binary, *args, "--listen", f"127.0.0.1:{self.port}"]
        self._stderr = tempfile.NamedTemporaryFile(prefix="dns-node-", suffix=".log")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, preexec_fn=_die_with_parent)
        self._lines = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.ready_line = None

    def _read_stdout(self):
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def wait_ready(self, timeout=15.0):
        """Returns the ready line; raises if the process exits or is not ready in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise RuntimeError(f"dns-node exited with {self.proc.returncode} before ready: "
                                   f"{self.log_text()}")
            if READY.match(line):
                self.ready_line = line
                return line
        raise RuntimeError(f"dns-node not ready after {timeout}s: {self.log_text()}")

    def log_text(self):
        with open(self._stderr.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log_text()):
                return True
            time.sleep(0.05)
        return False

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stops the process; returns its exit code (kills it if it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        self._stderr.close()
        return self.proc.returncode


def run_to_exit(binary, args, timeout=15.0):
    """Runs dns-node expecting it to exit on its own: (exit code, stdout, stderr)."""
    try:
        done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"dns-node {args} did not exit within {timeout}s") from e
    return done.returncode, done.stdout, done.stderr
