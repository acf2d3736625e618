"""What both timeline experiments need around the measurement: progress lines, a temporary
directory removed at the end, SIGTERM handled like Ctrl-C, and CSV writing."""

import csv
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path


class Progress:
    """Prints a progress line with the seconds since the start, flushed at once."""

    def __init__(self, name: str):
        self.name = name
        self.started = time.perf_counter()

    def __call__(self, text: str):
        print(f"[{time.perf_counter() - self.started:6.1f}s] {self.name}: {text}", flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class Interrupted(Exception):
    """SIGTERM received: unwinds like KeyboardInterrupt so every node gets stopped."""


def raise_on_sigterm():
    def handler(signum, frame):
        raise Interrupted(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


class TempDir:
    """A temporary directory removed on exit unless keep is set (or set later, on failure)."""

    def __init__(self, prefix: str, keep: bool):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self.keep = keep

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.keep:
            print(f"kept {self.path} (configs, data directories, node logs)", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


def write_csv(path: Path, header: list, rows: list):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
