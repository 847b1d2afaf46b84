"""Free loopback ports for test servers (TCP and UDP on the same number)."""

from __future__ import annotations

import socket
import threading

__all__ = ["free_port"]

_lock = threading.Lock()
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1", *, udp: bool = True) -> int:
    """Return a port free on ``host`` for TCP (and UDP when ``udp``), never returned twice."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            if udp:
                try:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dgram:
                        dgram.bind((host, port))
                except OSError:
                    continue
        with _lock:
            if port in _handed_out:
                continue
            _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port found on {host}")
