"""Free loopback ports for the processes cluster_bench starts."""

import socket

_handed_out: set = set()


def free_tcp_port() -> int:
    """A TCP and UDP port free on 127.0.0.1 right now and not handed out before in this run
    (the kernel may offer a just-released port again before its owner has bound it)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free loopback port")
