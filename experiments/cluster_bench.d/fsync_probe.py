"""How long an fsync takes on the disk the benchmark's data directories live on, right now:
the floor under every committed write of both systems (each write waits for at least one)."""

import os
import time
from pathlib import Path

import workloads


def measure(directory: Path, count: int) -> dict:
    """Appends 200 bytes and fsyncs, `count` times; p50/p99/max in ms."""
    path = directory / "fsync-probe"
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for _ in range(count):
            os.write(fd, b"x" * 200)
            start = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        os.close(fd)
        path.unlink()
    return {"n": count, "p50": workloads.percentile(times, 50),
            "p99": workloads.percentile(times, 99), "max": max(times)}
