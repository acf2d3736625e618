"""Request/reply over one dns-node's console (standard input and output), shared by any number
of concurrent clients, and the parsing of its STATUS reply.

dns-node answers each command line with one reply line, but ADD/REMOVE replies come when the
change commits, so several commands can be in flight; STATUS and lines it cannot parse are
answered at once. Replies are matched to requests thus:
  - "STATUS ..." to the STATUS requests, first in first out;
  - "ERROR line N: ..." (a line the node could not parse) to the request written as line N;
  - "OK ...", "NOOP ...", any other "ERROR ..." to the other requests, first in first out.
A node's changes commit in the order it proposed them, so the matching is exact while writes
succeed; a refusal without a line number answered before an earlier pending write (e.g. a
record of class CH) would swap two replies. A request whose wait timed out stays queued, so a
late reply still goes to it and not to the next request."""

import collections
import re
import threading
import time

_PARSE_ERROR = re.compile(r"^ERROR line (\d+): ")


class Pending:
    """One request in flight: the reply line once it arrives (None if the node went away)."""

    def __init__(self, line_number):
        self.line_number = line_number
        self.event = threading.Event()
        self.reply = None
        self.resolved_at = None  # time.perf_counter() when the reply arrived

    def resolve(self, reply):
        self.reply = reply
        self.resolved_at = time.perf_counter()
        self.event.set()

    def wait(self, timeout):
        """The reply line, or None after `timeout` s or if the node went away."""
        return self.reply if self.event.wait(timeout) else None


class Console:
    """One dns-node process's console: submit() writes a command line and returns its Pending;
    feed() is called with every reply line by the one thread that reads stdout, close() when
    the process is gone."""

    def __init__(self, stdin):
        self._stdin = stdin  # the process's binary standard input
        self._write_lock = threading.Lock()  # keeps line numbers in the order lines are written
        self._lock = threading.Lock()  # the queues below
        self._lines_written = 0
        self._changes = collections.deque()
        self._statuses = collections.deque()
        self._closed = False
        self.unanswered = []  # reply lines that matched no request
        self.last_line_at = time.monotonic()

    def submit(self, line) -> Pending:
        """Sends one command line (str, or bytes as they are, e.g. garbage) without waiting."""
        data = line if isinstance(line, bytes) else line.encode()
        if b"\n" in data:
            raise ValueError(f"a console command is one line: {line[:80]!r}")
        is_status = data.strip().upper() == b"STATUS"
        with self._write_lock:
            with self._lock:
                self._lines_written += 1
                pending = Pending(self._lines_written)
                if self._closed:
                    pending.resolve(None)
                    return pending
                (self._statuses if is_status else self._changes).append(pending)
            try:
                self._stdin.write(data + b"\n")
                self._stdin.flush()
            except (OSError, ValueError):  # broken pipe: the node was killed
                self.close()
        return pending

    def request(self, line, timeout=10.0):
        """Sends one command; its reply line, or None after `timeout` s or if the node died."""
        return self.submit(line).wait(timeout)

    def feed(self, line):
        with self._lock:
            self.last_line_at = time.monotonic()
            match = _PARSE_ERROR.match(line)
            if line.startswith("STATUS ") and self._statuses:
                self._statuses.popleft().resolve(line)
            elif match:
                number = int(match.group(1))
                pending = next((p for p in self._changes if p.line_number == number), None)
                if pending is None:
                    self.unanswered.append(line)
                else:
                    self._changes.remove(pending)
                    pending.resolve(line)
            elif line.startswith(("OK", "NOOP", "ERROR")) and self._changes:
                self._changes.popleft().resolve(line)
            else:
                self.unanswered.append(line)

    def close(self):
        with self._lock:
            self._closed = True
            for queue in (self._changes, self._statuses):
                while queue:
                    queue.popleft().resolve(None)


def parse_status(line):
    """The dict of a STATUS reply: every key=value as int when numeric, acked as {node: int},
    pending_changes from "(N changes)"."""
    if not line.startswith("STATUS "):
        raise ValueError(f"not a STATUS reply: {line!r}")
    status = {}
    m = re.search(r"\((\d+) changes?\)", line)
    if m:
        status["pending_changes"] = int(m.group(1))
    for key, value in re.findall(r"(\S+?)=(\S+)", line):
        if key == "acked":
            acked = {}
            for pair in value.split(","):
                if ":" in pair:
                    node, index = pair.split(":", 1)
                    acked[int(node)] = int(index) if index.isdigit() else index
            status[key] = acked
        else:
            status[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return status
