"""The benchmark's local world, run as its own process so that serving does not share the GIL
with the gate being measured.

It starts a real DNS server (Debian's knot via ``KnotServer``; the pure-Python ``DnsServer``
when knot is missing) with ``h0 … h{N-1}.bench.test A 127.0.0.1``, a UDP proxy in front of it
that adds ``--latency`` to every answer, and one HTTPS ``WebServer`` with a wildcard certificate
for ``*.bench.test`` that adds ``--latency`` to every HTTP request. It prints one JSON line
(ports, CA bundle, DNS server kind) and serves until its standard input closes.

    python scripts/bench_world.py --hosts 1000 --latency 0.05 --dir /tmp/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import threading
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/servers

ZONE = "bench.test"


def host(i: int) -> str:
    """The i-th benchmark hostname."""
    return f"h{i}.{ZONE}"


class _Upstream(asyncio.DatagramProtocol):
    """One forwarded query: sends it to the server and hands the answer back after a delay."""

    def __init__(self, query: bytes, reply: Any, delay: float) -> None:
        self.query = query
        self.reply = reply
        self.delay = delay
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Forward the query as soon as the socket exists."""
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.transport.sendto(self.query)
        loop = asyncio.get_running_loop()
        loop.call_later(5.0, transport.close)  # no answer: give up quietly

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Deliver the answer after the configured latency."""
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self.reply, data)
        if self.transport is not None:
            self.transport.close()


class LatencyProxy(asyncio.DatagramProtocol):
    """A UDP DNS proxy that delays every answer by ``delay`` seconds."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: set[asyncio.Task[Any]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the listening transport."""
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:  # a thousand queries at once overflow the default buffer
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Forward on a fresh socket (no query-id collisions between clients)."""
        loop = asyncio.get_running_loop()

        def reply(answer: bytes) -> None:
            if self.transport is not None:
                self.transport.sendto(answer, addr)

        task = loop.create_task(
            loop.create_datagram_endpoint(
                lambda: _Upstream(data, reply, self.delay), remote_addr=self.upstream
            )
        )
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)


def start_dns(n: int, prefer_knot: bool) -> tuple[Any, str, str]:
    """Start knot (or the pure-Python server) with ``n`` A records; returns (server, host:port, kind)."""
    records = [f"h{i} A 127.0.0.1" for i in range(n)]
    if prefer_knot:
        try:
            from tests.servers.knot import KnotServer, find_knot_binaries, zone

            find_knot_binaries()
            knot = KnotServer({ZONE: zone(ZONE, records)}, startup_timeout=60).start()
            return knot, knot.resolver, "knot"
        except RuntimeError as exc:
            print(f"knot unavailable ({exc}); using the pure-Python DnsServer", file=sys.stderr)
    from tests.servers.dns_server import DnsServer

    server = DnsServer()
    server.add_zone(ZONE)
    for i in range(n):
        server.set(host(i), "A", ["127.0.0.1"])
    server.start()
    return server, server.resolver, "python-dnsserver"


def backlogged_web_server(backlog: int) -> type[Any]:
    """WebServer listening with a deep accept backlog (asyncio's default of 100 drops SYNs
    when a thousand clients connect at once, and each dropped SYN costs a 1 s retransmit)."""
    from websockets.asyncio.server import serve as ws_serve

    from infra_verify.testing import web_server

    class BackloggedWebServer(web_server.WebServer):
        """The tests' WebServer with ``backlog`` passed to ``loop.create_server``."""

        async def _serve(self) -> None:
            self._server = await ws_serve(
                self._handle_websocket,
                self.host,
                self._port,
                ssl=self.ssl_context,
                process_request=self._process_request,
                process_response=web_server._add_server_header,
                server_header=None,
                open_timeout=10,
                close_timeout=2,
                create_connection=web_server._tracking_connection(self._live),
                backlog=backlog,
            )
            self._port = self._server.sockets[0].getsockname()[1]

    return BackloggedWebServer


async def serve(args: argparse.Namespace) -> None:
    """Start everything, announce it, and serve until stdin closes."""
    from infra_verify.testing.certs import CertFactory

    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    certs = CertFactory()
    ca = certs.write_ca_bundle(workdir / "bench-ca.pem")
    dns, upstream, dns_kind = start_dns(args.hosts, not args.python_dns)
    up_host, up_port = upstream.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    proxy_transport, _ = await loop.create_datagram_endpoint(
        lambda: LatencyProxy((up_host, int(up_port)), args.latency), local_addr=("127.0.0.1", 0)
    )
    proxy_port = proxy_transport.get_extra_info("sockname")[1]
    web = backlogged_web_server(4096)(
        ssl_context=certs.valid(f"*.{ZONE}", ZONE).server_context(), latency=args.latency
    )
    web.start()
    print(
        json.dumps(
            {
                "dns": f"127.0.0.1:{proxy_port}",
                "dns_direct": upstream,
                "dns_kind": dns_kind,
                "https_port": web.port,
                "ca": str(ca),
                "hosts": args.hosts,
                "latency": args.latency,
            }
        ),
        flush=True,
    )
    closed = asyncio.Event()
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(closed.set)), daemon=True
    ).start()
    try:
        await closed.wait()
    finally:
        proxy_transport.close()
        web.stop()
        dns.stop()


def main() -> None:
    """Parse the arguments and serve."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--hosts", type=int, default=100)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--dir", default="reports/bench-world")
    p.add_argument("--python-dns", action="store_true", help="use DnsServer instead of knot")
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
