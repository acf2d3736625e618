"""Shares one dns-node's standard input among many concurrent benchmark clients.

dns-node answers every command line with one reply line, but ADD/REMOVE replies come when the
change commits, so several commands can be in flight on one pipe; STATUS is answered at once.
Each client writes its line under a lock and waits for its own reply: ADD replies are matched to
requests first-in first-out, STATUS replies ("STATUS node=...") are routed to STATUS requests.
A node's changes commit in the order it proposed them, so the matching is exact while writes
succeed; should replies ever come out of order (an error answered before an earlier pending
write), counts stay right and only the per-request latencies mix."""

import collections
import threading
import time


class Pending:
    """One request in flight: the reply line once it arrives (None if the node went away)."""

    def __init__(self):
        self.event = threading.Event()
        self.reply = None
        self.resolved_at = None  # time.perf_counter() when the reply arrived

    def resolve(self, reply):
        self.reply = reply
        self.resolved_at = time.perf_counter()
        self.event.set()

    def wait(self, timeout):
        return self.reply if self.event.wait(timeout) else None


class ConsoleMux:
    """Request/reply over a node's stdin/stdout pipes; feed() is called with every stdout line
    by the one thread that reads them, close() when the process is gone."""

    def __init__(self, write_line):
        self._write_line = write_line  # sends one line (newline added) to the node's stdin
        self._lock = threading.Lock()
        self._changes = collections.deque()
        self._statuses = collections.deque()
        self._closed = False
        self.other_lines = []  # ready/leader lines and anything unexpected, for the log

    def request(self, line: str, timeout: float = 10.0):
        """Sends one command; returns its reply line, or None after `timeout` or if the node died.
        A timed-out request stays queued so later replies still match their requests."""
        return self.submit(line).wait(timeout)

    def submit(self, line: str) -> Pending:
        """Sends one command without waiting; the Pending resolves with its reply."""
        pending = Pending()
        is_status = line.strip() == "STATUS"
        with self._lock:
            if self._closed:
                pending.resolve(None)
                return pending
            (self._statuses if is_status else self._changes).append(pending)
            try:
                self._write_line(line)
            except (OSError, ValueError):  # broken pipe: the node was killed
                self._closed = True
                self._fail_all()
        return pending

    def feed(self, line: str):
        with self._lock:
            if line.startswith("STATUS "):
                if self._statuses:
                    self._statuses.popleft().resolve(line)
                return
            if line.startswith(("OK", "NOOP", "ERROR")) and self._changes:
                self._changes.popleft().resolve(line)
                return
            self.other_lines.append(line)

    def close(self):
        with self._lock:
            self._closed = True
            self._fail_all()

    def _fail_all(self):
        for queue in (self._changes, self._statuses):
            while queue:
                queue.popleft().resolve(None)
