"""An open-loop write load: ADDs at a fixed rate over the nodes that are up."""

import threading
import time


class PacedWrites:
    """A thread typing `ADD: <tag>-<k>.example.com A 10.<200+c>.<k/256>.<k%256>` into the up
    nodes in turn at `rate` per second, without waiting for replies (several in flight per node
    through each node's Console); counts the replies by kind at the end."""

    def __init__(self, cluster, rate: float, tag: str):
        if not 0 < rate <= 5000:
            raise ValueError("write rate must be in (0, 5000] per second")
        self.cluster = cluster
        self.rate = rate
        self.tag = tag
        self.pendings = []
        self.skipped = 0  # writes not issued on time because no node was up or we lagged
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="paced-writes")

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        period = 1.0 / self.rate
        next_at = time.perf_counter()
        k = 0
        while not self._stop.is_set():
            now = time.perf_counter()
            if now - next_at > 1.0:  # starved for a second: skip, do not burst
                missed = int((now - next_at) / period)
                self.skipped += missed
                next_at += missed * period
            while next_at <= now:
                up = self.cluster.up_nodes()
                if up:
                    node = up[k % len(up)]
                    name = f"{self.tag}-{k}.example.com"
                    address = f"10.{200 + k // 65536 % 50}.{k // 256 % 256}.{k % 256}"
                    self.pendings.append(
                        self.cluster.console(node).submit(f"ADD: {name} A {address}"))
                    k += 1
                else:
                    self.skipped += 1
                next_at += period
            self._stop.wait(max(0.0, next_at - time.perf_counter()))

    def stop(self, reply_timeout: float = 10.0) -> dict:
        """Stops issuing; waits (bounded) for the replies in flight; counts of ok, no_quorum,
        error, no_reply (node killed, or no reply within reply_timeout)."""
        self._stop.set()
        self._thread.join(timeout=5)
        deadline = time.perf_counter() + reply_timeout
        counts = {"issued": len(self.pendings), "ok": 0, "no_quorum": 0, "error": 0,
                  "no_reply": 0, "skipped": self.skipped}
        for pending in self.pendings:
            reply = pending.wait(max(0.0, deadline - time.perf_counter()))
            if reply is None:
                counts["no_reply"] += 1
            elif reply.startswith(("OK", "NOOP")):
                counts["ok"] += 1
            elif reply.startswith("ERROR no quorum"):
                counts["no_quorum"] += 1
            else:
                counts["error"] += 1
        return counts
