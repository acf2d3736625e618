"""Commands over a dns-node's control socket (net/control_socket.h): the way to drive a node
whose standard input is /dev/null, as under systemd. One connection per request, so any number
of threads may send at once; every wait is bounded."""

import os
import socket


def _connect(sock, path):
    """connect() to a socket path; one longer than sockaddr_un allows (107 bytes) is reached
    through its directory, as dns-node and dnsctl do (net/unix_socket_path.h)."""
    if len(path.encode()) <= 107:
        sock.connect(path)
        return
    directory = os.open(os.path.dirname(path) or ".", os.O_PATH | os.O_DIRECTORY)
    try:
        sock.connect(f"/proc/self/fd/{directory}/{os.path.basename(path)}")
    finally:
        os.close(directory)


def request(path, line, timeout=10.0):
    """Sends one command line (str, or bytes as they are) to the control socket at `path` and
    returns the reply: one line, or for HELP its lines joined by "\\n" (without the final "OK").
    Raises TimeoutError when no full reply comes within `timeout` s, OSError when the socket
    cannot be reached (e.g. FileNotFoundError, ConnectionRefusedError)."""
    data = line if isinstance(line, bytes) else line.encode()
    if b"\n" in data:
        raise ValueError(f"a command is one line: {line[:80]!r}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        _connect(s, str(path))
        s.sendall(data + b"\n")
        buffer = b""
        lines = []
        while True:
            while b"\n" not in buffer:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError(f"{path}: the node closed the connection before "
                                          f"replying to {str(line)[:80]!r}")
                buffer += chunk
            raw, buffer = buffer.split(b"\n", 1)
            text = raw.decode("utf-8", errors="replace")
            if text.startswith("| ") or text == "|":
                lines.append(text[2:])
                continue
            if not lines or text != "OK":
                lines.append(text)
            return "\n".join(lines)
