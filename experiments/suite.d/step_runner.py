"""Runs one experiment step as a child process: its output is shown indented as progress and kept
in a log file; a step that outlives its timeout is stopped with its whole process group."""

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class StepResult:
    """How one step ended."""

    command: list
    returncode: int
    seconds: float
    log: Path
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _stop_group(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def run(command: list, log: Path, timeout_s: float, show, cwd: Path) -> StepResult:
    """show(line) receives every output line as it comes (stdout and stderr merged)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as log_file:
        log_file.write("$ " + " ".join(command) + "\n")
        log_file.flush()
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        except OSError as e:
            log_file.write(f"cannot start: {e}\n")
            show(f"cannot start {command[0]}: {e}")
            return StepResult(command, 127, 0.0, log, False)
        timed_out, finished = threading.Event(), threading.Event()

        def watchdog():
            if finished.wait(timeout_s):
                return
            timed_out.set()
            _stop_group(proc)

        dog = threading.Thread(target=watchdog, daemon=True)
        dog.start()
        try:
            for raw in proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                log_file.write(line + "\n")
                log_file.flush()
                show(line)
            proc.wait()
        except BaseException:
            _stop_group(proc)  # Ctrl-C or an error here: leave nothing running
            raise
        finally:
            finished.set()
        if timed_out.is_set():
            log_file.write(f"stopped after the step's timeout of {timeout_s:.0f} s\n")
            show(f"stopped after the step's timeout of {timeout_s:.0f} s")
    return StepResult(command, proc.returncode, time.monotonic() - started, log,
                      timed_out.is_set())
