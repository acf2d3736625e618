"""Counts a process's durability system calls (fsync, fdatasync, rename) while a workload runs,
with `strace -c -f -p`, to explain write throughput: how many disk flushes a committed write
costs. strace slows the traced process, so these runs are separate from the measured ones."""

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

SYSCALLS = ("fsync", "fdatasync", "sync_file_range", "rename", "renameat", "renameat2")


def available() -> bool:
    return shutil.which("strace") is not None


def _parse_summary(text: str) -> dict:
    """{syscall: calls} from strace -c's table (columns: % time, seconds, usecs/call, calls,
    [errors,] syscall)."""
    counts = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in SYSCALLS and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def count_during(pid: int, workload):
    """Runs workload() with strace attached to every thread of `pid`; returns
    ({syscall: calls}, workload's result)."""
    with tempfile.NamedTemporaryFile(prefix="strace-", suffix=".txt") as out:
        tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=" + ",".join(SYSCALLS),
                                   "-o", out.name, "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            # strace reports "Process N attached" on stderr once it traces the process (or an
            # error, and exits).
            line = tracer.stderr.readline()
            if "attached" not in line:
                raise RuntimeError(f"strace could not attach to {pid}: {line.strip()}")
            result = workload()
        finally:
            tracer.send_signal(signal.SIGINT)
            try:
                tracer.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                tracer.kill()
                tracer.communicate()
        return _parse_summary(Path(out.name).read_text()), result
