"""One dns-node process (cluster member or --standalone), always bounded in time: its ready
line, its console, its log, and a stop that leaves no process behind."""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time

from raftdns import control
from raftdns.console import Console
from raftdns.processes import forget, free_port, spawn, tail

# "dns-node: node 1 serving 3 zones (27 records) on 127.0.0.1:5301 udp+tcp with 2 threads", or
# without "node N " for --standalone.
READY = re.compile(r"^dns-node: (?:node (\d+) )?serving .* on (\S+) udp\+tcp")
INITIALIZING = "Initializing raft..."
INITIALIZED = re.compile(r"^Raft initialized: leader is node (\d+) \(term (\d+)\)")


class NodeProcess:
    """A dns-node process: stdin and stdout through a Console (read by a thread), stderr
    appended to log_path (a "==== start" line before each start, so the file survives
    restarts). The lines the node prints by itself (ready, Initializing, initialized) are kept
    apart in `announcements`.

    With control_socket set, the node runs as a daemon would: standard input is /dev/null and
    send() goes through the control socket at that path instead. `env` adds environment
    variables (e.g. NOTIFY_SOCKET)."""

    def __init__(self, args, log_path, name="dns-node", control_socket=None, env=None):
        self.args = [str(a) for a in args]
        self.log_path = str(log_path)
        self.name = name
        self.ready = threading.Event()
        self.initialized = threading.Event()
        self.exited = threading.Event()
        self.ready_line = None
        self.initialized_line = None
        self.announcements = []
        self.stopping = False  # set before a stop signal: clients should send no more work
        self.control_socket = control_socket
        with open(self.log_path, "ab") as log:
            log.write(f"==== start {' '.join(self.args)}\n".encode())
            log.flush()
            self.proc = spawn(self.args,
                              stdin=subprocess.DEVNULL if control_socket else subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=log,
                              env={**os.environ, **env} if env else None)
        # Without stdin the console only collects stray output lines (see Console.unanswered).
        self.console = Console(self.proc.stdin)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True,
                                        name=f"{name}-stdout")
        self._reader.start()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if READY.match(line):
                self.announcements.append(line)
                self.ready_line = line
                self.ready.set()
            elif INITIALIZED.match(line):
                self.announcements.append(line)
                self.initialized_line = line
                self.initialized.set()
            elif line == INITIALIZING:
                self.announcements.append(line)
            else:
                self.console.feed(line)
        self.console.close()
        self.exited.set()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def up(self):
        """Ready, running and not being stopped: where clients may send work."""
        return self.ready.is_set() and not self.stopping and self.alive()

    def wait_ready(self, timeout):
        """The ready line; kills the process and raises RuntimeError (with the log's tail) if it
        exits first or is not ready within `timeout` s."""
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.05):
            if self.exited.is_set() or time.monotonic() > deadline:
                exited = self.exited.is_set()
                log = tail(self.log_path)  # before stop(): a StandaloneNode removes its log
                code = self.stop(signal.SIGKILL)
                what = f"exited with {code}" if exited else "not ready"
                raise RuntimeError(f"{self.name} {what} (within {timeout}s): "
                                   f"{' '.join(self.args)}\n{log}")
        return self.ready_line

    def send(self, line, timeout):
        """Sends one console line (str, or bytes for garbage); returns its reply line. Raises
        TimeoutError if none comes within `timeout` s or the process ends first."""
        if self.control_socket:
            try:
                return control.request(self.control_socket, line, timeout)
            except OSError as e:
                if isinstance(e, TimeoutError):
                    raise TimeoutError(f"{self.name}: no reply within {timeout}s to "
                                       f"{str(line)[:80]!r} on {self.control_socket}") from e
                raise
        reply = self.console.request(line, timeout)
        if reply is None:
            why = "exited before replying" if self.exited.is_set() else \
                f"no reply within {timeout}s (alive={self.alive()})"
            raise TimeoutError(f"{self.name}: {why} to {str(line)[:80]!r}")
        return reply

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=10.0):
        """Whether the log matches the regex `pattern` within `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log_text()):
                return True
            time.sleep(0.05)
        return False

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the process and waits for it (SIGKILL if it does not exit within `timeout`
        s); returns the exit code. Safe to call twice."""
        self.stopping = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is None:
                continue
            try:
                pipe.close()
            except (OSError, ValueError):
                pass  # stdin of a dead process: EPIPE on flush
        forget(self.proc)
        return self.proc.returncode


class StandaloneNode(NodeProcess):
    """`dns-node ARGS --listen 127.0.0.1:PORT` (a free port unless given), logging to a
    temporary file that stop() removes."""

    def __init__(self, binary, args, port=None):
        self.port = port if port is not None else free_port()
        fd, log_path = tempfile.mkstemp(prefix="dns-node-", suffix=".log")
        os.close(fd)
        super().__init__([binary, *args, "--listen", f"127.0.0.1:{self.port}"], log_path)

    def wait_ready(self, timeout=15.0):
        return super().wait_ready(timeout)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        code = super().stop(sig, timeout)
        try:
            os.unlink(self.log_path)
        except FileNotFoundError:
            pass
        return code


def run_to_exit(binary, args, timeout=15.0):
    """Runs dns-node expecting it to exit on its own: (exit code, stdout, stderr)."""
    try:
        done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"dns-node {args} did not exit within {timeout}s") from e
    return done.returncode, done.stdout, done.stderr
